//! The records the store keeps, independent of how a backend lays them out.

use serde::{Deserialize, Serialize};

/// An account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Opaque random id.
    pub id: String,
    /// Normalized email address.
    pub email: String,
    /// Display name, NFC.
    pub nickname: String,
    /// The password hash: an argon2id PHC string, or a hash imported from Django until the next
    /// successful log-in replaces it.
    pub password_hash: String,
    /// Whether the address has been verified.
    pub is_active: bool,
    /// Deactivated by an operator: the account stays, but nobody can log in to it.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: u64,
}

/// What a code or link is for; codes of different purposes never confirm each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Purpose {
    /// Verifying the address given at sign-up.
    Signup,
    /// Resetting a forgotten password.
    Reset,
    /// Confirming a new address.
    EmailChange,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Self; 3] = [Self::Signup, Self::Reset, Self::EmailChange];

    /// A short stable name, used in keys and keyed hashes.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signup => "signup",
            Self::Reset => "reset",
            Self::EmailChange => "email_change",
        }
    }

    /// The purpose named by [`Purpose::as_str`].
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// A code (and for sign-up, a link) waiting to be used. Only keyed hashes are kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    /// What it confirms.
    pub purpose: Purpose,
    /// The address it was sent to.
    pub email: String,
    /// The account it belongs to.
    pub user_id: String,
    /// For an email change: the new address (the code went there; `email` is the current one).
    pub target: Option<String>,
    /// HMAC of the code.
    pub code_mac: [u8; 32],
    /// HMAC of the link token, when a link was sent.
    pub link_mac: Option<[u8; 32]>,
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds; the code is dead at and after this instant.
    pub expires_at: u64,
    /// Wrong guesses so far.
    pub attempts: u32,
}

/// The refresh token a session currently accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshState {
    /// Token id.
    pub jti: String,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expires at, Unix seconds.
    pub exp: u64,
    /// Key that signed it, so the same token can be issued again during the grace window.
    pub kid: String,
    /// Its signature, kept only when the key's signatures are randomized (ES256): re-signing
    /// would then give other bytes.
    pub signature: Option<String>,
}

/// A rotated-away refresh token, remembered for reuse detection and the grace window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predecessor {
    /// Token id of the predecessor.
    pub jti: String,
    /// When it was rotated away, Unix milliseconds (the grace window is short).
    pub at_ms: u64,
}

/// One log-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Session id (the `sid` claim).
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Unix seconds.
    pub created_at: u64,
    /// The client address the log-in came from.
    pub ip: String,
    /// The refresh token it accepts now.
    pub refresh: RefreshState,
    /// The one before, if the session has rotated.
    pub previous: Option<Predecessor>,
    /// When it ended, if it has.
    pub revoked_at: Option<u64>,
}

impl Session {
    /// Whether the session still accepts tokens.
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// What the revoked set keeps of it once it has ended.
    #[must_use]
    pub fn revocation(&self) -> Revocation {
        Revocation {
            sid: self.id.clone(),
            refresh_exp: self.refresh.exp,
        }
    }
}

/// A session that ended, and how long its tokens would have lived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// Session id.
    pub sid: String,
    /// Expiry of its refresh token, Unix seconds.
    pub refresh_exp: u64,
}

/// A rendered mail, ready for the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMail {
    /// Recipient: one normalized address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// `Message-ID`, kept across retries.
    pub message_id: String,
    /// The account it concerns, so it can be dropped with the account.
    pub user_id: Option<String>,
}

/// Delivery state of a queued mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailState {
    /// Waiting for its next attempt.
    Queued,
    /// Given up on (permanent failure or 24 hours of trying); kept for the operator.
    Parked,
}

/// A mail in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMail {
    /// Queue position, increasing.
    pub id: u64,
    /// The mail.
    pub mail: NewMail,
    /// Unix seconds when queued.
    pub queued_at: u64,
    /// Attempts made.
    pub attempts: u32,
    /// Unix milliseconds of the next attempt; while a sender holds the mail, the end of its
    /// lease.
    pub next_attempt_ms: u64,
    /// Delivery state.
    pub state: MailState,
    /// The last failure, for the operator.
    pub last_error: Option<String>,
}

/// A signing key kept in the database.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    /// Key id.
    pub kid: String,
    /// Its algorithm, as the `alg` header names it (`HS256`, `EdDSA`, `ES256`).
    pub algorithm: String,
    /// Secret bytes: the HMAC secret, or the private key as PKCS#8.
    pub secret: Vec<u8>,
    /// Unix seconds.
    pub created_at: u64,
    /// From when it signs, Unix seconds: later than `created_at` while it is staged.
    pub signs_from: u64,
    /// When it stopped signing, if it has.
    pub retired_at: Option<u64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// One security event, as the rules record it; the chain fields are added when it is sealed
/// into an [`AuditEntry`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Unix milliseconds.
    pub at_ms: u64,
    /// What happened: `signup`, `login`, `login_failed`, `admin.user_deactivate`, ...
    pub event: String,
    /// Who did it: `user` (a request), `cli` (an operator), `system` (the service itself).
    pub actor: String,
    /// The account concerned, if known.
    pub user_id: Option<String>,
    /// The session concerned, if any.
    pub session_id: Option<String>,
    /// The client's address, for events a request caused.
    pub ip: Option<String>,
    /// The request's `X-Request-Id`, for events a request caused.
    pub request_id: Option<String>,
    /// A short, secret-free remark (`unknown address`, `3 sessions ended`).
    pub detail: Option<String>,
}

/// An audit log entry: an event with its place in the hash chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// The event.
    pub event: AuditEvent,
    /// SHA-256 of the previous entry (its `hash`), or the anchor's for the first kept entry.
    pub prev: [u8; 32],
    /// SHA-256 over `seq`, `event` and `prev` (see `rules::audit::digest`).
    pub hash: [u8; 32],
}

/// Where the kept part of the audit log starts: the last entry retention dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditAnchor {
    /// Its position (0 while nothing was dropped).
    pub seq: u64,
    /// Its hash (zeros while nothing was dropped).
    pub hash: [u8; 32],
}
