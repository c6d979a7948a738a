//! HMAC-SHA256 keys and the key ring that finds them by `kid`.
//!
//! The algorithm is a property of the key type, never of the token: a [`Key`] can only ever
//! compute HS256, so a token cannot talk the verifier into another algorithm.

use std::fmt;

use ring::digest;
use ring::hmac;

use super::b64;

/// The shortest secret accepted: the output size of SHA-256 (RFC 7518 §3.2).
pub const MIN_SECRET_BYTES: usize = 32;

/// The longest `kid` accepted.
pub const MAX_KID_BYTES: usize = 64;

/// Why a key could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The secret is shorter than [`MIN_SECRET_BYTES`].
    #[error("secret must be at least {MIN_SECRET_BYTES} bytes (got {0})")]
    TooShort(usize),
    /// The `kid` is empty, too long, or has characters outside `A-Z a-z 0-9 . _ -`.
    #[error("kid must be 1 to {MAX_KID_BYTES} characters of A-Z a-z 0-9 . _ -")]
    BadKid,
    /// Two keys in one ring share a `kid`.
    #[error("two keys share the kid {0:?}")]
    DuplicateKid(String),
}

/// An HS256 key with its `kid`.
///
/// # Security
/// The secret is consumed into ring's precomputed HMAC state and not kept; `Debug` shows the
/// `kid` only.
#[derive(Clone)]
pub struct Key {
    kid: Box<str>,
    mac: hmac::Key,
    /// The one header text this key signs and accepts, already base64url-encoded.
    header: Box<str>,
}

impl Key {
    /// Makes a key from a secret of at least [`MIN_SECRET_BYTES`] bytes.
    pub fn from_secret(kid: &str, secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(KeyError::TooShort(secret.len()));
        }
        let kid_ok = (1..=MAX_KID_BYTES).contains(&kid.len())
            && kid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !kid_ok {
            return Err(KeyError::BadKid);
        }
        // `kid` needs no JSON escaping: its characters were just checked.
        let header =
            b64::encode(format!(r#"{{"typ":"JWT","alg":"HS256","kid":"{kid}"}}"#).as_bytes());
        Ok(Self {
            kid: kid.into(),
            mac: hmac::Key::new(hmac::HMAC_SHA256, secret),
            header: header.into(),
        })
    }

    /// The `kid` for a secret that came from configuration: the first 12 bytes of its SHA-256,
    /// base64url, so every instance sharing the secret names it alike without publishing it.
    #[must_use]
    pub fn kid_for_secret(secret: &[u8]) -> String {
        b64::encode(&digest::digest(&digest::SHA256, secret).as_ref()[..12])
    }

    /// The key id, as it appears in token headers.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The encoded header: the first segment of every token this key signs.
    pub(crate) fn header(&self) -> &str {
        &self.header
    }

    /// The ring HMAC key.
    pub(crate) fn mac(&self) -> &hmac::Key {
        &self.mac
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// One signing key and any number of verify-only keys, found by `kid`.
#[derive(Clone, Debug)]
pub struct KeyRing {
    /// `keys[0]` signs; all of them verify.
    keys: Vec<Key>,
}

impl KeyRing {
    /// A ring whose only key is `signing`.
    #[must_use]
    pub fn new(signing: Key) -> Self {
        Self {
            keys: vec![signing],
        }
    }

    /// Adds a key that verifies but never signs (a retired key whose tokens are still live).
    pub fn add_verify_only(&mut self, key: Key) -> Result<(), KeyError> {
        if self.get(key.kid()).is_some() {
            return Err(KeyError::DuplicateKid(key.kid().to_owned()));
        }
        self.keys.push(key);
        Ok(())
    }

    /// The key new tokens are signed with.
    #[must_use]
    pub fn signing_key(&self) -> &Key {
        &self.keys[0]
    }

    /// The key with this `kid`, signing or verify-only.
    #[must_use]
    pub fn get(&self, kid: &str) -> Option<&Key> {
        self.keys.iter().find(|k| &*k.kid == kid)
    }

    /// The key whose canonical encoded header is exactly `header`.
    pub(crate) fn by_header(&self, header: &[u8]) -> Option<&Key> {
        // A ring holds a handful of keys; a scan of short memcmps beats hashing.
        self.keys.iter().find(|k| k.header.as_bytes() == header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn refuses_short_secrets_and_odd_kids() {
        assert_eq!(
            Key::from_secret("k", &SECRET[..31]).unwrap_err(),
            KeyError::TooShort(31)
        );
        for kid in ["", "a b", "a\"b", "ü", &"k".repeat(65)] {
            assert_eq!(
                Key::from_secret(kid, SECRET).unwrap_err(),
                KeyError::BadKid,
                "{kid}"
            );
        }
        assert!(Key::from_secret(&"k".repeat(64), SECRET).is_ok());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key = Key::from_secret("k1", SECRET).unwrap();
        let shown = format!("{key:?}");
        assert_eq!(shown, r#"Key { kid: "k1", .. }"#);
    }

    #[test]
    fn ring_finds_keys_and_refuses_duplicate_kids() {
        let mut ring = KeyRing::new(Key::from_secret("new", SECRET).unwrap());
        ring.add_verify_only(Key::from_secret("old", SECRET).unwrap())
            .unwrap();
        assert_eq!(ring.signing_key().kid(), "new");
        assert_eq!(ring.get("old").unwrap().kid(), "old");
        assert!(ring.get("other").is_none());
        let dup = ring.add_verify_only(Key::from_secret("old", SECRET).unwrap());
        assert_eq!(dup.unwrap_err(), KeyError::DuplicateKid("old".into()));
    }

    #[test]
    fn kid_for_secret_is_stable_and_short() {
        let kid = Key::kid_for_secret(SECRET);
        assert_eq!(kid, Key::kid_for_secret(SECRET));
        assert_eq!(kid.len(), 16);
        assert!(Key::from_secret(&kid, SECRET).is_ok());
    }
}
