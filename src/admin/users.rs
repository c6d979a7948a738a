//! `user list | show | sessions | create | activate | deactivate | delete | set-password`
//! (SPEC §8). Every change goes through the rules the HTTP flows use, ends sessions on the
//! service at once, and is audited in the transaction that makes it.

use serde_json::{Map, Value, json};

use super::{Context, Error, Hidden, Reply, Request, audit_event, row};
use crate::accounts::rfc3339;
use crate::input::{Email, Nickname, Password};
use crate::rules::{self, Conflict};
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
pub(super) async fn find(cx: &Context<'_>, name: &str) -> Result<User, Error> {
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
        ..Reply::default()
    })
}

pub(super) async fn show(cx: &Context<'_>, name: &str) -> Result<Reply, Error> {
    let user = find(cx, name).await?;
    Ok(Reply {
        rows: vec![user_row(&user)],
        message: None,
        ..Reply::default()
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
        ..Reply::default()
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
    let request = Request::UserDisabled {
        user: name.to_owned(),
        disabled,
    };
    let event = audit_event(cx, &request, Some(&user.id), None);
    let ended = cx
        .app
        .write(move |tx: &mut dyn Tx, w: &mut Changes| {
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
            let mut event = event.clone();
            event.detail = Some(format!("{} session(s) ended", ended.len()));
            w.audit(event);
            Ok(Some(ended))
        })
        .await?
        .ok_or_else(|| Error::Usage(format!("no account {name:?}")))?;
    let count = ended.len();
    // Its tokens stop working on the service at once, not at their expiry.
    cx.app.revoked.add(ended);
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
    Ok(message_only(message))
}

fn message_only(message: String) -> Reply {
    Reply {
        rows: Vec::new(),
        message: Some(message),
        ..Reply::default()
    }
}

/// The password given, checked as a user's would be, or a generated one (which the reply
/// shows, once).
fn password_or_generated(given: Option<&Hidden>) -> Result<(Password, Option<String>), Error> {
    if let Some(given) = given {
        let password = Password::parse(given.0.trim_end_matches(['\r', '\n']))
            .map_err(|e| Error::Usage(format!("the password {e}")))?;
        return Ok((password, None));
    }
    let generated = crate::random::link_token()[..20].to_owned();
    let password = Password::parse(&generated)
        .map_err(|e| Error::Failed(format!("a generated password {e}")))?;
    Ok((password, Some(generated)))
}

/// The hash of the password given, or of a generated one (returned too, to be shown once).
async fn hashed(
    cx: &Context<'_>,
    given: Option<&Hidden>,
) -> Result<(String, Option<String>), Error> {
    let (password, generated) = password_or_generated(given)?;
    let hash = cx
        .app
        .hasher
        .hash(password)
        .await
        .map_err(|e| Error::Failed(e.to_string()))?;
    Ok((hash, generated))
}

pub(super) async fn create(
    cx: &Context<'_>,
    email: &str,
    nickname: Option<&str>,
    password: Option<&Hidden>,
) -> Result<Reply, Error> {
    let email = Email::parse(email)
        .map_err(|e| Error::Usage(format!("{email:?} is not an address latchkey accepts: {e}")))?;
    let chosen = nickname
        .map(|n| Nickname::parse(n).map_err(|e| Error::Usage(format!("the nickname {e}"))))
        .transpose()?;
    let (hash, generated) = hashed(cx, password).await?;
    let request = Request::UserCreate {
        email: email.as_str().to_owned(),
        nickname: None,
        password: None,
    };
    // A made-up nickname may collide: try a few suffixes, in the same transaction.
    let made_up: Vec<String> = match &chosen {
        Some(n) => vec![n.as_str().to_owned()],
        None => (0..20)
            .map(|i| crate::input::nickname_from_address(&email, i))
            .collect(),
    };
    let user = User {
        id: crate::random::id(),
        email: email.as_str().to_owned(),
        nickname: String::new(),
        password_hash: hash,
        is_active: true,
        disabled: false,
        created_at: cx.now,
    };
    let event = audit_event(cx, &request, Some(&user.id), None);
    let record = user.clone();
    let made = cx
        .app
        .write(move |tx, w| {
            let mut last = Conflict::Nickname;
            for nickname in &made_up {
                let user = User {
                    nickname: nickname.clone(),
                    ..record.clone()
                };
                match rules::users::conflict(tx, &user)? {
                    None => {
                        w.put_user(user.clone());
                        w.audit(event.clone());
                        return Ok(Ok(user));
                    }
                    Some(conflict) => last = conflict,
                }
                if last == Conflict::Email {
                    break;
                }
            }
            Ok(Err(last))
        })
        .await?;
    let user = match made {
        Ok(user) => user,
        Err(Conflict::Email) => {
            return Err(Error::Usage(format!(
                "{} already has an account",
                email.as_str()
            )));
        }
        Err(Conflict::Nickname) => {
            return Err(Error::Usage(
                "that nickname is taken; choose another with --nickname".into(),
            ));
        }
    };
    let shown_once = generated.is_some();
    let mut out = user_row(&user);
    if let Some(generated) = generated {
        out.insert("password".into(), json!(generated));
    }
    Ok(Reply {
        rows: vec![out],
        message: Some(format!(
            "created {} ({}), active{}",
            user.email,
            user.id,
            if shown_once {
                "; the generated password above is shown only this once"
            } else {
                ""
            }
        )),
        ..Reply::default()
    })
}

pub(super) async fn delete(cx: &Context<'_>, name: &str) -> Result<Reply, Error> {
    let user = find(cx, name).await?;
    let request = Request::UserDelete {
        user: name.to_owned(),
    };
    let event = audit_event(cx, &request, Some(&user.id), None);
    let (id, hash, now) = (user.id.clone(), user.password_hash.clone(), cx.now);
    let deleted = cx
        .app
        .write(move |tx, w| {
            let deleted = rules::users::delete(tx, w, (&id, &hash), now)?;
            if let Some(deleted) = &deleted {
                let mut event = event.clone();
                event.detail = Some(format!("{} session(s) ended", deleted.ended.len()));
                w.audit(event);
            }
            Ok(deleted)
        })
        .await?
        .ok_or_else(|| Error::Failed(format!("{name:?} changed meanwhile; try again")))?;
    let count = deleted.ended.len();
    cx.app.revoked.add(deleted.ended);
    for (purpose, email) in deleted.codes {
        cx.app.codes.forget(purpose, &email);
    }
    Ok(message_only(format!(
        "deleted {} ({}); {count} session(s) ended; the address may sign up again",
        user.email, user.id
    )))
}

pub(super) async fn set_password(
    cx: &Context<'_>,
    name: &str,
    password: Option<&Hidden>,
) -> Result<Reply, Error> {
    let user = find(cx, name).await?;
    let (hash, generated) = hashed(cx, password).await?;
    let request = Request::UserSetPassword {
        user: name.to_owned(),
        password: None,
    };
    let event = audit_event(cx, &request, Some(&user.id), None);
    let (id, checked, now) = (user.id.clone(), user.password_hash.clone(), cx.now);
    let ended = cx
        .app
        .write(move |tx, w| {
            let ended = rules::users::set_password(tx, w, (&id, &checked), &hash, None, now)?;
            if let Some(ended) = &ended {
                let mut event = event.clone();
                event.detail = Some(format!("{} session(s) ended", ended.len()));
                w.audit(event);
            }
            Ok(ended)
        })
        .await?
        .ok_or_else(|| Error::Failed(format!("{name:?} changed meanwhile; try again")))?;
    let count = ended.len();
    cx.app.revoked.add(ended);
    let mut rows = Vec::new();
    if let Some(generated) = &generated {
        rows.push(row([
            ("id", json!(user.id)),
            ("password", json!(generated)),
        ]));
    }
    Ok(Reply {
        rows,
        message: Some(format!(
            "set a new password for {} ({}); {count} session(s) ended{}",
            user.email,
            user.id,
            if generated.is_some() {
                "; the generated password above is shown only this once"
            } else {
                ""
            }
        )),
        ..Reply::default()
    })
}
