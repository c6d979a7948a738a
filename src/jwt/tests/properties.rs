//! Properties over arbitrary claims: every signed token verifies back to its claims, its
//! payload is what `serde_json` writes, and no single-character change survives verification.
//! And over arbitrary header and payload spellings: the fast path answers exactly as the
//! general path does.

use proptest::prelude::*;

use super::super::{Claims, MAX_NUMERIC_DATE, TokenType, Validation, canonical, general};
use super::{NOW, forge, ring};
use crate::clock::Clock;

fn token_type() -> impl Strategy<Value = TokenType> {
    prop_oneof![Just(TokenType::Access), Just(TokenType::Refresh)]
}

/// Claims that are valid at their own `iat`: any strings, any dates in range.
fn arbitrary_claims() -> impl Strategy<Value = Claims> {
    let strings = (
        any::<String>(),
        any::<String>(),
        proptest::option::of(any::<String>()),
    );
    let ids = (any::<String>(), any::<String>(), token_type());
    (
        strings,
        ids,
        0..MAX_NUMERIC_DATE,
        proptest::option::of(0..=1000u64),
        1..=100_000u64,
    )
        .prop_map(
            |((iss, sub, aud), (jti, sid, token_type), iat, nbf_before, lifetime)| Claims {
                iss: iss.into(),
                sub: sub.into(),
                aud: aud.map(Into::into),
                iat,
                nbf: nbf_before.map(|d| iat.saturating_sub(d)),
                exp: iat.saturating_add(lifetime).min(MAX_NUMERIC_DATE),
                jti: jti.into(),
                sid: sid.into(),
                token_type,
            },
        )
}

/// The rules these claims were made for, at their `iat`.
fn rules_for(claims: &Claims) -> Validation {
    Validation {
        issuer: claims.iss.to_string(),
        audience: claims.aud.as_ref().map(ToString::to_string),
        leeway: 0,
        token_type: Some(claims.token_type),
        clock: Clock::manual(claims.iat),
    }
}

proptest! {
    #[test]
    fn sign_then_verify_gives_back_the_claims(claims in arbitrary_claims()) {
        let token = ring().sign(&claims);
        prop_assume!(token.len() <= super::super::MAX_TOKEN_BYTES);
        prop_assert_eq!(ring().verify(&token, &rules_for(&claims)), Ok(claims));
    }

    #[test]
    fn the_canonical_payload_is_what_serde_json_writes(claims in arbitrary_claims()) {
        let mut ours = Vec::new();
        canonical::write(&claims, false, &mut ours);
        prop_assert_eq!(&ours, &serde_json::to_vec(&claims).unwrap());
        prop_assert_eq!(canonical::parse(&ours), Some(claims.clone()));
        // With SimpleJWT's `user_id`, both readers give back the same claims.
        let mut with_user_id = Vec::new();
        canonical::write(&claims, true, &mut with_user_id);
        let text = String::from_utf8(with_user_id.clone()).unwrap();
        prop_assert!(text.contains(",\"user_id\":"), "{}", text);
        prop_assert_eq!(canonical::parse(&with_user_id), Some(claims.clone()));
        prop_assert_eq!(general::payload(&with_user_id), Ok(claims));
    }

    #[test]
    fn no_single_character_change_verifies(
        claims in arbitrary_claims(),
        at in any::<prop::sample::Index>(),
        to in prop::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ".to_vec()),
    ) {
        let token = ring().sign(&claims);
        let mut bytes = token.into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != to);
        bytes[i] = to;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(ring().verify(&changed, &rules_for(&claims)).is_err());
    }
}

/// Rules that time and type rarely refuse, so that the encoding is what decides.
fn wide_rules() -> Validation {
    Validation {
        leeway: NOW,
        token_type: None,
        clock: Clock::manual(NOW),
        ..Validation::default()
    }
}

/// One of `variants`, where `""` leaves the member out.
fn member(variants: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(variants)
}

/// A JSON object text from these members, shuffled, with one of several separators.
fn object(members: Vec<&'static str>) -> impl Strategy<Value = String> {
    let members: Vec<&str> = members.into_iter().filter(|m| !m.is_empty()).collect();
    (
        Just(members).prop_shuffle(),
        prop::sample::select(&[",", ", ", " ,\n", ",\t"][..]),
        prop::sample::select(&["{}", "{ }", " {\n}\n", "{}x", "{}}", "{,}"][..]),
    )
        .prop_map(|(members, sep, frame)| {
            let (open, close) = frame.split_at(frame.find('}').unwrap());
            let body = members.join(sep);
            if frame == "{,}" {
                format!("{{{body},}}")
            } else {
                format!("{open}{body}{close}")
            }
        })
}

/// Headers: mostly acceptable ones, in every order and spelling, some not.
fn header_text() -> impl Strategy<Value = String> {
    (
        member(&[
            r#""alg":"HS256""#,
            r#""alg":"HS\u0032\u00356""#,
            r#""alg":"EdDSA""#,
            r#""alg":"none""#,
            r#""alg":1"#,
            "",
        ]),
        member(&[
            r#""kid":"k1""#,
            r#""\u006bid":"k1""#,
            r#""kid":"k2""#,
            r#""kid":null"#,
            "",
        ]),
        member(&[r#""typ":"JWT""#, r#""typ":"at+jwt""#, ""]),
        member(&[
            "",
            "",
            "",
            r#""crit":[]"#,
            r#""alg":"HS256""#,
            r#""x":[{"y":1}]"#,
            r#""x":1,"x":2"#,
        ]),
    )
        .prop_flat_map(|(a, b, c, d)| object(vec![a, b, c, d]))
}

/// Payloads: every claim in several spellings, sometimes wrong, missing or twice.
fn payload_text() -> impl Strategy<Value = String> {
    (
        (
            member(&[
                r#""iss":"latchkey""#,
                r#""iss":"l\u0061tchkey""#,
                r#""iss":1"#,
                "",
            ]),
            member(&[
                r#""sub":"user-1""#,
                r#""sub":"\ud83d\ude00\n""#,
                r#""sub":"\ud800""#,
                "",
            ]),
            member(&["", "", r#""aud":"web""#, r#""aud":["web"]"#]),
            member(&[
                r#""iat":1700000000"#,
                r#""iat":0"#,
                r#""iat":1.5"#,
                r#""iat":-1"#,
                "",
            ]),
            member(&["", "", r#""nbf":1700000000"#, r#""nbf":253402300800"#]),
        ),
        (
            member(&[
                r#""exp":1700000600"#,
                r#""exp":253402300799"#,
                r#""exp":1e10"#,
                r#""exp":"1""#,
                "",
            ]),
            member(&[r#""jti":"j""#, r#""jti":"""#, r#""j\u0074i":"j""#, ""]),
            member(&[r#""sid":"s""#, r#""sid":"s","sid":"s""#, ""]),
            member(&[
                r#""token_type":"access""#,
                r#""token_type":"refresh""#,
                r#""token_type":"id""#,
            ]),
            member(&["", "", r#""scope":"a b""#, r#""n":{"m":[1,2,{}]}"#]),
        ),
    )
        .prop_flat_map(|((a, b, c, d, e), (f, g, h, i, j))| {
            object(vec![a, b, c, d, e, f, g, h, i, j])
        })
}

proptest! {
    #[test]
    fn fast_and_general_paths_agree_on_any_spelling(
        header in header_text(),
        payload in payload_text(),
    ) {
        let token = forge(&header, payload.as_bytes());
        let keys = ring();
        prop_assert_eq!(
            keys.verify(&token, &wide_rules()),
            keys.verify_general(&token, &wide_rules()),
            "{} . {}", header, payload
        );
    }

    #[test]
    fn fast_and_general_paths_agree_on_any_text(token in "[A-Za-z0-9_=+/.-]{0,200}") {
        let keys = ring();
        prop_assert_eq!(keys.verify(&token, &wide_rules()), keys.verify_general(&token, &wide_rules()));
    }

    #[test]
    fn the_fast_payload_reader_agrees_with_the_general_one(claims in arbitrary_claims()) {
        let mut json = Vec::new();
        canonical::write(&claims, false, &mut json);
        prop_assert_eq!(general::payload(&json), Ok(claims));
    }

    #[test]
    fn own_tokens_survive_any_mangling_only_as_the_general_path_says(
        claims in arbitrary_claims(),
        at in any::<prop::sample::Index>(),
        to in any::<char>(),
    ) {
        let token = ring().sign(&claims);
        let mut chars: Vec<char> = token.chars().collect();
        let i = at.index(chars.len());
        chars[i] = to;
        let changed: String = chars.into_iter().collect();
        let rules = rules_for(&claims);
        prop_assert_eq!(ring().verify(&changed, &rules), ring().verify_general(&changed, &rules));
    }
}
