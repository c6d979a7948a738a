//! What a verified token must also satisfy besides its signature: time, issuer, audience and
//! type.

use crate::clock::Clock;

use super::claims::{Claims, TokenType};
use super::error::Error;

/// The rules a token's claims are checked against. `Default` is the strict set.
#[derive(Clone, Debug)]
pub struct Validation {
    /// `iss` must equal this exactly. Default: `"latchkey"`.
    pub issuer: String,
    /// When set, `aud` must equal it exactly; when unset, a token that has an `aud` is refused,
    /// since it was meant for someone else. Default: unset.
    pub audience: Option<String>,
    /// Seconds of clock skew forgiven on `exp`, `nbf` and `iat`. Default: 0.
    pub leeway: u64,
    /// The `token_type` this use requires. `None` accepts both, and the caller must then look at
    /// [`Claims::token_type`] itself: it weakens the check. Default: `Some(TokenType::Access)`.
    pub token_type: Option<TokenType>,
    /// Where "now" comes from. Default: the system clock.
    pub clock: Clock,
}

impl Default for Validation {
    fn default() -> Self {
        Self {
            issuer: "latchkey".to_owned(),
            audience: None,
            leeway: 0,
            token_type: Some(TokenType::Access),
            clock: Clock::System,
        }
    }
}

impl Validation {
    /// The same rules, but for a token of type `token_type`.
    #[must_use]
    pub fn for_type(&self, token_type: TokenType) -> Self {
        Self {
            token_type: Some(token_type),
            ..self.clone()
        }
    }

    /// Checks the claims of a token whose signature has been verified.
    pub(crate) fn check(&self, claims: &Claims) -> Result<(), Error> {
        let now = self.clock.now();
        if claims.exp <= now.saturating_sub(self.leeway) {
            return Err(Error::Expired);
        }
        let latest = now.saturating_add(self.leeway);
        if claims.nbf.is_some_and(|nbf| nbf > latest) {
            return Err(Error::NotYetValid);
        }
        if claims.iat > latest {
            return Err(Error::IssuedInFuture);
        }
        if claims.iss != self.issuer {
            return Err(Error::Issuer);
        }
        if claims.aud.as_deref() != self.audience.as_deref() {
            return Err(Error::Audience);
        }
        if self.token_type.is_some_and(|t| t != claims.token_type) {
            return Err(Error::TokenType);
        }
        Ok(())
    }
}
