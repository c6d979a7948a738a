//! The token core against its floor and its peer, in one criterion group so that they are
//! measured side by side in one run: the bare `ring` HMAC (`floor/*`), latchkey, and the
//! `jsonwebtoken` crate, all on the same typical access token.

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use latchkey::clock::Clock;
use latchkey::jwt::{Claims, Key, KeyRing, TokenType, Validation};
use ring::hmac;

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
