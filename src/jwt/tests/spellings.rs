//! Tokens as other JWT libraries spell them, written out by hand and signed with `ring`
//! directly, so that nothing of latchkey's encoder is involved: each must verify, on both
//! paths, to the claims it means.

use super::super::{Claims, Error};
use super::{NOW, claims, forge, verify};

/// `claims()` as its JSON members, in the order `PyJWT` keeps them (the caller's dict order).
fn members() -> Vec<String> {
    vec![
        r#""iss":"latchkey""#.to_owned(),
        r#""sub":"user-1""#.to_owned(),
        format!(r#""iat":{NOW}"#),
        format!(r#""exp":{}"#, NOW + 600),
        r#""jti":"jti-1""#.to_owned(),
        r#""sid":"sid-1""#.to_owned(),
        r#""token_type":"access""#.to_owned(),
    ]
}

fn object(members: &[String], separator: &str) -> String {
    format!("{{{}}}", members.join(separator))
}

#[test]
fn pyjwt_sorted_header_and_an_extra_claim_verify() {
    // PyJWT: `json.dumps(header, separators=(",", ":"), sort_keys=True)`.
    let header = r#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#;
    let mut payload = members();
    payload.push(r#""scope":"read write""#.to_owned());
    let token = forge(header, object(&payload, ",").as_bytes());
    assert_eq!(verify(&token), Ok(claims()));
}

#[test]
fn python_default_separators_and_ascii_escapes_verify() {
    // `json.dumps` without `separators` writes ", " and ": "; `ensure_ascii` (its default)
    // escapes everything past ASCII, astral characters as surrogate pairs.
    let header = r#"{"alg": "HS256", "kid": "k1", "typ": "JWT"}"#;
    let mut payload: Vec<String> = members().iter().map(|m| m.replacen(':', ": ", 1)).collect();
    payload[1] = r#""sub": "Jos\u00e9 \ud83d\ude00 \u0001\n""#.to_owned();
    let token = forge(header, object(&payload, ", ").as_bytes());
    let expected = Claims {
        sub: "José 😀 \u{1}\n".into(),
        ..claims()
    };
    assert_eq!(verify(&token), Ok(expected));
}

#[test]
fn node_go_and_php_spellings_verify() {
    // node-jsonwebtoken puts `iat` first; Go's encoding/json sorts map keys; PHP's
    // json_encode escapes `/` and firebase/php-jwt writes `typ` first.
    let iss = r#""iss":"https:\/\/auth.example\/""#.to_owned();
    let mut node = members();
    node.rotate_right(5);
    let mut sorted = members();
    sorted.sort();
    sorted.retain(|m| !m.starts_with(r#""iss""#));
    sorted.insert(1, iss.clone());
    let cases = [
        (
            r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#,
            node,
            "latchkey",
        ),
        (
            r#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#,
            sorted,
            "https://auth.example/",
        ),
    ];
    for (header, payload, issuer) in cases {
        let token = forge(header, object(&payload, ",").as_bytes());
        let rules = super::Validation {
            issuer: issuer.to_owned(),
            ..super::rules()
        };
        let expected = Claims {
            iss: issuer.into(),
            ..claims()
        };
        assert_eq!(
            super::verify_with(&super::ring(), &token, &rules),
            Ok(expected),
            "{header}"
        );
    }
}

#[test]
fn any_whitespace_and_escape_rfc_8259_allows_verifies() {
    let header =
        " \t\r\n{ \"typ\" : \"JWT\" ,\n \"alg\" :\"HS256\",\"kid\":\"\\u006B\\u0031\" } \n";
    let payload = [
        r#""iss" : "l\u0061tchkey""#.to_owned(),
        r#""sub":"user\u002D1""#.to_owned(),
        format!(r#""iat"	:	{NOW}"#),
        format!("\"exp\"\r\n:\r\n{}", NOW + 600),
        r#""j\u0074i":"jti-1""#.to_owned(),
        r#""sid":"\u0073id-1""#.to_owned(),
        r#""token_type":"\u0061ccess""#.to_owned(),
    ];
    let token = forge(header, object(&payload, " ,\n\t").as_bytes());
    assert_eq!(verify(&token), Ok(claims()));
}

#[test]
fn other_spellings_still_meet_every_claims_rule() {
    let header = r#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#;
    let mut expired = members();
    expired[3] = format!(r#""exp" : {NOW}"#);
    assert_eq!(
        verify(&forge(header, object(&expired, ", ").as_bytes())),
        Err(Error::Expired)
    );
    let mut float = members();
    float[3] = format!(r#""exp": {}.0"#, NOW + 600);
    assert_eq!(
        verify(&forge(header, object(&float, ", ").as_bytes())),
        Err(Error::ClaimType("exp"))
    );
    let mut refresh = members();
    refresh[6] = r#""token_type": "refresh""#.to_owned();
    assert_eq!(
        verify(&forge(header, object(&refresh, ", ").as_bytes())),
        Err(Error::TokenType)
    );
    let mut no_sid = members();
    no_sid.remove(5);
    no_sid.push(r#""session":"sid-1""#.to_owned());
    assert_eq!(
        verify(&forge(header, object(&no_sid, ", ").as_bytes())),
        Err(Error::ClaimMissing("sid"))
    );
}
