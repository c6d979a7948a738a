//! Pending verification codes in memory: a moka cache with per-entry expiry, written through
//! to the store and loaded back from it at start-up with the remaining lifetime (SPEC §4).
//!
//! The store is the source of truth for every decision that must be atomic (attempts, use,
//! replacement). The cache answers the cheap questions without a transaction: is there a live
//! code for this address and purpose at all, and which code does a link token belong to. It is
//! updated only after the store has committed, and entries leave it when their code expires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::sync::Cache;
use ring::hmac;

use crate::random::{self, CODE_ALPHABET, CODE_LEN};
use crate::store::{PendingCode, Purpose};

/// A freshly made code, before it is stored and mailed.
#[derive(Debug)]
pub struct Issued {
    /// The code as mailed.
    pub code: String,
    /// The link token as mailed, for sign-up codes.
    pub link: Option<String>,
    /// What the store keeps: keyed hashes only.
    pub pending: PendingCode,
}

/// The pending codes, by (purpose, address) and by link.
pub struct Codes {
    key: hmac::Key,
    /// How long a new code lives.
    ttl: Duration,
    by_address: Cache<(Purpose, String), Arc<PendingCode>>,
    by_link: Cache<[u8; 32], (Purpose, String)>,
}

impl std::fmt::Debug for Codes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codes")
            .field("pending", &self.by_address.entry_count())
            .finish_non_exhaustive()
    }
}

/// Each entry lives until its code's `expires_at`.
struct UntilExpiry;

fn remaining(expires_at: u64) -> Duration {
    Duration::from_secs(expires_at.saturating_sub(crate::clock::Clock::System.now()))
}

impl Expiry<(Purpose, String), Arc<PendingCode>> for UntilExpiry {
    fn expire_after_create(
        &self,
        _: &(Purpose, String),
        code: &Arc<PendingCode>,
        _: Instant,
    ) -> Option<Duration> {
        Some(remaining(code.expires_at))
    }
}

/// Link entries carry no expiry of their own; they are dropped with their code.
struct LinkExpiry;

impl Expiry<[u8; 32], (Purpose, String)> for LinkExpiry {}

/// Turns what a user typed into the canonical code, if it can be one: case-insensitive, spaces
/// and dashes ignored, `O` read as `0`, `I` and `L` as `1`.
#[must_use]
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

impl Codes {
    /// An empty set of codes, hashed with `key` (kept in the store's metadata), each living
    /// `ttl` once issued.
    #[must_use]
    pub fn new(key: &[u8; 32], ttl: Duration) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            ttl,
            by_address: Cache::builder().expire_after(UntilExpiry).build(),
            by_link: Cache::builder().expire_after(LinkExpiry).build(),
        }
    }

    /// Loads codes read from the store, skipping those already expired at `now`; returns how
    /// many are live.
    #[must_use]
    pub fn load(&self, codes: Vec<PendingCode>, now: u64) -> usize {
        let live: Vec<_> = codes.into_iter().filter(|c| c.expires_at > now).collect();
        let count = live.len();
        for code in live {
            self.remember(code);
        }
        count
    }

    /// Makes a code (and a link for sign-up) for `user_id` at `email`.
    #[must_use]
    pub fn issue(&self, purpose: Purpose, email: &str, user_id: &str, now: u64) -> Issued {
        let code = random::code();
        let link = (purpose == Purpose::Signup).then(random::link_token);
        let pending = PendingCode {
            purpose,
            email: email.to_owned(),
            user_id: user_id.to_owned(),
            target: None,
            code_mac: self.code_mac(purpose, email, &code),
            link_mac: link.as_deref().map(|token| self.link_mac(token)),
            issued_at: now,
            expires_at: now.saturating_add(self.ttl.as_secs()),
            attempts: 0,
        };
        Issued {
            code,
            link,
            pending,
        }
    }

    /// The keyed hash a code is stored and compared as. The purpose and address are part of the
    /// message, so a code can only ever match where it was sent.
    #[must_use]
    pub fn code_mac(&self, purpose: Purpose, email: &str, code: &str) -> [u8; 32] {
        self.mac(&["code", purpose.as_str(), email, code])
    }

    /// The keyed hash a link token is stored and looked up as.
    #[must_use]
    pub fn link_mac(&self, token: &str) -> [u8; 32] {
        self.mac(&["link", token])
    }

    fn mac(&self, parts: &[&str]) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.key);
        for part in parts {
            // Length-prefixed, so no two part lists hash the same text.
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part.as_bytes());
        }
        let mut out = [0; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }

    /// Records a code the store has just committed, replacing any other for its address.
    pub fn remember(&self, code: PendingCode) {
        let key = (code.purpose, code.email.clone());
        if let Some(old) = self.by_address.get(&key)
            && let Some(mac) = old.link_mac
        {
            self.by_link.invalidate(&mac);
        }
        if let Some(mac) = code.link_mac {
            self.by_link.insert(mac, key.clone());
        }
        self.by_address.insert(key, Arc::new(code));
    }

    /// Drops the code for (purpose, address), after the store used or removed it.
    pub fn forget(&self, purpose: Purpose, email: &str) {
        let key = (purpose, email.to_owned());
        if let Some(old) = self.by_address.remove(&key)
            && let Some(mac) = old.link_mac
        {
            self.by_link.invalidate(&mac);
        }
    }

    /// The live code for (purpose, address), if any.
    #[must_use]
    pub fn pending(&self, purpose: Purpose, email: &str) -> Option<Arc<PendingCode>> {
        self.by_address
            .get(&(purpose, email.to_owned()))
            .filter(|c| c.expires_at > crate::clock::Clock::System.now())
    }

    /// The live code a link token belongs to, if any.
    #[must_use]
    pub fn by_link(&self, token: &str) -> Option<Arc<PendingCode>> {
        let mac = self.link_mac(token);
        let (purpose, email) = self.by_link.get(&mac)?;
        self.pending(purpose, &email)
            .filter(|c| c.link_mac == Some(mac))
    }

    /// Live codes, for the `pending_codes` gauge.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.by_address.run_pending_tasks();
        self.by_address.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    #[test]
    fn typed_codes_are_forgiving() {
        assert_eq!(normalize("abc-123").as_deref(), Some("ABC123"));
        assert_eq!(normalize(" a b c 1 2 3 ").as_deref(), Some("ABC123"));
        assert_eq!(normalize("OIL0il").as_deref(), Some("011011"));
        assert_eq!(normalize("ABC12"), None);
        assert_eq!(normalize("ABC1234"), None);
        assert_eq!(normalize("ABCU23"), None, "U is not in the alphabet");
        assert_eq!(normalize("ÀBC123"), None);
    }

    #[test]
    fn macs_bind_purpose_and_address() {
        let codes = Codes::new(&[1; 32], Duration::from_secs(60));
        let mac = codes.code_mac(Purpose::Signup, "a@example.com", "ABC123");
        assert_ne!(
            mac,
            codes.code_mac(Purpose::Reset, "a@example.com", "ABC123")
        );
        assert_ne!(
            mac,
            codes.code_mac(Purpose::Signup, "b@example.com", "ABC123")
        );
        assert_ne!(
            mac,
            Codes::new(&[2; 32], Duration::from_secs(60)).code_mac(
                Purpose::Signup,
                "a@example.com",
                "ABC123"
            )
        );
    }

    #[test]
    fn issued_codes_are_found_by_address_and_link_until_replaced() {
        let codes = Codes::new(&[1; 32], Duration::from_secs(60));
        let now = Clock::System.now();
        let first = codes.issue(Purpose::Signup, "a@example.com", "u1", now);
        let first_link = first.link.clone().unwrap();
        assert_eq!(
            first.pending.code_mac,
            codes.code_mac(Purpose::Signup, "a@example.com", &first.code)
        );
        codes.remember(first.pending);
        assert!(codes.by_link(&first_link).is_some());
        let second = codes.issue(Purpose::Signup, "a@example.com", "u1", now);
        let second_link = second.link.clone().unwrap();
        codes.remember(second.pending);
        assert!(
            codes.by_link(&first_link).is_none(),
            "the old link died with its code"
        );
        assert!(codes.by_link(&second_link).is_some());
        codes.forget(Purpose::Signup, "a@example.com");
        assert!(codes.pending(Purpose::Signup, "a@example.com").is_none());
        assert!(codes.by_link(&second_link).is_none());
    }

    #[test]
    fn loading_skips_expired_codes_and_reset_codes_have_no_link() {
        let codes = Codes::new(&[1; 32], Duration::from_secs(60));
        let now = Clock::System.now();
        let live = codes.issue(Purpose::Reset, "a@example.com", "u1", now);
        assert!(live.link.is_none());
        let dead = codes.issue(Purpose::Signup, "b@example.com", "u2", now - 100);
        assert_eq!(codes.load(vec![live.pending, dead.pending], now), 1);
        assert!(codes.pending(Purpose::Reset, "a@example.com").is_some());
        assert!(codes.pending(Purpose::Signup, "b@example.com").is_none());
        assert_eq!(codes.count(), 1);
    }
}
