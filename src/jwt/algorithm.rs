//! The three signature algorithms latchkey implements (SPEC §5.1) and their JOSE names.
//!
//! A [`Key`](super::Key) has exactly one of them; a token's `alg` only ever has to equal it.

use std::fmt;

/// A JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC with SHA-256: a shared secret.
    Hs256,
    /// Ed25519 (RFC 8037): a public key anyone may verify with.
    EdDsa,
    /// ECDSA on P-256 with SHA-256, signature as fixed-length `r || s` (RFC 7518 §3.4).
    Es256,
}

impl Algorithm {
    /// Every algorithm, in the order of this enum.
    pub const ALL: [Self; 3] = [Self::Hs256, Self::EdDsa, Self::Es256];

    /// The `alg` header value: `HS256`, `EdDSA` or `ES256`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
        }
    }

    /// The algorithm whose `alg` value is exactly `name` (case-sensitive, as in RFC 7515
    /// §4.1.1), if latchkey implements it.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Length of a signature in bytes: the HMAC-SHA256 tag, or the 64 bytes of an Ed25519
    /// signature or of P-256 `r || s`.
    pub(crate) fn signature_len(self) -> usize {
        match self {
            Self::Hs256 => 32,
            Self::EdDsa | Self::Es256 => 64,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::parse(alg.as_str()), Some(alg));
            assert_eq!(alg.to_string(), alg.as_str());
        }
        for other in ["hs256", "EDDSA", "Ed25519", "ES256K", "none", "", "HS256 "] {
            assert_eq!(Algorithm::parse(other), None, "{other}");
        }
    }
}
