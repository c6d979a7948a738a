//! The signing keys in use: which key signs now, which verify, and which are published for
//! other services, built from the stored keys (or `tokens.secret`) and re-read when they
//! change. The schedule itself (staged, signing, retired, expired) is `rules::keys`.

use std::sync::{Arc, RwLock};

use ring::rand::SystemRandom;

use crate::config::Config;
use crate::jwt::{self, Algorithm, Claims, Jwk, Key, KeyRing, Validation};
use crate::random;
use crate::rules::keys::{self as schedule, KeyState};
use crate::store::{Store, StoredKey};

/// Why the keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error("{0}")]
    Store(#[from] crate::store::Error),
    /// A stored or configured key is unusable.
    #[error("{0}")]
    Key(String),
}

/// The keys as one request sees them: a snapshot, so a reload never changes them mid-way.
#[derive(Debug)]
pub struct KeySet {
    /// Every key that may verify a live token, and the staged ones.
    ring: KeyRing,
    /// The stored keys, for the schedule.
    stored: Vec<StoredKey>,
    /// The `kid` of `tokens.secret`, which then always signs.
    configured: Option<String>,
    refresh_ttl: u64,
}

impl KeySet {
    /// The key that signs at `now`.
    #[must_use]
    pub fn signer(&self, now: u64) -> &Key {
        let kid = match &self.configured {
            Some(kid) => Some(kid.as_str()),
            None => schedule::signer(&self.stored, now, self.refresh_ttl).map(|k| k.kid.as_str()),
        };
        kid.and_then(|kid| self.ring.get(kid))
            .unwrap_or_else(|| self.ring.signing_key())
    }

    /// Signs `claims` with the key that signs at `now`.
    #[must_use]
    pub fn sign(&self, claims: &Claims, now: u64) -> String {
        self.signer(now).sign(claims)
    }

    /// The key with this `kid`, if it still verifies.
    #[must_use]
    pub fn get(&self, kid: &str) -> Option<&Key> {
        self.ring.get(kid)
    }

    /// Verifies a presented token.
    pub fn verify(&self, token: &str, rules: &Validation) -> Result<Claims, jwt::Error> {
        self.ring.verify(token, rules)
    }

    /// Rebuilds a token a key signed before from its claims and stored signature.
    #[must_use]
    pub fn reissue(&self, claims: &Claims, kid: &str, signature: &str) -> Option<String> {
        self.ring.reissue(claims, kid, signature)
    }

    /// The public keys other services need at `now`: staged, signing and retired ones.
    #[must_use]
    pub fn published(&self, now: u64) -> Vec<Jwk> {
        self.stored
            .iter()
            .filter(|k| schedule::state(k, &self.stored, now, self.refresh_ttl).verifies())
            .filter_map(|k| self.ring.get(&k.kid)?.public_jwk())
            .collect()
    }
}

/// The current [`KeySet`], replaced whole on reload.
#[derive(Debug)]
pub struct Keys {
    current: RwLock<Arc<KeySet>>,
}

impl Keys {
    /// Loads the keys at start-up. Without `tokens.secret`, makes sure a key of
    /// `tokens.algorithm` signs: on first start, or when the algorithm changed, a new one is
    /// made (the old ones keep verifying their tokens). With it, the secret signs and stored keys
    /// still signing are retired as of now.
    pub async fn load(config: &Config, store: &dyn Store, now: u64) -> Result<Self, Error> {
        let refresh_ttl = config.tokens.refresh_ttl.as_secs();
        let mut stored = store.signing_keys().await?;
        if config.tokens.secret.is_some() {
            if stored.iter().any(|k| k.retired_at.is_none()) {
                stored = store
                    .write(move |tx, w| schedule::retire_all(tx, w, now))
                    .await?;
            }
        } else if !signs_with(&stored, config.tokens.algorithm, now, refresh_ttl) {
            let (fresh, _) = generate(config.tokens.algorithm, now, now)?;
            stored = store
                .write(move |tx, w| schedule::ensure_signing(tx, w, &fresh, refresh_ttl))
                .await?;
        }
        Ok(Self {
            current: RwLock::new(Arc::new(build(config, stored, now)?)),
        })
    }

    /// Re-reads the stored keys (after a rotation, or now and then so that expired keys leave
    /// the ring).
    pub async fn reload(&self, config: &Config, store: &dyn Store, now: u64) -> Result<(), Error> {
        let set = Arc::new(build(config, store.signing_keys().await?, now)?);
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = set;
        Ok(())
    }

    /// The keys as they are now.
    #[must_use]
    pub fn current(&self) -> Arc<KeySet> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Whether a key of `algorithm` signs at `now` or is staged to.
fn signs_with(stored: &[StoredKey], algorithm: Algorithm, now: u64, refresh_ttl: u64) -> bool {
    let name = algorithm.as_str();
    schedule::signer(stored, now, refresh_ttl).is_some_and(|k| k.algorithm == name)
        || stored.iter().any(|k| {
            k.algorithm == name && schedule::state(k, stored, now, refresh_ttl) == KeyState::Staged
        })
}

/// A new key of `algorithm`, made at `now`, signing from `signs_from`, and its [`Key`].
pub fn generate(
    algorithm: Algorithm,
    now: u64,
    signs_from: u64,
) -> Result<(StoredKey, Key), Error> {
    let kid = random::id();
    let (key, secret) = Key::generate(algorithm, &kid, &SystemRandom::new())
        .map_err(|e| Error::Key(e.to_string()))?;
    let stored = StoredKey {
        kid,
        algorithm: algorithm.as_str().to_owned(),
        secret,
        created_at: now,
        signs_from,
        retired_at: None,
    };
    Ok((stored, key))
}

/// The [`Key`] a stored key describes.
pub fn from_stored(stored: &StoredKey) -> Result<Key, Error> {
    let bad = |e: &dyn std::fmt::Display| Error::Key(format!("stored key {}: {e}", stored.kid));
    let algorithm = Algorithm::parse(&stored.algorithm)
        .ok_or_else(|| bad(&format!("unknown algorithm {:?}", stored.algorithm)))?;
    Key::from_stored(algorithm, &stored.kid, &stored.secret).map_err(|e| bad(&e))
}

fn build(config: &Config, stored: Vec<StoredKey>, now: u64) -> Result<KeySet, Error> {
    let refresh_ttl = config.tokens.refresh_ttl.as_secs();
    let bad = |e: jwt::KeyError| Error::Key(e.to_string());
    // The Djoser dialect's front ends read SimpleJWT's `user_id`; every key signs it then.
    let user_id = config.compat.is_some();
    let (signing, configured) = if let Some(secret) = &config.tokens.secret {
        let kid = Key::kid_for_secret(secret.expose());
        (
            Key::from_secret(&kid, secret.expose())
                .map_err(bad)?
                .with_user_id_claim(user_id),
            Some(kid),
        )
    } else {
        let signer = schedule::signer(&stored, now, refresh_ttl)
            .ok_or_else(|| Error::Key("no stored key signs now".into()))?;
        (from_stored(signer)?.with_user_id_claim(user_id), None)
    };
    let mut ring = KeyRing::new(signing);
    for key in &stored {
        if ring.get(&key.kid).is_none()
            && schedule::state(key, &stored, now, refresh_ttl).verifies()
        {
            ring.add_verify_only(from_stored(key)?.with_user_id_claim(user_id))
                .map_err(bad)?;
        }
    }
    Ok(KeySet {
        ring,
        stored,
        configured,
        refresh_ttl,
    })
}
