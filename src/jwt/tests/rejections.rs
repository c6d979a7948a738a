//! One test per rejection, in the order `verify` checks, each on the fast and the general path
//! (`verify` runs both). Header and payload cases are forged with a correct MAC, so that the
//! rule under test, not the MAC, is what refuses them.

use super::super::{Error, MAX_TOKEN_BYTES, Segment, TokenType, Validation};
use super::{
    HEADER, NOW, claims, enc, forge, forge_header, forge_payload, ring, rules, verify, verify_with,
};
use crate::clock::Clock;

/// The canonical claims JSON with `from` replaced by `to`.
fn payload_with(from: &str, to: &str) -> String {
    let json = serde_json::to_string(&claims()).unwrap();
    assert!(json.contains(from), "{from} not in {json}");
    json.replacen(from, to, 1)
}

fn good_token() -> String {
    ring().sign(&claims())
}

#[test]
fn the_reference_token_verifies() {
    assert_eq!(verify(&good_token()), Ok(claims()));
}

// Length and segments.

#[test]
fn over_8_kib_is_refused_before_anything_else() {
    let token = "a".repeat(MAX_TOKEN_BYTES + 1);
    assert_eq!(verify(&token), Err(Error::TooLong));
    let exactly = "a".repeat(MAX_TOKEN_BYTES);
    assert_eq!(verify(&exactly), Err(Error::Segments));
    let long_claims = super::super::Claims {
        sub: "x".repeat(7000).into(),
        ..claims()
    };
    let token = ring().sign(&long_claims);
    assert!(token.len() > MAX_TOKEN_BYTES);
    assert_eq!(verify(&token), Err(Error::TooLong));
}

#[test]
fn payloads_past_the_inline_buffer_still_verify() {
    let big = super::super::Claims {
        sub: "x".repeat(2000).into(),
        ..claims()
    };
    assert_eq!(verify(&ring().sign(&big)), Ok(big));
}

#[test]
fn anything_but_three_segments_is_refused() {
    let token = good_token();
    let (h, rest) = token.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    for bad in [
        String::new(),
        h.to_owned(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{s}."),
        format!("{h}..{p}.{s}"),
        format!(".{h}.{p}.{s}"),
        format!("{h}.{p}.{p}.{s}"),
    ] {
        assert_eq!(verify(&bad), Err(Error::Segments), "{bad}");
    }
}

// Canonical base64url.

#[test]
fn padding_is_refused_in_every_segment() {
    let token = good_token();
    let (h, rest) = token.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    assert_eq!(
        verify(&format!("{h}=.{p}.{s}")),
        Err(Error::Base64(Segment::Header))
    );
    assert_eq!(
        verify(&format!("{h}.{p}=.{s}")),
        Err(Error::Base64(Segment::Payload))
    );
    assert_eq!(
        verify(&format!("{h}.{p}.{s}=")),
        Err(Error::Base64(Segment::Signature))
    );
}

#[test]
fn the_standard_alphabet_is_refused() {
    let token = good_token();
    let (signing_input, s) = token.rsplit_once('.').unwrap();
    for standard in ["+", "/"] {
        let mut sig = s.to_owned();
        sig.replace_range(0..1, standard);
        let bad_sig = format!("{signing_input}.{sig}");
        assert_eq!(
            verify(&bad_sig),
            Err(Error::Base64(Segment::Signature)),
            "{standard}"
        );
        let mut input = signing_input.to_owned();
        input.replace_range(input.len() - 1.., standard);
        let bad_payload = format!("{input}.{s}");
        assert_eq!(
            verify(&bad_payload),
            Err(Error::Base64(Segment::Payload)),
            "{standard}"
        );
    }
}

#[test]
fn unused_low_bits_in_the_last_signature_character_are_refused() {
    let token = good_token();
    let (signing_input, s) = token.rsplit_once('.').unwrap();
    // 32 bytes leave 2 unused bits in the 43rd character: setting them gives a text that a lax
    // decoder maps to the same bytes.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = alphabet
        .iter()
        .position(|&c| c == *s.as_bytes().last().unwrap())
        .unwrap();
    assert_eq!(
        last & 3,
        0,
        "a canonical encoder leaves the unused bits zero"
    );
    for stray in 1..4 {
        let mut sig = s.as_bytes().to_vec();
        *sig.last_mut().unwrap() = alphabet[last | stray];
        let sig = String::from_utf8(sig).unwrap();
        let lax = base64::Engine::decode(
            &base64::engine::GeneralPurpose::new(
                &base64::alphabet::URL_SAFE,
                base64::engine::general_purpose::NO_PAD.with_decode_allow_trailing_bits(true),
            ),
            &sig,
        )
        .unwrap();
        assert_eq!(
            lax,
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, s).unwrap()
        );
        assert_eq!(
            verify(&format!("{signing_input}.{sig}")),
            Err(Error::Base64(Segment::Signature))
        );
    }
}

// Header.

#[test]
fn alg_must_be_exactly_the_algorithm_of_the_key() {
    for alg in [
        r#""EdDSA""#,
        r#""ES256""#,
        r#""none""#,
        r#""None""#,
        r#""NONE""#,
        r#""HS512""#,
        r#""RS256""#,
        "null",
        r#""HS256 ""#,
        r#""hs256""#,
        "256",
        r#"["HS256"]"#,
    ] {
        let header = format!(r#"{{"typ":"JWT","alg":{alg},"kid":"k1"}}"#);
        assert_eq!(
            verify(&forge_header(&header)),
            Err(Error::AlgNotAllowed),
            "{alg}"
        );
    }
    let missing = r#"{"typ":"JWT","kid":"k1"}"#;
    assert_eq!(verify(&forge_header(missing)), Err(Error::AlgMissing));
}

#[test]
fn alg_none_with_an_empty_signature_is_refused() {
    let header = enc(br#"{"typ":"JWT","alg":"none","kid":"k1"}"#);
    let payload = enc(&serde_json::to_vec(&claims()).unwrap());
    assert_eq!(
        verify(&format!("{header}.{payload}.")),
        Err(Error::AlgNotAllowed)
    );
    let with_sig = format!(
        "{header}.{payload}.{}",
        good_token().rsplit_once('.').unwrap().1
    );
    assert_eq!(verify(&with_sig), Err(Error::AlgNotAllowed));
}

#[test]
fn duplicate_header_members_are_refused() {
    let header = r#"{"typ":"JWT","alg":"HS256","alg":"HS256","kid":"k1"}"#;
    assert_eq!(verify(&forge_header(header)), Err(Error::HeaderDuplicate));
    let header = r#"{"typ":"JWT","alg":"none","kid":"k1","alg":"HS256"}"#;
    assert_eq!(verify(&forge_header(header)), Err(Error::HeaderDuplicate));
}

#[test]
fn crit_is_refused_in_any_form() {
    for crit in [r#"["exp"]"#, "[]", "null", r#""b64""#, "{}", "true"] {
        let header = format!(r#"{{"typ":"JWT","alg":"HS256","kid":"k1","crit":{crit}}}"#);
        assert_eq!(verify(&forge_header(&header)), Err(Error::Crit), "{crit}");
    }
}

#[test]
fn crit_is_refused_even_beside_the_extension_it_names() {
    let header = r#"{"typ":"JWT","alg":"HS256","kid":"k1","b64":false,"crit":["b64"]}"#;
    assert_eq!(verify(&forge_header(header)), Err(Error::Crit));
    let escaped = r#"{"typ":"JWT","alg":"HS256","kid":"k1","\u0063rit":[]}"#;
    assert_eq!(verify(&forge_header(escaped)), Err(Error::Crit));
}

#[test]
fn header_members_latchkey_does_not_use_are_ignored() {
    // The key comes from the ring by kid, never from the token, so `jwk`, `jku` and `x5u` give
    // an attacker nothing; `typ` is advisory (RFC 7515 §4.1.9) and `token_type` does its job.
    for extra in [
        r#""b64":false"#,
        r#""jwk":{"kty":"oct","k":"AAAA"}"#,
        r#""jku":"https://x""#,
        r#""x5u":"https://x""#,
        r#""cty":"JWT""#,
        r#""zip":"DEF""#,
        r#""typ":"at+jwt""#,
        r#""typ":null"#,
        r#""x-extra":[1,{"a":null}]"#,
    ] {
        let header = format!(r#"{{"alg":"HS256","kid":"k1",{extra}}}"#);
        assert_eq!(verify(&forge_header(&header)), Ok(claims()), "{extra}");
    }
}

#[test]
fn duplicate_header_members_are_refused_whoever_uses_them() {
    for header in [
        r#"{"typ":"JWT","typ":"JWT","alg":"HS256","kid":"k1"}"#,
        r#"{"typ":"JWT","alg":"HS256","kid":"k1","kid":"k1"}"#,
        r#"{"typ":"JWT","alg":"HS256","kid":"k1","\u006bid":"k1"}"#,
        r#"{"x":1,"alg":"HS256","kid":"k1","x":1}"#,
    ] {
        assert_eq!(
            verify(&forge_header(header)),
            Err(Error::HeaderDuplicate),
            "{header}"
        );
    }
}

#[test]
fn kid_is_required_and_must_be_known() {
    assert_eq!(
        verify(&forge_header(r#"{"typ":"JWT","alg":"HS256"}"#)),
        Err(Error::KidMissing)
    );
    assert_eq!(
        verify(&forge_header(r#"{"typ":"JWT","alg":"HS256","kid":7}"#)),
        Err(Error::KidMissing)
    );
    assert_eq!(
        verify(&forge_header(r#"{"typ":"JWT","alg":"HS256","kid":"k2"}"#)),
        Err(Error::KidUnknown)
    );
}

#[test]
fn header_that_is_not_a_json_object_is_refused() {
    for header in [
        "[]",
        "null",
        "1",
        r#""HS256""#,
        "{",
        r#"{"alg":"HS256"}x"#,
        "\u{feff}{}",
    ] {
        assert_eq!(
            verify(&forge_header(header)),
            Err(Error::HeaderMalformed),
            "{header}"
        );
    }
    let not_utf8 = forge(r#"{"typ":"JWT","alg":"HS256","kid":"k1"}"#, b"x");
    let (_, rest) = not_utf8.split_once('.').unwrap();
    assert_eq!(
        verify(&format!("{}.{rest}", enc(b"{\"alg\":\"\xff\"}"))),
        Err(Error::HeaderMalformed)
    );
}

#[test]
fn a_header_with_the_right_meaning_in_another_spelling_verifies() {
    for header in [
        r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#,
        r#"{"typ":"JWT", "alg":"HS256","kid":"k1"}"#,
        r#"{"typ":"JWT","alg":"HS256","kid":"\u006b1"}"#,
        r#"{"alg":"HS256","kid":"k1"}"#,
        "\t{ \"kid\" :\r\n\"k1\" , \"alg\":\"HS\\u0032\\u00356\"}\n",
    ] {
        assert_eq!(verify(&forge_header(header)), Ok(claims()), "{header}");
    }
}

// Signature and MAC.

#[test]
fn signatures_of_the_wrong_length_are_refused() {
    let token = good_token();
    let (signing_input, _) = token.rsplit_once('.').unwrap();
    for len in [0, 31, 33, 64] {
        let sig = enc(&vec![7; len]);
        assert_eq!(
            verify(&format!("{signing_input}.{sig}")),
            Err(Error::SignatureLength),
            "{len}"
        );
    }
}

#[test]
fn a_wrong_mac_is_refused() {
    let other =
        super::super::Key::from_secret("k1", b"another secret, also long enough!!").unwrap();
    let token = other.sign(&claims());
    assert_eq!(verify(&token), Err(Error::Signature));
}

#[test]
fn one_flipped_bit_anywhere_is_refused() {
    let token = good_token();
    for i in 0..token.len() {
        // Bit 7 would leave ASCII, and a &str cannot carry it; the other seven cover the text.
        for bit in 0..7 {
            let mut bytes = token.clone().into_bytes();
            bytes[i] ^= 1 << bit;
            let flipped = String::from_utf8(bytes).unwrap();
            assert!(verify(&flipped).is_err(), "byte {i} bit {bit}");
        }
    }
}

#[test]
fn the_payload_is_never_parsed_before_the_mac_is_checked() {
    let token = good_token();
    let (h, rest) = token.split_once('.').unwrap();
    let (_, s) = rest.split_once('.').unwrap();
    let garbage = enc(b"not json at all");
    assert_eq!(verify(&format!("{h}.{garbage}.{s}")), Err(Error::Signature));
}

#[test]
fn the_header_is_checked_before_the_mac() {
    let token = good_token();
    let (_, rest) = token.split_once('.').unwrap();
    let none = enc(br#"{"typ":"JWT","alg":"none","kid":"k1"}"#);
    assert_eq!(verify(&format!("{none}.{rest}")), Err(Error::AlgNotAllowed));
}

// Payload.

#[test]
fn a_payload_that_is_not_a_json_object_is_refused() {
    for payload in ["[]", "null", "1", r#""claims""#, "{", ""] {
        assert_eq!(
            verify(&forge_payload(payload)),
            Err(Error::PayloadMalformed),
            "{payload}"
        );
    }
    let trailing = format!("{}x", serde_json::to_string(&claims()).unwrap());
    assert_eq!(
        verify(&forge_payload(&trailing)),
        Err(Error::PayloadMalformed)
    );
    let twice = serde_json::to_string(&claims()).unwrap().repeat(2);
    assert_eq!(verify(&forge_payload(&twice)), Err(Error::PayloadMalformed));
}

#[test]
fn a_payload_that_is_not_utf8_is_refused() {
    let json = serde_json::to_vec(&claims()).unwrap();
    let at = json.windows(6).position(|w| w == b"user-1").unwrap();
    let mut bad = json.clone();
    bad[at] = 0xff;
    assert_eq!(verify(&forge(HEADER, &bad)), Err(Error::PayloadMalformed));
}

#[test]
fn deep_nesting_is_refused_without_recursion_trouble() {
    let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(verify(&forge_payload(&deep)), Err(Error::TooLong));
    // Unknown values are skipped without recursing, so depth costs nothing but length.
    let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(3000), "]".repeat(3000));
    assert_eq!(
        verify(&forge_payload(&deep)),
        Err(Error::ClaimMissing("iss"))
    );
    let deep_sub = payload_with(
        r#""user-1""#,
        &format!("{}{}", "[".repeat(2000), "]".repeat(2000)),
    );
    assert_eq!(
        verify(&forge_payload(&deep_sub)),
        Err(Error::ClaimType("sub"))
    );
    let shallow = payload_with(
        "{",
        &format!(r#"{{"x":{}{},"#, "[".repeat(20), "]".repeat(20)),
    );
    assert_eq!(verify(&forge_payload(&shallow)), Ok(claims()));
}

#[test]
fn duplicate_claims_are_refused_known_or_not() {
    let dup = payload_with(r#""exp":"#, &format!(r#""exp":{},"exp":"#, NOW + 9999));
    assert_eq!(verify(&forge_payload(&dup)), Err(Error::PayloadDuplicate));
    let escaped = payload_with(r#""sid":"#, r#""sid":"s","\u0073id":"#);
    assert_eq!(
        verify(&forge_payload(&escaped)),
        Err(Error::PayloadDuplicate)
    );
    let unknown = payload_with("{", r#"{"admin":true,"admin":false,"#);
    assert_eq!(
        verify(&forge_payload(&unknown)),
        Err(Error::PayloadDuplicate)
    );
}

#[test]
fn claims_latchkey_does_not_use_are_ignored() {
    let extra = payload_with(
        "{",
        r#"{"admin":true,"scope":["a","b"],"n":1.5,"o":{"x":null},"#,
    );
    assert_eq!(verify(&forge_payload(&extra)), Ok(claims()));
}

#[test]
fn exp_must_be_an_integer_in_range() {
    let exp = (NOW + 600).to_string();
    let cases = [
        (format!(r#""{exp}""#), Error::ClaimType("exp")),
        (format!("{exp}.0"), Error::ClaimType("exp")),
        (format!("{exp}.5"), Error::ClaimType("exp")),
        ("1.7e9".to_owned(), Error::ClaimType("exp")),
        ("null".to_owned(), Error::ClaimType("exp")),
        ("-1".to_owned(), Error::ClaimRange("exp")),
        (u64::MAX.to_string(), Error::ClaimRange("exp")),
        ("253402300800".to_owned(), Error::ClaimRange("exp")),
        // serde_json refuses a number it cannot represent before any claim rule sees it.
        ("1e400".to_owned(), Error::PayloadMalformed),
        ("184467440737095516160".to_owned(), Error::ClaimType("exp")),
    ];
    for (value, error) in cases {
        let payload = payload_with(&format!(r#""exp":{exp}"#), &format!(r#""exp":{value}"#));
        assert_eq!(verify(&forge_payload(&payload)), Err(error), "{value}");
    }
}

#[test]
fn every_required_claim_must_be_present() {
    let json: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::to_value(claims()).unwrap()).unwrap();
    for name in ["iss", "sub", "iat", "exp", "jti", "sid", "token_type"] {
        let mut without = json.clone();
        without.remove(name);
        let payload = serde_json::to_string(&without).unwrap();
        let expected = Error::ClaimMissing(if name == "token_type" {
            "token_type"
        } else {
            name
        });
        assert_eq!(verify(&forge_payload(&payload)), Err(expected), "{name}");
    }
}

#[test]
fn claims_of_the_wrong_type_are_refused() {
    let sub = payload_with(r#""sub":"user-1""#, r#""sub":1"#);
    assert_eq!(verify(&forge_payload(&sub)), Err(Error::ClaimType("sub")));
    let kind = payload_with(r#""token_type":"access""#, r#""token_type":"admin""#);
    assert_eq!(
        verify(&forge_payload(&kind)),
        Err(Error::ClaimType("token_type"))
    );
    let aud = payload_with("\"iat\"", r#""aud":["a"],"iat""#);
    assert_eq!(verify(&forge_payload(&aud)), Err(Error::ClaimType("aud")));
}

#[test]
fn a_payload_with_the_right_meaning_in_another_spelling_verifies() {
    let spaced = payload_with(r#""sub":"#, r#""sub": "#);
    assert_eq!(verify(&forge_payload(&spaced)), Ok(claims()));
    let escaped = payload_with("user-1", r"\u0075ser\u002D1");
    assert_eq!(verify(&forge_payload(&escaped)), Ok(claims()));
    let reordered = payload_with(
        r#"{"iss":"latchkey","sub":"user-1""#,
        r#"{"sub":"user-1","iss":"latchkey""#,
    );
    assert_eq!(verify(&forge_payload(&reordered)), Ok(claims()));
}

// Claims rules.

#[test]
fn exp_at_or_before_now_is_expired() {
    for exp in [NOW, NOW - 1, 0] {
        let token = ring().sign(&super::super::Claims {
            exp,
            iat: 0,
            ..claims()
        });
        assert_eq!(verify(&token), Err(Error::Expired), "{exp}");
        assert!(Error::Expired.is_expired());
    }
    let token = ring().sign(&super::super::Claims {
        exp: NOW + 1,
        ..claims()
    });
    assert!(verify(&token).is_ok());
}

#[test]
fn leeway_forgives_skew_on_exp_nbf_and_iat() {
    let lenient = Validation {
        leeway: 5,
        ..rules()
    };
    let expired_4s_ago = super::super::Claims {
        exp: NOW - 4,
        iat: NOW - 100,
        ..claims()
    };
    assert!(
        ring()
            .verify(&ring().sign(&expired_4s_ago), &lenient)
            .is_ok()
    );
    let expired_5s_ago = super::super::Claims {
        exp: NOW - 5,
        iat: NOW - 100,
        ..claims()
    };
    assert_eq!(
        verify_with(&ring(), &ring().sign(&expired_5s_ago), &lenient),
        Err(Error::Expired)
    );
    let early = super::super::Claims {
        nbf: Some(NOW + 5),
        iat: NOW + 5,
        ..claims()
    };
    assert!(verify_with(&ring(), &ring().sign(&early), &lenient).is_ok());
}

#[test]
fn nbf_in_the_future_is_refused() {
    let token = ring().sign(&super::super::Claims {
        nbf: Some(NOW + 1),
        ..claims()
    });
    assert_eq!(verify(&token), Err(Error::NotYetValid));
    let token = ring().sign(&super::super::Claims {
        nbf: Some(NOW),
        ..claims()
    });
    assert!(verify(&token).is_ok());
}

#[test]
fn iat_in_the_future_is_refused() {
    let token = ring().sign(&super::super::Claims {
        iat: NOW + 1,
        ..claims()
    });
    assert_eq!(verify(&token), Err(Error::IssuedInFuture));
}

#[test]
fn iss_must_match_exactly() {
    for iss in ["latch", "latchkeyX", "Latchkey", "latchkey ", ""] {
        let token = ring().sign(&super::super::Claims {
            iss: iss.into(),
            ..claims()
        });
        assert_eq!(verify(&token), Err(Error::Issuer), "{iss}");
    }
}

#[test]
fn aud_must_match_exactly_and_is_refused_when_unexpected() {
    let with_aud = ring().sign(&super::super::Claims {
        aud: Some("web".into()),
        ..claims()
    });
    assert_eq!(verify(&with_aud), Err(Error::Audience));
    let expecting = Validation {
        audience: Some("web".into()),
        ..rules()
    };
    assert!(verify_with(&ring(), &with_aud, &expecting).is_ok());
    let other = Validation {
        audience: Some("we".into()),
        ..rules()
    };
    assert_eq!(
        verify_with(&ring(), &with_aud, &other),
        Err(Error::Audience)
    );
    assert_eq!(
        verify_with(&ring(), &good_token(), &expecting),
        Err(Error::Audience)
    );
}

#[test]
fn a_refresh_token_is_not_an_access_token_nor_the_reverse() {
    let refresh = ring().sign(&super::super::Claims {
        token_type: TokenType::Refresh,
        ..claims()
    });
    assert_eq!(verify(&refresh), Err(Error::TokenType));
    let for_refresh = rules().for_type(TokenType::Refresh);
    assert!(verify_with(&ring(), &refresh, &for_refresh).is_ok());
    assert_eq!(
        verify_with(&ring(), &good_token(), &for_refresh),
        Err(Error::TokenType)
    );
    let either = Validation {
        token_type: None,
        ..rules()
    };
    assert_eq!(
        verify_with(&ring(), &refresh, &either).unwrap().token_type,
        TokenType::Refresh
    );
}

#[test]
fn retired_keys_verify_but_do_not_sign() {
    let old = super::super::Key::from_secret("old", b"the retired secret, still 32 bytes").unwrap();
    let old_token = old.sign(&claims());
    let mut keys = ring();
    assert_eq!(
        verify_with(&keys, &old_token, &rules()),
        Err(Error::KidUnknown)
    );
    keys.add_verify_only(old).unwrap();
    assert_eq!(verify_with(&keys, &old_token, &rules()), Ok(claims()));
    assert_eq!(keys.signing_key().kid(), "k1");
}

#[test]
fn error_messages_never_contain_the_token() {
    let token = good_token();
    let clock = Clock::manual(NOW + 10_000);
    let err = ring()
        .verify(&token, &Validation { clock, ..rules() })
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    for segment in token.split('.') {
        assert!(!shown.contains(segment));
    }
}
