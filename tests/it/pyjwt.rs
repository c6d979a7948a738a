//! `PyJWT` as the peer (SPEC §5): tokens a `PyJWT` service signs with the shared secret verify
//! here, and latchkey's `EdDSA` and ES256 tokens verify there from the JWKS with `PyJWKClient`,
//! with the script the README shows (`tests/python/pyjwt_peer.py`).

use std::process::Command;

use jsonwebtoken::decode_header;
use serde_json::{Value, json};

use crate::client::Request;
use crate::harness::TestServer;

const SECRET: &str = "bGF0Y2hrZXktcHlqd3QtaW50ZXJvcC1zZWNyZXQtMzItYnl0ZXM";

fn python(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/pyjwt_peer.py");
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("this test needs python3 with PyJWT: `pip install 'pyjwt[crypto]'` (.ci/run installs it)");
    assert!(
        out.status.success(),
        "pyjwt_peer.py {args:?} failed (is PyJWT installed? `pip install 'pyjwt[crypto]'`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The claims of a token, read without checking (the test made or received it).
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64_decode(payload);
    serde_json::from_slice(&bytes).unwrap()
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

#[test]
fn tokens_pyjwt_signs_with_the_shared_secret_verify_whatever_their_spelling() {
    let server = TestServer::start_with(|c| {
        c.set("tokens.secret", SECRET);
    });
    server.verified_user("a@example.com", "Anna");
    let ours = server.login("a@example.com")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let kid = decode_header(&ours).unwrap().kid.unwrap();
    let mut claims = claims_of(&ours);
    // A claim latchkey does not use, and the key id PyJWT must name.
    claims["role"] = json!("admin");
    claims["_kid"] = json!(kid);
    let theirs = python(&["mint", SECRET, &claims.to_string()]);
    let header = String::from_utf8(base64_decode(theirs.split('.').next().unwrap())).unwrap();
    assert!(header.starts_with(r#"{"alg":"HS256","kid""#), "{header}");
    assert_ne!(theirs, ours);

    let verified = server.post_json("/api/accounts/token/verify", &json!({"token": theirs}));
    assert_eq!(verified.status, 200, "{}", verified.text());
    let me = server.send(&Request::new("GET", "/api/accounts/me").bearer(&theirs));
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["email"], "a@example.com");

    // The same spelling with the signature broken is still refused.
    let (signed, _) = theirs.rsplit_once('.').unwrap();
    let forged = format!("{signed}.{}", "A".repeat(43));
    let refused = server.post_json("/api/accounts/token/verify", &json!({"token": forged}));
    assert_eq!(
        (refused.status, refused.error()),
        (401, "token_invalid".into())
    );
}

#[test]
fn pyjwks_client_verifies_eddsa_and_es256_tokens_from_the_jwks() {
    for algorithm in ["EdDSA", "ES256"] {
        let server = TestServer::start_with(|c| {
            c.set("tokens.algorithm", algorithm);
        });
        let user = server.verified_user("a@example.com", "Anna");
        let login = server.login("a@example.com");
        let url = format!("http://{}/.well-known/jwks.json", server.addr);
        let claims: Value = serde_json::from_str(&python(&[
            "verify",
            &url,
            login["access_token"].as_str().unwrap(),
        ]))
        .unwrap();
        assert_eq!(claims["sub"], user["id"], "{algorithm}");
        assert_eq!(claims["token_type"], "access");
    }
}
