//! What other software sends (SPEC §5): one `Authorization` header or none, and request
//! bodies that mean one thing to every JSON reader.

use serde_json::json;

use crate::client::Request;
use crate::harness::{PASSWORD, TestServer};

#[test]
fn two_authorization_headers_are_token_invalid_even_if_both_are_good() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let access = server.login("a@example.com")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = server.send(&Request::new("GET", "/api/accounts/me").bearer(&access));
    assert_eq!(one.status, 200, "{}", one.text());
    for path in ["/api/accounts/me", "/api/accounts/authz"] {
        let two = server.send(&Request::new("GET", path).bearer(&access).bearer(&access));
        assert_eq!(
            (two.status, two.error()),
            (401, "token_invalid".into()),
            "{path}"
        );
        assert_eq!(two.header("www-authenticate"), Some("Bearer"));
    }
    let verify = server.send(
        &Request::new("POST", "/api/accounts/token/verify")
            .bearer("junk")
            .bearer(&access)
            .json(&json!({"token": access})),
    );
    assert_eq!(
        (verify.status, verify.error()),
        (401, "token_invalid".into())
    );
}

#[test]
fn a_body_naming_a_member_twice_is_refused_and_creates_nothing() {
    let server = TestServer::start();
    let body = format!(
        r#"{{"email":"first@example.com","password":"{PASSWORD}","nickname":"Twice","email":"second@example.com"}}"#
    );
    let reply =
        server.send(&Request::new("POST", "/api/accounts/signup").body("application/json", body));
    assert_eq!(
        (reply.status, reply.error()),
        (400, "validation_failed".into())
    );
    let message = reply.json()["fields"]["body"].as_str().unwrap().to_owned();
    assert!(message.contains("\"email\""), "{message}");
    // Neither address got an account: both can still sign up.
    server.signup("first@example.com", "First");
    server.signup("second@example.com", "Second");

    // Nested duplicates count too; a member spelt with an escape is the same member.
    let nested = r#"{"email":"x@example.com","password":"long enough pass","nickname":"N","n\u0069ckname":"M"}"#;
    let reply =
        server.send(&Request::new("POST", "/api/accounts/signup").body("application/json", nested));
    assert_eq!(
        (reply.status, reply.error()),
        (400, "validation_failed".into())
    );
    let fine = server.send(&Request::new("POST", "/api/accounts/login").body(
        "application/json",
        r#"{"extra":[{"k":1},{"k":2}],"email":"nobody@example.com","password":"long enough pass"}"#,
    ));
    assert_eq!(fine.error(), "invalid_credentials");
}
