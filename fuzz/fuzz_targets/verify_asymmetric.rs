//! Untrusted `EdDSA` and ES256 tokens. The input's first byte picks the key; the rest is header
//! and payload JSON text (split at the first newline) signed with raw `ring`. Both verification
//! paths must agree, an accepted token must name a key of the algorithm that signed it, and a
//! token whose signature has one byte changed must never verify.

#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey::clock::Clock;
use latchkey::jwt::{Algorithm, Key, KeyRing, Validation};
use libfuzzer_sys::fuzz_target;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};

const NOW: u64 = 1_700_000_000;

/// The raw key pairs and a ring holding the same keys (`ed`, `es`) beside an HS256 key (`hs`).
struct Keys {
    ed: Ed25519KeyPair,
    es: EcdsaKeyPair,
    rng: SystemRandom,
    ring: KeyRing,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let rng = SystemRandom::new();
    let (ed_key, ed) = Key::generate(Algorithm::EdDsa, "ed", &rng).expect("generates");
    let (es_key, es) = Key::generate(Algorithm::Es256, "es", &rng).expect("generates");
    let (hs_key, _) = Key::generate(Algorithm::Hs256, "hs", &rng).expect("generates");
    let mut ring = KeyRing::new(ed_key);
    ring.add_verify_only(es_key).expect("unique kid");
    ring.add_verify_only(hs_key).expect("unique kid");
    Keys {
        ed: Ed25519KeyPair::from_pkcs8(&ed).expect("valid PKCS#8"),
        es: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &es, &rng)
            .expect("valid PKCS#8"),
        rng,
        ring,
    }
});

/// Rules wide enough that time and type rarely refuse, so the encoding is what decides.
static RULES: LazyLock<Validation> = LazyLock::new(|| Validation {
    leeway: NOW,
    token_type: None,
    clock: Clock::manual(NOW),
    ..Validation::default()
});

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (header, payload) = match rest.iter().position(|&b| b == b'\n') {
        Some(newline) => (&rest[..newline], &rest[newline + 1..]),
        None => (&br#"{"typ":"JWT","alg":"EdDSA","kid":"ed"}"#[..], rest),
    };
    let keys = &*KEYS;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let (signer, signature) = if pick & 1 == 0 {
        (Algorithm::EdDsa, keys.ed.sign(input.as_bytes()))
    } else {
        let signature = keys.es.sign(&keys.rng, input.as_bytes());
        (
            Algorithm::Es256,
            signature.expect("the system random source works"),
        )
    };
    let mut signature = signature.as_ref().to_vec();
    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&signature));
    let fast = keys.ring.verify(&token, &RULES);
    assert_eq!(
        fast,
        keys.ring.verify_general(&token, &RULES),
        "the paths differ"
    );
    if fast.is_ok() {
        let named = latchkey::jwt::inspect(&token).expect("an accepted token decodes");
        let kid = named.header["kid"]
            .as_str()
            .expect("an accepted token has a kid");
        let key = keys.ring.get(kid).expect("an accepted kid is known");
        assert_eq!(key.algorithm(), signer, "verified under another algorithm");
    }
    signature[usize::from(pick >> 1) % 64] ^= 1 << (pick % 8);
    let changed = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&signature));
    assert!(
        keys.ring.verify(&changed, &RULES).is_err(),
        "a changed signature verified"
    );
});
