//! Untrusted token text. Verification never panics, and the claims of any token it accepts,
//! whatever its spelling, sign into a token of latchkey's own that verifies to the same claims.
//!
//! Random bytes almost never carry a valid MAC, so the input is also used as header and payload
//! JSON text (split at the first newline; the canonical header when there is none) and signed
//! with the test key, which lets the fuzzer reach the header and payload rules.

#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey::clock::Clock;
use latchkey::jwt::{Key, KeyRing, MAX_TOKEN_BYTES, Validation};
use libfuzzer_sys::fuzz_target;
use ring::hmac;

const SECRET: &[u8] = b"fuzzing secret, at least 32 bytes long";
const NOW: u64 = 1_700_000_000;
const HEADER: &[u8] = br#"{"typ":"JWT","alg":"HS256","kid":"k1"}"#;

static KEYS: LazyLock<KeyRing> =
    LazyLock::new(|| KeyRing::new(Key::from_secret("k1", SECRET).expect("secret is long enough")));

/// Rules wide enough that time and type rarely refuse, so acceptance is about the encoding.
static RULES: LazyLock<Validation> = LazyLock::new(|| Validation {
    leeway: NOW,
    token_type: None,
    clock: Clock::manual(NOW),
    ..Validation::default()
});

fn signed(header: &[u8], payload: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, SECRET), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag))
}

fn check(token: &str) {
    if let Ok(claims) = KEYS.verify(token, &RULES) {
        let own = KEYS.sign(&claims);
        // Another spelling may be shorter than latchkey's (no `typ`, say), so the re-signed
        // token can pass the length cap that the accepted one met.
        if own.len() <= MAX_TOKEN_BYTES {
            assert_eq!(
                KEYS.verify(&own, &RULES),
                Ok(claims),
                "claims must round-trip"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
    match data.iter().position(|&b| b == b'\n') {
        Some(newline) => check(&signed(&data[..newline], &data[newline + 1..])),
        None => check(&signed(HEADER, data)),
    }
});
