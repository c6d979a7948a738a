//! The seed flow end to end: sign up, read the mailed code, verify, log in, use the tokens,
//! log out.

use serde_json::json;

use crate::harness::{PASSWORD, TestServer};

#[test]
fn sign_up_verify_log_in_refresh_and_log_out() {
    let server = TestServer::start();
    let created = server.signup("Alice@Example.COM", "Alice");
    assert_eq!(created["user"]["email"], "alice@example.com");
    assert_eq!(created["user"]["is_active"], false);

    let mail = server.mail_to("alice@example.com");
    let code = mail.code();
    assert_eq!(code.len(), 6);
    let verified = server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": "alice@example.com", "code": code}),
    );
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert_eq!(verified.json()["user"]["is_active"], true);

    let login = server.login("ALICE@example.com");
    assert_eq!(login["token_type"], "Bearer");
    assert_eq!(login["expires_in"], 600);
    assert_eq!(login["refresh_expires_in"], 7 * 86_400);
    assert_eq!(login["user"]["email"], "alice@example.com");
    let access = login["access_token"].as_str().unwrap();
    let refresh = login["refresh_token"].as_str().unwrap();

    let me = server.bearer("GET", "/api/accounts/me", access, None);
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["id"], created["user"]["id"]);

    let checked = server.post_json("/api/accounts/token/verify", &json!({"token": access}));
    assert_eq!(checked.status, 200);
    assert_eq!(checked.json()["valid"], true);
    assert_eq!(checked.json()["claims"]["token_type"], "access");

    let refreshed = server.post_json(
        "/api/accounts/token/refresh",
        &json!({"refresh_token": refresh}),
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    let new_access = refreshed.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(refreshed.json()["refresh_token"], refresh);

    let logout = server.bearer("POST", "/api/accounts/logout", &new_access, None);
    assert_eq!(logout.status, 204);
    for token in [access, new_access.as_str()] {
        let me = server.bearer("GET", "/api/accounts/me", token, None);
        assert_eq!((me.status, me.error()), (401, "token_revoked".into()));
        let checked = server.post_json("/api/accounts/token/verify", &json!({"token": token}));
        assert_eq!(
            (checked.status, checked.error()),
            (401, "token_revoked".into())
        );
    }
}

#[test]
fn the_user_object_has_exactly_the_public_fields() {
    let server = TestServer::start();
    let user = server.signup("bob@example.com", "Bob")["user"].clone();
    let mut keys: Vec<_> = user.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["created_at", "email", "id", "is_active", "nickname"]);
    let id = user["id"].as_str().unwrap();
    assert!(
        id.len() >= 16 && id.parse::<u64>().is_err(),
        "an opaque id, not a counter: {id}"
    );
    let created = user["created_at"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && created.contains('T'),
        "RFC 3339 UTC: {created}"
    );
}

#[test]
fn logging_in_before_verifying_is_forbidden_only_with_the_right_password() {
    let server = TestServer::start();
    server.signup("carol@example.com", "Carol");
    let right = server.post_json(
        "/api/accounts/login",
        &json!({"email": "carol@example.com", "password": PASSWORD}),
    );
    assert_eq!(
        (right.status, right.error()),
        (403, "account_inactive".into())
    );
    let wrong = server.post_json(
        "/api/accounts/login",
        &json!({"email": "carol@example.com", "password": "not the password"}),
    );
    assert_eq!(
        (wrong.status, wrong.error()),
        (401, "invalid_credentials".into())
    );
}

#[test]
fn unknown_email_and_wrong_password_look_the_same() {
    let server = TestServer::start();
    server.verified_user("dave@example.com", "Dave");
    let wrong = server.post_json(
        "/api/accounts/login",
        &json!({"email": "dave@example.com", "password": "wrong password"}),
    );
    let unknown = server.post_json(
        "/api/accounts/login",
        &json!({"email": "nobody@example.com", "password": "wrong password"}),
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn a_taken_email_or_nickname_is_a_conflict() {
    let server = TestServer::start();
    server.signup("erin@example.com", "Erin");
    let again = server.post_json(
        "/api/accounts/signup",
        &json!({"email": "ERIN@example.com", "password": PASSWORD, "nickname": "Other"}),
    );
    assert_eq!((again.status, again.error()), (409, "email_taken".into()));
    let nick = server.post_json(
        "/api/accounts/signup",
        &json!({"email": "frank@example.com", "password": PASSWORD, "nickname": "ERIN"}),
    );
    assert_eq!((nick.status, nick.error()), (409, "nickname_taken".into()));
}

#[test]
fn sign_up_names_every_bad_field() {
    let server = TestServer::start();
    let reply = server.post_json(
        "/api/accounts/signup",
        &json!({"email": "not-an-email", "password": "short", "is_active": true}),
    );
    assert_eq!(
        (reply.status, reply.error()),
        (400, "validation_failed".into())
    );
    let fields = reply.json()["fields"].clone();
    assert!(fields["email"].is_string(), "{fields}");
    assert!(fields["password"].is_string(), "{fields}");
    assert_eq!(fields["nickname"], "is required");
    let array = server.post_json("/api/accounts/signup", &json!({"email": ["a@example.com", "b@example.com"], "password": PASSWORD, "nickname": "Gina"}));
    assert_eq!(
        (array.status, array.error()),
        (400, "validation_failed".into())
    );
    assert_eq!(array.json()["fields"]["email"], "must be a string");
}

#[test]
fn clients_cannot_set_server_fields() {
    let server = TestServer::start();
    let reply = server.post_json(
        "/api/accounts/signup",
        &json!({"email": "hank@example.com", "password": PASSWORD, "nickname": "Hank", "is_active": true, "id": "admin"}),
    );
    assert_eq!(reply.status, 201);
    assert_eq!(reply.json()["user"]["is_active"], false);
    assert_ne!(reply.json()["user"]["id"], "admin");
}

#[test]
fn the_server_log_never_holds_the_password_or_the_code() {
    let server = TestServer::start();
    server.verified_user("ivy@example.com", "Ivy");
    server.login("ivy@example.com");
    let code = server.mail_to("ivy@example.com").code();
    let log = server.log();
    assert!(log.contains("request"), "the log is being written: {log}");
    assert!(!log.contains(crate::harness::PASSWORD));
    assert!(!log.contains(&code));
}
