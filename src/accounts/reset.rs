//! Password reset: a code to the address, then a new password for whoever has it. The request
//! answers the same for every address in about the same time: both paths do one read and one
//! durable write.

use super::Error;
use super::verify::{attempt, redeem};
use crate::app::App;
use crate::input::{Email, Password};
use crate::mail::Kind;
use crate::store::{Effect, Purpose};

/// Mails a reset code if `email` has an account and the resend interval has passed; otherwise
/// does the same amount of work and sends nothing.
pub async fn request_reset(app: &App, email: Email) -> Result<(), Error> {
    let (now, interval) = (app.now(), app.config.codes.resend_interval.as_secs());
    let Some(user) = app.store.user_by_email(email.as_str())? else {
        let email = email.as_str().to_owned();
        // Nothing is sent either way; the write is there so both paths cost the same.
        let _ = app
            .blocking(move |s| s.queue_limited(Purpose::Reset, &email, None, now, interval))
            .await?;
        return Ok(());
    };
    let issued = app.codes.issue(Purpose::Reset, &user.email, &user.id, now);
    let mail = app.mailer.code(Kind::Reset, &user.email, &user, &issued);
    match super::send_code(app, issued, vec![mail]).await {
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
