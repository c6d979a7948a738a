//! Rate limits (SPEC §7): per client IP on the abuse-prone routes, and per email on failed
//! log-ins. GCRA from `governor`, with its per-key state in a bounded moka cache so that a flood
//! of distinct IPs or addresses cannot grow memory without limit: past [`MAX_KEYS`] keys the
//! least recently used are dropped (which can only forgive, never wrongly refuse).

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed, StateStore};
use governor::{Quota, RateLimiter};
use moka::Expiry;
use moka::sync::Cache;

use crate::config::{Rate, RateLimits};

/// Most keys each limiter remembers: with moka's overhead, some tens of MiB at worst per limiter.
pub const MAX_KEYS: u64 = 100_000;

/// The routes limited per client IP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Sign-up.
    Signup,
    /// Log-in.
    Login,
    /// Checking codes and links.
    Verify,
    /// Resending codes.
    Resend,
    /// Password reset requests.
    Reset,
}

/// Per-key GCRA state in a bounded cache; keys idle for a whole period are forgotten (their
/// state would have fully replenished anyway).
struct BoundedStore<K: Hash + Eq + Send + Sync + 'static> {
    states: Cache<K, Arc<InMemoryState>>,
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> StateStore for BoundedStore<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let state = self
            .states
            .get_with(key.clone(), || Arc::new(InMemoryState::default()));
        state.measure_and_replace(&NotKeyed::NonKey, f)
    }
}

/// A keyed limiter and a handle on its state cache (moka caches share their contents when
/// cloned), to count its keys.
struct Keyed<K: Hash + Eq + Clone + Send + Sync + 'static> {
    limiter: RateLimiter<K, BoundedStore<K>, DefaultClock, StateInformationMiddleware>,
    states: Cache<K, Arc<InMemoryState>>,
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> Keyed<K> {
    /// `rate.count` requests per `rate.per`, all of them allowed in a burst.
    fn new(rate: Rate, capacity: u64) -> Self {
        let count = NonZeroU32::new(rate.count).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(rate.per / rate.count.max(1))
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(count);
        // A key idle for a whole period has fully replenished: forgetting it changes nothing.
        let states = Cache::builder()
            .max_capacity(capacity)
            .time_to_idle(rate.per)
            .build();
        let store = BoundedStore {
            states: states.clone(),
        };
        let limiter: RateLimiter<K, BoundedStore<K>, DefaultClock> =
            RateLimiter::new(quota, store, DefaultClock::default());
        let limiter = limiter.with_middleware::<StateInformationMiddleware>();
        Self { limiter, states }
    }

    fn keys(&self) -> u64 {
        self.states.run_pending_tasks();
        self.states.entry_count()
    }
}

/// The key a client is limited under: its IPv4 address, or its IPv6 /64. A single IPv6
/// subscriber is usually given a whole /64, so counting its addresses apart would hand one
/// client 2^64 budgets.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// Whole seconds to wait, at least 1.
fn seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// An email is blocked until the instant stored with it.
struct UntilDeadline;

impl Expiry<String, Instant> for UntilDeadline {
    fn expire_after_create(&self, _: &String, until: &Instant, now: Instant) -> Option<Duration> {
        Some(until.saturating_duration_since(now))
    }
}

/// Every rate limit of the service.
pub struct Limits {
    per_ip: Vec<(Limit, Keyed<IpAddr>)>,
    failed_logins: Option<Keyed<String>>,
    /// Addresses whose failed-login budget is spent, until it has a cell again.
    blocked: Cache<String, Instant>,
    /// One password check at a time per address, so parallel guesses cannot all pass the
    /// budget check before any of them is counted.
    turns: Cache<String, Arc<tokio::sync::Mutex<()>>>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("per_ip", &self.per_ip.len())
            .finish_non_exhaustive()
    }
}

impl Limits {
    /// The limits `config` turns on.
    #[must_use]
    pub fn new(config: &RateLimits) -> Self {
        Self::with_capacity(config, MAX_KEYS)
    }

    /// The limits `config` turns on, each remembering at most `capacity` keys.
    #[must_use]
    pub fn with_capacity(config: &RateLimits, capacity: u64) -> Self {
        let per_ip = [
            (Limit::Signup, config.signup),
            (Limit::Login, config.login),
            (Limit::Verify, config.verify),
            (Limit::Resend, config.resend),
            (Limit::Reset, config.reset),
        ]
        .into_iter()
        .filter_map(|(limit, rate)| rate.map(|rate| (limit, Keyed::new(rate, capacity))))
        .collect();
        Self {
            per_ip,
            failed_logins: config
                .failed_logins_per_email
                .map(|rate| Keyed::new(rate, capacity)),
            blocked: Cache::builder()
                .max_capacity(capacity)
                .expire_after(UntilDeadline)
                .build(),
            turns: Cache::builder()
                .max_capacity(capacity)
                .time_to_idle(Duration::from_secs(60))
                .build(),
        }
    }

    /// Counts a request from `ip` against `limit`; `Err` holds the seconds to wait.
    pub fn check(&self, limit: Limit, ip: IpAddr) -> Result<(), u64> {
        let Some((_, limiter)) = self.per_ip.iter().find(|(l, _)| *l == limit) else {
            return Ok(());
        };
        limiter
            .limiter
            .check_key(&client_key(ip))
            .map(drop)
            .map_err(|not_until| seconds(not_until.wait_time_from(DefaultClock::default().now())))
    }

    /// Waits for this address's turn at a password check (when failed log-ins are limited):
    /// checks of one address run one after another, so each sees the failures before it.
    pub async fn password_turn(&self, email: &str) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        self.failed_logins.as_ref()?;
        let turn = self.turns.get_with(email.to_owned(), Arc::default);
        Some(turn.lock_owned().await)
    }

    /// Whether `email` has used up its failed log-ins; `Some` holds the seconds to wait.
    #[must_use]
    pub fn login_blocked(&self, email: &str) -> Option<u64> {
        let until = self.blocked.get(email)?;
        let wait = until.saturating_duration_since(Instant::now());
        (!wait.is_zero()).then(|| seconds(wait))
    }

    /// Counts a failed log-in for `email`; once the budget is spent the address is blocked
    /// until a cell replenishes. Successful log-ins are never counted.
    #[must_use = "a lock-out is audited"]
    pub fn login_failed(&self, email: &str) -> bool {
        let Some(limiter) = &self.failed_logins else {
            return false;
        };
        let clock = DefaultClock::default();
        let wait = match limiter.limiter.check_key(&email.to_owned()) {
            Ok(state) if state.remaining_burst_capacity() > 0 => return false,
            Ok(state) => state.quota().replenish_interval(),
            Err(not_until) => not_until.wait_time_from(clock.now()),
        };
        self.blocked.insert(email.to_owned(), Instant::now() + wait);
        true
    }

    /// Keys held by every limiter, for showing that memory stays bounded.
    #[must_use]
    pub fn keys(&self) -> u64 {
        self.blocked.run_pending_tasks();
        self.per_ip.iter().map(|(_, l)| l.keys()).sum::<u64>()
            + self.failed_logins.as_ref().map_or(0, Keyed::keys)
            + self.blocked.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rate: Option<Rate>) -> RateLimits {
        RateLimits {
            signup: rate,
            login: rate,
            verify: rate,
            resend: rate,
            reset: rate,
            failed_logins_per_email: rate,
        }
    }

    fn rate(count: u32, secs: u64) -> Rate {
        Rate {
            count,
            per: Duration::from_secs(secs),
        }
    }

    #[test]
    fn per_ip_limits_allow_the_burst_then_say_how_long_to_wait() {
        let limits = Limits::new(&config(Some(rate(3, 60))));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limits.check(Limit::Login, ip), Ok(()));
        }
        let wait = limits.check(Limit::Login, ip).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(
            limits.check(Limit::Login, "10.0.0.2".parse().unwrap()),
            Ok(()),
            "other IPs unaffected"
        );
        assert_eq!(
            limits.check(Limit::Signup, ip),
            Ok(()),
            "other limits unaffected"
        );
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_slash_64() {
        let limits = Limits::new(&config(Some(rate(2, 60))));
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(limits.check(Limit::Login, ip("2001:db8:1:2::1")), Ok(()));
        assert_eq!(
            limits.check(Limit::Login, ip("2001:db8:1:2:ffff::9")),
            Ok(())
        );
        assert!(
            limits
                .check(Limit::Login, ip("2001:db8:1:2:abcd::1"))
                .is_err(),
            "same /64"
        );
        assert_eq!(
            limits.check(Limit::Login, ip("2001:db8:1:3::1")),
            Ok(()),
            "another /64"
        );
        assert_eq!(client_key(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
    }

    #[test]
    fn off_means_no_limit() {
        let limits = Limits::new(&config(None));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..1000 {
            assert_eq!(limits.check(Limit::Signup, ip), Ok(()));
        }
        assert!(!limits.login_failed("a@example.com"));
        assert_eq!(limits.login_blocked("a@example.com"), None);
    }

    #[test]
    fn failed_logins_block_the_address_after_the_budget() {
        let limits = Limits::new(&config(Some(rate(3, 3600))));
        for _ in 0..2 {
            assert!(!limits.login_failed("a@example.com"), "not locked yet");
            assert_eq!(limits.login_blocked("a@example.com"), None);
        }
        assert!(limits.login_failed("a@example.com"), "the third locks");
        let wait = limits.login_blocked("a@example.com").unwrap();
        assert!((1..=1200).contains(&wait), "{wait}");
        assert_eq!(limits.login_blocked("b@example.com"), None);
    }

    #[test]
    fn a_flood_of_distinct_keys_stays_bounded() {
        let limits = Limits::with_capacity(&config(Some(rate(5, 3600))), 1000);
        for i in 0..20_000u32 {
            let _ = limits.check(Limit::Signup, IpAddr::from(i.to_be_bytes()));
            let _ = limits.login_failed(&format!("user{i}@example.com"));
        }
        // Five per-IP limiters (one flooded), the per-email one and the blocked list.
        assert!(limits.keys() <= 3 * 1000, "{}", limits.keys());
        assert!(limits.keys() >= 1000, "{}", limits.keys());
    }
}
