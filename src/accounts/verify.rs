//! Verifying an address with the mailed code or link.

use super::{Error, UserView};
use crate::app::App;
use crate::codes;
use crate::input::Email;
use crate::store::{CodeRules, Effect, Guess, Purpose, Redeemed};

/// What the page behind a mailed link should show. Looking never uses the link up: mail
/// scanners open links too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPage {
    /// A live link: offer the "Confirm" button.
    Confirm,
    /// Unknown, expired, used or replaced.
    Invalid,
}

fn rules(app: &App) -> CodeRules {
    CodeRules {
        now: app.now(),
        max_attempts: app.config.codes.max_attempts,
        resend_interval: app.config.codes.resend_interval.as_secs(),
    }
}

async fn redeem(
    app: &App,
    guess_key: GuessKey,
    email_hint: Option<String>,
) -> Result<UserView, Error> {
    let rules = rules(app);
    let outcome = app
        .blocking(move |s| {
            let guess = match &guess_key {
                GuessKey::Code { email, mac } => Guess::Code {
                    purpose: Purpose::Signup,
                    email,
                    mac: *mac,
                },
                GuessKey::Link { mac } => Guess::Link { mac: *mac },
            };
            s.redeem(guess, &Effect::Activate, rules)
        })
        .await?;
    match outcome {
        Redeemed::Accepted(user) => {
            app.codes.forget(Purpose::Signup, &user.email);
            Ok(UserView::from(&user))
        }
        Redeemed::Wrong { .. } => Err(Error::InvalidCode),
        Redeemed::Exhausted { retry_after } => Err(Error::TooManyAttempts { retry_after }),
        Redeemed::Unknown => {
            if let Some(email) = email_hint {
                app.codes.forget(Purpose::Signup, &email);
            }
            Err(Error::InvalidCode)
        }
    }
}

/// An owned [`Guess`], to move onto the blocking pool.
enum GuessKey {
    Code { email: String, mac: [u8; 32] },
    Link { mac: [u8; 32] },
}

/// Checks a typed code for `email` and activates the account.
pub async fn verify_code(app: &App, email: Email, typed: &str) -> Result<UserView, Error> {
    let email = email.as_str().to_owned();
    // Not a possible code, or nothing pending: no guess to count, no transaction to run.
    let code = codes::normalize(typed).ok_or(Error::InvalidCode)?;
    if app.codes.pending(Purpose::Signup, &email).is_none() {
        return Err(Error::InvalidCode);
    }
    let mac = app.codes.code_mac(Purpose::Signup, &email, &code);
    redeem(
        app,
        GuessKey::Code {
            email: email.clone(),
            mac,
        },
        Some(email),
    )
    .await
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
    let mac = app.codes.link_mac(token);
    redeem(app, GuessKey::Link { mac }, Some(pending.email.clone())).await
}
