//! Signing keys: HS256 secrets and `EdDSA` / ES256 key pairs, each with its `kid`, the header
//! text it signs with, and its public JWK.
//!
//! The algorithm is a property of the key, never of the token: a [`Key`] computes exactly one
//! algorithm, and a token is only checked with the key its `kid` names, under that key's
//! algorithm, so a token cannot talk the verifier into another one.

use std::fmt;
use std::sync::Arc;

use ring::digest;
use ring::hmac;
use ring::rand::{SecureRandom as _, SystemRandom};

use super::algorithm::Algorithm;
use super::asymmetric::{Asymmetric, SIGNATURE_BYTES};
use super::b64;
use super::error::Error;
use super::jwk::Jwk;

/// The shortest secret accepted: the output size of SHA-256 (RFC 7518 §3.2).
pub const MIN_SECRET_BYTES: usize = 32;

/// The longest `kid` accepted.
pub const MAX_KID_BYTES: usize = 64;

/// Length of the HMAC secrets [`Key::generate`] makes.
const GENERATED_SECRET_BYTES: usize = 32;

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
    /// The stored bytes are not a PKCS#8 v2 document of a key for this algorithm.
    #[error("stored key is not a valid PKCS#8 v2 {0} private key")]
    BadStoredKey(Algorithm),
    /// A key-pair operation was asked of HS256, which has no key pair.
    #[error("HS256 keys are secrets, not key pairs")]
    NotAsymmetric,
    /// The operating system's random source failed.
    #[error("the system random source failed")]
    Random,
}

/// A key with its `kid`: an HMAC secret or a private key.
///
/// # Security
/// An HMAC secret is consumed into ring's precomputed state and not kept; a private key's
/// PKCS#8 document is kept (zeroed on drop) only for [`Key::private_pem`]. `Debug` shows the
/// `kid` and algorithm only.
#[derive(Clone)]
pub struct Key {
    kid: Box<str>,
    material: Material,
    /// The header text this key signs with, already base64url-encoded: verification compares
    /// a token's first segment with it before parsing anything.
    header: Box<str>,
    /// Whether tokens it signs also carry `user_id` (= `sub`), as SimpleJWT's do.
    user_id_claim: bool,
}

#[derive(Clone)]
enum Material {
    Hmac(hmac::Key),
    /// Shared: ring's key pairs are not `Clone`, and a ring is cloned into every `App`.
    Pair(Algorithm, Arc<Asymmetric>),
}

impl Key {
    /// Makes an HS256 key from a secret of at least [`MIN_SECRET_BYTES`] bytes.
    pub fn from_secret(kid: &str, secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(KeyError::TooShort(secret.len()));
        }
        let material = Material::Hmac(hmac::Key::new(hmac::HMAC_SHA256, secret));
        Self::with(kid, material)
    }

    /// Makes a new key for `algorithm` and returns it with the bytes to store: a 32-byte HMAC
    /// secret for HS256, a PKCS#8 v2 document for `EdDSA` and ES256.
    ///
    /// # Security
    /// The returned bytes are the private key.
    pub fn generate(
        algorithm: Algorithm,
        kid: &str,
        rng: &SystemRandom,
    ) -> Result<(Self, Vec<u8>), KeyError> {
        let secret = if algorithm == Algorithm::Hs256 {
            let mut secret = vec![0; GENERATED_SECRET_BYTES];
            rng.fill(&mut secret).map_err(|_| KeyError::Random)?;
            secret
        } else {
            Asymmetric::generate(algorithm, rng)?
        };
        Ok((Self::from_stored(algorithm, kid, &secret)?, secret))
    }

    /// Makes a key back from what [`Key::generate`] returned to store (or, for HS256, any
    /// secret [`Key::from_secret`] accepts).
    pub fn from_stored(algorithm: Algorithm, kid: &str, secret: &[u8]) -> Result<Self, KeyError> {
        if algorithm == Algorithm::Hs256 {
            return Self::from_secret(kid, secret);
        }
        let pair = Asymmetric::from_pkcs8(algorithm, secret)?;
        Self::with(kid, Material::Pair(algorithm, Arc::new(pair)))
    }

    fn with(kid: &str, material: Material) -> Result<Self, KeyError> {
        let kid_ok = (1..=MAX_KID_BYTES).contains(&kid.len())
            && kid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !kid_ok {
            return Err(KeyError::BadKid);
        }
        let mut key = Self {
            kid: kid.into(),
            material,
            header: Box::default(),
            user_id_claim: false,
        };
        // `kid` needs no JSON escaping: its characters were just checked. Member order is the
        // one HS256 tokens always had (and `jsonwebtoken` writes), for every algorithm.
        let alg = key.algorithm();
        key.header =
            b64::encode(format!(r#"{{"typ":"JWT","alg":"{alg}","kid":"{kid}"}}"#).as_bytes())
                .into();
        Ok(key)
    }

    /// This key, signing tokens that also carry a `user_id` claim equal to `sub` (for front ends
    /// written for SimpleJWT, which read it).
    #[must_use]
    pub fn with_user_id_claim(mut self, on: bool) -> Self {
        self.user_id_claim = on;
        self
    }

    /// Whether tokens this key signs carry `user_id`.
    #[must_use]
    pub(crate) fn user_id_claim(&self) -> bool {
        self.user_id_claim
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

    /// The one algorithm this key signs and verifies with.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        match self.material {
            Material::Hmac(_) => Algorithm::Hs256,
            Material::Pair(algorithm, _) => algorithm,
        }
    }

    /// The public JWK of an `EdDSA` or ES256 key; `None` for HS256, whose key is secret.
    #[must_use]
    pub fn public_jwk(&self) -> Option<Jwk> {
        match &self.material {
            Material::Hmac(_) => None,
            Material::Pair(algorithm, pair) => Jwk::new(*algorithm, &self.kid, pair.public_key()),
        }
    }

    /// The private key of an `EdDSA` or ES256 key as PKCS#8 PEM; `None` for HS256.
    ///
    /// # Security
    /// This is the private key: for `latchkey key export --private` only.
    #[must_use]
    pub fn private_pem(&self) -> Option<String> {
        match &self.material {
            Material::Hmac(_) => None,
            Material::Pair(_, pair) => Some(pair.pem()),
        }
    }

    /// The encoded header: the first segment of every token this key signs.
    pub(crate) fn header(&self) -> &str {
        &self.header
    }

    /// Signs `signing_input` into the front of `out` and returns the signature's length.
    pub(crate) fn sign_bytes(
        &self,
        signing_input: &[u8],
        out: &mut [u8; SIGNATURE_BYTES],
    ) -> usize {
        match &self.material {
            Material::Hmac(mac) => {
                let tag = hmac::sign(mac, signing_input);
                out[..tag.as_ref().len()].copy_from_slice(tag.as_ref());
                tag.as_ref().len()
            }
            Material::Pair(_, pair) => {
                pair.sign(signing_input, out);
                SIGNATURE_BYTES
            }
        }
    }

    /// Checks `signature` over `signing_input`; in constant time for HMAC (`ring::hmac::verify`).
    pub(crate) fn verify_bytes(&self, signing_input: &[u8], signature: &[u8]) -> Result<(), Error> {
        if signature.len() != self.algorithm().signature_len() {
            return Err(Error::SignatureLength);
        }
        let valid = match &self.material {
            Material::Hmac(mac) => hmac::verify(mac, signing_input, signature).is_ok(),
            Material::Pair(_, pair) => pair.verify(signing_input, signature),
        };
        if valid { Ok(()) } else { Err(Error::Signature) }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
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
        assert_eq!(
            format!("{key:?}"),
            r#"Key { kid: "k1", algorithm: Hs256, .. }"#
        );
        let rng = SystemRandom::new();
        let (pair, pkcs8) = Key::generate(Algorithm::EdDsa, "k2", &rng).unwrap();
        let shown = format!("{pair:?}");
        assert_eq!(shown, r#"Key { kid: "k2", algorithm: EdDsa, .. }"#);
        assert!(!shown.contains(&b64::encode(&pkcs8)));
    }

    #[test]
    fn kid_for_secret_is_stable_and_short() {
        let kid = Key::kid_for_secret(SECRET);
        assert_eq!(kid, Key::kid_for_secret(SECRET));
        assert_eq!(kid.len(), 16);
        assert!(Key::from_secret(&kid, SECRET).is_ok());
    }

    #[test]
    fn generated_keys_come_back_from_their_stored_bytes() {
        let rng = SystemRandom::new();
        for alg in Algorithm::ALL {
            let (key, stored) = Key::generate(alg, "k", &rng).unwrap();
            assert_eq!(key.algorithm(), alg);
            let back = Key::from_stored(alg, "k", &stored).unwrap();
            assert_eq!(back.public_jwk(), key.public_jwk(), "{alg}");
            assert_eq!(back.private_pem(), key.private_pem(), "{alg}");
            let mut sig = [0; SIGNATURE_BYTES];
            let len = key.sign_bytes(b"input", &mut sig);
            assert_eq!(len, alg.signature_len());
            assert_eq!(back.verify_bytes(b"input", &sig[..len]), Ok(()), "{alg}");
            assert_eq!(
                back.verify_bytes(b"other", &sig[..len]),
                Err(Error::Signature)
            );
        }
        let (_, secret) = Key::generate(Algorithm::Hs256, "k", &rng).unwrap();
        assert_eq!(secret.len(), GENERATED_SECRET_BYTES);
    }

    #[test]
    fn stored_bytes_of_another_algorithm_are_refused() {
        let rng = SystemRandom::new();
        let (_, ed) = Key::generate(Algorithm::EdDsa, "k", &rng).unwrap();
        assert_eq!(
            Key::from_stored(Algorithm::Es256, "k", &ed).unwrap_err(),
            KeyError::BadStoredKey(Algorithm::Es256)
        );
        assert_eq!(
            Key::from_stored(Algorithm::Hs256, "k", &ed[..16]).unwrap_err(),
            KeyError::TooShort(16)
        );
        assert_eq!(
            Key::from_stored(Algorithm::EdDsa, "no spaces", &ed).unwrap_err(),
            KeyError::BadKid
        );
    }

    #[test]
    fn only_key_pairs_have_a_jwk_and_a_pem() {
        let hs = Key::from_secret("k", SECRET).unwrap();
        assert_eq!((hs.public_jwk(), hs.private_pem()), (None, None));
        let rng = SystemRandom::new();
        let (es, _) = Key::generate(Algorithm::Es256, "k", &rng).unwrap();
        let jwk = es.public_jwk().unwrap();
        assert_eq!(
            (jwk.kty, jwk.crv, jwk.alg, jwk.kid.as_str()),
            ("EC", "P-256", "ES256", "k")
        );
        assert!(
            es.private_pem()
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----\n")
        );
    }

    #[test]
    fn each_algorithm_signs_with_its_own_header() {
        let rng = SystemRandom::new();
        for alg in Algorithm::ALL {
            let (key, _) = Key::generate(alg, "k1", &rng).unwrap();
            let header = b64::decode(key.header().as_bytes()).unwrap();
            let expected = format!(r#"{{"typ":"JWT","alg":"{}","kid":"k1"}}"#, alg.as_str());
            assert_eq!(String::from_utf8(header).unwrap(), expected);
        }
    }
}
