//! Forward authentication (SPEC §5.3): `/api/accounts/authz` as a reverse proxy calls it,
//! directly here and through a real nginx in `forward_nginx`.

use serde_json::json;

use crate::client::{Reply, Request};
use crate::harness::{PASSWORD, TestServer};

const AUTHZ: &str = "/api/accounts/authz";

fn access(server: &TestServer, email: &str) -> String {
    server.login(email)["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_live_access_token_is_200_with_who_for_any_method() {
    let server = TestServer::start();
    let user = server.verified_user("a@example.com", "Anna");
    let login = server.login("a@example.com");
    let token = login["access_token"].as_str().unwrap();
    for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
        let reply = server.send(
            &Request::new(method, AUTHZ)
                .bearer(token)
                .body("text/plain", "ignored, whatever it is"),
        );
        assert_eq!(reply.status, 200, "{method}: {}", reply.text());
        assert_eq!(
            reply.header("x-auth-user-id"),
            user["id"].as_str(),
            "{method}"
        );
        assert_eq!(reply.header("x-auth-email"), Some("a@example.com"));
        let sid = reply.header("x-auth-session-id").unwrap();
        assert!(sid.len() >= 16, "{sid}");
    }
}

#[test]
fn no_bad_expired_refresh_or_ended_tokens_pass() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let login = server.login("a@example.com");
    let refresh = login["refresh_token"].as_str().unwrap();
    let expect = |reply: Reply, code: &str| {
        assert_eq!((reply.status, reply.error()), (401, code.to_owned()));
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        assert!(reply.header("x-auth-user-id").is_none());
    };
    expect(server.send(&Request::new("GET", AUTHZ)), "token_missing");
    expect(
        server.send(&Request::new("GET", AUTHZ).bearer("a.b.c")),
        "token_invalid",
    );
    // A refresh token is never an access token.
    expect(
        server.send(&Request::new("GET", AUTHZ).bearer(refresh)),
        "token_invalid",
    );

    let token = access(&server, "a@example.com");
    let ok = server.send(&Request::new("GET", AUTHZ).bearer(&token));
    assert_eq!(ok.status, 200);
    let out = server.bearer("POST", "/api/accounts/logout", &token, Some(&json!({})));
    assert!(out.status < 300, "{}", out.text());
    expect(
        server.send(&Request::new("GET", AUTHZ).bearer(&token)),
        "token_revoked",
    );
}

#[test]
fn a_cookie_token_needs_the_csrf_header_when_the_forwarded_method_changes_state() {
    let server = TestServer::start_with(|c| {
        c.set("tokens.transport", "cookie")
            .set("server.insecure_cookies", true);
    });
    server.verified_user("a@example.com", "Anna");
    let login = server.post_json(
        "/api/accounts/login",
        &json!({"email": "a@example.com", "password": PASSWORD}),
    );
    assert_eq!(login.status, 200, "{}", login.text());
    let cookie = |name: &str| {
        login
            .headers_named("set-cookie")
            .into_iter()
            .find_map(|c| c.strip_prefix(&format!("{name}="))?.split(';').next())
            .unwrap()
            .to_owned()
    };
    let (access, csrf) = (cookie("latchkey_access"), cookie("latchkey_csrf"));
    let jar = format!("latchkey_access={access}; latchkey_csrf={csrf}");
    let with = |forwarded: Option<&str>, token: Option<&str>| {
        let mut r = Request::new("GET", AUTHZ).header("Cookie", &jar);
        if let Some(m) = forwarded {
            r = r.header("X-Forwarded-Method", m);
        }
        if let Some(t) = token {
            r = r.header("X-CSRF-Token", t);
        }
        server.send(&r)
    };
    assert_eq!(with(None, None).status, 200);
    assert_eq!(with(Some("GET"), None).status, 200);
    let refused = with(Some("POST"), None);
    assert_eq!(
        (refused.status, refused.error()),
        (403, "csrf_failed".into())
    );
    assert_eq!(with(Some("DELETE"), Some("wrong")).status, 403);
    assert_eq!(with(Some("POST"), Some(&csrf)).status, 200);
}
