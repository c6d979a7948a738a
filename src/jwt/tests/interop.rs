//! Interoperability with the `jsonwebtoken` crate (a dev-dependency only): what either side
//! signs, the other verifies, and for latchkey's claims both write the very same token.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};

use super::super::{Claims, Error, KeyRing, Validation};
use super::{SECRET, claims, ring};
use crate::clock::Clock;

/// Claims live now, since `jsonwebtoken` checks `exp` against the system clock.
fn live_claims() -> Claims {
    let now = Clock::System.now();
    Claims {
        iat: now,
        exp: now + 600,
        ..claims()
    }
}

fn peer_header(kid: &str, alg: Algorithm) -> Header {
    Header {
        kid: Some(kid.to_owned()),
        ..Header::new(alg)
    }
}

fn peer_rules() -> jsonwebtoken::Validation {
    let mut rules = jsonwebtoken::Validation::new(Algorithm::HS256);
    rules.set_issuer(&["latchkey"]);
    rules.leeway = 0;
    rules
}

fn system_rules() -> Validation {
    Validation::default()
}

#[test]
fn latchkey_tokens_verify_with_jsonwebtoken() {
    let claims = live_claims();
    let token = ring().sign(&claims);
    let decoded =
        jsonwebtoken::decode::<Claims>(&token, &DecodingKey::from_secret(SECRET), &peer_rules())
            .unwrap();
    assert_eq!(decoded.claims, claims);
    assert_eq!(decoded.header.kid.as_deref(), Some("k1"));
    assert_eq!(decoded.header.alg, Algorithm::HS256);
}

#[test]
fn jsonwebtoken_tokens_verify_with_latchkey_and_are_the_same_bytes() {
    let claims = live_claims();
    let peer = jsonwebtoken::encode(
        &peer_header("k1", Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    assert_eq!(ring().verify(&peer, &system_rules()), Ok(claims.clone()));
    assert_eq!(peer, ring().sign(&claims));
}

#[test]
fn jsonwebtoken_tokens_with_another_kid_or_alg_are_refused() {
    let claims = live_claims();
    let key = EncodingKey::from_secret(SECRET);
    let keys: KeyRing = ring();
    let other_kid = jsonwebtoken::encode(&peer_header("k2", Algorithm::HS256), &claims, &key);
    assert_eq!(
        keys.verify(&other_kid.unwrap(), &system_rules()),
        Err(Error::KidUnknown)
    );
    let hs512 = jsonwebtoken::encode(&peer_header("k1", Algorithm::HS512), &claims, &key);
    assert_eq!(
        keys.verify(&hs512.unwrap(), &system_rules()),
        Err(Error::AlgNotAllowed)
    );
}

#[test]
fn jsonwebtoken_refuses_what_latchkey_refuses_for_expiry() {
    let now = Clock::System.now();
    let expired = Claims {
        iat: now - 100,
        exp: now - 10,
        ..claims()
    };
    let token = ring().sign(&expired);
    assert_eq!(ring().verify(&token, &system_rules()), Err(Error::Expired));
    let peer =
        jsonwebtoken::decode::<Claims>(&token, &DecodingKey::from_secret(SECRET), &peer_rules());
    assert!(matches!(
        peer.unwrap_err().kind(),
        jsonwebtoken::errors::ErrorKind::ExpiredSignature
    ));
}
