//! The decisions, written once over the storage seam. Each public function here is the body
//! of one write transaction: it reads through [`Tx`](crate::store::Tx), decides, and writes
//! into [`Changes`](crate::store::Changes); the backend makes it atomic and durable under the
//! contract in [`crate::store`]. Nothing here blocks or does I/O of its own, and nothing
//! depends on there being one writer: every decision rests on records read in the same
//! transaction.
//!
//! - `audit`: sealing security events into the hash-chained audit log, checking it, trimming it
//! - `codes`: sending codes (the resend gate), checking them (attempts, expiry), their effects
//! - `sessions`: opening sessions, refresh rotation (current, grace, reuse), ending them
//! - `users`: sign-up, nickname and password changes, deletion with its cascade
//! - `keys`: the stored signing keys
//! - `outbox`: claiming due mail, and what a delivery attempt leaves behind
//! - `sweep`: forgetting what has expired, in small batches

pub mod audit;
pub mod codes;
pub mod keys;
pub mod outbox;
pub mod sessions;
pub mod sweep;
pub mod users;

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

/// Unix seconds of a Unix millisecond.
fn secs(now_ms: u64) -> u64 {
    now_ms / 1000
}
