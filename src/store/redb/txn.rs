//! The pieces operations are made of: each works inside a caller's write transaction, so an
//! operation that needs several of them still commits (or fails) as one.

use std::time::{SystemTime, UNIX_EPOCH};

use redb::{ReadableMultimapTable as _, ReadableTable, WriteTransaction};
use serde::de::DeserializeOwned;

use super::super::codec::{decode, encode};
use super::super::tables::{
    CODES, EMAILS, KEYS, LINKS, META, NICKNAMES, OUTBOX, OUTBOX_DUE, REVOKED, SENDS, SESSIONS,
    USER_SESSIONS, USERS, code_key,
};
use super::super::{
    Conflict, Deleted, Effect, Ended, Error, MailState, NewMail, OutboxMail, PendingCode, Purpose,
    Redeemed, Session, StoredKey, TooSoon, User,
};
use crate::input::nickname_key;

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Reads and decodes the record at `key`.
pub(super) fn record<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    name: &'static str,
    key: &str,
) -> Result<Option<T>, Error> {
    table
        .get(key)?
        .map(|guard| decode(name, guard.value()))
        .transpose()
}

/// Replaces the code for its (purpose, address), dropping the old one's link.
pub(super) fn put_code(txn: &WriteTransaction, code: &PendingCode) -> Result<(), Error> {
    let key = code_key(code.purpose, &code.email);
    let mut codes = txn.open_table(CODES)?;
    let mut links = txn.open_table(LINKS)?;
    if let Some(old) = record::<PendingCode>(&codes, "codes", &key)?
        && let Some(mac) = old.link_mac
    {
        links.remove(mac.as_slice())?;
    }
    codes.insert(key.as_str(), encode(code).as_slice())?;
    if let Some(mac) = code.link_mac {
        links.insert(mac.as_slice(), key.as_str())?;
    }
    txn.open_table(SENDS)?
        .insert(key.as_str(), code.issued_at)?;
    Ok(())
}

pub(super) fn drop_code(txn: &WriteTransaction, code: &PendingCode) -> Result<(), Error> {
    txn.open_table(CODES)?
        .remove(code_key(code.purpose, &code.email).as_str())?;
    if let Some(mac) = code.link_mac {
        txn.open_table(LINKS)?.remove(mac.as_slice())?;
    }
    Ok(())
}

/// Adds a mail to the outbox, due at once.
pub(super) fn enqueue(txn: &WriteTransaction, mail: &NewMail) -> Result<(), Error> {
    let mut meta = txn.open_table(META)?;
    let id = meta.get("outbox_seq")?.map_or(0, |v| {
        let mut be = [0; 8];
        be.copy_from_slice(&v.value()[..8.min(v.value().len())]);
        u64::from_be_bytes(be)
    }) + 1;
    meta.insert("outbox_seq", id.to_be_bytes().as_slice())?;
    let now = now_ms();
    let row = OutboxMail {
        id,
        mail: mail.clone(),
        queued_at: now / 1000,
        attempts: 0,
        next_attempt_ms: now,
        state: MailState::Queued,
        last_error: None,
    };
    txn.open_table(OUTBOX)?
        .insert(id, encode(&row).as_slice())?;
    txn.open_table(OUTBOX_DUE)?.insert((now, id), ())?;
    Ok(())
}

/// Takes a queued mail out of the due order and hands it to `update` to rewrite.
pub(super) fn update_mail(
    txn: &WriteTransaction,
    id: u64,
    update: impl FnOnce(&mut OutboxMail),
) -> Result<(), Error> {
    let mut outbox = txn.open_table(OUTBOX)?;
    let Some(mut row) = outbox
        .get(id)?
        .map(|g| decode::<OutboxMail>("outbox", g.value()))
        .transpose()?
    else {
        return Ok(());
    };
    txn.open_table(OUTBOX_DUE)?
        .remove((row.next_attempt_ms, id))?;
    update(&mut row);
    outbox.insert(id, encode(&row).as_slice())?;
    if row.state == MailState::Queued {
        txn.open_table(OUTBOX_DUE)?
            .insert((row.next_attempt_ms, id), ())?;
    }
    Ok(())
}

/// Marks a session ended and remembers it for the revoked set.
pub(super) fn end_session(
    txn: &WriteTransaction,
    mut session: Session,
    now: u64,
) -> Result<Ended, Error> {
    session.revoked_at = Some(now);
    txn.open_table(SESSIONS)?
        .insert(session.id.as_str(), encode(&session).as_slice())?;
    txn.open_table(REVOKED)?
        .insert(session.id.as_str(), session.refresh.exp)?;
    Ok(Ended {
        sid: session.id,
        refresh_exp: session.refresh.exp,
    })
}

/// Marks every stored signing key that is still signing as retired at `at`.
pub(super) fn retire_keys(txn: &WriteTransaction, at: u64) -> Result<(), Error> {
    let mut table = txn.open_table(KEYS)?;
    let live: Vec<StoredKey> = table
        .iter()?
        .map(|row| decode::<StoredKey>("keys", row?.1.value()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|k| k.retired_at.is_none())
        .collect();
    for mut key in live {
        key.retired_at = Some(at);
        table.insert(key.kid.as_str(), encode(&key).as_slice())?;
    }
    Ok(())
}

/// Whether a mail for (purpose, address) may go out at `now`, given the last one sent.
pub(super) fn may_send(
    txn: &WriteTransaction,
    purpose: Purpose,
    email: &str,
    now: u64,
    interval: u64,
) -> Result<Result<(), TooSoon>, Error> {
    let last = txn
        .open_table(SENDS)?
        .get(code_key(purpose, email).as_str())?
        .map(|g| g.value());
    match last.map(|last| last.saturating_add(interval)) {
        Some(allowed_at) if allowed_at > now => Ok(Err(TooSoon {
            retry_after: allowed_at - now,
        })),
        _ => Ok(Ok(())),
    }
}

/// Ends every live session of `user_id` but `keep`.
pub(super) fn end_user_sessions(
    txn: &WriteTransaction,
    user_id: &str,
    keep: Option<&str>,
    now: u64,
) -> Result<Vec<Ended>, Error> {
    let sids: Vec<String> = txn
        .open_multimap_table(USER_SESSIONS)?
        .get(user_id)?
        .map(|sid| sid.map(|g| g.value().to_owned()))
        .collect::<Result<_, _>>()?;
    let mut ended = Vec::new();
    for sid in sids.iter().filter(|sid| Some(sid.as_str()) != keep) {
        let session = record::<Session>(&txn.open_table(SESSIONS)?, "sessions", sid)?;
        if let Some(session) = session.filter(|s| s.revoked_at.is_none()) {
            ended.push(end_session(txn, session, now)?);
        }
    }
    Ok(ended)
}

/// Drops every pending code of `user_id` sent to or for `email`.
pub(super) fn drop_codes_of(
    txn: &WriteTransaction,
    email: &str,
    user_id: &str,
) -> Result<Vec<(Purpose, String)>, Error> {
    let mut dropped = Vec::new();
    for purpose in [Purpose::Signup, Purpose::Reset, Purpose::EmailChange] {
        let code =
            record::<PendingCode>(&txn.open_table(CODES)?, "codes", &code_key(purpose, email))?;
        if let Some(code) = code.filter(|c| c.user_id == user_id) {
            drop_code(txn, &code)?;
            dropped.push((purpose, email.to_owned()));
        }
    }
    Ok(dropped)
}

/// Applies what a right code does to its account.
pub(super) fn apply(
    txn: &WriteTransaction,
    code: &PendingCode,
    effect: &Effect,
    now: u64,
) -> Result<Redeemed, Error> {
    let Some(mut user) = record::<User>(&txn.open_table(USERS)?, "users", &code.user_id)? else {
        return Ok(Redeemed::Unknown);
    };
    let mut ended = Vec::new();
    match effect {
        Effect::Activate => user.is_active = true,
        Effect::ResetPassword { hash } => {
            user.password_hash.clone_from(hash);
            user.is_active = true;
            ended = end_user_sessions(txn, &user.id, None, now)?;
            drop_codes_of(txn, &user.email, &user.id)?;
        }
        Effect::ChangeEmail => {
            let Some(target) = code.target.as_deref() else {
                return Ok(Redeemed::Unknown);
            };
            let mut emails = txn.open_table(EMAILS)?;
            if emails.get(target)?.is_some() {
                return Ok(Redeemed::Conflict(Conflict::Email));
            }
            emails.remove(user.email.as_str())?;
            emails.insert(target, user.id.as_str())?;
            drop(emails);
            drop_codes_of(txn, &user.email, &user.id)?;
            target.clone_into(&mut user.email);
        }
    }
    txn.open_table(USERS)?
        .insert(user.id.as_str(), encode(&user).as_slice())?;
    Ok(Redeemed::Accepted { user, ended })
}

/// Removes an account and everything that hangs off it.
pub(super) fn delete_user(txn: &WriteTransaction, user: &User, now: u64) -> Result<Deleted, Error> {
    txn.open_table(USERS)?.remove(user.id.as_str())?;
    txn.open_table(EMAILS)?.remove(user.email.as_str())?;
    txn.open_table(NICKNAMES)?
        .remove(nickname_key(&user.nickname).as_str())?;
    let ended = end_user_sessions(txn, &user.id, None, now)?;
    // The sessions go too; their ids stay in `revoked` until their tokens would have expired.
    let sids: Vec<String> = txn
        .open_multimap_table(USER_SESSIONS)?
        .remove_all(user.id.as_str())?
        .map(|sid| sid.map(|g| g.value().to_owned()))
        .collect::<Result<_, _>>()?;
    for sid in sids {
        txn.open_table(SESSIONS)?.remove(sid.as_str())?;
    }
    let codes = drop_codes_of(txn, &user.email, &user.id)?;
    let mails: Vec<(u64, u64)> = txn
        .open_table(OUTBOX)?
        .iter()?
        .map(|row| decode::<OutboxMail>("outbox", row?.1.value()))
        .filter(|m| {
            m.as_ref().map_or(true, |m| {
                m.mail.user_id.as_deref() == Some(user.id.as_str())
            })
        })
        .map(|m| m.map(|m| (m.id, m.next_attempt_ms)))
        .collect::<Result<_, _>>()?;
    for (id, due) in mails {
        txn.open_table(OUTBOX)?.remove(id)?;
        txn.open_table(OUTBOX_DUE)?.remove((due, id))?;
    }
    Ok(Deleted { ended, codes })
}
