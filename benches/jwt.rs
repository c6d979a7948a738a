//! The token core against its floor and its peer, in one criterion group so that they are
//! measured side by side in one run: the bare `ring` primitives (`floor/*`: HMAC, Ed25519,
//! P-256, each over the very signing input of a latchkey token), latchkey, and the
//! `jsonwebtoken` crate, all on the same typical access token. `latchkey/verify_general` is
//! an HS256 token as `PyJWT` spells it (sorted header, an extra claim): the general path.

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use latchkey::clock::Clock;
use latchkey::jwt::{Algorithm, Claims, Key, KeyRing, TokenType, Validation};
use ring::hmac;
use ring::rand::SystemRandom;
use ring::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair,
    Ed25519KeyPair, KeyPair as _, UnparsedPublicKey,
};

const SECRET: &[u8] = b"an example secret of 32+ bytes, for benches only";

/// A typical access token's claims: latchkey-shaped ids, ten-minute lifetime.
fn access_claims(now: u64) -> Claims {
    Claims {
        iss: "latchkey".into(),
        sub: "Xq3vN0bY7kLm2Pz9Rt4sWa".into(),
        aud: None,
        iat: now,
        nbf: None,
        exp: now + 600,
        jti: "Hc8dE1fG5jK0mN3pQ6rS9t".into(),
        sid: "Vw2xY4zA7bC0dE3fG6hJ9k".into(),
        token_type: TokenType::Access,
    }
}

/// The same claims in the spelling of `PyJWT`, signed with the raw HMAC: header members sorted,
/// claims in the caller's order, and one claim latchkey does not use.
fn pyjwt_token(kid: &str, claims: &Claims) -> String {
    let header = format!(r#"{{"alg":"HS256","kid":"{kid}","typ":"JWT"}}"#);
    let mut payload = serde_json::to_value(claims).expect("claims serialize");
    payload["scope"] = "read write".into();
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, SECRET), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// A key pair's ring: the latchkey key, its stored PKCS#8, and one token it signed.
fn asymmetric(algorithm: Algorithm, claims: &Claims) -> (KeyRing, Vec<u8>, String) {
    let (key, pkcs8) = Key::generate(algorithm, "bench", &SystemRandom::new()).expect("generates");
    let keys = KeyRing::new(key);
    let token = keys.sign(claims);
    (keys, pkcs8, token)
}

/// Raw `ring` verification of a token's signature, decoding it as the HMAC floor does.
fn raw_verify(alg: &'static dyn signature::VerificationAlgorithm, public: &[u8], token: &str) {
    let (input, sig) = token.rsplit_once('.').expect("a token has dots");
    let mut bytes = [0u8; 64];
    URL_SAFE_NO_PAD
        .decode_slice(sig, &mut bytes)
        .expect("canonical");
    UnparsedPublicKey::new(alg, public)
        .verify(input.as_bytes(), &bytes)
        .expect("valid");
}

/// The `EdDSA` and ES256 benches, beside the raw `ring` operations they are built on.
fn key_pairs(group: &mut BenchmarkGroup<'_, WallTime>, claims: &Claims, rules: &Validation) {
    let rng = SystemRandom::new();
    let (ed25519_keys, ed25519_pkcs8, ed25519_token) = asymmetric(Algorithm::EdDsa, claims);
    let ed25519_raw = Ed25519KeyPair::from_pkcs8(&ed25519_pkcs8).expect("valid PKCS#8");
    let ed25519_input = ed25519_token.rsplit_once('.').expect("a token has dots").0;
    let (p256_keys, p256_pkcs8, p256_token) = asymmetric(Algorithm::Es256, claims);
    let p256_raw = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &p256_pkcs8, &rng)
        .expect("valid PKCS#8");
    let p256_input = p256_token.rsplit_once('.').expect("a token has dots").0;
    assert_eq!(
        ed25519_keys.verify(&ed25519_token, rules),
        Ok(claims.clone())
    );
    assert_eq!(p256_keys.verify(&p256_token, rules), Ok(claims.clone()));

    group.bench_function("floor/ed25519_sign", |b| {
        b.iter(|| ed25519_raw.sign(black_box(ed25519_input.as_bytes())));
    });
    group.bench_function("floor/ed25519_verify", |b| {
        let public = ed25519_raw.public_key().as_ref();
        b.iter(|| raw_verify(&ED25519, public, black_box(&ed25519_token)));
    });
    group.bench_function("latchkey/eddsa_sign", |b| {
        b.iter(|| ed25519_keys.sign(black_box(claims)));
    });
    group.bench_function("latchkey/eddsa_verify", |b| {
        b.iter(|| {
            ed25519_keys
                .verify(black_box(&ed25519_token), rules)
                .expect("valid")
        });
    });
    group.bench_function("floor/p256_sign", |b| {
        b.iter(|| {
            p256_raw
                .sign(&rng, black_box(p256_input.as_bytes()))
                .expect("signs")
        });
    });
    group.bench_function("floor/p256_verify", |b| {
        let public = p256_raw.public_key().as_ref();
        b.iter(|| raw_verify(&ECDSA_P256_SHA256_FIXED, public, black_box(&p256_token)));
    });
    group.bench_function("latchkey/es256_sign", |b| {
        b.iter(|| p256_keys.sign(black_box(claims)));
    });
    group.bench_function("latchkey/es256_verify", |b| {
        b.iter(|| {
            p256_keys
                .verify(black_box(&p256_token), rules)
                .expect("valid")
        });
    });
}

fn jwt(c: &mut Criterion) {
    let now = Clock::System.now();
    let claims = access_claims(now);
    let kid = Key::kid_for_secret(SECRET);
    let ring_key = Key::from_secret(&kid, SECRET).expect("bench secret is long enough");
    let keys = KeyRing::new(ring_key);
    let rules = Validation::default();
    let token = keys.sign(&claims);
    let (signing_input, signature) = token.rsplit_once('.').expect("a token has dots");
    let raw_key = hmac::Key::new(hmac::HMAC_SHA256, SECRET);
    let mut tampered = token.clone().into_bytes();
    tampered[token.len() / 2] ^= 1;
    let tampered = String::from_utf8(tampered).expect("flipping bit 0 of ASCII stays ASCII");

    let peer_header = jsonwebtoken::Header {
        kid: Some(kid.clone()),
        ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
    };
    let peer_enc = jsonwebtoken::EncodingKey::from_secret(SECRET);
    let peer_dec = jsonwebtoken::DecodingKey::from_secret(SECRET);
    let mut peer_rules = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    peer_rules.set_issuer(&["latchkey"]);
    peer_rules.leeway = 0;
    let peer_token = jsonwebtoken::encode(&peer_header, &claims, &peer_enc).expect("encodes");
    assert_eq!(peer_token, token, "both sides work on the same token");
    assert!(keys.verify(&tampered, &rules).is_err());
    let general = pyjwt_token(&kid, &claims);
    assert_eq!(keys.verify(&general, &rules), Ok(claims.clone()));

    let mut group = c.benchmark_group("jwt");
    group.bench_function("floor/hmac_sign", |b| {
        b.iter(|| hmac::sign(&raw_key, black_box(signing_input.as_bytes())));
    });
    group.bench_function("floor/hmac_verify", |b| {
        b.iter(|| {
            let mut tag = [0u8; 32];
            URL_SAFE_NO_PAD
                .decode_slice(black_box(signature), &mut tag)
                .expect("canonical");
            hmac::verify(&raw_key, black_box(signing_input.as_bytes()), &tag).expect("valid");
        });
    });
    group.bench_function("latchkey/sign", |b| {
        b.iter(|| keys.sign(black_box(&claims)));
    });
    group.bench_function("latchkey/verify", |b| {
        b.iter(|| keys.verify(black_box(&token), &rules).expect("valid"));
    });
    group.bench_function("latchkey/reject_tampered", |b| {
        b.iter(|| {
            keys.verify(black_box(&tampered), &rules)
                .expect_err("tampered")
        });
    });
    group.bench_function("latchkey/verify_general", |b| {
        b.iter(|| keys.verify(black_box(&general), &rules).expect("valid"));
    });
    key_pairs(&mut group, &claims, &rules);
    group.bench_function("jsonwebtoken/encode", |b| {
        b.iter(|| jsonwebtoken::encode(&peer_header, black_box(&claims), &peer_enc).expect("ok"));
    });
    group.bench_function("jsonwebtoken/decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<Claims>(black_box(&token), &peer_dec, &peer_rules).expect("ok")
        });
    });
    group.finish();
}

criterion_group!(benches, jwt);
criterion_main!(benches);
