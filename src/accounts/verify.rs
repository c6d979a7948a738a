//! Using codes: the sign-up code and link here, and the one redemption path every purpose
//! shares (`redeem`): one store transaction, then cache and revocation upkeep.

use super::{Error, UserView};
use crate::app::App;
use crate::codes;
use crate::input::Email;
use crate::rules::Conflict;
use crate::rules::codes::{CodeRules, Effect, Guess, Redeemed};
use crate::store::{Purpose, User};

/// What the page behind a mailed link should show. Looking never uses the link up: mail
/// scanners open links too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPage {
    /// A live link: offer the "Confirm" button.
    Confirm,
    /// Unknown, expired, used or replaced.
    Invalid,
}

/// The HMAC of a typed code for (purpose, address), if it is pending there at all: otherwise
/// there is no guess to count and no transaction to run.
pub(super) fn attempt(
    app: &App,
    purpose: Purpose,
    email: &str,
    typed: &str,
) -> Result<Guess, Error> {
    let code = codes::normalize(typed).ok_or(Error::InvalidCode)?;
    if app.codes.pending(purpose, email).is_none() {
        return Err(Error::InvalidCode);
    }
    Ok(Guess::Code {
        purpose,
        email: email.to_owned(),
        mac: app.codes.code_mac(purpose, email, &code),
    })
}

/// Checks a guess and applies `effect` if it is right, then drops the code from the cache
/// (`cached` names it) and records the sessions the effect ended.
pub(super) async fn redeem(
    app: &App,
    guess: Guess,
    effect: Effect,
    cached: (Purpose, String),
) -> Result<User, Error> {
    let rules = CodeRules {
        max_attempts: app.config.codes.max_attempts,
        resend_interval: app.config.codes.resend_interval.as_secs(),
    };
    let now_ms = app.now_ms();
    let outcome = app
        .write(move |tx, w| crate::rules::codes::redeem(tx, w, &guess, &effect, rules, now_ms))
        .await?;
    match outcome {
        Redeemed::Accepted { user, ended } => {
            app.codes.forget(cached.0, &cached.1);
            app.revoked.add(ended);
            Ok(user)
        }
        Redeemed::Conflict(conflict) => {
            app.codes.forget(cached.0, &cached.1);
            Err(match conflict {
                Conflict::Email => Error::EmailTaken,
                Conflict::Nickname => Error::NicknameTaken,
            })
        }
        Redeemed::Wrong { .. } => Err(Error::InvalidCode),
        Redeemed::Exhausted { retry_after } => Err(Error::TooManyAttempts { retry_after }),
        Redeemed::Unknown => {
            app.codes.forget(cached.0, &cached.1);
            Err(Error::InvalidCode)
        }
    }
}

/// Checks a typed sign-up code for `email` and activates the account.
pub async fn verify_code(app: &App, email: Email, typed: &str) -> Result<UserView, Error> {
    let email = email.as_str();
    let attempt = attempt(app, Purpose::Signup, email, typed)?;
    let user = redeem(
        app,
        attempt,
        Effect::Activate,
        (Purpose::Signup, email.to_owned()),
    )
    .await?;
    Ok(UserView::from(&user))
}

/// What the link page shows for `token`, without using it.
#[must_use]
pub fn link_page(app: &App, token: &str) -> LinkPage {
    match app.codes.by_link(token) {
        Some(_) => LinkPage::Confirm,
        None => LinkPage::Invalid,
    }
}

/// Uses a mailed link token and activates its account.
pub async fn verify_link(app: &App, token: &str) -> Result<UserView, Error> {
    let pending = app.codes.by_link(token).ok_or(Error::InvalidCode)?;
    let attempt = Guess::Link {
        mac: app.codes.link_mac(token),
    };
    let user = redeem(
        app,
        attempt,
        Effect::Activate,
        (Purpose::Signup, pending.email.clone()),
    )
    .await?;
    Ok(UserView::from(&user))
}
