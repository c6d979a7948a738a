//! Bringing a database of an older schema up to [`SCHEMA_VERSION`](super::tables::SCHEMA_VERSION),
//! one step per version, inside the opening transaction (a crash midway leaves the old
//! version, and the next start tries again).
//!
//! Version 1 → 2: accounts gain `disabled`, sessions their client address and the kept
//! signature of a randomized refresh token, keys their algorithm and the time they start
//! signing; the expiry indexes and the outbox's per-account index are built.

use redb::{ReadableTable as _, WriteTransaction};
use serde::Deserialize;

use super::codec::{decode, encode};
use super::tables::{CODES, KEYS, OUTBOX, REVOKED, SENDS, SESSIONS, USERS, code_key};
use super::tx::Tables;
use crate::store::{
    Error, OutboxMail, PendingCode, Predecessor, RefreshState, Session, StoredKey, User,
};

/// Runs every step from `found` up.
pub(super) fn from(txn: &WriteTransaction, found: u64) -> Result<(), Error> {
    match found {
        // Version 3 adds the audit table, which opening creates empty: nothing to convert.
        1 => v1_to_v2(txn),
        2 => Ok(()),
        _ => Err(Error::corrupt(
            "meta",
            "schema_version",
            &format!("unknown version {found}"),
        )),
    }
}

/// The records as version 1 wrote them.
pub(super) mod v1 {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    pub struct User {
        pub id: String,
        pub email: String,
        pub nickname: String,
        pub password_hash: String,
        pub is_active: bool,
        pub created_at: u64,
    }

    #[derive(Serialize, Deserialize)]
    pub struct RefreshState {
        pub jti: String,
        pub iat: u64,
        pub exp: u64,
        pub kid: String,
    }

    #[derive(Serialize, Deserialize)]
    pub struct Rotated {
        pub jti: String,
        pub at_ms: u64,
    }

    #[derive(Serialize, Deserialize)]
    pub struct Session {
        pub id: String,
        pub user_id: String,
        pub created_at: u64,
        pub refresh: RefreshState,
        pub previous: Option<Rotated>,
        pub revoked_at: Option<u64>,
    }

    #[derive(Serialize, Deserialize)]
    pub struct StoredKey {
        pub kid: String,
        pub secret: Vec<u8>,
        pub created_at: u64,
        pub retired_at: Option<u64>,
    }
}

fn rows<T: for<'de> Deserialize<'de>>(
    txn: &WriteTransaction,
    def: redb::TableDefinition<&'static str, &'static [u8]>,
    name: &'static str,
) -> Result<Vec<T>, Error> {
    let table = txn.open_table(def)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        let (key, value) = row?;
        out.push(decode(name, key.value(), value.value())?);
    }
    Ok(out)
}

/// Every (key, u64) of a table, owned.
fn pairs(
    txn: &WriteTransaction,
    def: redb::TableDefinition<&'static str, u64>,
) -> Result<Vec<(String, u64)>, Error> {
    let table = txn.open_table(def)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        let (key, value) = row?;
        out.push((key.value().to_owned(), value.value()));
    }
    Ok(out)
}

fn v1_to_v2(txn: &WriteTransaction) -> Result<(), Error> {
    let users: Vec<v1::User> = rows(txn, USERS, "users")?;
    let sessions: Vec<v1::Session> = rows(txn, SESSIONS, "sessions")?;
    let keys: Vec<v1::StoredKey> = rows(txn, KEYS, "keys")?;
    let codes: Vec<PendingCode> = rows(txn, CODES, "codes")?;
    let revoked = pairs(txn, REVOKED)?;
    let sends = pairs(txn, SENDS)?;
    let mails: Vec<OutboxMail> = {
        let table = txn.open_table(OUTBOX)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (id, value) = row?;
            out.push(decode("outbox", id.value(), value.value())?);
        }
        out
    };
    let mut t = Tables::open(txn)?;
    for u in users {
        let user = User {
            id: u.id,
            email: u.email,
            nickname: u.nickname,
            password_hash: u.password_hash,
            is_active: u.is_active,
            disabled: false,
            created_at: u.created_at,
        };
        t.users.insert(user.id.as_str(), encode(&user).as_slice())?;
    }
    migrate_sessions(&mut t, sessions, &revoked)?;
    for k in keys {
        let key = StoredKey {
            kid: k.kid,
            algorithm: "HS256".to_owned(),
            secret: k.secret,
            created_at: k.created_at,
            signs_from: k.created_at,
            retired_at: k.retired_at,
        };
        t.keys.insert(key.kid.as_str(), encode(&key).as_slice())?;
    }
    for code in codes {
        let key = code_key(code.purpose, &code.email);
        t.codes_by_expiry
            .insert((code.expires_at, key.as_str()), ())?;
    }
    for (key, at) in sends {
        t.sends_by_time.insert((at, key.as_str()), ())?;
    }
    for mail in mails {
        if let Some(user) = &mail.mail.user_id {
            t.outbox_by_user.insert(user.as_str(), mail.id)?;
        }
    }
    Ok(())
}

fn migrate_sessions(
    t: &mut Tables<'_>,
    sessions: Vec<v1::Session>,
    revoked: &[(String, u64)],
) -> Result<(), Error> {
    let mut known = std::collections::HashSet::new();
    for s in sessions {
        let session = Session {
            id: s.id,
            user_id: s.user_id,
            created_at: s.created_at,
            ip: String::new(),
            refresh: RefreshState {
                jti: s.refresh.jti,
                iat: s.refresh.iat,
                exp: s.refresh.exp,
                kid: s.refresh.kid,
                signature: None,
            },
            previous: s.previous.map(|p| Predecessor {
                jti: p.jti,
                at_ms: p.at_ms,
            }),
            revoked_at: s.revoked_at,
        };
        t.sessions
            .insert(session.id.as_str(), encode(&session).as_slice())?;
        t.sessions_by_expiry
            .insert((session.refresh.exp, session.id.as_str()), ())?;
        known.insert(session.id);
    }
    // Version 1 deleted an account's sessions but kept them in `revoked`; keep each as an ended
    // session, so the sweeper finds it by its expiry like any other.
    for (sid, exp) in revoked.iter().filter(|(sid, _)| !known.contains(sid)) {
        let tombstone = Session {
            id: sid.clone(),
            user_id: String::new(),
            created_at: 0,
            ip: String::new(),
            refresh: RefreshState {
                jti: String::new(),
                iat: 0,
                exp: *exp,
                kid: String::new(),
                signature: None,
            },
            previous: None,
            revoked_at: Some(0),
        };
        t.sessions
            .insert(sid.as_str(), encode(&tombstone).as_slice())?;
        t.sessions_by_expiry.insert((*exp, sid.as_str()), ())?;
    }
    Ok(())
}
