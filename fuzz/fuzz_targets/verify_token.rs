//! Untrusted token text. Verification never panics, and any token it accepts is byte for byte
//! the token latchkey would sign for the claims it decoded: no second spelling exists.
//!
//! Random bytes almost never carry a valid MAC, so the input is also used as header and payload
//! JSON text (split at the first newline; the canonical header when there is none) and signed
//! with the test key, which lets the fuzzer reach the header and payload rules.

#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey::clock::Clock;
use latchkey::jwt::{Key, KeyRing, Validation};
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
        assert_eq!(
            KEYS.sign(&claims),
            token,
            "an accepted token must be canonical"
        );
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
