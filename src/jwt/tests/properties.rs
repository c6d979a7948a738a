//! Properties over arbitrary claims: every signed token verifies back to its claims, its
//! payload is what `serde_json` writes, and no single-character change survives verification.

use proptest::prelude::*;

use super::super::{Claims, MAX_NUMERIC_DATE, TokenType, Validation, canonical};
use super::ring;
use crate::clock::Clock;

fn token_type() -> impl Strategy<Value = TokenType> {
    prop_oneof![Just(TokenType::Access), Just(TokenType::Refresh)]
}

/// Claims that are valid at their own `iat`: any strings, any dates in range.
fn arbitrary_claims() -> impl Strategy<Value = Claims> {
    let strings = (
        any::<String>(),
        any::<String>(),
        proptest::option::of(any::<String>()),
    );
    let ids = (any::<String>(), any::<String>(), token_type());
    (
        strings,
        ids,
        0..MAX_NUMERIC_DATE,
        proptest::option::of(0..=1000u64),
        1..=100_000u64,
    )
        .prop_map(
            |((iss, sub, aud), (jti, sid, token_type), iat, nbf_before, lifetime)| Claims {
                iss: iss.into(),
                sub: sub.into(),
                aud: aud.map(Into::into),
                iat,
                nbf: nbf_before.map(|d| iat.saturating_sub(d)),
                exp: iat.saturating_add(lifetime).min(MAX_NUMERIC_DATE),
                jti: jti.into(),
                sid: sid.into(),
                token_type,
            },
        )
}

/// The rules these claims were made for, at their `iat`.
fn rules_for(claims: &Claims) -> Validation {
    Validation {
        issuer: claims.iss.to_string(),
        audience: claims.aud.as_ref().map(ToString::to_string),
        leeway: 0,
        token_type: Some(claims.token_type),
        clock: Clock::manual(claims.iat),
    }
}

proptest! {
    #[test]
    fn sign_then_verify_gives_back_the_claims(claims in arbitrary_claims()) {
        let token = ring().sign(&claims);
        prop_assume!(token.len() <= super::super::MAX_TOKEN_BYTES);
        prop_assert_eq!(ring().verify(&token, &rules_for(&claims)), Ok(claims));
    }

    #[test]
    fn the_canonical_payload_is_what_serde_json_writes(claims in arbitrary_claims()) {
        let mut ours = Vec::new();
        canonical::write(&claims, &mut ours);
        prop_assert_eq!(&ours, &serde_json::to_vec(&claims).unwrap());
        prop_assert_eq!(canonical::parse(&ours), Some(claims));
    }

    #[test]
    fn no_single_character_change_verifies(
        claims in arbitrary_claims(),
        at in any::<prop::sample::Index>(),
        to in prop::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ".to_vec()),
    ) {
        let token = ring().sign(&claims);
        let mut bytes = token.into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != to);
        bytes[i] = to;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(ring().verify(&changed, &rules_for(&claims)).is_err());
    }
}
