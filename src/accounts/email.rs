//! Changing the login address: a code to the new address, a notice to the old one, and the
//! change itself only once the code comes back, if the new address is still free then.

use super::login::confirm_password;
use super::tokens::Authenticated;
use super::verify::{attempt, redeem};
use super::{Error, UserView, current_user};
use crate::app::App;
use crate::input::{Email, Password};
use crate::mail::Kind;
use crate::random;
use crate::rules::codes::Effect;
use crate::store::Purpose;

/// Sends a code to `new_email` and a notice to the current address.
///
/// A taken `new_email` is `409 email_taken`, unless `accounts.conceal_existing`: then the
/// answer, the notice to the current address and the pending code (a decoy no guess can
/// match) are as for a free address, and the owner of `new_email` is told someone tried.
pub async fn request_email_change(
    app: &App,
    who: &Authenticated,
    new_email: Email,
    password: Password,
) -> Result<(), Error> {
    let user = current_user(app, who).await?;
    confirm_password(app, (&user, &who.claims.sid), password).await?;
    if new_email.as_str() == user.email {
        return Err(Error::Invalid {
            field: "new_email",
            message: "is already your address",
        });
    }
    let owner = app.store.user_by_email(new_email.as_str()).await?;
    if owner.is_some() && !app.config.conceal_existing {
        return Err(Error::EmailTaken);
    }
    // The code is filed under the current address (it is the account's), aimed at the new one.
    let mut issued = app
        .codes
        .issue(Purpose::EmailChange, &user.email, &user.id, app.now());
    issued.pending.target = Some(new_email.as_str().to_owned());
    let code = app
        .mailer
        .code(Kind::EmailChange, new_email.as_str(), &user, &issued);
    let notice = app.mailer.notice(
        Kind::EmailChangeNotice,
        &user.email,
        &user,
        new_email.as_str(),
    );
    let mails = match owner {
        None => vec![code, notice],
        Some(owner) => {
            issued.pending.code_mac = random::bytes::<32>();
            vec![
                notice,
                app.mailer
                    .notice(Kind::ExistingAccount, &owner.email, &owner, ""),
            ]
        }
    };
    super::send_code(app, issued, mails).await
}

/// Moves the account to the address the code was sent to.
pub async fn confirm_email_change(
    app: &App,
    who: &Authenticated,
    code: &str,
) -> Result<UserView, Error> {
    let old = current_user(app, who).await?.email;
    let guess = attempt(app, Purpose::EmailChange, &old, code)?;
    let user = redeem(
        app,
        guess,
        Effect::ChangeEmail,
        (Purpose::EmailChange, old.clone()),
    )
    .await?;
    // Codes sent to the old address went with it.
    app.codes.forget(Purpose::Signup, &old);
    app.codes.forget(Purpose::Reset, &old);
    Ok(UserView::from(&user))
}
