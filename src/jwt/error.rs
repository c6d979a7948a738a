//! Why a token was refused: one variant per rejection, so the HTTP layer can choose between
//! `token_invalid` and `token_expired` and metrics can count reasons. No message ever includes
//! any part of the token.

use std::fmt;

/// Which of the three compact-serialization segments a problem was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// The JOSE header.
    Header,
    /// The claims set.
    Payload,
    /// The signature.
    Signature,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Payload => "payload",
            Self::Signature => "signature",
        })
    }
}

/// A token rejected by [`KeyRing::verify`](super::KeyRing::verify), listed in the order the
/// checks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Longer than [`MAX_TOKEN_BYTES`](super::MAX_TOKEN_BYTES); nothing else was looked at.
    #[error("token is longer than the 8 KiB limit")]
    TooLong,
    /// Not exactly three `.`-separated segments.
    #[error("token does not have exactly three segments")]
    Segments,
    /// A segment is not canonical unpadded base64url.
    #[error("{0} is not canonical unpadded base64url")]
    Base64(Segment),
    /// The header is not one JSON object (or has trailing bytes, or is not UTF-8).
    #[error("header is not a JSON object")]
    HeaderMalformed,
    /// The header names a member twice.
    #[error("header has a duplicate member")]
    HeaderDuplicate,
    /// The header has no `alg`.
    #[error("header has no alg")]
    AlgMissing,
    /// `alg` is not a string naming an algorithm latchkey implements, or not exactly the
    /// algorithm of the key that `kid` names (checked once the key is found).
    #[error("alg is not the algorithm of the key")]
    AlgNotAllowed,
    /// The header has a `crit` member, in any form.
    #[error("header has a crit member")]
    Crit,
    /// The header has no `kid`, or it is not a string.
    #[error("header has no kid")]
    KidMissing,
    /// `kid` names no key in the ring.
    #[error("kid names no known key")]
    KidUnknown,
    /// The signature is not as long as the key's algorithm makes them (32 bytes for HS256,
    /// 64 for `EdDSA` and ES256).
    #[error("signature has the wrong length for the key's algorithm")]
    SignatureLength,
    /// The signature (or MAC) does not match.
    #[error("signature does not match")]
    Signature,
    /// The payload is not a JSON object (or has trailing bytes, or is not UTF-8).
    #[error("payload is not a JSON object")]
    PayloadMalformed,
    /// The payload names a member twice.
    #[error("payload has a duplicate member")]
    PayloadDuplicate,
    /// A required claim is absent.
    #[error("claim {0} is missing")]
    ClaimMissing(&'static str),
    /// A claim has the wrong JSON type (a `NumericDate` that is not an integer, for one).
    #[error("claim {0} has the wrong type")]
    ClaimType(&'static str),
    /// A `NumericDate` is an integer outside 0 ..= 253402300799 (year 9999).
    #[error("claim {0} is out of range")]
    ClaimRange(&'static str),
    /// `exp` is at or before now − leeway.
    #[error("token has expired")]
    Expired,
    /// `nbf` is later than now + leeway.
    #[error("token is not valid yet")]
    NotYetValid,
    /// `iat` is later than now + leeway.
    #[error("token was issued in the future")]
    IssuedInFuture,
    /// `iss` is not exactly the expected issuer.
    #[error("issuer does not match")]
    Issuer,
    /// `aud` does not match the expected audience, or is present when none is expected.
    #[error("audience does not match")]
    Audience,
    /// `token_type` does not fit this use (a refresh token offered as an access token, or the
    /// reverse).
    #[error("token type does not fit this use")]
    TokenType,
}

impl Error {
    /// Whether the token was sound but has run out: `token_expired` rather than `token_invalid`.
    #[must_use]
    pub fn is_expired(self) -> bool {
        self == Self::Expired
    }

    /// A stable `snake_case` label for metrics.
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::Segments => "segments",
            Self::Base64(_) => "base64",
            Self::HeaderMalformed | Self::HeaderDuplicate | Self::Crit => "header",
            Self::AlgMissing | Self::AlgNotAllowed => "alg",
            Self::KidMissing | Self::KidUnknown => "kid",
            Self::SignatureLength | Self::Signature => "signature",
            Self::PayloadMalformed
            | Self::PayloadDuplicate
            | Self::ClaimMissing(_)
            | Self::ClaimType(_)
            | Self::ClaimRange(_) => "payload",
            Self::Expired => "expired",
            Self::NotYetValid | Self::IssuedInFuture => "not_yet_valid",
            Self::Issuer => "issuer",
            Self::Audience => "audience",
            Self::TokenType => "token_type",
        }
    }
}
