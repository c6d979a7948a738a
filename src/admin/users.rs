//! `user list | show | sessions | activate | deactivate` (SPEC §8).

use serde_json::{Map, Value, json};

use super::{Context, Error, Reply, row};
use crate::accounts::rfc3339;
use crate::rules;
use crate::store::{Changes, Session, Tx, User};

/// Listing page size: a listing reads the table in pages, not in one transaction.
const PAGE: usize = 1000;

fn user_row(user: &User) -> Map<String, Value> {
    row([
        ("id", json!(user.id)),
        ("email", json!(user.email)),
        ("nickname", json!(user.nickname)),
        ("active", json!(user.is_active)),
        ("disabled", json!(user.disabled)),
        ("created", json!(rfc3339(user.created_at))),
    ])
}

/// The account named by its id, or by its address when the name has an `@`.
async fn find(cx: &Context<'_>, name: &str) -> Result<User, Error> {
    let found = if name.contains('@') {
        let email = crate::input::Email::parse(name).map_err(|e| {
            Error::Usage(format!("{name:?} is not an address latchkey accepts: {e}"))
        })?;
        cx.store.user_by_email(email.as_str()).await?
    } else {
        cx.store.user(name).await?
    };
    found.ok_or_else(|| Error::Usage(format!("no account {name:?}")))
}

pub(super) async fn list(cx: &Context<'_>) -> Result<Reply, Error> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = cx.store.users(after.clone(), PAGE).await?;
        rows.extend(page.iter().map(user_row));
        match page.last() {
            Some(last) if page.len() == PAGE => after = Some(last.id.clone()),
            _ => break,
        }
    }
    Ok(Reply {
        rows,
        message: None,
    })
}

pub(super) async fn show(cx: &Context<'_>, name: &str) -> Result<Reply, Error> {
    let user = find(cx, name).await?;
    Ok(Reply {
        rows: vec![user_row(&user)],
        message: None,
    })
}

pub(super) async fn sessions(cx: &Context<'_>, name: &str) -> Result<Reply, Error> {
    let user = find(cx, name).await?;
    let id = user.id.clone();
    // A write transaction that writes nothing: the one read of a user's sessions there is.
    let mut live: Vec<Session> = cx
        .store
        .write(move |tx, _| tx.sessions_of(&id))
        .await?
        .into_iter()
        .filter(|s| s.is_live() && s.refresh.exp > cx.now)
        .collect();
    live.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    let rows = live
        .iter()
        .map(|s| {
            row([
                ("session", json!(s.id)),
                ("created", json!(rfc3339(s.created_at))),
                ("ip", json!(s.ip)),
                ("last_refresh", json!(rfc3339(s.refresh.iat))),
                ("expires", json!(rfc3339(s.refresh.exp))),
            ])
        })
        .collect();
    Ok(Reply {
        rows,
        message: None,
    })
}

/// Sets the operator's switch on an account; deactivating also ends its sessions.
pub(super) async fn set_disabled(
    cx: &Context<'_>,
    name: &str,
    disabled: bool,
) -> Result<Reply, Error> {
    let user = find(cx, name).await?;
    let (id, now) = (user.id.clone(), cx.now);
    let work = move |tx: &mut dyn Tx, w: &mut Changes| {
        let Some(mut user) = tx.user(&id)? else {
            return Ok(None);
        };
        let ended = if disabled {
            rules::sessions::end_all(tx, w, &id, None, now)?
        } else {
            Vec::new()
        };
        user.disabled = disabled;
        w.put_user(user);
        Ok(Some(ended))
    };
    let ended = match cx.live {
        Some(app) => app.write(work).await?,
        None => cx.store.write(work).await?,
    }
    .ok_or_else(|| Error::Usage(format!("no account {name:?}")))?;
    let count = ended.len();
    if let Some(app) = cx.live {
        // Its tokens stop working on this server at once, not at their expiry.
        app.revoked.add(ended);
    }
    let message = if disabled {
        format!(
            "deactivated {} ({}); {count} session(s) ended; its log-ins now answer 403 account_inactive",
            user.email, user.id
        )
    } else {
        format!(
            "activated {} ({}); it can log in again",
            user.email, user.id
        )
    };
    Ok(Reply {
        rows: Vec::new(),
        message: Some(message),
    })
}
