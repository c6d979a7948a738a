//! Untrusted token text, through both verification paths: the fast path for latchkey's own
//! spelling must give exactly the answer of the general path, for every input.
//!
//! Random bytes almost never carry a valid MAC, so the input is also used as header and payload
//! JSON text (split at the first newline; latchkey's own header when there is none) and signed
//! with the test key, which lets the fuzzer reach the header and payload rules of both paths.

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

/// Rules wide enough that time and type rarely refuse, so the encoding is what decides.
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
    let fast = KEYS.verify(token, &RULES);
    let general = KEYS.verify_general(token, &RULES);
    assert_eq!(fast, general, "the paths differ");
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
