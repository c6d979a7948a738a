//! Signing keys kept in the database, and what each one is at a given time (SPEC §5, §5.2):
//! staged (published, not signing yet), signing, retired (verifying the tokens it signed until
//! the longest of them has expired) or expired. A key's state follows from the stored keys and
//! the clock alone, so every process (and the CLI) reads the same schedule and nothing has to
//! be written when a staged key starts signing.

use crate::store::{Changes, Error, StoredKey, Tx};

/// What a key is at some instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Published in the JWKS; signs from `signs_from`.
    Staged,
    /// Signs new tokens.
    Signing,
    /// Signs no more; verifies until this Unix second.
    Retired {
        /// When the longest token it can have signed expires.
        until: u64,
    },
    /// No token it signed can still be live.
    Expired,
}

impl KeyState {
    /// The name `latchkey key list` shows.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Staged => "staged",
            Self::Signing => "signing",
            Self::Retired { .. } => "retired",
            Self::Expired => "expired",
        }
    }

    /// Whether tokens it signed may still verify (or, staged, soon will).
    #[must_use]
    pub fn verifies(self) -> bool {
        !matches!(self, Self::Expired)
    }
}

/// When `key` stopped (or will stop) signing: when it was retired, or when a newer key started
/// signing, whichever came first.
#[must_use]
pub fn superseded_at(key: &StoredKey, all: &[StoredKey]) -> Option<u64> {
    let successor = all
        .iter()
        .filter(|other| other.kid != key.kid && newer(other, key))
        // A key retired before it ever signed did not take over from anybody.
        .filter(|other| other.retired_at.is_none_or(|at| at > other.signs_from))
        .map(|other| other.signs_from)
        .min();
    match (key.retired_at, successor) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether `a` takes over from `b`: it starts signing later (or, at the same second, was made
/// later, or has the larger kid, so that the order is total).
fn newer(a: &StoredKey, b: &StoredKey) -> bool {
    (a.signs_from, a.created_at, &a.kid) > (b.signs_from, b.created_at, &b.kid)
}

/// What `key` is at `now`, given every stored key and the refresh-token lifetime.
#[must_use]
pub fn state(key: &StoredKey, all: &[StoredKey], now: u64, refresh_ttl: u64) -> KeyState {
    let stopped = superseded_at(key, all);
    if key.signs_from > now && stopped.is_none_or(|at| at > now) {
        return KeyState::Staged;
    }
    match stopped {
        Some(at) if at <= now => {
            // A key that never signed has no tokens to keep verifying. (One superseded in the
            // very second it started may have signed in that second.)
            let until = if at < key.signs_from {
                at
            } else {
                at.saturating_add(refresh_ttl)
            };
            if until > now {
                KeyState::Retired { until }
            } else {
                KeyState::Expired
            }
        }
        _ => KeyState::Signing,
    }
}

/// The key that signs at `now`: the newest whose state is [`KeyState::Signing`].
#[must_use]
pub fn signer(all: &[StoredKey], now: u64, refresh_ttl: u64) -> Option<&StoredKey> {
    all.iter()
        .filter(|k| state(k, all, now, refresh_ttl) == KeyState::Signing)
        .max_by(|a, b| {
            (a.signs_from, a.created_at, &a.kid).cmp(&(b.signs_from, b.created_at, &b.kid))
        })
}

/// Sorts keys newest first, as listings show them.
pub fn newest_first(keys: &mut [StoredKey]) {
    keys.sort_by(|a, b| {
        (b.signs_from, b.created_at, &b.kid).cmp(&(a.signs_from, a.created_at, &a.kid))
    });
}

/// Makes sure a key of `fresh.algorithm` signs (or is staged to): stores `fresh` when none
/// does, which is the first start, or the first start after `tokens.algorithm` changed (the
/// keys of the old kind then stop signing as of `fresh.signs_from` and keep verifying their
/// tokens). Another process may have stored one first: then that one is kept. Returns every
/// stored key as it is now, newest first.
pub fn ensure_signing(
    tx: &mut dyn Tx,
    w: &mut Changes,
    fresh: &StoredKey,
    refresh_ttl: u64,
) -> Result<Vec<StoredKey>, Error> {
    let mut keys = tx.keys()?;
    let now = fresh.signs_from;
    let ours = signer(&keys, now, refresh_ttl).is_some_and(|k| k.algorithm == fresh.algorithm)
        || keys.iter().any(|k| {
            k.algorithm == fresh.algorithm && state(k, &keys, now, refresh_ttl) == KeyState::Staged
        });
    if !ours {
        w.put_key(fresh.clone());
        keys.push(fresh.clone());
    }
    newest_first(&mut keys);
    Ok(keys)
}

/// Stores a new key that signs from `fresh.signs_from` (now, or once verifiers have had time
/// to fetch it); returns every stored key, newest first.
pub fn rotate(
    tx: &mut dyn Tx,
    w: &mut Changes,
    fresh: &StoredKey,
) -> Result<Vec<StoredKey>, Error> {
    let mut keys = tx.keys()?;
    if keys.iter().any(|k| k.kid == fresh.kid) {
        return Err(Error::Constraint("a key with this kid exists"));
    }
    w.put_key(fresh.clone());
    keys.push(fresh.clone());
    newest_first(&mut keys);
    Ok(keys)
}

/// Retires, as of `now`, every stored key still signing or staged (a configured secret signs
/// instead); returns every stored key as it is now, newest first.
pub fn retire_all(tx: &mut dyn Tx, w: &mut Changes, now: u64) -> Result<Vec<StoredKey>, Error> {
    let mut keys = tx.keys()?;
    for key in keys.iter_mut().filter(|k| k.retired_at.is_none()) {
        key.retired_at = Some(now);
        w.put_key(key.clone());
    }
    newest_first(&mut keys);
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: u64 = 1000;

    fn key(kid: &str, algorithm: &str, signs_from: u64) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            algorithm: algorithm.into(),
            secret: vec![],
            created_at: signs_from.min(100),
            signs_from,
            retired_at: None,
        }
    }

    #[test]
    fn a_staged_key_takes_over_at_its_time_and_the_old_one_verifies_for_one_lifetime() {
        let keys = vec![key("old", "EdDSA", 100), key("new", "EdDSA", 400)];
        let at =
            |kid: &str, now| state(keys.iter().find(|k| k.kid == kid).unwrap(), &keys, now, TTL);
        assert_eq!(at("new", 399), KeyState::Staged);
        assert_eq!(at("old", 399), KeyState::Signing);
        assert_eq!(signer(&keys, 399, TTL).unwrap().kid, "old");
        assert_eq!(at("new", 400), KeyState::Signing);
        assert_eq!(at("old", 400), KeyState::Retired { until: 1400 });
        assert_eq!(signer(&keys, 400, TTL).unwrap().kid, "new");
        assert_eq!(at("old", 1399), KeyState::Retired { until: 1400 });
        assert_eq!(at("old", 1400), KeyState::Expired);
    }

    #[test]
    fn retirement_by_a_configured_secret_counts_from_the_retirement() {
        let mut old = key("old", "HS256", 100);
        old.retired_at = Some(200);
        let keys = vec![old.clone()];
        assert_eq!(
            state(&old, &keys, 250, TTL),
            KeyState::Retired { until: 1200 }
        );
        assert_eq!(state(&old, &keys, 1200, TTL), KeyState::Expired);
        assert!(signer(&keys, 250, TTL).is_none());
        // A staged key retired before it signed verifies nothing.
        let mut staged = key("staged", "EdDSA", 500);
        staged.retired_at = Some(300);
        let keys = vec![key("k", "EdDSA", 100), staged.clone()];
        assert_eq!(state(&staged, &keys, 301, TTL), KeyState::Expired);
        assert_eq!(signer(&keys, 600, TTL).unwrap().kid, "k");
    }

    #[test]
    fn keys_at_the_same_second_have_one_order() {
        let keys = vec![key("a", "HS256", 100), key("b", "HS256", 100)];
        assert_eq!(signer(&keys, 100, TTL).unwrap().kid, "b");
        assert_eq!(
            state(&keys[0], &keys, 100, TTL),
            KeyState::Retired { until: 100 + TTL }
        );
    }
}
