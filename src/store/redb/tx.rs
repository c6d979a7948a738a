//! Inside one redb write transaction: every table opened once ([`Tables`]), the reads the
//! rules make ([`RedbTx`], the [`Tx`] of this backend), and [`apply`], which writes a work's
//! [`Changes`] and keeps the indexes in step.
//!
//! redb has a single writer, so every read here is already a read for update: nothing else
//! writes until the batch commits.

use redb::{
    MultimapTable, ReadableMultimapTable as _, ReadableTable as _, Table, WriteTransaction,
};
use serde::de::DeserializeOwned;

use super::codec::{decode, decode_u64, encode};
use super::tables::{
    AUDIT, CODES, CODES_BY_EXPIRY, EMAILS, KEYS, LINKS, META, NICKNAMES, OUTBOX, OUTBOX_BY_USER,
    OUTBOX_DUE, REVOKED, SENDS, SENDS_BY_TIME, SESSIONS, SESSIONS_BY_EXPIRY, USER_SESSIONS, USERS,
    code_key, split_code_key,
};
use crate::input::nickname_key;
use crate::store::{
    AuditAnchor, AuditEntry, Changes, Error, MailState, NewMail, Op, OutboxMail, PendingCode,
    Purpose, Session, StoredKey, Tx, User,
};

type Bytes = &'static [u8];
type Str = &'static str;

/// Every table of the schema, open in one write transaction.
pub(super) struct Tables<'t> {
    pub meta: Table<'t, Str, Bytes>,
    pub users: Table<'t, Str, Bytes>,
    pub emails: Table<'t, Str, Str>,
    pub nicknames: Table<'t, Str, Str>,
    pub sessions: Table<'t, Str, Bytes>,
    pub sessions_by_expiry: Table<'t, (u64, Str), ()>,
    pub revoked: Table<'t, Str, u64>,
    pub user_sessions: MultimapTable<'t, Str, Str>,
    pub codes: Table<'t, Str, Bytes>,
    pub codes_by_expiry: Table<'t, (u64, Str), ()>,
    pub links: Table<'t, Bytes, Str>,
    pub sends: Table<'t, Str, u64>,
    pub sends_by_time: Table<'t, (u64, Str), ()>,
    pub outbox: Table<'t, u64, Bytes>,
    pub outbox_due: Table<'t, (u64, u64), ()>,
    pub outbox_by_user: MultimapTable<'t, Str, u64>,
    pub keys: Table<'t, Str, Bytes>,
    pub audit: Table<'t, u64, Bytes>,
}

impl<'t> Tables<'t> {
    /// Opens (creating on first use) every table.
    pub fn open(txn: &'t WriteTransaction) -> Result<Self, Error> {
        Ok(Self {
            meta: txn.open_table(META)?,
            users: txn.open_table(USERS)?,
            emails: txn.open_table(EMAILS)?,
            nicknames: txn.open_table(NICKNAMES)?,
            sessions: txn.open_table(SESSIONS)?,
            sessions_by_expiry: txn.open_table(SESSIONS_BY_EXPIRY)?,
            revoked: txn.open_table(REVOKED)?,
            user_sessions: txn.open_multimap_table(USER_SESSIONS)?,
            codes: txn.open_table(CODES)?,
            codes_by_expiry: txn.open_table(CODES_BY_EXPIRY)?,
            links: txn.open_table(LINKS)?,
            sends: txn.open_table(SENDS)?,
            sends_by_time: txn.open_table(SENDS_BY_TIME)?,
            outbox: txn.open_table(OUTBOX)?,
            outbox_due: txn.open_table(OUTBOX_DUE)?,
            outbox_by_user: txn.open_multimap_table(OUTBOX_BY_USER)?,
            keys: txn.open_table(KEYS)?,
            audit: txn.open_table(AUDIT)?,
        })
    }
}

/// Reads and decodes the record at `key` of a string-keyed table.
pub(super) fn record<T: DeserializeOwned>(
    table: &impl redb::ReadableTable<Str, Bytes>,
    name: &'static str,
    key: &str,
) -> Result<Option<T>, Error> {
    table
        .get(key)?
        .map(|guard| decode(name, key, guard.value()))
        .transpose()
}

fn mail_record(
    table: &impl redb::ReadableTable<u64, Bytes>,
    id: u64,
) -> Result<Option<OutboxMail>, Error> {
    table
        .get(id)?
        .map(|guard| decode("outbox", id, guard.value()))
        .transpose()
}

/// The [`Tx`] of the redb backend: reads from the batch's write transaction.
pub(super) struct RedbTx<'a, 't> {
    pub tables: &'a Tables<'t>,
}

impl Tx for RedbTx<'_, '_> {
    fn user(&mut self, id: &str) -> Result<Option<User>, Error> {
        record(&self.tables.users, "users", id)
    }

    fn email_owner(&mut self, email: &str) -> Result<Option<String>, Error> {
        Ok(self.tables.emails.get(email)?.map(|g| g.value().to_owned()))
    }

    fn nickname_owner(&mut self, key: &str) -> Result<Option<String>, Error> {
        Ok(self
            .tables
            .nicknames
            .get(key)?
            .map(|g| g.value().to_owned()))
    }

    fn code(&mut self, purpose: Purpose, email: &str) -> Result<Option<PendingCode>, Error> {
        record(&self.tables.codes, "codes", &code_key(purpose, email))
    }

    fn code_by_link(&mut self, link_mac: &[u8; 32]) -> Result<Option<PendingCode>, Error> {
        let Some(key) = self
            .tables
            .links
            .get(link_mac.as_slice())?
            .map(|g| g.value().to_owned())
        else {
            return Ok(None);
        };
        record(&self.tables.codes, "codes", &key)
    }

    fn last_send(&mut self, purpose: Purpose, email: &str) -> Result<Option<u64>, Error> {
        let key = code_key(purpose, email);
        Ok(self.tables.sends.get(key.as_str())?.map(|g| g.value()))
    }

    fn session(&mut self, sid: &str) -> Result<Option<Session>, Error> {
        record(&self.tables.sessions, "sessions", sid)
    }

    fn sessions_of(&mut self, user_id: &str) -> Result<Vec<Session>, Error> {
        let mut sessions = Vec::new();
        for sid in self.tables.user_sessions.get(user_id)? {
            let sid = sid?;
            if let Some(session) = record(&self.tables.sessions, "sessions", sid.value())? {
                sessions.push(session);
            }
        }
        Ok(sessions)
    }

    fn mail(&mut self, id: u64) -> Result<Option<OutboxMail>, Error> {
        mail_record(&self.tables.outbox, id)
    }

    fn mails_of(&mut self, user_id: &str) -> Result<Vec<OutboxMail>, Error> {
        let mut mails = Vec::new();
        for id in self.tables.outbox_by_user.get(user_id)? {
            if let Some(mail) = mail_record(&self.tables.outbox, id?.value())? {
                mails.push(mail);
            }
        }
        Ok(mails)
    }

    fn due_mails(&mut self, now_ms: u64, limit: usize) -> Result<Vec<OutboxMail>, Error> {
        let mut mails = Vec::new();
        for row in self
            .tables
            .outbox_due
            .range((0, 0)..=(now_ms, u64::MAX))?
            .take(limit)
        {
            let (_, id) = row?.0.value();
            if let Some(mail) = mail_record(&self.tables.outbox, id)? {
                mails.push(mail);
            }
        }
        Ok(mails)
    }

    fn keys(&mut self) -> Result<Vec<StoredKey>, Error> {
        let mut keys = Vec::new();
        for row in self.tables.keys.iter()? {
            let (kid, value) = row?;
            keys.push(decode("keys", kid.value(), value.value())?);
        }
        Ok(keys)
    }

    fn expired_codes(&mut self, now: u64, limit: usize) -> Result<Vec<PendingCode>, Error> {
        let mut codes = Vec::new();
        for row in self
            .tables
            .codes_by_expiry
            .range(..(now.saturating_add(1), ""))?
            .take(limit)
        {
            let (entry, ()) = row.map(|(k, _)| (k, ()))?;
            let (_, key) = entry.value();
            if let Some(code) = record(&self.tables.codes, "codes", key)? {
                codes.push(code);
            }
        }
        Ok(codes)
    }

    fn expired_sessions(&mut self, now: u64, limit: usize) -> Result<Vec<Session>, Error> {
        let mut sessions = Vec::new();
        let range = self
            .tables
            .sessions_by_expiry
            .range(..(now.saturating_add(1), ""))?;
        for row in range.take(limit) {
            let (entry, ()) = row.map(|(k, _)| (k, ()))?;
            let (_, sid) = entry.value();
            if let Some(session) = record(&self.tables.sessions, "sessions", sid)? {
                sessions.push(session);
            }
        }
        Ok(sessions)
    }

    fn sends_until(&mut self, at: u64, limit: usize) -> Result<Vec<(Purpose, String)>, Error> {
        let mut sends = Vec::new();
        for row in self
            .tables
            .sends_by_time
            .range(..(at.saturating_add(1), ""))?
            .take(limit)
        {
            let (entry, ()) = row.map(|(k, _)| (k, ()))?;
            let (_, key) = entry.value();
            let (purpose, email) = split_code_key(key)
                .ok_or_else(|| Error::corrupt("sends_by_time", key, &"not purpose:address"))?;
            sends.push((purpose, email.to_owned()));
        }
        Ok(sends)
    }

    fn audit_head(&mut self) -> Result<AuditAnchor, Error> {
        match self.tables.audit.last()? {
            Some((seq, value)) => {
                let entry: AuditEntry = decode("audit", seq.value(), value.value())?;
                Ok(AuditAnchor {
                    seq: entry.seq,
                    hash: entry.hash,
                })
            }
            None => audit_anchor(&self.tables.meta),
        }
    }

    fn audit_front(&mut self, limit: usize) -> Result<Vec<AuditEntry>, Error> {
        let mut entries = Vec::new();
        for row in self.tables.audit.iter()?.take(limit) {
            let (seq, value) = row?;
            entries.push(decode("audit", seq.value(), value.value())?);
        }
        Ok(entries)
    }
}

/// Refuses changes that would break a uniqueness the rules should have checked, before
/// anything of them is written.
pub(super) fn validate(tables: &Tables<'_>, changes: &Changes) -> Result<(), Error> {
    for op in changes.ops() {
        if let Op::PutUser(user) = op {
            let owner = tables.emails.get(user.email.as_str())?;
            if owner.is_some_and(|o| o.value() != user.id) {
                return Err(Error::Constraint("the email belongs to another account"));
            }
            let key = nickname_key(&user.nickname);
            let owner = tables.nicknames.get(key.as_str())?;
            if owner.is_some_and(|o| o.value() != user.id) {
                return Err(Error::Constraint("the nickname belongs to another account"));
            }
        }
    }
    Ok(())
}

/// Writes `changes` into the transaction. Only storage errors can fail it, and they fail the
/// whole batch: `validate` has already refused what the rules could get wrong.
pub(super) fn apply(tables: &mut Tables<'_>, changes: Changes, now_ms: u64) -> Result<(), Error> {
    for op in changes.into_ops() {
        match op {
            Op::PutUser(user) => put_user(tables, &user)?,
            Op::DeleteUser(id) => delete_user(tables, &id)?,
            Op::PutCode(code) => put_code(tables, &code)?,
            Op::DeleteCode(purpose, email) => delete_code(tables, &code_key(purpose, &email))?,
            Op::PutSend(purpose, email, at) => put_send(tables, &code_key(purpose, &email), at)?,
            Op::DeleteSend(purpose, email) => delete_send(tables, &code_key(purpose, &email))?,
            Op::PutSession(session) => put_session(tables, &session)?,
            Op::DeleteSession(sid) => delete_session(tables, &sid)?,
            Op::Enqueue(mail, due_ms) => enqueue(tables, mail, due_ms, now_ms)?,
            Op::PutMail(mail) => put_mail(tables, &mail)?,
            Op::DeleteMail(id) => delete_mail(tables, id)?,
            Op::PutKey(key) => put_key(tables, &key)?,
            Op::AppendAudit(entry) => {
                tables.audit.insert(entry.seq, encode(&entry).as_slice())?;
            }
            Op::TrimAudit(anchor) => trim_audit(tables, anchor)?,
        }
    }
    Ok(())
}

fn put_user(t: &mut Tables<'_>, user: &User) -> Result<(), Error> {
    let old = t.users.insert(user.id.as_str(), encode(user).as_slice())?;
    let old: Option<User> = old
        .map(|g| decode("users", &user.id, g.value()))
        .transpose()?;
    let key = nickname_key(&user.nickname);
    if let Some(old) = old {
        if old.email != user.email {
            t.emails.remove(old.email.as_str())?;
        }
        let old_key = nickname_key(&old.nickname);
        if old_key != key {
            t.nicknames.remove(old_key.as_str())?;
        }
    }
    t.emails.insert(user.email.as_str(), user.id.as_str())?;
    t.nicknames.insert(key.as_str(), user.id.as_str())?;
    Ok(())
}

fn delete_user(t: &mut Tables<'_>, id: &str) -> Result<(), Error> {
    let old = t.users.remove(id)?;
    let Some(old) = old
        .map(|g| decode::<User>("users", id, g.value()))
        .transpose()?
    else {
        return Ok(());
    };
    t.emails.remove(old.email.as_str())?;
    t.nicknames.remove(nickname_key(&old.nickname).as_str())?;
    Ok(())
}

fn unindex_code(t: &mut Tables<'_>, key: &str, old: Option<PendingCode>) -> Result<(), Error> {
    if let Some(old) = old {
        if let Some(mac) = old.link_mac {
            t.links.remove(mac.as_slice())?;
        }
        t.codes_by_expiry.remove((old.expires_at, key))?;
    }
    Ok(())
}

fn put_code(t: &mut Tables<'_>, code: &PendingCode) -> Result<(), Error> {
    let key = code_key(code.purpose, &code.email);
    let old = t.codes.insert(key.as_str(), encode(code).as_slice())?;
    let old = old.map(|g| decode("codes", &key, g.value())).transpose()?;
    unindex_code(t, &key, old)?;
    if let Some(mac) = code.link_mac {
        t.links.insert(mac.as_slice(), key.as_str())?;
    }
    t.codes_by_expiry
        .insert((code.expires_at, key.as_str()), ())?;
    Ok(())
}

fn delete_code(t: &mut Tables<'_>, key: &str) -> Result<(), Error> {
    let old = t.codes.remove(key)?;
    let old = old.map(|g| decode("codes", key, g.value())).transpose()?;
    unindex_code(t, key, old)
}

fn put_send(t: &mut Tables<'_>, key: &str, at: u64) -> Result<(), Error> {
    let old = t.sends.insert(key, at)?.map(|g| g.value());
    if let Some(old) = old {
        t.sends_by_time.remove((old, key))?;
    }
    t.sends_by_time.insert((at, key), ())?;
    Ok(())
}

fn delete_send(t: &mut Tables<'_>, key: &str) -> Result<(), Error> {
    let old = t.sends.remove(key)?.map(|g| g.value());
    if let Some(old) = old {
        t.sends_by_time.remove((old, key))?;
    }
    Ok(())
}

fn put_session(t: &mut Tables<'_>, session: &Session) -> Result<(), Error> {
    let sid = session.id.as_str();
    let old = t.sessions.insert(sid, encode(session).as_slice())?;
    let old: Option<Session> = old
        .map(|g| decode("sessions", sid, g.value()))
        .transpose()?;
    match old {
        Some(old) if old.refresh.exp != session.refresh.exp => {
            t.sessions_by_expiry.remove((old.refresh.exp, sid))?;
        }
        Some(_) => {}
        None => {
            t.user_sessions.insert(session.user_id.as_str(), sid)?;
        }
    }
    t.sessions_by_expiry
        .insert((session.refresh.exp, sid), ())?;
    if session.revoked_at.is_some() {
        t.revoked.insert(sid, session.refresh.exp)?;
    } else {
        t.revoked.remove(sid)?;
    }
    Ok(())
}

fn delete_session(t: &mut Tables<'_>, sid: &str) -> Result<(), Error> {
    let old = t.sessions.remove(sid)?;
    let Some(old) = old
        .map(|g| decode::<Session>("sessions", sid, g.value()))
        .transpose()?
    else {
        return Ok(());
    };
    t.sessions_by_expiry.remove((old.refresh.exp, sid))?;
    t.user_sessions.remove(old.user_id.as_str(), sid)?;
    t.revoked.remove(sid)?;
    Ok(())
}

fn enqueue(t: &mut Tables<'_>, mail: NewMail, due_ms: u64, now_ms: u64) -> Result<(), Error> {
    let last = t
        .meta
        .get("outbox_seq")?
        .map(|v| decode_u64("outbox_seq", v.value()))
        .transpose()?
        .unwrap_or(0);
    let id = last + 1;
    t.meta.insert("outbox_seq", id.to_be_bytes().as_slice())?;
    let row = OutboxMail {
        id,
        mail,
        queued_at: now_ms / 1000,
        attempts: 0,
        next_attempt_ms: due_ms,
        state: MailState::Queued,
        last_error: None,
    };
    put_mail(t, &row)
}

fn put_mail(t: &mut Tables<'_>, mail: &OutboxMail) -> Result<(), Error> {
    let old = t.outbox.insert(mail.id, encode(mail).as_slice())?;
    let old: Option<OutboxMail> = old
        .map(|g| decode("outbox", mail.id, g.value()))
        .transpose()?;
    match &old {
        Some(old) if old.state == MailState::Queued => {
            t.outbox_due.remove((old.next_attempt_ms, mail.id))?;
        }
        Some(_) => {}
        None => {
            if let Some(user) = &mail.mail.user_id {
                t.outbox_by_user.insert(user.as_str(), mail.id)?;
            }
        }
    }
    if mail.state == MailState::Queued {
        t.outbox_due.insert((mail.next_attempt_ms, mail.id), ())?;
    }
    Ok(())
}

fn delete_mail(t: &mut Tables<'_>, id: u64) -> Result<(), Error> {
    let old = t.outbox.remove(id)?;
    let Some(old) = old
        .map(|g| decode::<OutboxMail>("outbox", id, g.value()))
        .transpose()?
    else {
        return Ok(());
    };
    if old.state == MailState::Queued {
        t.outbox_due.remove((old.next_attempt_ms, id))?;
    }
    if let Some(user) = &old.mail.user_id {
        t.outbox_by_user.remove(user.as_str(), id)?;
    }
    Ok(())
}

fn put_key(t: &mut Tables<'_>, key: &StoredKey) -> Result<(), Error> {
    t.keys.insert(key.kid.as_str(), encode(key).as_slice())?;
    Ok(())
}

fn trim_audit(t: &mut Tables<'_>, anchor: AuditAnchor) -> Result<(), Error> {
    t.audit.retain_in(..=anchor.seq, |_, _| false)?;
    t.meta.insert("audit_anchor", encode(&anchor).as_slice())?;
    Ok(())
}

/// The stored audit anchor (the default while retention has dropped nothing).
pub(super) fn audit_anchor(
    meta: &impl redb::ReadableTable<Str, Bytes>,
) -> Result<AuditAnchor, Error> {
    Ok(record(meta, "meta", "audit_anchor")?.unwrap_or_default())
}
