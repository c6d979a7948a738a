//! Forgetting what has expired: codes past their lifetime, send records older than the
//! resend interval, sessions whose refresh token has expired (ended or not: no token of
//! theirs can be live any more, so the revoked set has no use for them either), and audit
//! entries past their retention (the chain keeps an anchor).
//!
//! One call handles at most `limit` records of each kind, found through the backends'
//! expiry-ordered indexes, so a sweep never holds the write path for long; the caller repeats
//! until a call comes back short.

use super::audit;
use crate::store::{Changes, Error, Tx};

/// Records one sweep step deals with at most, of each kind.
pub const BATCH: usize = 64;

/// What a sweep step removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// Expired codes.
    pub codes: usize,
    /// Sessions whose refresh token had expired.
    pub sessions: usize,
    /// Send records past the resend interval.
    pub sends: usize,
    /// Audit entries past their retention.
    pub audit: usize,
}

impl Purged {
    /// Whether a kind filled its batch, so there may be more to do.
    #[must_use]
    pub fn more(&self, limit: usize) -> bool {
        self.codes >= limit || self.sessions >= limit || self.sends >= limit || self.audit >= limit
    }
}

/// Deletes up to `limit` expired records of each kind, as of `now` (Unix seconds); send
/// records last `resend_interval` and audit entries `audit_retention` (seconds).
pub fn step(
    tx: &mut dyn Tx,
    w: &mut Changes,
    now: u64,
    (resend_interval, audit_retention): (u64, u64),
    limit: usize,
) -> Result<Purged, Error> {
    let codes = tx.expired_codes(now, limit)?;
    for code in &codes {
        w.delete_code(code.purpose, &code.email);
    }
    let sessions = tx.expired_sessions(now, limit)?;
    for session in &sessions {
        w.delete_session(&session.id);
    }
    // A send at `t` gates until `t + interval`; past that the record decides nothing.
    let sends = match now.checked_sub(resend_interval) {
        Some(until) => tx.sends_until(until, limit)?,
        None => Vec::new(),
    };
    for (purpose, email) in &sends {
        w.delete_send(*purpose, email);
    }
    let before_ms = now.saturating_sub(audit_retention).saturating_mul(1000);
    let audit = audit::trim(tx, w, before_ms, limit)?;
    Ok(Purged {
        codes: codes.len(),
        sessions: sessions.len(),
        sends: sends.len(),
        audit,
    })
}
