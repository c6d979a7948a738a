//! The key ring: one signing key and any number of verify-only keys, of any mix of algorithms,
//! found by `kid` (or, on the fast path, by their exact header text).

use super::key::{Key, KeyError};

/// One signing key and any number of verify-only keys, found by `kid`.
///
/// Keys of different algorithms live side by side: after `tokens.algorithm` changes, the old
/// HS256 keys keep verifying the tokens they signed next to the new `EdDSA` or ES256 key.
#[derive(Clone, Debug)]
pub struct KeyRing {
    /// `keys[0]` signs; all of them verify. `kid`s are unique (checked on insertion), which is
    /// what lets the fast path pick a key by its header text alone.
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

    /// Adds a key that verifies but never signs (a retired key whose tokens are still live, or a
    /// staged one that does not sign yet).
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
        self.keys.iter().find(|k| k.kid() == kid)
    }

    /// Every key, the signing key first (for the JWKS and `latchkey key list`).
    #[must_use]
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Key> {
        self.keys.iter()
    }

    /// The key whose own encoded header is exactly `header`.
    pub(crate) fn by_header(&self, header: &[u8]) -> Option<&Key> {
        // A ring holds a handful of keys; a scan of short memcmps beats hashing.
        self.keys.iter().find(|k| k.header().as_bytes() == header)
    }
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;

    use super::super::Algorithm;
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

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
    fn holds_mixed_algorithms_and_lists_the_signing_key_first() {
        let random = SystemRandom::new();
        let (ed, _) = Key::generate(Algorithm::EdDsa, "ed", &random).unwrap();
        let mut ring = KeyRing::new(ed);
        ring.add_verify_only(Key::from_secret("hs", SECRET).unwrap())
            .unwrap();
        let (es, _) = Key::generate(Algorithm::Es256, "es", &random).unwrap();
        ring.add_verify_only(es).unwrap();
        let listed: Vec<(&str, Algorithm)> =
            ring.keys().map(|k| (k.kid(), k.algorithm())).collect();
        assert_eq!(
            listed,
            [
                ("ed", Algorithm::EdDsa),
                ("hs", Algorithm::Hs256),
                ("es", Algorithm::Es256)
            ]
        );
        let (same_kid, _) = Key::generate(Algorithm::Es256, "hs", &random).unwrap();
        assert!(ring.add_verify_only(same_kid).is_err());
    }
}
