//! Sign-up and resending the sign-up code.

use super::{Error, UserView};
use crate::app::App;
use crate::input::{Email, Nickname, Password};
use crate::mail::Kind;
use crate::random;
use crate::store::{Conflict, Purpose, User};

/// What a sign-up asks for, already checked.
#[derive(Debug)]
pub struct SignupInput {
    /// The address to verify.
    pub email: Email,
    /// The password to hash.
    pub password: Password,
    /// The display name.
    pub nickname: Nickname,
}

/// Creates an inactive account and queues the mail with its code and link.
pub async fn signup(app: &App, input: SignupInput) -> Result<UserView, Error> {
    let SignupInput {
        email,
        password,
        nickname,
    } = input;
    if app.store.user_by_email(email.as_str())?.is_some() {
        return Err(Error::EmailTaken);
    }
    let now = app.now();
    let user = User {
        id: random::id(),
        email: email.as_str().to_owned(),
        nickname: nickname.as_str().to_owned(),
        password_hash: app.hasher.hash(password).await?,
        is_active: false,
        created_at: now,
    };
    let ttl = app.config.codes.ttl;
    let issued = app
        .codes
        .issue(Purpose::Signup, &user.email, &user.id, now, ttl);
    let mail = app.mailer.code(Kind::Verify, &user.email, &user, &issued);
    let view = UserView::from(&user);
    let (pending, key) = (issued.pending.clone(), nickname.key());
    match app
        .blocking(move |s| s.create_user(&user, &key, &pending, &mail))
        .await?
    {
        Err(Conflict::Email) => Err(Error::EmailTaken),
        Err(Conflict::Nickname) => Err(Error::NicknameTaken),
        Ok(()) => {
            app.codes.remember(issued.pending);
            app.outbox.wake();
            app.metrics.signups.inc();
            Ok(view)
        }
    }
}

/// Replaces the sign-up code of an inactive account with a new one, and mails it.
pub async fn resend(app: &App, email: Email, password: Password) -> Result<(), Error> {
    let user = app.store.user_by_email(email.as_str())?;
    let right = app
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await?;
    let Some(user) = user.filter(|_| right) else {
        return Err(Error::InvalidCredentials);
    };
    if user.is_active {
        return Err(Error::AccountAlreadyActive);
    }
    let now = app.now();
    let ttl = app.config.codes.ttl;
    let issued = app
        .codes
        .issue(Purpose::Signup, &user.email, &user.id, now, ttl);
    let mail = app.mailer.code(Kind::Verify, &user.email, &user, &issued);
    let interval = app.config.codes.resend_interval.as_secs();
    let pending = issued.pending.clone();
    if let Err(too_soon) = app
        .blocking(move |s| s.replace_code(&pending, &mail, interval))
        .await?
    {
        Err(Error::RateLimited {
            retry_after: too_soon.retry_after,
        })
    } else {
        app.codes.remember(issued.pending);
        app.outbox.wake();
        Ok(())
    }
}
