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
///
/// A taken address is `409 email_taken`, unless `accounts.conceal_existing`: then the answer
/// looks exactly like a new sign-up, and the owner is told someone tried.
pub async fn signup(app: &App, input: SignupInput) -> Result<UserView, Error> {
    let SignupInput {
        email,
        password,
        nickname,
    } = input;
    let now = app.now();
    let user = User {
        id: random::id(),
        email: email.as_str().to_owned(),
        nickname: nickname.as_str().to_owned(),
        password_hash: String::new(),
        is_active: false,
        created_at: now,
    };
    if let Some(owner) = app.store.user_by_email(email.as_str())? {
        if !app.config.conceal_existing {
            return Err(Error::EmailTaken);
        }
        // Hash as a new sign-up would, so the answer takes as long.
        app.hasher.hash(password).await?;
        return conceal(app, &owner, &user, &nickname).await;
    }
    let user = User {
        password_hash: app.hasher.hash(password).await?,
        ..user
    };
    let issued = app.codes.issue(Purpose::Signup, &user.email, &user.id, now);
    let mail = app.mailer.code(Kind::Verify, &user.email, &user, &issued);
    let view = UserView::from(&user);
    let (pending, key, record) = (issued.pending.clone(), nickname.key(), user.clone());
    match app
        .blocking(move |s| s.create_user(&record, &key, &pending, &mail))
        .await?
    {
        Err(Conflict::Email) if app.config.conceal_existing => {
            let owner = app
                .store
                .user_by_email(&user.email)?
                .ok_or(Error::EmailTaken)?;
            conceal(app, &owner, &user, &nickname).await
        }
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

/// Answers a sign-up for a taken address exactly as a new sign-up would be answered (a taken
/// nickname is still `409 nickname_taken`, as it would be for a free address), and tells the
/// owner, at most once per resend interval.
async fn conceal(
    app: &App,
    owner: &User,
    attempt: &User,
    nickname: &Nickname,
) -> Result<UserView, Error> {
    if app.store.nickname_taken(&nickname.key())? {
        return Err(Error::NicknameTaken);
    }
    let notice = app
        .mailer
        .notice(Kind::ExistingAccount, &owner.email, owner, "");
    let (email, now, interval) = (
        owner.email.clone(),
        app.now(),
        app.config.codes.resend_interval.as_secs(),
    );
    if app
        .blocking(move |s| s.queue_limited(Purpose::Signup, &email, &[notice], now, interval))
        .await?
        .is_ok()
    {
        app.outbox.wake();
    }
    Ok(UserView::from(attempt))
}

/// Replaces the sign-up code of an inactive account with a new one, and mails it.
pub async fn resend(app: &App, email: Email, password: Password) -> Result<(), Error> {
    let user = super::login::check_password(app, &email, password).await?;
    if user.is_active {
        return Err(Error::AccountAlreadyActive);
    }
    let issued = app
        .codes
        .issue(Purpose::Signup, &user.email, &user.id, app.now());
    let mail = app.mailer.code(Kind::Verify, &user.email, &user, &issued);
    super::send_code(app, issued, vec![mail]).await
}
