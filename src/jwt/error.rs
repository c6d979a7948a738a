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
    /// The MAC.
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
    /// The header is not a JSON object (or has trailing bytes, or is not UTF-8).
    #[error("header is not a JSON object")]
    HeaderMalformed,
    /// The header names a member twice.
    #[error("header has a duplicate member")]
    HeaderDuplicate,
    /// The header has no `alg`.
    #[error("header has no alg")]
    AlgMissing,
    /// `alg` is anything but the string `HS256`.
    #[error("alg is not HS256")]
    AlgNotAllowed,
    /// The header has a `crit` member, in any form.
    #[error("header has a crit member")]
    Crit,
    /// The header has a member this verifier does not support (`b64`, `jwk`, `jku`, ...).
    #[error("header has an unsupported member")]
    HeaderUnsupported,
    /// `typ` is present and is not the string `JWT`.
    #[error("typ is not JWT")]
    Typ,
    /// The header has no `kid`, or it is not a string.
    #[error("header has no kid")]
    KidMissing,
    /// `kid` names no key in the ring.
    #[error("kid names no known key")]
    KidUnknown,
    /// The header means the right thing but is not the exact text latchkey issues.
    #[error("header is not in canonical form")]
    HeaderNotCanonical,
    /// The signature does not decode to exactly 32 bytes.
    #[error("signature is not 32 bytes")]
    SignatureLength,
    /// The MAC does not match.
    #[error("signature does not match")]
    Signature,
    /// The payload is not a JSON object (or has trailing bytes, or is not UTF-8).
    #[error("payload is not a JSON object")]
    PayloadMalformed,
    /// The payload names a member twice.
    #[error("payload has a duplicate member")]
    PayloadDuplicate,
    /// The payload has a member that is not one of latchkey's claims.
    #[error("payload has an unknown member")]
    PayloadUnknown,
    /// A required claim is absent.
    #[error("claim {0} is missing")]
    ClaimMissing(&'static str),
    /// A claim has the wrong JSON type (a `NumericDate` that is not an integer, for one).
    #[error("claim {0} has the wrong type")]
    ClaimType(&'static str),
    /// A `NumericDate` is an integer outside 0 ..= 253402300799 (year 9999).
    #[error("claim {0} is out of range")]
    ClaimRange(&'static str),
    /// The payload means the right thing but is not the exact text latchkey issues.
    #[error("payload is not in canonical form")]
    PayloadNotCanonical,
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
            Self::HeaderMalformed
            | Self::HeaderDuplicate
            | Self::HeaderUnsupported
            | Self::HeaderNotCanonical
            | Self::Typ
            | Self::Crit => "header",
            Self::AlgMissing | Self::AlgNotAllowed => "alg",
            Self::KidMissing | Self::KidUnknown => "kid",
            Self::SignatureLength | Self::Signature => "signature",
            Self::PayloadMalformed
            | Self::PayloadDuplicate
            | Self::PayloadUnknown
            | Self::PayloadNotCanonical
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
