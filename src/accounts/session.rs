//! What an authenticated user does with their session: log out, look at their account.

use super::tokens::Authenticated;
use super::{Error, UserView};
use crate::app::App;
use crate::rules::{audit, sessions};

/// Ends this session, or every session of the user when `all`.
pub async fn logout(app: &App, who: &Authenticated, all: bool) -> Result<(), Error> {
    let now = app.now();
    let (sid, user) = (who.claims.sid.to_string(), who.claims.sub.to_string());
    let ended = app
        .write(move |tx, w| {
            let ended: Vec<_> = if all {
                sessions::end_all(tx, w, &user, None, now)?
            } else {
                sessions::end(tx, w, &sid, now)?.into_iter().collect()
            };
            let mut event = audit::event("logout", now * 1000, Some(&user), Some(&sid));
            if all {
                event.detail = Some(format!("all sessions: {} ended", ended.len()));
            }
            w.audit(event);
            Ok(ended)
        })
        .await?;
    app.revoked.add(ended);
    Ok(())
}

/// The account behind the token.
pub async fn me(app: &App, who: &Authenticated) -> Result<UserView, Error> {
    Ok(UserView::from(&super::current_user(app, who).await?))
}
