//! [`RedbStore`]: the [`Store`] on one redb file. Each operation is one transaction; writes
//! commit durably (fsync) before they return.

use redb::{Database, ReadableTable, ReadableTableMetadata as _};
use subtle::ConstantTimeEq as _;

use self::txn::{
    apply, delete_user, drop_code, end_session, end_user_sessions, enqueue, put_code, record,
    update_mail,
};
use super::codec::{decode, encode};
use super::tables::{
    CODES, EMAILS, KEYS, LINKS, META, NICKNAMES, OUTBOX, OUTBOX_DUE, REVOKED, SENDS, SESSIONS,
    USER_SESSIONS, USERS, code_key,
};
use super::{
    CodeRules, Conflict, Deleted, Effect, Ended, Error, Guess, NewMail, OutboxMail, PendingCode,
    Purged, Purpose, Redeemed, RefreshState, Rotated, Rotation, Session, Store, StoredKey, TooSoon,
    User,
};
use crate::input::nickname_key;

macro_rules! backend_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Self::Backend(e.to_string())
            }
        }
    )*};
}
backend_errors!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// The embedded backend: one redb file.
pub struct RedbStore {
    db: Database,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedbStore")
    }
}

impl Store for RedbStore {
    fn ping(&self) -> Result<(), Error> {
        self.read_table(META)?.get("schema_version")?;
        Ok(())
    }

    fn code_key(&self) -> Result<[u8; 32], Error> {
        let meta = self.read_table(META)?;
        let key = meta.get("code_key")?.ok_or(Error::Corrupt {
            table: "meta",
            detail: "no code_key".into(),
        })?;
        key.value().try_into().map_err(|_| Error::Corrupt {
            table: "meta",
            detail: "code_key is not 32 bytes".into(),
        })
    }

    fn signing_keys(&self) -> Result<Vec<StoredKey>, Error> {
        let table = self.read_table(KEYS)?;
        let mut keys = table
            .iter()?
            .map(|row| decode::<StoredKey>("keys", row?.1.value()))
            .collect::<Result<Vec<_>, _>>()?;
        keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.kid.cmp(&a.kid)));
        Ok(keys)
    }

    fn add_signing_key(&self, key: &StoredKey) -> Result<(), Error> {
        self.write(|txn| {
            txn::retire_keys(txn, key.created_at)?;
            txn.open_table(KEYS)?
                .insert(key.kid.as_str(), encode(key).as_slice())?;
            Ok(())
        })
    }

    fn retire_signing_keys(&self, at: u64) -> Result<(), Error> {
        self.write(|txn| txn::retire_keys(txn, at))
    }

    fn user(&self, id: &str) -> Result<Option<User>, Error> {
        record(&self.read_table(USERS)?, "users", id)
    }

    fn nickname_taken(&self, nickname_key: &str) -> Result<bool, Error> {
        Ok(self.read_table(NICKNAMES)?.get(nickname_key)?.is_some())
    }

    fn user_by_email(&self, email: &str) -> Result<Option<User>, Error> {
        let txn = self.read()?;
        let Some(id) = txn
            .open_table(EMAILS)?
            .get(email)?
            .map(|g| g.value().to_owned())
        else {
            return Ok(None);
        };
        record(&txn.open_table(USERS)?, "users", &id)
    }

    fn create_user(
        &self,
        user: &User,
        nickname_key: &str,
        code: &PendingCode,
        mail: &NewMail,
    ) -> Result<Result<(), Conflict>, Error> {
        self.write(|txn| {
            let mut emails = txn.open_table(EMAILS)?;
            if emails.get(user.email.as_str())?.is_some() {
                return Ok(Err(Conflict::Email));
            }
            let mut nicknames = txn.open_table(NICKNAMES)?;
            if nicknames.get(nickname_key)?.is_some() {
                return Ok(Err(Conflict::Nickname));
            }
            emails.insert(user.email.as_str(), user.id.as_str())?;
            nicknames.insert(nickname_key, user.id.as_str())?;
            txn.open_table(USERS)?
                .insert(user.id.as_str(), encode(user).as_slice())?;
            put_code(txn, code)?;
            enqueue(txn, mail)?;
            Ok(Ok(()))
        })
    }

    fn pending_codes(&self) -> Result<Vec<PendingCode>, Error> {
        self.read_table(CODES)?
            .iter()?
            .map(|row| decode("codes", row?.1.value()))
            .collect()
    }

    fn replace_code(
        &self,
        code: &PendingCode,
        mails: &[NewMail],
        resend_interval: u64,
    ) -> Result<Result<(), TooSoon>, Error> {
        self.write(|txn| {
            if let Err(too_soon) = txn::may_send(
                txn,
                code.purpose,
                &code.email,
                code.issued_at,
                resend_interval,
            )? {
                return Ok(Err(too_soon));
            }
            put_code(txn, code)?;
            for mail in mails {
                enqueue(txn, mail)?;
            }
            Ok(Ok(()))
        })
    }

    fn queue_limited(
        &self,
        purpose: Purpose,
        email: &str,
        mails: &[NewMail],
        now: u64,
        resend_interval: u64,
    ) -> Result<Result<(), TooSoon>, Error> {
        self.write(|txn| {
            if let Err(too_soon) = txn::may_send(txn, purpose, email, now, resend_interval)? {
                return Ok(Err(too_soon));
            }
            txn.open_table(SENDS)?
                .insert(code_key(purpose, email).as_str(), now)?;
            for mail in mails {
                enqueue(txn, mail)?;
            }
            Ok(Ok(()))
        })
    }

    fn redeem(
        &self,
        guess: Guess<'_>,
        effect: &Effect,
        rules: CodeRules,
    ) -> Result<Redeemed, Error> {
        self.write(|txn| {
            let key = match guess {
                Guess::Code { purpose, email, .. } => code_key(purpose, email),
                Guess::Link { mac } => match txn.open_table(LINKS)?.get(mac.as_slice())? {
                    Some(key) => key.value().to_owned(),
                    None => return Ok(Redeemed::Unknown),
                },
            };
            let Some(mut code) = record::<PendingCode>(&txn.open_table(CODES)?, "codes", &key)?
            else {
                return Ok(Redeemed::Unknown);
            };
            if code.expires_at <= rules.now {
                return Ok(Redeemed::Unknown);
            }
            if code.attempts >= rules.max_attempts {
                let last = txn
                    .open_table(SENDS)?
                    .get(key.as_str())?
                    .map_or(code.issued_at, |g| g.value());
                let retry_after = last
                    .saturating_add(rules.resend_interval)
                    .saturating_sub(rules.now)
                    .max(1);
                return Ok(Redeemed::Exhausted { retry_after });
            }
            let right = match guess {
                Guess::Code { mac, .. } => bool::from(code.code_mac.ct_eq(&mac)),
                Guess::Link { mac } => {
                    code.purpose == Purpose::Signup
                        && code.link_mac.is_some_and(|m| bool::from(m.ct_eq(&mac)))
                }
            };
            if !right {
                code.attempts += 1;
                txn.open_table(CODES)?
                    .insert(key.as_str(), encode(&code).as_slice())?;
                return Ok(Redeemed::Wrong {
                    attempts: code.attempts,
                });
            }
            drop_code(txn, &code)?;
            apply(txn, &code, effect, rules.now)
        })
    }

    fn set_nickname(
        &self,
        user_id: &str,
        nickname: &str,
    ) -> Result<Option<Result<User, Conflict>>, Error> {
        self.write(|txn| {
            let Some(mut user) = record::<User>(&txn.open_table(USERS)?, "users", user_id)? else {
                return Ok(None);
            };
            let (old, new) = (nickname_key(&user.nickname), nickname_key(nickname));
            let mut nicknames = txn.open_table(NICKNAMES)?;
            if new != old {
                if nicknames.get(new.as_str())?.is_some() {
                    return Ok(Some(Err(Conflict::Nickname)));
                }
                nicknames.remove(old.as_str())?;
                nicknames.insert(new.as_str(), user_id)?;
            }
            drop(nicknames);
            nickname.clone_into(&mut user.nickname);
            txn.open_table(USERS)?
                .insert(user_id, encode(&user).as_slice())?;
            Ok(Some(Ok(user)))
        })
    }

    fn set_password(
        &self,
        user_id: &str,
        checked: &str,
        hash: &str,
        keep: Option<&str>,
        now: u64,
    ) -> Result<Option<Vec<Ended>>, Error> {
        self.write(|txn| {
            let user = record::<User>(&txn.open_table(USERS)?, "users", user_id)?;
            let Some(mut user) = user.filter(|u| u.password_hash == checked) else {
                return Ok(None);
            };
            hash.clone_into(&mut user.password_hash);
            txn.open_table(USERS)?
                .insert(user_id, encode(&user).as_slice())?;
            end_user_sessions(txn, user_id, keep, now).map(Some)
        })
    }

    fn delete_user(
        &self,
        user_id: &str,
        checked: &str,
        now: u64,
    ) -> Result<Option<Deleted>, Error> {
        self.write(|txn| {
            let user = record::<User>(&txn.open_table(USERS)?, "users", user_id)?;
            user.filter(|u| u.password_hash == checked)
                .map(|user| delete_user(txn, &user, now))
                .transpose()
        })
    }

    fn create_session(&self, session: &Session, checked: &str) -> Result<bool, Error> {
        self.write(|txn| {
            let user = record::<User>(&txn.open_table(USERS)?, "users", &session.user_id)?;
            if user.is_none_or(|u| u.password_hash != checked) {
                return Ok(false);
            }
            txn.open_table(SESSIONS)?
                .insert(session.id.as_str(), encode(session).as_slice())?;
            txn.open_multimap_table(USER_SESSIONS)?
                .insert(session.user_id.as_str(), session.id.as_str())?;
            Ok(true)
        })
    }

    fn session(&self, sid: &str) -> Result<Option<Session>, Error> {
        record(&self.read_table(SESSIONS)?, "sessions", sid)
    }

    fn rotate(
        &self,
        sid: &str,
        jti: &str,
        next: &RefreshState,
        now_ms: u64,
        grace_ms: u64,
        reuse_mail: &NewMail,
    ) -> Result<Rotation, Error> {
        self.write(|txn| {
            let Some(mut session) = record::<Session>(&txn.open_table(SESSIONS)?, "sessions", sid)?
            else {
                return Ok(Rotation::Ended);
            };
            if session.revoked_at.is_some() {
                return Ok(Rotation::Ended);
            }
            if session.refresh.jti == jti {
                session.previous = Some(Rotated {
                    jti: jti.to_owned(),
                    at_ms: now_ms,
                });
                session.refresh = next.clone();
                txn.open_table(SESSIONS)?
                    .insert(sid, encode(&session).as_slice())?;
                return Ok(Rotation::Rotated(session));
            }
            let in_grace = session
                .previous
                .as_ref()
                .is_some_and(|p| p.jti == jti && now_ms <= p.at_ms.saturating_add(grace_ms));
            if in_grace {
                return Ok(Rotation::Grace(session));
            }
            let user_id = session.user_id.clone();
            let ended = end_session(txn, session, now_ms / 1000)?;
            enqueue(txn, reuse_mail)?;
            Ok(Rotation::Reused {
                user_id,
                refresh_exp: ended.refresh_exp,
            })
        })
    }

    fn revoke_session(&self, sid: &str, now: u64) -> Result<Option<Ended>, Error> {
        self.write(|txn| {
            let session = record::<Session>(&txn.open_table(SESSIONS)?, "sessions", sid)?;
            match session {
                Some(session) if session.revoked_at.is_none() => {
                    end_session(txn, session, now).map(Some)
                }
                _ => Ok(None),
            }
        })
    }

    fn revoke_user_sessions(
        &self,
        user_id: &str,
        keep: Option<&str>,
        now: u64,
    ) -> Result<Vec<Ended>, Error> {
        self.write(|txn| end_user_sessions(txn, user_id, keep, now))
    }

    fn revoked_sessions(&self, now: u64) -> Result<Vec<Ended>, Error> {
        let table = self.read_table(REVOKED)?;
        let mut ended = Vec::new();
        for row in table.iter()? {
            let (sid, exp) = row?;
            if exp.value() > now {
                ended.push(Ended {
                    sid: sid.value().to_owned(),
                    refresh_exp: exp.value(),
                });
            }
        }
        Ok(ended)
    }

    fn queue_mail(&self, mail: &NewMail) -> Result<(), Error> {
        self.write(|txn| enqueue(txn, mail))
    }

    fn due_mail(&self, now_ms: u64, limit: usize) -> Result<Vec<OutboxMail>, Error> {
        let txn = self.read()?;
        let due = txn.open_table(OUTBOX_DUE)?;
        let outbox = txn.open_table(OUTBOX)?;
        let mut mails = Vec::new();
        for row in due.range((0, 0)..=(now_ms, u64::MAX))?.take(limit) {
            let (_, id) = row?.0.value();
            if let Some(mail) = outbox.get(id)? {
                mails.push(decode("outbox", mail.value())?);
            }
        }
        Ok(mails)
    }

    fn next_mail_due(&self) -> Result<Option<u64>, Error> {
        Ok(self
            .read_table(OUTBOX_DUE)?
            .first()?
            .map(|(key, _)| key.value().0))
    }

    fn mail_sent(&self, id: u64) -> Result<(), Error> {
        self.write(|txn| {
            let removed = txn
                .open_table(OUTBOX)?
                .remove(id)?
                .map(|g| decode::<OutboxMail>("outbox", g.value()));
            if let Some(row) = removed.transpose()? {
                txn.open_table(OUTBOX_DUE)?
                    .remove((row.next_attempt_ms, id))?;
            }
            Ok(())
        })
    }

    fn mail_retry(&self, id: u64, next_ms: u64, error: &str) -> Result<(), Error> {
        self.write(|txn| {
            update_mail(txn, id, |row| {
                row.attempts += 1;
                row.next_attempt_ms = next_ms;
                row.last_error = Some(error.to_owned());
            })
        })
    }

    fn mail_park(&self, id: u64, error: &str) -> Result<(), Error> {
        self.write(|txn| {
            update_mail(txn, id, |row| {
                row.attempts += 1;
                row.state = super::MailState::Parked;
                row.last_error = Some(error.to_owned());
            })
        })
    }

    fn outbox_depth(&self) -> Result<u64, Error> {
        Ok(self.read_table(OUTBOX_DUE)?.len()?)
    }

    fn purge(&self, now: u64, resend_interval: u64) -> Result<Purged, Error> {
        self.write(|txn| {
            let mut purged = Purged::default();
            let expired: Vec<PendingCode> = txn
                .open_table(CODES)?
                .iter()?
                .map(|row| decode::<PendingCode>("codes", row?.1.value()))
                .filter(|code| code.as_ref().map_or(true, |c| c.expires_at <= now))
                .collect::<Result<_, _>>()?;
            for code in &expired {
                drop_code(txn, code)?;
            }
            purged.codes = expired.len();
            txn.open_table(SENDS)?
                .retain(|_, sent| sent.saturating_add(resend_interval) > now)?;
            let dead: Vec<Session> = txn
                .open_table(SESSIONS)?
                .iter()?
                .map(|row| decode::<Session>("sessions", row?.1.value()))
                .filter(|s| s.as_ref().map_or(true, |s| s.refresh.exp <= now))
                .collect::<Result<_, _>>()?;
            for session in &dead {
                txn.open_table(SESSIONS)?.remove(session.id.as_str())?;
                txn.open_table(REVOKED)?.remove(session.id.as_str())?;
                txn.open_multimap_table(USER_SESSIONS)?
                    .remove(session.user_id.as_str(), session.id.as_str())?;
            }
            // Ended sessions of deleted accounts have no session row left to find them by.
            txn.open_table(REVOKED)?.retain(|_, exp| exp > now)?;
            purged.sessions = dead.len();
            Ok(purged)
        })
    }
}

mod open;
mod txn;

#[cfg(test)]
mod tests;
