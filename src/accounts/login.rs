//! Log-in: checks the password (against a dummy hash when the address is unknown, so both
//! failures take the same time) and opens a session.

use super::tokens::{TokenPair, new_refresh, pair};
use super::{Error, UserView};
use crate::app::App;
use crate::input::{Email, Password};
use crate::random;
use crate::store::Session;

/// Opens a session for the owner of `email` if `password` is theirs.
pub async fn login(
    app: &App,
    email: Email,
    password: Password,
) -> Result<(TokenPair, UserView), Error> {
    let user = app.store.user_by_email(email.as_str())?;
    let right = app
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await?;
    let Some(user) = user.filter(|_| right) else {
        app.metrics.login("invalid_credentials");
        return Err(Error::InvalidCredentials);
    };
    if !user.is_active {
        app.metrics.login("inactive");
        return Err(Error::AccountInactive);
    }
    let now = app.now();
    let session = Session {
        id: random::id(),
        user_id: user.id.clone(),
        created_at: now,
        refresh: new_refresh(app, now),
        previous: None,
        revoked_at: None,
    };
    let tokens = pair(app, &user.id, &session.id, &session.refresh);
    app.blocking(move |s| s.create_session(&session)).await?;
    app.metrics.login("success");
    Ok((tokens, UserView::from(&user)))
}
