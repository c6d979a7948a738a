//! Durable state behind one small interface, [`Store`]: the flows in `accounts` call its
//! operations and never see a table. Every check-and-write that must be atomic (unique email
//! and nickname, code attempts, refresh rotation, the mail a change causes) is one operation,
//! so a second backend (`PostgreSQL`, for several instances) implements the same trait.
//!
//! - `model`: the records
//! - `tables`: every redb table and the schema version
//! - `codec`: records to bytes and back
//! - `redb`: [`RedbStore`], the embedded backend

mod codec;
mod model;
mod redb;
mod tables;

pub use model::{
    MailState, NewMail, OutboxMail, PendingCode, Purpose, RefreshState, Rotated, Session,
    StoredKey, User,
};
pub use redb::RedbStore;
pub use tables::SCHEMA_VERSION;

/// A storage failure. The HTTP layer answers `503 unavailable` and logs the detail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The backend failed (I/O, a full disk, a lock held by another process).
    #[error("storage: {0}")]
    Backend(String),
    /// The database was written by a newer latchkey.
    #[error(
        "the database has schema version {found}; this latchkey reads up to {supported}: upgrade latchkey"
    )]
    SchemaTooNew {
        /// Version in the file.
        found: u64,
        /// Newest version this build knows.
        supported: u64,
    },
    /// A record does not decode.
    #[error("corrupt record in {table}: {detail}")]
    Corrupt {
        /// Table name.
        table: &'static str,
        /// Decoder message.
        detail: String,
    },
}

/// Why a write that must keep something unique was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// The email address belongs to another account.
    Email,
    /// The nickname (lower-cased) belongs to another account.
    Nickname,
}

/// Sending was refused: the resend interval for this address and purpose has not passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooSoon {
    /// Seconds until a send is allowed again.
    pub retry_after: u64,
}

/// Which pending code a guess is for.
#[derive(Clone, Copy, Debug)]
pub enum Guess<'a> {
    /// A typed code for (purpose, address): the HMAC of the normalized code.
    Code {
        /// What the code confirms.
        purpose: Purpose,
        /// The address it was sent to.
        email: &'a str,
        /// HMAC of the guess.
        mac: [u8; 32],
    },
    /// A link token: the HMAC of the token. Links exist for sign-up only.
    Link {
        /// HMAC of the token.
        mac: [u8; 32],
    },
}

/// What a redeemed code does, inside the same transaction.
#[derive(Clone, Debug)]
pub enum Effect {
    /// Mark the account verified.
    Activate,
    /// Set a new password hash, mark the account verified (the code proved the address), and
    /// end every session: a password set by whoever registered the address first stops working.
    ResetPassword {
        /// The new PHC string.
        hash: String,
    },
    /// Move the account to the code's target address, if it is still free.
    ChangeEmail,
}

/// The limits a code check applies.
#[derive(Clone, Copy, Debug)]
pub struct CodeRules {
    /// Unix seconds.
    pub now: u64,
    /// Wrong guesses that void the code.
    pub max_attempts: u32,
    /// Seconds between two sends to one address and purpose.
    pub resend_interval: u64,
}

/// What checking a code found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// Right code: consumed, the effect applied.
    Accepted {
        /// The account as it is now.
        user: User,
        /// Sessions the effect ended.
        ended: Vec<Ended>,
    },
    /// Right code, but the change would break a uniqueness rule (an email change whose new
    /// address was taken meanwhile). Nothing changed; the code is used up.
    Conflict(Conflict),
    /// Wrong code; the count includes this guess. At `max_attempts` the code is void.
    Wrong {
        /// Wrong guesses so far.
        attempts: u32,
    },
    /// Voided by too many wrong guesses; even the right code is refused now.
    Exhausted {
        /// Seconds until a new code may be requested.
        retry_after: u64,
    },
    /// No such code: never sent, expired, used, or replaced.
    Unknown,
}

/// What presenting a refresh token did to its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// It was the current token: the session now accepts the new one.
    Rotated(Session),
    /// It was the token rotated away within the grace window: the session is unchanged and its
    /// current refresh token is the successor to hand out again.
    Grace(Session),
    /// It was an older token: the session is now revoked (the warning mail is queued).
    Reused {
        /// Owner of the revoked session.
        user_id: String,
        /// Until when its tokens would otherwise have lived.
        refresh_exp: u64,
    },
    /// The session does not exist or has ended.
    Ended,
}

/// A session that ended, and how long its tokens would have lived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    /// Session id.
    pub sid: String,
    /// Expiry of its refresh token, Unix seconds.
    pub refresh_exp: u64,
}

/// What deleting an account removed that caches hold too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deleted {
    /// Its sessions, now ended.
    pub ended: Vec<Ended>,
    /// Its pending codes, as (purpose, address).
    pub codes: Vec<(Purpose, String)>,
}

/// What a clean-up pass removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// Expired codes.
    pub codes: usize,
    /// Sessions whose refresh token has expired.
    pub sessions: usize,
}

/// Everything the service keeps. Calls block (a backend may fsync): async callers run writes
/// on the blocking pool.
pub trait Store: Send + Sync {
    /// Answers if the backend is usable.
    fn ping(&self) -> Result<(), Error>;
    /// The key codes and links are hashed with; made once, kept forever.
    fn code_key(&self) -> Result<[u8; 32], Error>;

    /// Signing keys, newest first.
    fn signing_keys(&self) -> Result<Vec<StoredKey>, Error>;
    /// Adds a signing key and retires the current ones (they keep verifying).
    fn add_signing_key(&self, key: &StoredKey) -> Result<(), Error>;
    /// Retires every stored key still signing, as of `at` (a configured secret took over).
    fn retire_signing_keys(&self, at: u64) -> Result<(), Error>;

    /// The account with this id.
    fn user(&self, id: &str) -> Result<Option<User>, Error>;
    /// Whether an account has this nickname (compared lower-cased: pass the key).
    fn nickname_taken(&self, nickname_key: &str) -> Result<bool, Error>;
    /// The account with this normalized address.
    fn user_by_email(&self, email: &str) -> Result<Option<User>, Error>;
    /// Creates an inactive account with its first code and the mail carrying it, unless the
    /// address or nickname is taken.
    fn create_user(
        &self,
        user: &User,
        nickname_key: &str,
        code: &PendingCode,
        mail: &NewMail,
    ) -> Result<Result<(), Conflict>, Error>;

    /// Every pending code, expired ones included (the caller filters).
    fn pending_codes(&self) -> Result<Vec<PendingCode>, Error>;
    /// Replaces the code for (purpose, address) and queues its mails, unless the resend
    /// interval has not passed.
    fn replace_code(
        &self,
        code: &PendingCode,
        mails: &[NewMail],
        resend_interval: u64,
    ) -> Result<Result<(), TooSoon>, Error>;
    /// Queues mails that count as a send for (purpose, address), unless the resend interval
    /// has not passed (a notice that must not become a mail bomb).
    fn queue_limited(
        &self,
        purpose: Purpose,
        email: &str,
        mails: &[NewMail],
        now: u64,
        resend_interval: u64,
    ) -> Result<Result<(), TooSoon>, Error>;
    /// Checks a guess, counts it if wrong, and applies `effect` if right, atomically.
    fn redeem(
        &self,
        guess: Guess<'_>,
        effect: &Effect,
        rules: CodeRules,
    ) -> Result<Redeemed, Error>;

    /// Changes a nickname, unless another account has it (compared lower-cased).
    fn set_nickname(
        &self,
        user_id: &str,
        nickname: &str,
    ) -> Result<Option<Result<User, Conflict>>, Error>;
    /// Replaces the password hash `checked` (the one just verified) with `hash`, and ends every
    /// session of the user but `keep`; `None` if the account is gone or its password changed
    /// meanwhile.
    fn set_password(
        &self,
        user_id: &str,
        checked: &str,
        hash: &str,
        keep: Option<&str>,
        now: u64,
    ) -> Result<Option<Vec<Ended>>, Error>;
    /// Deletes an account with its indexes, sessions, pending codes and mail, if its password
    /// hash is still `checked`; the address and nickname are free again. Returns the ended
    /// sessions and the removed codes' keys.
    fn delete_user(&self, user_id: &str, checked: &str, now: u64)
    -> Result<Option<Deleted>, Error>;

    /// Saves a new session, if its account's password hash is still `checked` (the one the
    /// log-in verified); `false` if it changed meanwhile or the account is gone.
    fn create_session(&self, session: &Session, checked: &str) -> Result<bool, Error>;
    /// The session with this id.
    fn session(&self, sid: &str) -> Result<Option<Session>, Error>;
    /// Presents refresh token `jti` to session `sid` (see [`Rotation`]); on reuse, revokes the
    /// session and queues `reuse_mail`.
    fn rotate(
        &self,
        sid: &str,
        jti: &str,
        next: &RefreshState,
        now_ms: u64,
        grace_ms: u64,
        reuse_mail: &NewMail,
    ) -> Result<Rotation, Error>;
    /// Ends one session; `None` if it had already ended or never existed.
    fn revoke_session(&self, sid: &str, now: u64) -> Result<Option<Ended>, Error>;
    /// Ends every live session of a user but `keep`.
    fn revoke_user_sessions(
        &self,
        user_id: &str,
        keep: Option<&str>,
        now: u64,
    ) -> Result<Vec<Ended>, Error>;
    /// Ended sessions whose tokens would still be live at `now`.
    fn revoked_sessions(&self, now: u64) -> Result<Vec<Ended>, Error>;

    /// Queues a mail that is not part of another change.
    fn queue_mail(&self, mail: &NewMail) -> Result<(), Error>;
    /// Queued mails due by `now_ms`, oldest due first, at most `limit`.
    fn due_mail(&self, now_ms: u64, limit: usize) -> Result<Vec<OutboxMail>, Error>;
    /// When the next queued mail is due, Unix milliseconds.
    fn next_mail_due(&self) -> Result<Option<u64>, Error>;
    /// A mail was delivered: it leaves the outbox, body and all.
    fn mail_sent(&self, id: u64) -> Result<(), Error>;
    /// A delivery failed: try again at `next_ms`.
    fn mail_retry(&self, id: u64, next_ms: u64, error: &str) -> Result<(), Error>;
    /// Gives up on a mail: it stays, parked, for the operator.
    fn mail_park(&self, id: u64, error: &str) -> Result<(), Error>;
    /// Queued (not parked) mails.
    fn outbox_depth(&self) -> Result<u64, Error>;

    /// Deletes expired codes, send records older than `resend_interval`, and sessions whose
    /// refresh token has expired.
    fn purge(&self, now: u64, resend_interval: u64) -> Result<Purged, Error>;
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}
