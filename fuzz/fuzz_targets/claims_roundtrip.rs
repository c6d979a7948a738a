//! Arbitrary claims: signing then verifying gives back the same claims, whatever the strings
//! hold, whenever the dates make a token that is live at its own `iat`.

#![no_main]

use arbitrary::Arbitrary;
use latchkey::clock::Clock;
use latchkey::jwt::{
    Claims, Key, KeyRing, MAX_NUMERIC_DATE, MAX_TOKEN_BYTES, TokenType, Validation,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    iss: String,
    sub: String,
    aud: Option<String>,
    iat: u64,
    nbf_before: Option<u16>,
    lifetime: u32,
    jti: String,
    sid: String,
    refresh: bool,
}

fuzz_target!(|input: Input| {
    let iat = input.iat % MAX_NUMERIC_DATE;
    let claims = Claims {
        iss: input.iss.into(),
        sub: input.sub.into(),
        aud: input.aud.map(Into::into),
        iat,
        nbf: input.nbf_before.map(|d| iat.saturating_sub(u64::from(d))),
        exp: (iat + 1 + u64::from(input.lifetime)).min(MAX_NUMERIC_DATE),
        jti: input.jti.into(),
        sid: input.sid.into(),
        token_type: if input.refresh {
            TokenType::Refresh
        } else {
            TokenType::Access
        },
    };
    let keys = KeyRing::new(Key::from_secret("k1", &[7; 32]).expect("32 bytes is enough"));
    let token = keys.sign(&claims);
    let rules = Validation {
        issuer: claims.iss.to_string(),
        audience: claims.aud.as_ref().map(ToString::to_string),
        leeway: 0,
        token_type: Some(claims.token_type),
        clock: Clock::manual(iat),
    };
    match keys.verify(&token, &rules) {
        Ok(back) => assert_eq!(back, claims),
        Err(err) => assert!(
            token.len() > MAX_TOKEN_BYTES,
            "{err}: a token within the limit"
        ),
    }
});
