//! Sign-up and resending the sign-up code.

use super::{Error, UserView};
use crate::app::App;
use crate::input::{Email, Nickname, Password};
use crate::mail::Kind;
use crate::random;
use crate::rules::{self, Conflict};
use crate::store::{Purpose, User};

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
        disabled: false,
        created_at: now,
    };
    if let Some(owner) = app.store.user_by_email(email.as_str()).await? {
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
    let (pending, record, now_ms) = (issued.pending.clone(), user.clone(), app.now_ms());
    match app
        .write(move |tx, w| rules::users::create(tx, w, &record, &pending, &mail, now_ms))
        .await?
    {
        Err(Conflict::Email) if app.config.conceal_existing => {
            let owner = app
                .store
                .user_by_email(&user.email)
                .await?
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
    let notice = app
        .mailer
        .notice(Kind::ExistingAccount, &owner.email, owner, "");
    let (email, key, now_ms) = (owner.email.clone(), nickname.key(), app.now_ms());
    let interval = app.config.codes.resend_interval.as_secs();
    let outcome = app
        .write(move |tx, w| {
            if tx.nickname_owner(&key)?.is_some() {
                return Ok(Err(Conflict::Nickname));
            }
            let notified = rules::codes::notify(
                tx,
                w,
                (Purpose::Signup, &email),
                std::slice::from_ref(&notice),
                interval,
                now_ms,
            )?;
            Ok(Ok(notified.is_ok()))
        })
        .await?;
    if outcome.map_err(|_| Error::NicknameTaken)? {
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
