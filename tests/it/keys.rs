//! Signing keys from the outside (SPEC §5.1, §5.2): `EdDSA` and ES256 tokens that independent
//! implementations verify from the JWKS, the JWKS itself, and rotation without a gap.

use std::process::Output;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};

use crate::harness::TestServer;

fn server(algorithm: &str) -> TestServer {
    let server = TestServer::start_with(|c| {
        c.set("tokens.algorithm", algorithm);
    });
    server.verified_user("a@example.com", "Anna");
    server
}

fn jwks(server: &TestServer) -> Vec<Value> {
    let reply = server.get("/.well-known/jwks.json");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("cache-control"), Some("public, max-age=300"));
    reply.json()["keys"].as_array().unwrap().clone()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Verifies `token` with the `jsonwebtoken` crate from the JWK its `kid` names.
fn verify_elsewhere(token: &str, keys: &[Value]) -> Value {
    let kid = decode_header(token).unwrap().kid.unwrap();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(
        keys.iter()
            .find(|k| k["kid"] == kid)
            .expect("the kid is published")
            .clone(),
    )
    .unwrap();
    let header = decode_header(token).unwrap();
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&["latchkey"]);
    validation.validate_aud = false;
    decode::<Value>(token, &DecodingKey::from_jwk(&jwk).unwrap(), &validation)
        .unwrap()
        .claims
}

#[test]
fn eddsa_and_es256_tokens_verify_with_another_implementation_from_the_jwks() {
    for (name, alg) in [("EdDSA", Algorithm::EdDSA), ("ES256", Algorithm::ES256)] {
        let server = server(name);
        let keys = jwks(&server);
        assert_eq!(keys.len(), 1, "{keys:?}");
        let members: Vec<&str> = keys[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let expected: &[&str] = if name == "EdDSA" {
            &["kty", "crv", "x", "kid", "alg", "use"]
        } else {
            &["kty", "crv", "x", "y", "kid", "alg", "use"]
        };
        assert_eq!(members, expected, "public members only");
        let login = server.login("a@example.com");
        for token in ["access_token", "refresh_token"] {
            let token = login[token].as_str().unwrap();
            assert_eq!(decode_header(token).unwrap().alg, alg);
            let claims = verify_elsewhere(token, &keys);
            assert_eq!(claims["sub"], login["user"]["id"], "{name}");
        }
        let verified = server.post_json(
            "/api/accounts/token/verify",
            &json!({"token": login["access_token"]}),
        );
        assert_eq!(verified.status, 200, "{}", verified.text());
    }
}

#[test]
fn es256_refresh_in_the_grace_window_returns_the_same_token_byte_for_byte() {
    let server = server("ES256");
    let login = server.login("a@example.com");
    let refresh = |token: &Value| {
        let reply = server.post_json(
            "/api/accounts/token/refresh",
            &json!({"refresh_token": token}),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    };
    let first = refresh(&login["refresh_token"]);
    let again = refresh(&login["refresh_token"]);
    assert_eq!(first["refresh_token"], again["refresh_token"]);
    assert_ne!(first["access_token"], again["access_token"]);
    verify_elsewhere(first["refresh_token"].as_str().unwrap(), &jwks(&server));
}

#[test]
fn with_hs256_there_is_no_jwks_and_the_answer_says_why() {
    let server = TestServer::start();
    let reply = server.get("/.well-known/jwks.json");
    assert_eq!((reply.status, reply.error()), (404, "not_found".into()));
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("tokens.algorithm")
    );
}

#[test]
fn rotation_stages_the_new_key_in_the_jwks_before_it_signs_and_now_signs_at_once() {
    let server = server("EdDSA");
    let kid_of = |token: &Value| decode_header(token.as_str().unwrap()).unwrap().kid.unwrap();
    let before = server.login("a@example.com");
    let old_kid = kid_of(&before["access_token"]);

    let text = ok(&server.cli(&["key", "rotate"]));
    assert!(text.contains("published in the JWKS now"), "{text}");
    let keys = jwks(&server);
    assert_eq!(keys.len(), 2, "the staged key is published at once");
    let staged = keys
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .find(|k| *k != old_kid)
        .unwrap()
        .to_owned();
    // It does not sign yet: verifiers may not have it.
    assert_eq!(
        kid_of(&server.login("a@example.com")["access_token"]),
        old_kid
    );
    let listed = ok(&server.cli(&["key", "list", "--json"]));
    let states: Vec<(String, String)> = listed
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| {
            (
                v["kid"].as_str().unwrap().to_owned(),
                v["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            (staged.clone(), "staged".into()),
            (old_kid.clone(), "signing".into())
        ]
    );

    let text = ok(&server.cli(&["key", "rotate", "--now"]));
    assert!(text.contains("signs from now on"), "{text}");
    let after = server.login("a@example.com");
    let new_kid = kid_of(&after["access_token"]);
    assert!(new_kid != old_kid && new_kid != staged, "{new_kid}");
    // Tokens of the old key still verify, here and elsewhere.
    let keys = jwks(&server);
    assert_eq!(keys.len(), 3);
    verify_elsewhere(before["access_token"].as_str().unwrap(), &keys);
    let old = server.bearer(
        "GET",
        "/api/accounts/me",
        before["access_token"].as_str().unwrap(),
        None,
    );
    assert_eq!(old.status, 200, "{}", old.text());
    let table = ok(&server.cli(&["key", "list"]));
    assert!(table.starts_with("KID"), "{table}");
    assert!(table.contains("retired"), "{table}");
}

#[test]
fn key_commands_work_on_a_stopped_server_and_refuse_with_a_configured_secret() {
    let mut server = server("EdDSA");
    server.stop();
    let text = ok(&server.cli(&["key", "rotate", "--now"]));
    assert!(text.contains("signs from now on"), "{text}");
    let export = ok(&server.cli(&["key", "export", "--json"]));
    let exported: Value = serde_json::from_str(export.trim()).unwrap();
    assert_eq!(exported["jwk"]["kty"], "OKP");
    assert!(
        exported.get("private_key_pem").is_none(),
        "private only when asked"
    );
    let private = ok(&server.cli(&["key", "export", "--private"]));
    assert!(private.contains("-----BEGIN PRIVATE KEY-----"), "{private}");

    let secret = TestServer::start_with(|c| {
        c.set(
            "tokens.secret",
            "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
        );
    });
    let refused = secret.cli(&["key", "rotate"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("tokens.secret"), "{err}");
    let export = ok(&secret.cli(&["key", "export"]));
    assert!(export.contains("c2VjcmV0c2VjcmV0"), "{export}");
}

#[test]
fn the_admin_socket_is_owner_only_and_survives_bad_requests() {
    use std::io::{Read as _, Write as _};
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::net::UnixStream;

    let server = server("EdDSA");
    let path = server.data_dir().join("admin.sock");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let ask = |bytes: &[u8], close: bool| {
        let mut stream = UnixStream::connect(&path).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        // The server may stop reading a huge frame early; what matters is its answer.
        let _ = stream.write_all(bytes);
        if close {
            stream.shutdown(std::net::Shutdown::Write).unwrap();
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    };
    let garbage = ask(b"\x00\xffnot json\n", true);
    assert!(
        garbage.contains("\"Usage\"") && garbage.contains("not a request"),
        "{garbage}"
    );
    let unknown = ask(b"{\"op\":\"drop_everything\"}\n", true);
    assert!(unknown.contains("\"Usage\""), "{unknown}");
    let huge = ask(&vec![b'{'; 200 * 1024], false);
    assert!(huge.contains("larger than"), "{huge}");
    let half = ask(b"{\"op\":\"key_li", true);
    assert!(half.contains("before its end of line"), "{half}");
    // Still serving, on both sides.
    let listed = ok(&server.cli(&["key", "list", "--json"]));
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert_eq!(server.get("/healthz").status, 200);
}
