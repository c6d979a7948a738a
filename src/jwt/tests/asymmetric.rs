//! `EdDSA` and ES256: latchkey's tokens checked with raw `ring` from the published JWK alone,
//! tokens signed with raw `ring` checked by latchkey, keys of mixed algorithms in one ring, and
//! every way a token may try to pick another algorithm than its key's.

use ring::hmac;
use ring::rand::SystemRandom;
use ring::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair,
    Ed25519KeyPair, UnparsedPublicKey,
};

use super::super::{Algorithm, Error, Key, KeyRing, signature_of};
use super::{SECRET, claims, enc, rules, verify_with};

const PAIRS: [Algorithm; 2] = [Algorithm::EdDsa, Algorithm::Es256];

fn generate(algorithm: Algorithm, kid: &str) -> (Key, Vec<u8>) {
    Key::generate(algorithm, kid, &SystemRandom::new()).unwrap()
}

/// A token with this header and payload text, signed with raw `ring` from the stored PKCS#8.
fn forge_with(algorithm: Algorithm, pkcs8: &[u8], header: &str, payload: &str) -> String {
    let input = format!("{}.{}", enc(header.as_bytes()), enc(payload.as_bytes()));
    let signature = match algorithm {
        Algorithm::EdDsa => Ed25519KeyPair::from_pkcs8(pkcs8)
            .unwrap()
            .sign(input.as_bytes()),
        Algorithm::Es256 => {
            let rng = SystemRandom::new();
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                .unwrap()
                .sign(&rng, input.as_bytes())
                .unwrap()
        }
        Algorithm::Hs256 => unreachable!("HS256 tokens are forged in the parent module"),
    };
    format!("{input}.{}", enc(signature.as_ref()))
}

fn payload() -> String {
    serde_json::to_string(&claims()).unwrap()
}

#[test]
fn own_tokens_verify_with_raw_ring_from_the_jwk_alone() {
    for alg in PAIRS {
        let (key, _) = generate(alg, "k1");
        let token = key.sign(&claims());
        let (input, sig) = token.rsplit_once('.').unwrap();
        let jwk = key.public_jwk().unwrap();
        let x = super::super::b64::decode(jwk.x.as_bytes()).unwrap();
        let (public, verifier): (Vec<u8>, &dyn signature::VerificationAlgorithm) =
            if let Some(y) = jwk.y {
                let y = super::super::b64::decode(y.as_bytes()).unwrap();
                ([&[4][..], &x, &y].concat(), &ECDSA_P256_SHA256_FIXED)
            } else {
                (x, &ED25519)
            };
        let sig = super::super::b64::decode(sig.as_bytes()).unwrap();
        assert_eq!(
            sig.len(),
            64,
            "{alg}: raw signature, r || s for ES256, not DER"
        );
        UnparsedPublicKey::new(verifier, &public)
            .verify(input.as_bytes(), &sig)
            .unwrap();
        let header = super::super::b64::decode(token.split('.').next().unwrap().as_bytes());
        let expected = format!(r#"{{"typ":"JWT","alg":"{alg}","kid":"k1"}}"#);
        assert_eq!(header.unwrap(), expected.as_bytes());
        let ring = KeyRing::new(key);
        assert_eq!(verify_with(&ring, &token, &rules()), Ok(claims()));
    }
}

#[test]
fn tokens_signed_with_raw_ring_in_pyjwt_spelling_verify() {
    for alg in PAIRS {
        let (key, pkcs8) = generate(alg, "k1");
        let header = format!(r#"{{"alg": "{alg}", "kid": "k1", "typ": "JWT"}}"#);
        let payload = payload()
            .replace(',', ", ")
            .replace("\"}", "\", \"scope\": \"x\"}");
        let token = forge_with(alg, &pkcs8, &header, &payload);
        assert_eq!(
            verify_with(&KeyRing::new(key), &token, &rules()),
            Ok(claims())
        );
    }
}

#[test]
fn es256_signs_anew_each_time_and_reissue_gives_the_same_bytes() {
    let (key, _) = generate(Algorithm::Es256, "es");
    let ring = KeyRing::new(key);
    let first = ring.sign(&claims());
    let second = ring.sign(&claims());
    assert_ne!(first, second, "ECDSA nonces are random");
    for token in [&first, &second] {
        assert_eq!(verify_with(&ring, token, &rules()), Ok(claims()));
        let again = ring.reissue(&claims(), "es", signature_of(token));
        assert_eq!(again.as_deref(), Some(token.as_str()));
    }
}

#[test]
fn reissue_works_for_deterministic_keys_and_refuses_what_would_not_verify() {
    let (ed, _) = generate(Algorithm::EdDsa, "ed");
    let mut ring = KeyRing::new(ed);
    ring.add_verify_only(Key::from_secret("hs", SECRET).unwrap())
        .unwrap();
    let hs_token = ring.get("hs").unwrap().sign(&claims());
    for (kid, token) in [("ed", ring.sign(&claims())), ("hs", hs_token)] {
        let sig = signature_of(&token);
        assert_eq!(ring.reissue(&claims(), kid, sig), Some(token.clone()));
        let other_claims = super::super::Claims {
            jti: "another".into(),
            ..claims()
        };
        assert_eq!(ring.reissue(&other_claims, kid, sig), None, "{kid}");
        assert_eq!(ring.reissue(&claims(), "nobody", sig), None);
        assert_eq!(ring.reissue(&claims(), kid, &format!("{sig}=")), None);
        assert_eq!(ring.reissue(&claims(), kid, ""), None);
    }
    assert_eq!(signature_of("a.b.c"), "c");
    assert_eq!(signature_of("no dots"), "");
}

#[test]
fn a_ring_of_mixed_algorithms_verifies_each_with_its_own_key() {
    let old_hs = Key::from_secret("old", SECRET).unwrap();
    let old_token = old_hs.sign(&claims());
    let (es, _) = generate(Algorithm::Es256, "es");
    let es_token = es.sign(&claims());
    let (ed, _) = generate(Algorithm::EdDsa, "new");
    let mut ring = KeyRing::new(ed);
    ring.add_verify_only(old_hs).unwrap();
    ring.add_verify_only(es).unwrap();
    let new_token = ring.sign(&claims());
    for token in [&old_token, &es_token, &new_token] {
        assert_eq!(verify_with(&ring, token, &rules()), Ok(claims()));
    }
    assert_eq!(ring.signing_key().algorithm(), Algorithm::EdDsa);
}

#[test]
fn alg_must_be_the_algorithm_of_the_key_kid_names() {
    let (ed, ed_pkcs8) = generate(Algorithm::EdDsa, "ed");
    let (p256, p256_pkcs8) = generate(Algorithm::Es256, "es");
    let ed_public = ed.public_jwk().unwrap();
    let mut ring = KeyRing::new(Key::from_secret("k1", SECRET).unwrap());
    ring.add_verify_only(ed).unwrap();
    ring.add_verify_only(p256).unwrap();
    let header = |alg: &str, kid: &str| format!(r#"{{"alg":"{alg}","kid":"{kid}"}}"#);
    let refused = |token: &str| {
        assert_eq!(
            verify_with(&ring, token, &rules()),
            Err(Error::AlgNotAllowed),
            "{token}"
        );
    };
    // An HS256 key named with an asymmetric alg, signed by the keys that alg would need.
    refused(&forge_with(
        Algorithm::EdDsa,
        &ed_pkcs8,
        &header("EdDSA", "k1"),
        &payload(),
    ));
    refused(&forge_with(
        Algorithm::Es256,
        &p256_pkcs8,
        &header("ES256", "k1"),
        &payload(),
    ));
    // Asymmetric keys named with the other asymmetric alg.
    refused(&forge_with(
        Algorithm::EdDsa,
        &ed_pkcs8,
        &header("EdDSA", "es"),
        &payload(),
    ));
    refused(&forge_with(
        Algorithm::Es256,
        &p256_pkcs8,
        &header("ES256", "ed"),
        &payload(),
    ));
    // The classic confusion: HS256 with the public key as the secret (RFC 8725 §2.1).
    for public in [
        ed_public.x.as_bytes(),
        &super::super::b64::decode(ed_public.x.as_bytes()).unwrap(),
    ] {
        let input = format!(
            "{}.{}",
            enc(header("HS256", "ed").as_bytes()),
            enc(payload().as_bytes())
        );
        let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, public), input.as_bytes());
        refused(&format!("{input}.{}", enc(mac.as_ref())));
    }
    for alg in ["none", "Ed25519", "ES256K", "es256", "RS256"] {
        refused(&forge_with(
            Algorithm::EdDsa,
            &ed_pkcs8,
            &header(alg, "ed"),
            &payload(),
        ));
    }
}

#[test]
fn asymmetric_signatures_of_the_wrong_length_or_form_are_refused() {
    for alg in PAIRS {
        let (key, _) = generate(alg, "k");
        let ring = KeyRing::new(key);
        let token = ring.sign(&claims());
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = super::super::b64::decode(sig.as_bytes()).unwrap();
        for wrong in [
            &sig[..32],
            &sig[..63],
            &[&sig[..], &[0]].concat(),
            &[0; 72][..],
        ] {
            let bad = format!("{input}.{}", enc(wrong));
            assert_eq!(
                verify_with(&ring, &bad, &rules()),
                Err(Error::SignatureLength),
                "{alg}"
            );
        }
        let mut flipped = sig.clone();
        flipped[10] ^= 1;
        let bad = format!("{input}.{}", enc(&flipped));
        assert_eq!(
            verify_with(&ring, &bad, &rules()),
            Err(Error::Signature),
            "{alg}"
        );
        let other = format!("{input}.{}", enc(&[0; 64]));
        assert_eq!(
            verify_with(&ring, &other, &rules()),
            Err(Error::Signature),
            "{alg}"
        );
    }
}

#[test]
fn asymmetric_tokens_are_refused_for_the_same_header_and_claims_rules() {
    let (key, pkcs8) = generate(Algorithm::EdDsa, "ed");
    let ring = KeyRing::new(key);
    let forged = |header: &str, payload: &str| {
        verify_with(
            &ring,
            &forge_with(Algorithm::EdDsa, &pkcs8, header, payload),
            &rules(),
        )
    };
    let good = r#"{"alg":"EdDSA","kid":"ed"}"#;
    assert_eq!(forged(good, &payload()), Ok(claims()));
    let crit = r#"{"alg":"EdDSA","kid":"ed","crit":["exp"]}"#;
    assert_eq!(forged(crit, &payload()), Err(Error::Crit));
    let dup = r#"{"alg":"EdDSA","kid":"ed","alg":"EdDSA"}"#;
    assert_eq!(forged(dup, &payload()), Err(Error::HeaderDuplicate));
    assert_eq!(
        forged(r#"{"alg":"EdDSA"}"#, &payload()),
        Err(Error::KidMissing)
    );
    assert_eq!(
        forged(r#"{"alg":"EdDSA","kid":"k9"}"#, &payload()),
        Err(Error::KidUnknown)
    );
    let dup_claim = payload().replace('{', r#"{"sid":"x","#);
    assert_eq!(forged(good, &dup_claim), Err(Error::PayloadDuplicate));
    let float = payload().replace(&format!("{}", super::NOW + 600), "1e10");
    assert_eq!(forged(good, &float), Err(Error::ClaimType("exp")));
}
