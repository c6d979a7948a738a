//! Tokens at the HTTP edge: refresh rotation with reuse detection and the grace window, types
//! kept apart, expiry, revocation, and where tokens may come from.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::TestServer;

fn refresh(server: &TestServer, token: &str) -> crate::client::Reply {
    server.post_json(
        "/api/accounts/token/refresh",
        &json!({"refresh_token": token}),
    )
}

fn s(v: &Value) -> String {
    v.as_str().unwrap().to_owned()
}

#[test]
fn rotation_with_grace_then_reuse_ends_the_session() {
    let server = TestServer::start_with(|c| {
        c.set("tokens.reuse_grace", "2s");
    });
    server.verified_user("a@example.com", "Anna");
    let login = server.login("a@example.com");
    let r1 = s(&login["refresh_token"]);

    let first = refresh(&server, &r1);
    assert_eq!(first.status, 200, "{}", first.text());
    let r2 = s(&first.json()["refresh_token"]);
    assert_ne!(r1, r2);

    // A second tab races with the same old token: same successor, byte for byte, new access.
    let racing = refresh(&server, &r1);
    assert_eq!(racing.status, 200, "{}", racing.text());
    assert_eq!(s(&racing.json()["refresh_token"]), r2);
    assert_ne!(racing.json()["access_token"], first.json()["access_token"]);

    std::thread::sleep(Duration::from_millis(2100));
    let reused = refresh(&server, &r1);
    assert_eq!(
        (reused.status, reused.error()),
        (401, "token_reused".into())
    );
    let after = refresh(&server, &r2);
    assert_eq!((after.status, after.error()), (401, "token_revoked".into()));
    let access = s(&first.json()["access_token"]);
    assert_eq!(
        server
            .bearer("GET", "/api/accounts/me", &access, None)
            .error(),
        "token_revoked"
    );

    let warning = server
        .smtp
        .wait_for_nth("a@example.com", 2, Duration::from_secs(10));
    assert!(warning.subject().contains("ended"), "{}", warning.subject());
}

#[test]
fn the_grace_never_revives_an_ended_session() {
    let server = TestServer::start_with(|c| {
        c.set("tokens.reuse_grace", "30s");
    });
    server.verified_user("a@example.com", "Anna");
    let login = server.login("a@example.com");
    let r1 = s(&login["refresh_token"]);
    let rotated = refresh(&server, &r1).json();
    let logout = server.bearer(
        "POST",
        "/api/accounts/logout",
        &s(&rotated["access_token"]),
        None,
    );
    assert_eq!(logout.status, 204);
    assert_eq!(refresh(&server, &r1).error(), "token_revoked");
}

#[test]
fn refresh_takes_the_token_from_the_authorization_header_too() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let login = server.login("a@example.com");
    let reply = server.bearer(
        "POST",
        "/api/accounts/token/refresh",
        &s(&login["refresh_token"]),
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["user"]["email"], "a@example.com");
}

#[test]
fn access_and_refresh_tokens_are_not_interchangeable() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let login = server.login("a@example.com");
    let me = server.bearer("GET", "/api/accounts/me", &s(&login["refresh_token"]), None);
    assert_eq!((me.status, me.error()), (401, "token_invalid".into()));
    let swapped = refresh(&server, &s(&login["access_token"]));
    assert_eq!(
        (swapped.status, swapped.error()),
        (401, "token_invalid".into())
    );
    let checked = server.post_json(
        "/api/accounts/token/verify",
        &json!({"token": login["refresh_token"]}),
    );
    assert_eq!(checked.status, 200);
    assert_eq!(checked.json()["claims"]["token_type"], "refresh");
}

#[test]
fn missing_garbage_and_expired_tokens_say_which() {
    let server = TestServer::start_with(|c| {
        c.set("tokens.access_ttl", "1s");
    });
    let missing = server.get("/api/accounts/me");
    assert_eq!(
        (missing.status, missing.error()),
        (401, "token_missing".into())
    );
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let garbage = server.bearer("GET", "/api/accounts/me", "not.a.token", None);
    assert_eq!(garbage.error(), "token_invalid");
    let verify_missing = server.post_json("/api/accounts/token/verify", &json!({}));
    assert_eq!(verify_missing.error(), "token_missing");

    server.verified_user("a@example.com", "Anna");
    let access = s(&server.login("a@example.com")["access_token"]);
    std::thread::sleep(Duration::from_millis(2100));
    let expired = server.bearer("GET", "/api/accounts/me", &access, None);
    assert_eq!(
        (expired.status, expired.error()),
        (401, "token_expired".into())
    );
}

#[test]
fn logout_all_ends_every_session_of_the_user_only() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    server.verified_user("b@example.com", "Bert");
    let one = s(&server.login("a@example.com")["access_token"]);
    let two = server.login("a@example.com");
    let other = s(&server.login("b@example.com")["access_token"]);
    let out = server.bearer(
        "POST",
        "/api/accounts/logout",
        &one,
        Some(&json!({"all": true})),
    );
    assert_eq!(out.status, 204);
    assert_eq!(
        server
            .bearer("GET", "/api/accounts/me", &s(&two["access_token"]), None)
            .error(),
        "token_revoked"
    );
    assert_eq!(
        refresh(&server, &s(&two["refresh_token"])).error(),
        "token_revoked"
    );
    assert_eq!(
        server
            .bearer("GET", "/api/accounts/me", &other, None)
            .status,
        200
    );
}

#[test]
fn logout_of_one_session_leaves_the_others() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let one = s(&server.login("a@example.com")["access_token"]);
    let two = s(&server.login("a@example.com")["access_token"]);
    assert_eq!(
        server
            .bearer("POST", "/api/accounts/logout", &one, None)
            .status,
        204
    );
    assert_eq!(
        server.bearer("GET", "/api/accounts/me", &one, None).error(),
        "token_revoked"
    );
    assert_eq!(
        server.bearer("GET", "/api/accounts/me", &two, None).status,
        200
    );
    let bad_body = server.bearer(
        "POST",
        "/api/accounts/logout",
        &two,
        Some(&json!({"all": "yes"})),
    );
    assert_eq!(bad_body.error(), "validation_failed");
}

#[test]
fn token_verify_refuses_a_refresh_token_its_session_replaced() {
    let server = TestServer::start_with(|c| {
        c.set("tokens.reuse_grace", "1s");
    });
    server.verified_user("a@example.com", "Anna");
    let r1 = s(&server.login("a@example.com")["refresh_token"]);
    let r2 = s(&refresh(&server, &r1).json()["refresh_token"]);
    let check =
        |token: &str| server.post_json("/api/accounts/token/verify", &json!({"token": token}));
    assert_eq!(
        check(&r1).status,
        200,
        "the predecessor is live within the grace"
    );
    std::thread::sleep(Duration::from_millis(1100));
    let old = check(&r1);
    assert_eq!((old.status, old.error()), (401, "token_invalid".into()));
    assert_eq!(check(&r2).status, 200);
    assert_eq!(
        refresh(&server, &r2).status,
        200,
        "verifying the old one did not end the session"
    );
}
