//! What survives a restart: pending codes (SIGTERM and SIGKILL alike), users, sessions and
//! revocations; and what does not: expired codes.

use std::time::Duration;

use serde_json::json;

use crate::harness::TestServer;

fn verify(server: &TestServer, email: &str, code: &str) -> crate::client::Reply {
    server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": email, "code": code}),
    )
}

#[test]
fn a_pending_code_survives_a_graceful_restart() {
    let mut server = TestServer::start();
    server.signup("a@example.com", "Anna");
    let code = server.mail_to("a@example.com").code();
    assert_eq!(server.stop(), Some(0), "SIGTERM is a clean exit");
    server.restart();
    assert_eq!(verify(&server, "a@example.com", &code).status, 200);
}

#[test]
fn a_pending_code_survives_sigkill() {
    let mut server = TestServer::start();
    server.signup("a@example.com", "Anna");
    let code = server.mail_to("a@example.com").code();
    server.kill();
    server.restart();
    assert_eq!(verify(&server, "a@example.com", &code).status, 200);
    let link_code = {
        server.signup("b@example.com", "Bert");
        server.mail_to("b@example.com").link()
    };
    server.kill();
    server.restart();
    let token = link_code.split_once("token=").unwrap().1;
    let reply = server.post_json("/api/accounts/verify-email/link", &json!({"token": token}));
    assert_eq!(reply.status, 200, "links survive too: {}", reply.text());
}

#[test]
fn an_expired_code_does_not_come_back() {
    let mut server = TestServer::start_with(|c| {
        c.set("codes.ttl", "2s");
    });
    server.signup("a@example.com", "Anna");
    let code = server.mail_to("a@example.com").code();
    server.stop();
    std::thread::sleep(Duration::from_millis(2100));
    server.restart();
    assert_eq!(
        verify(&server, "a@example.com", &code).error(),
        "invalid_code"
    );
}

#[test]
fn users_sessions_and_revocations_survive() {
    let mut server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let kept = server.login("a@example.com");
    let ended = server.login("a@example.com");
    let ended_access = ended["access_token"].as_str().unwrap();
    assert_eq!(
        server
            .bearer("POST", "/api/accounts/logout", ended_access, None)
            .status,
        204
    );
    server.kill();
    server.restart();
    let access = kept["access_token"].as_str().unwrap();
    assert_eq!(
        server
            .bearer("GET", "/api/accounts/me", access, None)
            .status,
        200,
        "same key, same session"
    );
    let refreshed = server.post_json(
        "/api/accounts/token/refresh",
        &json!({"refresh_token": kept["refresh_token"]}),
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    assert_eq!(
        server
            .bearer("GET", "/api/accounts/me", ended_access, None)
            .error(),
        "token_revoked"
    );
    server.login("a@example.com");
}
