//! The account flows (SPEC §3–§5): each public function is one use case, called by one HTTP
//! handler with already-parsed input, and answers with a value or an [`Error`] the HTTP layer
//! maps to a status and code.
//!
//! - `signup`: sign-up, resend
//! - `verify`: the code and the link
//! - `login`: log-in, creating a session
//! - `tokens`: issuing pairs, refresh rotation, `token/verify`, authentication
//! - `session`: logout, `me`
//! - `profile`: nickname, password change, account deletion
//! - `reset`: password reset by mailed code
//! - `email`: changing the login address
//! - `djoser`: what only the Djoser dialect asks (accounts by `uid`, resend without a password)

mod djoser;
mod email;
mod login;
mod profile;
mod reset;
mod session;
mod signup;
mod tokens;
mod verify;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use djoser::{UidTokenError, activate, nickname_for, resend_activation, reset_by_uid};
pub use email::{confirm_email_change, request_email_change};
pub use login::{login, open_session};
pub use profile::{change_password, delete_account, update_nickname};
pub use reset::{confirm_reset, request_reset};
pub use session::{logout, me};
pub use signup::{SignupInput, resend, signup};
pub use tokens::{Authenticated, TokenPair, authenticate, refresh, verify_token};
pub use verify::{LinkPage, link_page, verify_code, verify_link};

use crate::app::App;
use crate::codes::Issued;
use crate::rules;
use crate::store::{NewMail, User};
use crate::{jwt, password, store};

/// The account behind an access token; gone means the session is as good as ended.
pub(crate) async fn current_user(app: &App, who: &Authenticated) -> Result<User, Error> {
    app.user(&who.claims.sub)
        .await?
        .ok_or(Error::Token(TokenProblem::Revoked))
}

/// Stores a fresh code with the mails that carry it (replacing any older code for its purpose
/// and address), unless the resend interval has not passed.
pub(crate) async fn send_code(app: &App, issued: Issued, mails: Vec<NewMail>) -> Result<(), Error> {
    let interval = app.config.codes.resend_interval.as_secs();
    let (pending, now_ms) = (issued.pending.clone(), app.now_ms());
    let sent = app
        .write(move |tx, w| rules::codes::send(tx, w, &pending, &mails, interval, now_ms))
        .await?;
    sent.map_err(|too_soon| Error::RateLimited {
        retry_after: too_soon.retry_after,
    })?;
    app.codes.remember(issued.pending);
    app.outbox.wake();
    Ok(())
}

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field's value cannot be used, and why.
    #[error("{field} {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        message: &'static str,
    },
    /// A code or link that is wrong, expired, used or replaced.
    #[error("invalid code")]
    InvalidCode,
    /// The code was voided by wrong guesses.
    #[error("too many attempts")]
    TooManyAttempts {
        /// Seconds until a new code may be requested.
        retry_after: u64,
    },
    /// Too many requests of this kind.
    #[error("rate limited")]
    RateLimited {
        /// Seconds until trying again makes sense.
        retry_after: u64,
    },
    /// Unknown email or wrong password (indistinguishable on purpose).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Right password, unverified address.
    #[error("account inactive")]
    AccountInactive,
    /// Nothing to verify.
    #[error("account already active")]
    AccountAlreadyActive,
    /// Address taken.
    #[error("email taken")]
    EmailTaken,
    /// Nickname taken.
    #[error("nickname taken")]
    NicknameTaken,
    /// A token was missing or refused.
    #[error("token: {0:?}")]
    Token(TokenProblem),
    /// Storage failed.
    #[error("{0}")]
    Store(#[from] store::Error),
    /// Password hashing is saturated or failed.
    #[error("{0}")]
    Password(#[from] password::Error),
}

/// What is wrong with a presented token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProblem {
    /// None was presented.
    Missing,
    /// It failed verification for this reason.
    Invalid(jwt::Error),
    /// Its session has ended.
    Revoked,
    /// A rotated-away refresh token was presented again; its session is now ended.
    Reused,
    /// A refresh token its session no longer accepts (rotated away, past the grace window).
    Superseded,
}

impl From<jwt::Error> for Error {
    fn from(e: jwt::Error) -> Self {
        Self::Token(TokenProblem::Invalid(e))
    }
}

/// An account as clients see it: never any password material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserView {
    /// Opaque id.
    pub id: String,
    /// Normalized address.
    pub email: String,
    /// Display name.
    pub nickname: String,
    /// Whether the address is verified.
    pub is_active: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// Formats Unix seconds as RFC 3339 in UTC.
#[must_use]
pub fn rfc3339(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl From<&store::User> for UserView {
    fn from(u: &store::User) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            nickname: u.nickname.clone(),
            is_active: u.is_active,
            created_at: rfc3339(u.created_at),
        }
    }
}
