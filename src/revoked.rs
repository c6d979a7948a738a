//! Ended sessions whose tokens have not yet expired, in memory: every authenticated request
//! checks it, so logout and revocation take effect at once. Entries leave when the session's
//! refresh token would have expired; the store's `revoked` table refills it at start-up.

use std::time::{Duration, Instant};

use moka::Expiry;
use moka::sync::Cache;

use crate::clock::Clock;
use crate::store::Revocation;

/// Session ids that have ended, each kept until its tokens would have expired.
pub struct Revoked {
    sessions: Cache<String, u64>,
}

impl std::fmt::Debug for Revoked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revoked")
            .field("sessions", &self.sessions.entry_count())
            .finish()
    }
}

/// Keeps an entry until the expiry it carries.
struct UntilTokensExpire;

impl Expiry<String, u64> for UntilTokensExpire {
    fn expire_after_create(&self, _: &String, exp: &u64, _: Instant) -> Option<Duration> {
        Some(Duration::from_secs(exp.saturating_sub(Clock::System.now())))
    }
}

impl Default for Revoked {
    fn default() -> Self {
        Self {
            sessions: Cache::builder().expire_after(UntilTokensExpire).build(),
        }
    }
}

impl Revoked {
    /// Records ended sessions.
    pub fn add(&self, ended: impl IntoIterator<Item = Revocation>) {
        for e in ended {
            self.sessions.insert(e.sid, e.refresh_exp);
        }
    }

    /// Whether session `sid` has ended.
    #[must_use]
    pub fn contains(&self, sid: &str) -> bool {
        self.sessions.contains_key(sid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_sessions_are_found_until_their_tokens_expire() {
        let revoked = Revoked::default();
        let now = Clock::System.now();
        revoked.add([
            Revocation {
                sid: "live".into(),
                refresh_exp: now + 60,
            },
            Revocation {
                sid: "old".into(),
                refresh_exp: now,
            },
        ]);
        assert!(revoked.contains("live"));
        assert!(!revoked.contains("old"));
        assert!(!revoked.contains("other"));
    }
}
