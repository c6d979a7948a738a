//! The token core's proofs: known answers from RFC 7515, one test per rejection (on the fast
//! and the general path), round-trip properties, tokens in other libraries' spellings, `EdDSA`
//! and ES256 checked against raw `ring`, and interoperability with the `jsonwebtoken` crate.

mod asymmetric;
mod interop;
mod known_answers;
mod properties;
mod rejections;
mod spellings;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

use super::{Claims, Error, Key, KeyRing, TokenType, Validation};
use crate::clock::Clock;

const SECRET: &[u8] = b"a test secret that is long enough!!";
const NOW: u64 = 1_700_000_000;
const HEADER: &str = r#"{"typ":"JWT","alg":"HS256","kid":"k1"}"#;

fn ring() -> KeyRing {
    KeyRing::new(Key::from_secret("k1", SECRET).unwrap())
}

fn rules() -> Validation {
    Validation {
        clock: Clock::manual(NOW),
        ..Validation::default()
    }
}

fn claims() -> Claims {
    Claims {
        iss: "latchkey".into(),
        sub: "user-1".into(),
        aud: None,
        iat: NOW,
        nbf: None,
        exp: NOW + 600,
        jti: "jti-1".into(),
        sid: "sid-1".into(),
        token_type: TokenType::Access,
    }
}

fn enc(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with any header and payload text, with a correct MAC from the test key, so that the
/// header and payload rules are what decides.
fn forge(header: &str, payload: &[u8]) -> String {
    let signing_input = format!("{}.{}", enc(header.as_bytes()), enc(payload));
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, SECRET),
        signing_input.as_bytes(),
    );
    format!("{signing_input}.{}", enc(tag.as_ref()))
}

/// `forge` with the canonical header and this payload text.
fn forge_payload(payload: &str) -> String {
    forge(HEADER, payload.as_bytes())
}

/// `forge` with the canonical payload of [`claims`] and this header text.
fn forge_header(header: &str) -> String {
    forge(header, &serde_json::to_vec(&claims()).unwrap())
}

/// Verifies with the test ring on both paths, which must agree.
fn verify(token: &str) -> Result<Claims, Error> {
    verify_with(&ring(), token, &rules())
}

/// `keys.verify`, checked against `keys.verify_general`.
fn verify_with(keys: &KeyRing, token: &str, rules: &Validation) -> Result<Claims, Error> {
    let fast = keys.verify(token, rules);
    assert_eq!(
        fast,
        keys.verify_general(token, rules),
        "paths differ on {token}"
    );
    fast
}
