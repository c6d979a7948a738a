//! Wall-clock time as the rest of the crate sees it: the system clock in production, a clock that
//! only moves when told in unit tests. It does not schedule anything.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of "now" in whole seconds since the Unix epoch.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The operating system's wall clock.
    #[default]
    System,
    /// A clock that stands still until [`Clock::advance`] or [`Clock::set`] moves it.
    Manual(Arc<AtomicU64>),
}

impl Clock {
    /// A manual clock that reads `unix_secs` until it is moved.
    #[must_use]
    pub fn manual(unix_secs: u64) -> Self {
        Self::Manual(Arc::new(AtomicU64::new(unix_secs)))
    }

    /// Seconds since the Unix epoch; a system clock set before 1970 reads as 0.
    #[must_use]
    pub fn now(&self) -> u64 {
        match self {
            Self::System => system_now(),
            Self::Manual(secs) => secs.load(Ordering::Relaxed),
        }
    }

    /// Milliseconds since the Unix epoch (the manual clock counts whole seconds).
    #[must_use]
    pub fn now_ms(&self) -> u64 {
        match self {
            Self::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            Self::Manual(secs) => secs.load(Ordering::Relaxed).saturating_mul(1000),
        }
    }

    /// Moves a manual clock forward; the system clock ignores it.
    pub fn advance(&self, by: Duration) {
        if let Self::Manual(secs) = self {
            secs.fetch_add(by.as_secs(), Ordering::Relaxed);
        }
    }

    /// Sets a manual clock; the system clock ignores it.
    pub fn set(&self, unix_secs: u64) {
        if let Self::Manual(secs) = self {
            secs.store(unix_secs, Ordering::Relaxed);
        }
    }
}

/// The coarse real-time clock where the OS has one: it is read from the vDSO without touching
/// the hardware counter, several times cheaper than the precise clock, and its lag of at most
/// one scheduler tick is far below the one-second resolution of every timestamp here. Token
/// verification reads the clock on every request.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn system_now() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
    u64::try_from(now.tv_sec).unwrap_or(0)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn system_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = Clock::manual(100);
        assert_eq!(clock.now(), 100);
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now(), 105);
        clock.set(7);
        assert_eq!(clock.now(), 7);
    }

    #[test]
    fn system_clock_agrees_with_std_to_the_second() {
        let std_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(Clock::System.now().abs_diff(std_now) <= 1);
    }
}
