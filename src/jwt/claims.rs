//! The claims set latchkey issues (SPEC §5) and the token types. Writing latchkey's wire form
//! (and reading it fast) lives in `canonical`, reading any other spelling in `general`;
//! checking the claims against a [`Validation`](super::Validation) lives in `validation`.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// The latest `NumericDate` accepted: 9999-12-31T23:59:59Z.
pub const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// What a token may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    /// Short-lived; authenticates requests.
    Access,
    /// Long-lived; only buys a new token pair at `token/refresh`.
    Refresh,
}

impl TokenType {
    /// The wire name, as it appears in the `token_type` claim.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// The claims of a latchkey token, in the order they are serialized.
///
/// Strings are [`CompactString`]s: latchkey's ids fit inline, so verifying a typical token
/// allocates nothing for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer; must equal [`Validation::issuer`](super::Validation::issuer).
    pub iss: CompactString,
    /// Subject: the user id.
    pub sub: CompactString,
    /// Audience; present only when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<CompactString>,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// Not before, seconds since the Unix epoch; latchkey never sets it but honours it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Expires at, seconds since the Unix epoch.
    pub exp: u64,
    /// Token id, unique per token.
    pub jti: CompactString,
    /// Session id, shared by every token of one login.
    pub sid: CompactString,
    /// What the token may be used for.
    pub token_type: TokenType,
}
