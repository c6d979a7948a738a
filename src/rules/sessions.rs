//! Sessions (SPEC §5): opening one after a checked password, refresh rotation with the grace
//! window and reuse detection, and ending sessions.

use super::{audit, secs};
use crate::store::{
    Changes, Error, NewMail, Predecessor, RefreshState, Revocation, Session, Tx, User,
};

/// What a presented refresh token is to its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// The token the session accepts now.
    Current,
    /// The one rotated away, still inside the grace window.
    Grace,
    /// Anything older, or the predecessor past the window.
    Stale,
}

/// Where refresh token `jti` stands with `session` at `now_ms`.
#[must_use]
pub fn standing(session: &Session, jti: &str, now_ms: u64, grace_ms: u64) -> Standing {
    if session.refresh.jti == jti {
        return Standing::Current;
    }
    let in_grace = session
        .previous
        .as_ref()
        .is_some_and(|p| p.jti == jti && now_ms <= p.at_ms.saturating_add(grace_ms));
    if in_grace {
        Standing::Grace
    } else {
        Standing::Stale
    }
}

/// What presenting a refresh token did to its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// It was the current token: the session now accepts `session.refresh`.
    Rotated {
        /// The session as it is now.
        session: Session,
        /// Its owner.
        user: User,
    },
    /// It was the token rotated away within the grace window: nothing changed, and the
    /// session's current refresh token is the successor to hand out again.
    Grace {
        /// The session, unchanged.
        session: Session,
        /// Its owner.
        user: User,
    },
    /// It was an older token: the session is now ended and its owner warned.
    Reused {
        /// The owner.
        user: User,
        /// The ended session.
        ended: Revocation,
    },
    /// The session has ended, or it or its account is gone.
    Gone,
}

/// Saves a new session at `now_ms`, if its account's password hash is still `checked` (the one
/// the log-in verified) and the account may log in; `false` otherwise.
pub fn open(
    tx: &mut dyn Tx,
    w: &mut Changes,
    (session, checked): (&Session, &str),
    now_ms: u64,
) -> Result<bool, Error> {
    let user = tx.user(&session.user_id)?;
    if user.is_none_or(|u| u.password_hash != checked || u.disabled) {
        return Ok(false);
    }
    w.put_session(session.clone());
    w.audit(audit::event(
        "login",
        now_ms,
        Some(&session.user_id),
        Some(&session.id),
    ));
    Ok(true)
}

/// Presents refresh token `jti` to session `sid`; `next` is what the session accepts after a
/// rotation, and `warning` renders the mail a reuse sends the owner.
pub fn rotate(
    tx: &mut dyn Tx,
    w: &mut Changes,
    (sid, jti): (&str, &str),
    next: &RefreshState,
    (now_ms, grace_ms): (u64, u64),
    warning: &dyn Fn(&User) -> NewMail,
) -> Result<Rotation, Error> {
    let Some(mut session) = tx.session(sid)?.filter(Session::is_live) else {
        return Ok(Rotation::Gone);
    };
    let Some(user) = tx.user(&session.user_id)? else {
        return Ok(Rotation::Gone);
    };
    match standing(&session, jti, now_ms, grace_ms) {
        Standing::Current => {
            session.previous = Some(Predecessor {
                jti: jti.to_owned(),
                at_ms: now_ms,
            });
            session.refresh = next.clone();
            w.put_session(session.clone());
            Ok(Rotation::Rotated { session, user })
        }
        Standing::Grace => Ok(Rotation::Grace { session, user }),
        Standing::Stale => {
            let ended = end_one(w, session, secs(now_ms));
            w.enqueue(warning(&user), now_ms);
            w.audit(audit::event(
                "refresh_reuse",
                now_ms,
                Some(&user.id),
                Some(sid),
            ));
            Ok(Rotation::Reused { user, ended })
        }
    }
}

fn end_one(w: &mut Changes, mut session: Session, now: u64) -> Revocation {
    session.revoked_at = Some(now);
    let ended = session.revocation();
    w.put_session(session);
    ended
}

/// Ends one session; `None` if it had already ended or never existed.
pub fn end(
    tx: &mut dyn Tx,
    w: &mut Changes,
    sid: &str,
    now: u64,
) -> Result<Option<Revocation>, Error> {
    Ok(tx
        .session(sid)?
        .filter(Session::is_live)
        .map(|session| end_one(w, session, now)))
}

/// Ends every live session of `user_id` but `keep`.
pub fn end_all(
    tx: &mut dyn Tx,
    w: &mut Changes,
    user_id: &str,
    keep: Option<&str>,
    now: u64,
) -> Result<Vec<Revocation>, Error> {
    Ok(tx
        .sessions_of(user_id)?
        .into_iter()
        .filter(|s| s.is_live() && Some(s.id.as_str()) != keep)
        .map(|s| end_one(w, s, now))
        .collect())
}
