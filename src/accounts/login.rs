//! Log-in, and the password check every flow that asks for a password shares: against a dummy
//! hash when the address is unknown (so both failures take the same time), one check at a time
//! per address, and counted against the address's failed-login budget when wrong.

use super::tokens::{TokenPair, new_refresh, pair};
use super::{Error, UserView};
use crate::app::App;
use crate::input::{Email, Password};
use crate::random;
use crate::rules;
use crate::store::{Session, User};

/// The account of `email` if `password` is its password.
pub(super) async fn check_password(
    app: &App,
    email: &Email,
    password: Password,
) -> Result<User, Error> {
    let _turn = app.limits.password_turn(email.as_str()).await;
    if let Some(retry_after) = app.limits.login_blocked(email.as_str()) {
        app.metrics.login("rate_limited");
        return Err(Error::RateLimited { retry_after });
    }
    let user = app.store.user_by_email(email.as_str()).await?;
    let right = app
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await?;
    match user {
        Some(user) if right => Ok(user),
        user => {
            let locked = app.limits.login_failed(email.as_str());
            let detail = if user.is_some() {
                "wrong password"
            } else {
                "unknown address"
            };
            record_failure(app, user.map(|u| u.id), None, detail, locked).await?;
            Err(Error::InvalidCredentials)
        }
    }
}

/// Audits a wrong password, and the lock-out it may have started.
async fn record_failure(
    app: &App,
    user_id: Option<String>,
    sid: Option<String>,
    detail: &'static str,
    locked: bool,
) -> Result<(), Error> {
    let now_ms = app.now_ms();
    app.write(move |_, w| {
        let (user, sid) = (user_id.as_deref(), sid.as_deref());
        let mut failed = rules::audit::event("login_failed", now_ms, user, sid);
        failed.detail = Some(detail.to_owned());
        w.audit(failed);
        if locked {
            let mut lock = rules::audit::event("login_locked", now_ms, user, sid);
            lock.detail = Some("failed-login budget spent".to_owned());
            w.audit(lock);
        }
        Ok(())
    })
    .await?;
    Ok(())
}

/// Checks the password of an account already identified (by its access token `sid`).
pub(super) async fn confirm_password(
    app: &App,
    (user, sid): (&User, &str),
    password: Password,
) -> Result<(), Error> {
    let _turn = app.limits.password_turn(&user.email).await;
    if let Some(retry_after) = app.limits.login_blocked(&user.email) {
        return Err(Error::RateLimited { retry_after });
    }
    if app
        .hasher
        .verify(password, Some(user.password_hash.clone()))
        .await?
    {
        return Ok(());
    }
    let locked = app.limits.login_failed(&user.email);
    let (id, sid) = (Some(user.id.clone()), Some(sid.to_owned()));
    record_failure(app, id, sid, "wrong current password", locked).await?;
    Err(Error::InvalidCredentials)
}

/// Opens a session for the owner of `email` if `password` is theirs.
pub async fn login(
    app: &App,
    email: Email,
    password: Password,
    ip: std::net::IpAddr,
) -> Result<(TokenPair, UserView), Error> {
    let user = check_password(app, &email, password.clone())
        .await
        .inspect_err(|e| {
            if matches!(e, Error::InvalidCredentials) {
                app.metrics.login("invalid_credentials");
            }
        })?;
    if !user.is_active || user.disabled {
        app.metrics.login("inactive");
        return Err(Error::AccountInactive);
    }
    let tokens = open_session(app, &user, &ip.to_string()).await?;
    app.metrics.login("success");
    if app.hasher.outdated(&user.password_hash) {
        upgrade(app, &user, password).await;
    }
    Ok((tokens, UserView::from(&user)))
}

/// Replaces an imported (Django) or outdated hash with argon2id under the current settings,
/// now that the password is known to be right. Best effort: the log-in stands either way, and
/// the next one tries again.
async fn upgrade(app: &App, user: &User, password: Password) {
    let upgraded = match app.hasher.hash(password).await {
        Ok(hash) => hash,
        Err(e) => {
            tracing::warn!(error = %e, "upgrading a password hash failed; next log-in tries again");
            return;
        }
    };
    let (id, checked, now_ms) = (user.id.clone(), user.password_hash.clone(), app.now_ms());
    let written = app
        .write(move |tx, w| rules::users::upgrade_hash(tx, w, (&id, &checked), &upgraded, now_ms))
        .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, "storing an upgraded password hash failed");
    }
}

/// Opens a session for `user` as it is now (a log-in, or an operator's `token issue`) and
/// returns its first pair; `InvalidCredentials` if its password changed meanwhile or it was
/// deactivated.
pub async fn open_session(app: &App, user: &User, ip: &str) -> Result<TokenPair, Error> {
    let now_ms = app.now_ms();
    let now = now_ms / 1000;
    let sid = random::id();
    let session = Session {
        refresh: new_refresh(app, now, &user.id, &sid),
        id: sid,
        user_id: user.id.clone(),
        created_at: now,
        ip: ip.to_owned(),
        previous: None,
        revoked_at: None,
    };
    let tokens = pair(app, &user.id, &session.id, &session.refresh);
    // The password checked may have been changed or reset while it was being checked; then
    // this session must not outlive the change.
    let checked = user.password_hash.clone();
    if !app
        .write(move |tx, w| rules::sessions::open(tx, w, (&session, &checked), now_ms))
        .await?
    {
        return Err(Error::InvalidCredentials);
    }
    Ok(tokens)
}
