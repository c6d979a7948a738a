//! The token core: JSON Web Tokens (RFC 7519 over RFC 7515 compact serialization) signed with
//! HS256, `EdDSA` (Ed25519, RFC 8037) or ES256 (P-256, RFC 7518 §3.4), written on `ring`, with
//! no I/O.
//!
//! Verification accepts a token in any conforming JSON spelling, so that a holder of the key
//! may sign with any JWT library: members in any order, any whitespace and string escape,
//! header parameters and claims latchkey does not use (they are ignored). It refuses, fail
//! closed: more than 8 KiB, anything but three segments, non-canonical base64url, a `crit`
//! header, a duplicate member name, a missing or unknown `kid`, an `alg` other than the
//! algorithm of the key `kid` names, a bad signature (checked before the payload is parsed),
//! and claims that break SPEC §5 (see [`Validation`]).
//!
//! latchkey's own tokens have one spelling, the header `{"typ":"JWT","alg":…,"kid":…}` and the
//! claims in [`Claims`] order, compact, escaped as `serde_json` escapes. A fast path reads that
//! spelling with a memcmp on the header and a straight walk over the payload; anything else
//! falls through to the general path, and both give the same answer for every token.
//!
//! - `algorithm`: [`Algorithm`]
//! - `key`: [`Key`], one algorithm each; `asymmetric`: its Ed25519 / P-256 key pairs
//! - `keyring`: [`KeyRing`], keys of mixed algorithms found by `kid`
//! - `jwk`: [`Jwk`], the public form of an `EdDSA` / ES256 key
//! - `claims`: [`Claims`], [`TokenType`]
//! - `validation`: [`Validation`], the rules beyond the signature
//! - `encode`: [`KeyRing::sign`], [`KeyRing::reissue`], [`signature_of`]
//! - `decode`: [`KeyRing::verify`], the fast path
//! - `canonical`: latchkey's own wire form of the claims, written and read
//! - `general`: [`KeyRing::verify_general`], every other spelling
//! - `object`: the duplicate-refusing JSON object reader the general path uses
//! - `inspect`: decode without trusting, for the CLI
//! - `error`: [`Error`], one variant per rejection

mod algorithm;
mod asymmetric;
mod b64;
mod canonical;
mod claims;
mod decode;
mod encode;
mod error;
mod general;
mod inspect;
mod jwk;
mod key;
mod keyring;
mod object;
mod validation;

#[cfg(test)]
mod tests;

pub use algorithm::Algorithm;
pub use claims::{Claims, MAX_NUMERIC_DATE, TokenType};
pub use decode::MAX_TOKEN_BYTES;
pub use encode::signature_of;
pub use error::{Error, Segment};
pub use inspect::{Inspection, inspect};
pub use jwk::Jwk;
pub use key::{Key, KeyError, MAX_KID_BYTES, MIN_SECRET_BYTES};
pub use keyring::KeyRing;
pub use validation::Validation;

/// Unpadded base64url, the encoding of every token segment, for ids that travel beside tokens.
#[must_use]
pub fn encode_b64(bytes: &[u8]) -> String {
    b64::encode(bytes)
}

/// The bytes of canonical unpadded base64url text, if it is that.
#[must_use]
pub fn decode_b64(text: &str) -> Option<Vec<u8>> {
    b64::decode(text.as_bytes())
}
