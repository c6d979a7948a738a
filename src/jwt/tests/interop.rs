//! Interoperability with the `jsonwebtoken` crate (a dev-dependency only, on its `RustCrypto`
//! backend, so no code is shared with `ring`): what either side signs, the other verifies, for
//! HS256, `EdDSA` and ES256, with the peer's keys taken from latchkey's JWK and PKCS#8 alone;
//! and for deterministic algorithms both write the very same token.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use ring::rand::SystemRandom;

use super::super::{Algorithm as Alg, Claims, Error, Key, KeyRing, Validation};
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
    peer_rules_for(Algorithm::HS256)
}

fn peer_rules_for(alg: Algorithm) -> jsonwebtoken::Validation {
    let mut rules = jsonwebtoken::Validation::new(alg);
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

#[test]
fn eddsa_and_es256_tokens_cross_both_ways_with_jsonwebtoken() {
    let pairs = [
        (Alg::EdDsa, Algorithm::EdDSA),
        (Alg::Es256, Algorithm::ES256),
    ];
    for (ours, theirs) in pairs {
        let (key, pkcs8) = Key::generate(ours, "k1", &SystemRandom::new()).unwrap();
        // The peer knows only what the JWKS publishes, read by its own JWK type.
        let jwk = serde_json::to_string(&key.public_jwk().unwrap()).unwrap();
        let peer_jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(&jwk).unwrap();
        let peer_dec = DecodingKey::from_jwk(&peer_jwk).unwrap();
        let peer_enc = match ours {
            Alg::EdDsa => EncodingKey::from_ed_der(&pkcs8),
            _ => EncodingKey::from_ec_der(&pkcs8),
        };
        let keys = KeyRing::new(key);
        let claims = live_claims();
        let token = keys.sign(&claims);
        let decoded = jsonwebtoken::decode::<Claims>(&token, &peer_dec, &peer_rules_for(theirs));
        assert_eq!(decoded.unwrap().claims, claims, "{ours}");
        let peer = jsonwebtoken::encode(&peer_header("k1", theirs), &claims, &peer_enc).unwrap();
        assert_eq!(
            keys.verify(&peer, &system_rules()),
            Ok(claims.clone()),
            "{ours}"
        );
        assert_eq!(
            keys.verify_general(&peer, &system_rules()),
            Ok(claims.clone())
        );
        if ours == Alg::EdDsa {
            assert_eq!(peer, token, "Ed25519 is deterministic");
        }
    }
}

#[test]
fn jsonwebtoken_tokens_naming_the_wrong_algorithm_for_the_key_are_refused() {
    let (key, pkcs8) = Key::generate(Alg::Es256, "es", &SystemRandom::new()).unwrap();
    let mut keys = ring();
    keys.add_verify_only(key).unwrap();
    let claims = live_claims();
    let es = EncodingKey::from_ec_der(&pkcs8);
    let es_named_hs = jsonwebtoken::encode(&peer_header("k1", Algorithm::ES256), &claims, &es);
    assert_eq!(
        keys.verify(&es_named_hs.unwrap(), &system_rules()),
        Err(Error::AlgNotAllowed)
    );
    let hs = EncodingKey::from_secret(SECRET);
    let hs_named_es = jsonwebtoken::encode(&peer_header("es", Algorithm::HS256), &claims, &hs);
    assert_eq!(
        keys.verify(&hs_named_es.unwrap(), &system_rules()),
        Err(Error::AlgNotAllowed)
    );
}
