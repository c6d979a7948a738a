//! The storage seam. A backend stores records and keeps its indexes; it decides nothing. Every
//! decision (is this code right, expired, out of attempts; is this refresh token current, the
//! predecessor within the grace window, or a reuse; may this address get another mail yet) is
//! made once, in [`crate::rules`], against records read through [`Tx`], and comes back as
//! [`Changes`] for the backend to apply.
//!
//! # The isolation contract
//!
//! Every backend promises, for [`Store::write`]:
//!
//! 1. **Read for update.** A record the work reads through [`Tx`] cannot be changed by another
//!    transaction until this one ends. A key read as absent cannot be inserted by another
//!    transaction in a way this one would then contradict: if a concurrent transaction commits
//!    a conflicting record first (the same email, the same nickname), the backend throws this
//!    attempt away and runs the work again, and the rules see the record this time. Work may
//!    therefore run more than once: it must depend only on what it captured and what it reads,
//!    and it must not block (no hashing, no network), because it runs while locks are held.
//!    [`Tx::due_mails`] alone skips records another transaction holds, instead of waiting.
//! 2. **Reads do not see the work's own writes.** Rules read first, then write; each record is
//!    written at most once per transaction, or the later write wins.
//! 3. **All or nothing, per work.** The [`Changes`] of a work are applied entirely or not at
//!    all. A work that returns `Err` leaves no trace, and never undoes or fails other works the
//!    backend commits alongside it.
//! 4. **Durable before answered.** `write` returns `Ok` only once the changes are durable: an
//!    acknowledged write survives `kill -9` and power loss (to the extent `fsync` does).
//! 5. **Snapshot reads.** The plain reads of [`Store`] see committed data, take no locks and
//!    may be a moment behind a concurrent write.
//!
//! No call blocks the caller's thread: backends do their I/O on threads of their own or on
//! the blocking pool. After an I/O failure (a full disk), a backend answers
//! [`Error::Unavailable`] or its own error quickly instead of hanging, reports it from
//! [`Store::health`], and recovers by itself once writes can succeed again.
//!
//! - `model`: the records
//! - `changes`: [`Changes`], the writes a transaction decided on
//! - `error`: [`Error`]
//! - `redb`: [`RedbStore`], the embedded backend

mod changes;
mod error;
mod model;
mod redb;

use std::any::Any;

pub use changes::{Changes, Op};
pub use error::Error;
pub use model::{
    AuditAnchor, AuditEntry, AuditEvent, MailState, NewMail, OutboxMail, PendingCode, Predecessor,
    Purpose, RefreshState, Revocation, Session, StoredKey, User,
};
pub use redb::{RedbStore, SCHEMA_VERSION};

/// Reads inside a write transaction, each a read for update (see the contract above).
pub trait Tx {
    /// The account with this id.
    fn user(&mut self, id: &str) -> Result<Option<User>, Error>;
    /// The id of the account with this normalized address.
    fn email_owner(&mut self, email: &str) -> Result<Option<String>, Error>;
    /// The id of the account whose lower-cased nickname is `key`.
    fn nickname_owner(&mut self, key: &str) -> Result<Option<String>, Error>;
    /// The pending code for (purpose, address).
    fn code(&mut self, purpose: Purpose, email: &str) -> Result<Option<PendingCode>, Error>;
    /// The pending code whose link token has this HMAC.
    fn code_by_link(&mut self, link_mac: &[u8; 32]) -> Result<Option<PendingCode>, Error>;
    /// When the last mail for (purpose, address) went out, Unix seconds.
    fn last_send(&mut self, purpose: Purpose, email: &str) -> Result<Option<u64>, Error>;
    /// The session with this id.
    fn session(&mut self, sid: &str) -> Result<Option<Session>, Error>;
    /// Every stored session of an account, ended ones included.
    fn sessions_of(&mut self, user_id: &str) -> Result<Vec<Session>, Error>;
    /// The outbox entry with this id.
    fn mail(&mut self, id: u64) -> Result<Option<OutboxMail>, Error>;
    /// The outbox entries concerning an account.
    fn mails_of(&mut self, user_id: &str) -> Result<Vec<OutboxMail>, Error>;
    /// Queued mails due by `now_ms`, earliest first, at most `limit`; mails another
    /// transaction holds are skipped.
    fn due_mails(&mut self, now_ms: u64, limit: usize) -> Result<Vec<OutboxMail>, Error>;
    /// Every signing key.
    fn keys(&mut self) -> Result<Vec<StoredKey>, Error>;
    /// Codes with `expires_at <= now`, earliest first, at most `limit`.
    fn expired_codes(&mut self, now: u64, limit: usize) -> Result<Vec<PendingCode>, Error>;
    /// Sessions whose refresh token expired by `now`, earliest first, at most `limit`.
    fn expired_sessions(&mut self, now: u64, limit: usize) -> Result<Vec<Session>, Error>;
    /// Send records made at or before `at`, oldest first, at most `limit`.
    fn sends_until(&mut self, at: u64, limit: usize) -> Result<Vec<(Purpose, String)>, Error>;
    /// The last audit entry's position and hash, or the anchor when none is kept. Every work
    /// that appends reads it, so audited works are ordered one after another.
    fn audit_head(&mut self) -> Result<AuditAnchor, Error>;
    /// The oldest kept audit entries, at most `limit`.
    fn audit_front(&mut self, limit: usize) -> Result<Vec<AuditEntry>, Error>;
}

/// A write transaction's work, type-erased for the backend: reads through [`Tx`], decides,
/// writes into [`Changes`], and returns what the caller gets once the changes are durable.
pub type Work = dyn FnMut(&mut dyn Tx, &mut Changes) -> Result<Box<dyn Any + Send>, Error> + Send;

/// How the write path has fared, for the metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Durable commits (one `fsync` each for redb).
    pub commits: u64,
    /// Writes acknowledged; `writes / commits` is the batch size.
    pub writes: u64,
}

/// Everything the service keeps, behind the contract in the module docs.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// `Ok` while reads answer and writes succeed.
    async fn health(&self) -> Result<(), Error>;
    /// The key codes and links are hashed with; made once, kept forever.
    async fn code_key(&self) -> Result<[u8; 32], Error>;
    /// Signing keys, newest first.
    async fn signing_keys(&self) -> Result<Vec<StoredKey>, Error>;
    /// Every pending code, expired ones included (the caller filters).
    async fn pending_codes(&self) -> Result<Vec<PendingCode>, Error>;
    /// Ended sessions whose tokens would still be live at `now`.
    async fn revoked_sessions(&self, now: u64) -> Result<Vec<Revocation>, Error>;
    /// The account with this id.
    async fn user(&self, id: &str) -> Result<Option<User>, Error>;
    /// Accounts in id order, after `after` (exclusive), at most `limit`: one page of a listing.
    async fn users(&self, after: Option<String>, limit: usize) -> Result<Vec<User>, Error>;
    /// The account with this normalized address.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, Error>;
    /// The id of the account whose lower-cased nickname is `key`.
    async fn nickname_owner(&self, key: &str) -> Result<Option<String>, Error>;
    /// The session with this id.
    async fn session(&self, sid: &str) -> Result<Option<Session>, Error>;
    /// When the next queued mail is due, Unix milliseconds.
    async fn next_mail_due(&self) -> Result<Option<u64>, Error>;
    /// Queued (not parked) mails.
    async fn outbox_depth(&self) -> Result<u64, Error>;
    /// Outbox entries in id order, after `after` (exclusive), at most `limit`.
    async fn mails(&self, after: u64, limit: usize) -> Result<Vec<OutboxMail>, Error>;
    /// Audit entries in order, after position `after` (exclusive), at most `limit`.
    async fn audit(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>, Error>;
    /// Where the kept audit log starts.
    async fn audit_anchor(&self) -> Result<AuditAnchor, Error>;
    /// Writes a consistent copy of everything, as of one moment, to the new file `to` while
    /// serving; returns the records copied. Backends without a file of their own refuse.
    async fn backup(&self, to: &std::path::Path) -> Result<u64, Error>;
    /// Runs `work` in a write transaction; see [`Store::write`] for the typed form.
    async fn write_boxed(&self, work: Box<Work>) -> Result<Box<dyn Any + Send>, Error>;
    /// Commits and acknowledged writes so far.
    fn commit_stats(&self) -> CommitStats;
}

impl dyn Store {
    /// Runs `work` in a write transaction under the contract above and returns its answer once
    /// its changes are durable. The audit events it records are sealed into the chain in the
    /// same transaction, stamped with the [`Origin`](crate::audit::Origin) of the caller.
    ///
    /// # Panics
    /// Only if a backend hands back another work's answer, which the contract rules out.
    pub async fn write<R, F>(&self, mut work: F) -> Result<R, Error>
    where
        R: Send + 'static,
        F: FnMut(&mut dyn Tx, &mut Changes) -> Result<R, Error> + Send + 'static,
    {
        let origin = crate::audit::Origin::current();
        let boxed: Box<Work> = Box::new(move |tx, changes| {
            let answer = work(tx, changes)?;
            crate::rules::audit::seal(tx, changes, &origin)?;
            Ok(Box::new(answer) as Box<dyn Any + Send>)
        });
        let answer = self.write_boxed(boxed).await?;
        Ok(*answer
            .downcast::<R>()
            .expect("a backend hands back the answer its work produced"))
    }
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}
