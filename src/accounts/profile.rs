//! What a logged-in user changes about their account: nickname, password, existence.

use super::login::confirm_password;
use super::tokens::Authenticated;
use super::{Error, UserView, current_user};
use crate::app::App;
use crate::input::{Nickname, Password};
use crate::rules;

/// Renames the account; the nickname must be free (compared lower-cased).
pub async fn update_nickname(
    app: &App,
    who: &Authenticated,
    nickname: Nickname,
) -> Result<UserView, Error> {
    let user_id = who.claims.sub.to_string();
    let changed = app
        .write(move |tx, w| rules::users::set_nickname(tx, w, &user_id, nickname.as_str()))
        .await?;
    match changed {
        Some(Ok(user)) => Ok(UserView::from(&user)),
        Some(Err(_)) => Err(Error::NicknameTaken),
        None => Err(Error::Token(super::TokenProblem::Revoked)),
    }
}

/// Sets a new password after checking the current one; every other session ends.
pub async fn change_password(
    app: &App,
    who: &Authenticated,
    current: Password,
    new: Password,
) -> Result<(), Error> {
    let user = current_user(app, who).await?;
    confirm_password(app, (&user, &who.claims.sid), current).await?;
    let hash = app.hasher.hash(new).await?;
    let (now, sid) = (app.now(), who.claims.sid.to_string());
    let checked = user.password_hash.clone();
    let changed = app
        .write(move |tx, w| {
            let account = (user.id.as_str(), checked.as_str());
            let ended = rules::users::set_password(tx, w, account, &hash, Some(&sid), now)?;
            if let Some(ended) = &ended {
                let mut event =
                    rules::audit::event("password_change", now * 1000, Some(&user.id), Some(&sid));
                event.detail = Some(format!("{} other session(s) ended", ended.len()));
                w.audit(event);
            }
            Ok(ended)
        })
        .await?;
    // `None`: the password changed (a reset, another change) since it was checked here.
    let ended = changed.ok_or(Error::InvalidCredentials)?;
    app.revoked.add(ended);
    Ok(())
}

/// Deletes the account after checking the password: sessions, codes and unsent mail go with it,
/// and the address may sign up again.
pub async fn delete_account(
    app: &App,
    who: &Authenticated,
    password: Password,
) -> Result<(), Error> {
    let user = current_user(app, who).await?;
    confirm_password(app, (&user, &who.claims.sid), password).await?;
    let (now, sid) = (app.now(), who.claims.sid.to_string());
    let checked = user.password_hash.clone();
    let deleted = app
        .write(move |tx, w| {
            let deleted = rules::users::delete(tx, w, (&user.id, &checked), now)?;
            if deleted.is_some() {
                w.audit(rules::audit::event(
                    "delete",
                    now * 1000,
                    Some(&user.id),
                    Some(&sid),
                ));
            }
            Ok(deleted)
        })
        .await?;
    // `None`: the password changed (or the account went) since it was checked here.
    let deleted = deleted.ok_or(Error::InvalidCredentials)?;
    app.revoked.add(deleted.ended);
    for (purpose, email) in deleted.codes {
        app.codes.forget(purpose, &email);
    }
    Ok(())
}
