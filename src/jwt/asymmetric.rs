//! Ed25519 and P-256 key pairs on `ring::signature`: made from or into PKCS#8 v2 documents,
//! signing into the 64-byte JWS form and verifying it. Headers, `kid`s and JWKs are `key`'s.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair,
    Ed25519KeyPair, KeyPair as _, UnparsedPublicKey,
};
use zeroize::Zeroizing;

use super::algorithm::Algorithm;
use super::key::KeyError;

/// Length of an Ed25519 signature and of a fixed P-256 `r || s`.
pub(crate) const SIGNATURE_BYTES: usize = 64;

/// A private key for `EdDSA` or ES256, with the PKCS#8 document it came from.
pub(crate) struct Asymmetric {
    pair: Pair,
    /// Kept only for [`Asymmetric::pem`] (`latchkey key export --private`); zeroed on drop.
    pkcs8: Zeroizing<Vec<u8>>,
}

enum Pair {
    Ed25519(Ed25519KeyPair),
    /// ring draws each ECDSA nonce from `rng` mixed with the private key (its own hedge against
    /// a weak random source), so every ES256 signature differs.
    P256 {
        pair: EcdsaKeyPair,
        rng: SystemRandom,
    },
}

impl Asymmetric {
    /// A new PKCS#8 v2 document (with the public key) for `algorithm`, which is not HS256.
    pub(crate) fn generate(algorithm: Algorithm, rng: &SystemRandom) -> Result<Vec<u8>, KeyError> {
        let document = match algorithm {
            Algorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(rng),
            Algorithm::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng),
            Algorithm::Hs256 => return Err(KeyError::NotAsymmetric),
        };
        Ok(document.map_err(|_| KeyError::Random)?.as_ref().to_vec())
    }

    /// Parses a PKCS#8 document for `algorithm`. Ed25519 documents must be v2 (carry the public
    /// key), which is what [`Asymmetric::generate`] writes: ring checks it against the seed.
    pub(crate) fn from_pkcs8(algorithm: Algorithm, pkcs8: &[u8]) -> Result<Self, KeyError> {
        let bad = |_| KeyError::BadStoredKey(algorithm);
        let pair = match algorithm {
            Algorithm::EdDsa => Pair::Ed25519(Ed25519KeyPair::from_pkcs8(pkcs8).map_err(bad)?),
            Algorithm::Es256 => {
                let rng = SystemRandom::new();
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                    .map_err(bad)?;
                Pair::P256 { pair, rng }
            }
            Algorithm::Hs256 => return Err(KeyError::NotAsymmetric),
        };
        Ok(Self {
            pair,
            pkcs8: Zeroizing::new(pkcs8.to_vec()),
        })
    }

    /// The public key as ring holds it: 32 bytes for Ed25519, `04 || x || y` for P-256.
    pub(crate) fn public_key(&self) -> &[u8] {
        match &self.pair {
            Pair::Ed25519(pair) => pair.public_key().as_ref(),
            Pair::P256 { pair, .. } => pair.public_key().as_ref(),
        }
    }

    /// Signs `message` into `out`.
    ///
    /// # Panics
    /// ES256 only, if the operating system's random source fails: ring needs it for the nonce,
    /// and a token signed without one must never be issued.
    pub(crate) fn sign(&self, message: &[u8], out: &mut [u8; SIGNATURE_BYTES]) {
        let signature = match &self.pair {
            Pair::Ed25519(pair) => pair.sign(message),
            Pair::P256 { pair, rng } => pair
                .sign(rng, message)
                .expect("the system random source works once the key has been made with it"),
        };
        out.copy_from_slice(signature.as_ref());
    }

    /// Whether `sig` is a valid signature of `message` under this key's public half.
    pub(crate) fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        let algorithm: &dyn signature::VerificationAlgorithm = match self.pair {
            Pair::Ed25519(_) => &ED25519,
            Pair::P256 { .. } => &ECDSA_P256_SHA256_FIXED,
        };
        UnparsedPublicKey::new(algorithm, self.public_key())
            .verify(message, sig)
            .is_ok()
    }

    /// The PKCS#8 document as PEM (RFC 7468 §10): `PRIVATE KEY` label, 64-character lines.
    pub(crate) fn pem(&self) -> String {
        let body = Zeroizing::new(STANDARD.encode(&*self.pkcs8));
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            // Base64 text is ASCII, so every 64-byte chunk is a whole `str`.
            pem.push_str(std::str::from_utf8(line).expect("base64 text is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        pem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_documents_load_sign_and_verify() {
        let rng = SystemRandom::new();
        for alg in [Algorithm::EdDsa, Algorithm::Es256] {
            let pkcs8 = Asymmetric::generate(alg, &rng).unwrap();
            let key = Asymmetric::from_pkcs8(alg, &pkcs8).unwrap();
            let mut sig = [0; SIGNATURE_BYTES];
            key.sign(b"message", &mut sig);
            assert!(key.verify(b"message", &sig), "{alg}");
            assert!(!key.verify(b"messagE", &sig), "{alg}");
            assert!(!key.verify(b"message", &sig[..63]), "{alg}");
        }
    }

    #[test]
    fn documents_of_the_other_kind_or_garbage_are_refused() {
        let rng = SystemRandom::new();
        let ed = Asymmetric::generate(Algorithm::EdDsa, &rng).unwrap();
        let p256 = Asymmetric::generate(Algorithm::Es256, &rng).unwrap();
        let refused = |alg, doc: &[u8]| Asymmetric::from_pkcs8(alg, doc).err();
        let bad = |alg| Some(KeyError::BadStoredKey(alg));
        assert_eq!(refused(Algorithm::Es256, &ed), bad(Algorithm::Es256));
        assert_eq!(refused(Algorithm::EdDsa, &p256), bad(Algorithm::EdDsa));
        assert_eq!(refused(Algorithm::EdDsa, &[0; 32]), bad(Algorithm::EdDsa));
        assert_eq!(refused(Algorithm::Es256, b""), bad(Algorithm::Es256));
        assert_eq!(
            refused(Algorithm::Hs256, &ed),
            Some(KeyError::NotAsymmetric)
        );
    }

    #[test]
    fn pem_wraps_the_document_in_64_character_lines() {
        let rng = SystemRandom::new();
        let pkcs8 = Asymmetric::generate(Algorithm::Es256, &rng).unwrap();
        let pem = Asymmetric::from_pkcs8(Algorithm::Es256, &pkcs8)
            .unwrap()
            .pem();
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PRIVATE KEY-----");
        assert_eq!(*lines.last().unwrap(), "-----END PRIVATE KEY-----");
        let body = &lines[1..lines.len() - 1];
        assert!(body[..body.len() - 1].iter().all(|l| l.len() == 64));
        assert!((1..=64).contains(&body.last().unwrap().len()));
        assert_eq!(STANDARD.decode(body.concat()).unwrap(), pkcs8);
    }
}
