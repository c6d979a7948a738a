//! The use cases only the Djoser dialect has (SPEC §12): accounts named by Djoser's `uid`, a
//! resend that needs no password, and a nickname made up when the front end sends none. Each
//! goes through the native flows; nothing here decides what those do not.

use super::verify::attempt;
use super::{Error, UserView, confirm_reset, verify_code, verify_link};
use crate::app::App;
use crate::input::{Email, Nickname, Password, nickname_from_address, nickname_key};
use crate::mail::Kind;
use crate::store::{Purpose, User};

/// Why a `{uid, token}` pair was refused.
#[derive(Debug)]
pub enum UidTokenError {
    /// No account has this `uid`.
    Uid,
    /// The token is wrong, expired, used or replaced.
    Token,
    /// The account is active already (a used activation link).
    Stale,
    /// Anything else the native flow answered.
    Other(Error),
}

impl From<Error> for UidTokenError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidCode => Self::Token,
            other => Self::Other(other),
        }
    }
}

async fn account(app: &App, uid: &str) -> Result<User, UidTokenError> {
    let id = crate::mail::user_id_of(uid).ok_or(UidTokenError::Uid)?;
    app.user(&id)
        .await
        .map_err(|e| UidTokenError::Other(e.into()))?
        .ok_or(UidTokenError::Uid)
}

fn email_of(user: &User) -> Result<Email, UidTokenError> {
    Email::parse(&user.email).map_err(|_| UidTokenError::Uid)
}

/// Activates the account `uid` names with the link token its mail carried (or the code).
pub async fn activate(app: &App, uid: &str, token: &str) -> Result<UserView, UidTokenError> {
    let user = account(app, uid).await?;
    if user.is_active {
        return Err(UidTokenError::Stale);
    }
    if crate::codes::normalize(token).is_some() {
        return Ok(verify_code(app, email_of(&user)?, token).await?);
    }
    // A link token names its code; it must be this account's.
    let belongs = app
        .codes
        .by_link(token)
        .is_some_and(|pending| pending.user_id == user.id);
    if !belongs {
        return Err(UidTokenError::Token);
    }
    Ok(verify_link(app, token).await?)
}

/// Sets a new password for the account `uid` names with the code its reset mail carried.
pub async fn reset_by_uid(
    app: &App,
    uid: &str,
    token: &str,
    password: Password,
) -> Result<(), UidTokenError> {
    let user = account(app, uid).await?;
    let email = email_of(&user)?;
    // The code is checked before the new password is hashed: a wrong token costs no hash.
    attempt(app, Purpose::Reset, email.as_str(), token)?;
    Ok(confirm_reset(app, email, token, password).await?)
}

/// Mails the activation code again to an unverified account, without its password; answers
/// the same for every address (an unknown or active one, or one inside the resend interval,
/// gets nothing).
pub async fn resend_activation(app: &App, email: &Email) -> Result<(), Error> {
    let Some(user) = app.store.user_by_email(email.as_str()).await? else {
        return Ok(());
    };
    if user.is_active || user.disabled {
        return Ok(());
    }
    let issued = app
        .codes
        .issue(Purpose::Signup, &user.email, &user.id, app.now());
    let mail = app.mailer.code(Kind::Verify, &user.email, &user, &issued);
    match super::send_code(app, issued, vec![mail]).await {
        Ok(()) | Err(Error::RateLimited { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A free nickname made from the address, for a sign-up that sent none.
pub async fn nickname_for(app: &App, email: &Email) -> Result<Nickname, Error> {
    for attempt in 0..100u32 {
        let candidate = nickname_from_address(email, attempt);
        if app
            .store
            .nickname_owner(&nickname_key(&candidate))
            .await?
            .is_none()
        {
            return Nickname::parse(&candidate).map_err(|message| Error::Invalid {
                field: "nickname",
                message,
            });
        }
    }
    // A hundred people with one local part: a random suffix ends it.
    let base = nickname_from_address(email, 0);
    let random = &crate::random::id()[..6];
    Nickname::parse(&format!("{base}-{random}")).map_err(|message| Error::Invalid {
        field: "nickname",
        message,
    })
}
