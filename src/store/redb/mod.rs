//! [`RedbStore`]: the [`Store`] on one redb file.
//!
//! Writes go through one thread that batches them (`commit`): many requests share one
//! transaction and one `fsync`, and each is answered once its batch is durable. Plain reads run
//! on the blocking pool against their own read transaction.
//!
//! - `tables`: every table and the schema version
//! - `codec`: records to bytes and back
//! - `tx`: the tables of one write transaction, the reads rules make, applying changes
//! - `commit`: the write thread, group commit, re-opening after a storage error
//! - `open`, `migrate`: opening the file, schema versions

mod backup;
mod codec;
mod commit;
mod migrate;
mod open;
mod tables;
mod tx;

use std::any::Any;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};

use redb::{
    Database, ReadTransaction, ReadableDatabase as _, ReadableTable as _,
    ReadableTableMetadata as _,
};
use tokio::sync::oneshot;

pub use tables::SCHEMA_VERSION;

use self::codec::decode;
use self::commit::{Job, Opener, Shared};
use self::tables::{
    AUDIT, CODES, EMAILS, KEYS, META, NICKNAMES, OUTBOX, OUTBOX_DUE, REVOKED, SESSIONS, USERS,
};
use self::tx::record;
use crate::clock::Clock;
use crate::store::{
    AuditAnchor, AuditEntry, CommitStats, Error, OutboxMail, PendingCode, Revocation, Session,
    Store, StoredKey, User, Work,
};

/// The embedded backend: one redb file.
pub struct RedbStore {
    shared: Arc<Shared>,
    jobs: Option<Sender<Job>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedbStore")
    }
}

impl RedbStore {
    /// Opens (creating if needed) the database at `path`, creating or migrating its tables,
    /// and starts the write thread.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let path = path.to_owned();
        Self::open_with(Box::new(move || open::open_file(&path)))
    }

    /// Opens the database through `open`, which is called again to re-open it after a
    /// storage error (tests pass one over a fault-injecting redb backend).
    pub fn open_with(open: Box<Opener>) -> Result<Self, Error> {
        let shared = Arc::new(Shared::open(open, Clock::System)?);
        let (jobs, queue) = channel::<Job>();
        let writer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("latchkey-store".into())
                .spawn(move || commit::run(&shared, &queue))
                .map_err(|e| Error::Io {
                    what: "starting the storage thread",
                    source: Arc::new(e),
                })?
        };
        Ok(Self {
            shared,
            jobs: Some(jobs),
            writer: Some(writer),
        })
    }

    /// Prepares a database opened elsewhere (a custom redb backend) as [`RedbStore::open`]
    /// prepares its file.
    pub fn prepare(db: &Database) -> Result<(), Error> {
        open::prepare(db)
    }

    /// Runs a read on the blocking pool against a fresh read transaction.
    async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&ReadTransaction) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let shared = self.shared.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let db = shared.db()?;
            let txn = db.begin_read()?;
            read(&txn)
        })
        .await
        .unwrap_or(Err(Error::Unavailable("a storage read panicked")));
        if let Err(e) = &outcome {
            self.shared.note(e);
        }
        outcome
    }
}

impl Drop for RedbStore {
    fn drop(&mut self) {
        // The write thread ends when its queue closes; wait for it so the file is closed cleanly.
        drop(self.jobs.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

#[async_trait::async_trait]
impl Store for RedbStore {
    async fn health(&self) -> Result<(), Error> {
        if !self.shared.healthy() {
            return Err(Error::Unavailable("writes are failing"));
        }
        self.read(|txn| {
            txn.open_table(META)?.get("schema_version")?;
            Ok(())
        })
        .await
    }

    async fn code_key(&self) -> Result<[u8; 32], Error> {
        self.read(|txn| {
            let meta = txn.open_table(META)?;
            let key = meta
                .get("code_key")?
                .ok_or_else(|| Error::corrupt("meta", "code_key", &"missing"))?;
            key.value()
                .try_into()
                .map_err(|_| Error::corrupt("meta", "code_key", &"not 32 bytes"))
        })
        .await
    }

    async fn backup(&self, to: &Path) -> Result<u64, Error> {
        let (shared, to) = (self.shared.clone(), to.to_owned());
        // Not through `read`: a failure to write the copy says nothing about this database.
        tokio::task::spawn_blocking(move || backup::copy(shared.db()?.as_ref(), &to))
            .await
            .unwrap_or(Err(Error::Unavailable("the backup panicked")))
    }

    async fn users(&self, after: Option<String>, limit: usize) -> Result<Vec<User>, Error> {
        self.read(move |txn| {
            let table = txn.open_table(USERS)?;
            let rows = match after.as_deref() {
                Some(after) => table.range::<&str>((
                    std::ops::Bound::Excluded(after),
                    std::ops::Bound::Unbounded,
                ))?,
                None => table.range::<&str>(..)?,
            };
            let mut users = Vec::new();
            for row in rows.take(limit) {
                let (id, value) = row?;
                users.push(decode::<User>("users", id.value(), value.value())?);
            }
            Ok(users)
        })
        .await
    }

    async fn mails(&self, after: u64, limit: usize) -> Result<Vec<OutboxMail>, Error> {
        self.read(move |txn| {
            let table = txn.open_table(OUTBOX)?;
            let mut mails = Vec::new();
            for row in table.range((after.saturating_add(1))..)?.take(limit) {
                let (id, value) = row?;
                mails.push(decode("outbox", id.value(), value.value())?);
            }
            Ok(mails)
        })
        .await
    }

    async fn audit(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>, Error> {
        self.read(move |txn| {
            let table = txn.open_table(AUDIT)?;
            let mut entries = Vec::new();
            for row in table.range((after.saturating_add(1))..)?.take(limit) {
                let (seq, value) = row?;
                entries.push(decode("audit", seq.value(), value.value())?);
            }
            Ok(entries)
        })
        .await
    }

    async fn audit_anchor(&self) -> Result<AuditAnchor, Error> {
        self.read(|txn| tx::audit_anchor(&txn.open_table(META)?))
            .await
    }

    async fn signing_keys(&self) -> Result<Vec<StoredKey>, Error> {
        self.read(|txn| {
            let table = txn.open_table(KEYS)?;
            let mut keys = Vec::new();
            for row in table.iter()? {
                let (kid, value) = row?;
                keys.push(decode::<StoredKey>("keys", kid.value(), value.value())?);
            }
            keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.kid.cmp(&a.kid)));
            Ok(keys)
        })
        .await
    }

    async fn pending_codes(&self) -> Result<Vec<PendingCode>, Error> {
        self.read(|txn| {
            let table = txn.open_table(CODES)?;
            let mut codes = Vec::new();
            for row in table.iter()? {
                let (key, value) = row?;
                codes.push(decode("codes", key.value(), value.value())?);
            }
            Ok(codes)
        })
        .await
    }

    async fn revoked_sessions(&self, now: u64) -> Result<Vec<Revocation>, Error> {
        self.read(move |txn| {
            let table = txn.open_table(REVOKED)?;
            let mut ended = Vec::new();
            for row in table.iter()? {
                let (sid, exp) = row?;
                if exp.value() > now {
                    ended.push(Revocation {
                        sid: sid.value().to_owned(),
                        refresh_exp: exp.value(),
                    });
                }
            }
            Ok(ended)
        })
        .await
    }

    async fn user(&self, id: &str) -> Result<Option<User>, Error> {
        let id = id.to_owned();
        self.read(move |txn| record(&txn.open_table(USERS)?, "users", &id))
            .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, Error> {
        let email = email.to_owned();
        self.read(move |txn| {
            let Some(id) = txn
                .open_table(EMAILS)?
                .get(email.as_str())?
                .map(|g| g.value().to_owned())
            else {
                return Ok(None);
            };
            record(&txn.open_table(USERS)?, "users", &id)
        })
        .await
    }

    async fn nickname_owner(&self, key: &str) -> Result<Option<String>, Error> {
        let key = key.to_owned();
        self.read(move |txn| {
            Ok(txn
                .open_table(NICKNAMES)?
                .get(key.as_str())?
                .map(|g| g.value().to_owned()))
        })
        .await
    }

    async fn session(&self, sid: &str) -> Result<Option<Session>, Error> {
        let sid = sid.to_owned();
        self.read(move |txn| record(&txn.open_table(SESSIONS)?, "sessions", &sid))
            .await
    }

    async fn next_mail_due(&self) -> Result<Option<u64>, Error> {
        self.read(|txn| {
            Ok(txn
                .open_table(OUTBOX_DUE)?
                .first()?
                .map(|(key, _)| key.value().0))
        })
        .await
    }

    async fn outbox_depth(&self) -> Result<u64, Error> {
        self.read(|txn| Ok(txn.open_table(OUTBOX_DUE)?.len()?))
            .await
    }

    async fn write_boxed(&self, work: Box<Work>) -> Result<Box<dyn Any + Send>, Error> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .as_ref()
            .ok_or(Error::Unavailable("the store is closing"))?
            .send(Job { work, reply })
            .map_err(|_| Error::Unavailable("the storage thread has stopped"))?;
        answer
            .await
            .map_err(|_| Error::Unavailable("the storage thread has stopped"))?
    }

    fn commit_stats(&self) -> CommitStats {
        self.shared.stats()
    }
}

#[cfg(test)]
mod tests;
