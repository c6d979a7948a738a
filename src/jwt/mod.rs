//! The token core: HS256 JSON Web Tokens (RFC 7519 over RFC 7515 compact serialization),
//! written on `ring`, with no I/O.
//!
//! latchkey signs and verifies its own tokens, so it accepts exactly one spelling of each:
//! the header `{"typ":"JWT","alg":"HS256","kid":…}` and the claims in [`Claims`] order, compact,
//! escaped as `serde_json` escapes. That makes verification a memcmp on the header, a MAC, and
//! a straight walk over the payload, and it means no other encoding of a token exists.
//!
//! - `key`: [`Key`] and [`KeyRing`]
//! - `claims`: [`Claims`], [`TokenType`]
//! - `validation`: [`Validation`], the rules beyond the MAC
//! - `encode` / `decode`: [`KeyRing::sign`], [`KeyRing::verify`]
//! - `canonical`: the one wire form of the claims, written and parsed
//! - `diagnose`: names the reason for a rejection (slow path only)
//! - `inspect`: decode without trusting, for the CLI
//! - `error`: [`Error`], one variant per rejection

mod b64;
mod canonical;
mod claims;
mod decode;
mod diagnose;
mod encode;
mod error;
mod inspect;
mod key;
mod validation;

#[cfg(test)]
mod tests;

pub use claims::{Claims, MAX_NUMERIC_DATE, TokenType};
pub use decode::MAX_TOKEN_BYTES;
pub use error::{Error, Segment};
pub use inspect::{Inspection, inspect};
pub use key::{Key, KeyError, KeyRing, MAX_KID_BYTES, MIN_SECRET_BYTES};
pub use validation::Validation;

/// Unpadded base64url, the encoding of every token segment, for ids that travel beside tokens.
#[must_use]
pub fn encode_b64(bytes: &[u8]) -> String {
    b64::encode(bytes)
}
