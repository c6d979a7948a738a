//! Password reset: a code to the address, then a new password for whoever has it.
//!
//! Nothing here may tell a registered address from an unknown one. An unknown address gets a
//! decoy: a pending code that no guess can match, stored, rate-limited and counted exactly like
//! a real one, so the request, and every later guess at the confirmation, answer alike and take
//! alike.

use super::Error;
use super::verify::{attempt, redeem};
use crate::app::App;
use crate::input::{Email, Password};
use crate::mail::Kind;
use crate::random;
use crate::rules::codes::Effect;
use crate::store::{Purpose, User};

/// Mails a reset code if `email` has an account and the resend interval has passed; for an
/// unknown address, stores a decoy code and sends nothing.
pub async fn request_reset(app: &App, email: Email) -> Result<(), Error> {
    let now = app.now();
    let account = app.store.user_by_email(email.as_str()).await?;
    let decoy = account.is_none();
    let user = account.unwrap_or_else(|| User {
        id: String::new(),
        email: email.as_str().to_owned(),
        nickname: String::new(),
        password_hash: String::new(),
        is_active: false,
        disabled: false,
        created_at: now,
    });
    let mut issued = app.codes.issue(Purpose::Reset, &user.email, &user.id, now);
    // Rendered on both paths, so both do the same work; only the real one is queued.
    let mail = app.mailer.code(Kind::Reset, &user.email, &user, &issued);
    let mails = if decoy {
        issued.pending.code_mac = random::bytes::<32>();
        Vec::new()
    } else {
        vec![mail]
    };
    match super::send_code(app, issued, mails).await {
        Ok(()) | Err(Error::RateLimited { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets a new password with the mailed code. Every session ends, and an unverified account
/// becomes verified: the code proved the address, and the password whoever registered it first
/// chose stops working.
pub async fn confirm_reset(
    app: &App,
    email: Email,
    code: &str,
    password: Password,
) -> Result<(), Error> {
    let email = email.as_str();
    let guess = attempt(app, Purpose::Reset, email, code)?;
    let hash = app.hasher.hash(password).await?;
    redeem(
        app,
        guess,
        Effect::ResetPassword { hash },
        (Purpose::Reset, email.to_owned()),
    )
    .await?;
    app.codes.forget(Purpose::Signup, email);
    Ok(())
}
