//! CORS (SPEC §7): an allow-list of origins; preflights answered for them alone; no CORS
//! headers for anyone else, or for anyone when no origin is configured.

use serde_json::json;

use crate::client::{Reply, Request};
use crate::harness::TestServer;

const ALLOWED: &str = "https://app.example.com";

fn cors_server() -> TestServer {
    TestServer::start_with(|c| {
        c.set("server.cors_origins", vec![ALLOWED]);
    })
}

fn preflight(server: &TestServer, origin: &str) -> Reply {
    server.send(
        &Request::new("OPTIONS", "/api/accounts/login")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type, x-csrf-token",
            ),
    )
}

/// Every `access-control-*` header of `reply`.
fn cors_headers(reply: &Reply) -> Vec<&(String, String)> {
    reply
        .headers
        .iter()
        .filter(|(n, _)| n.starts_with("access-control-"))
        .collect()
}

/// Whether a comma-separated header lists `item` (case-insensitively).
fn lists(reply: &Reply, header: &str, item: &str) -> bool {
    reply
        .headers_named(header)
        .iter()
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case(item))
}

#[test]
fn a_preflight_from_an_allowed_origin_gets_the_full_answer() {
    let server = cors_server();
    let reply = preflight(&server, ALLOWED);
    assert_eq!(reply.status, 204, "{:?}", reply.headers);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    assert!(
        lists(&reply, "access-control-allow-methods", "POST"),
        "{:?}",
        reply.headers
    );
    for header in ["Content-Type", "Authorization", "X-CSRF-Token"] {
        assert!(
            lists(&reply, "access-control-allow-headers", header),
            "{header}: {:?}",
            reply.headers
        );
    }
    assert_eq!(reply.header("access-control-max-age"), Some("600"));
    assert!(lists(&reply, "vary", "Origin"), "{:?}", reply.headers);
    assert!(reply.body.is_empty());
}

#[test]
fn a_preflight_for_a_route_allows_that_routes_methods() {
    let server = cors_server();
    let reply = server.send(
        &Request::new("OPTIONS", "/api/accounts/me")
            .header("Origin", ALLOWED)
            .header("Access-Control-Request-Method", "PATCH"),
    );
    assert_eq!(reply.status, 204);
    for method in ["GET", "PATCH", "DELETE"] {
        assert!(
            lists(&reply, "access-control-allow-methods", method),
            "{method}: {:?}",
            reply.headers
        );
    }
}

#[test]
fn requests_from_an_allowed_origin_carry_the_cors_headers_errors_included() {
    let server = cors_server();
    let healthz = server.send(&Request::new("GET", "/healthz").header("Origin", ALLOWED));
    let failed = server.send(
        &Request::new("POST", "/api/accounts/login")
            .header("Origin", ALLOWED)
            .json(&json!({"email": "nobody@example.com", "password": "wrong password"})),
    );
    assert_eq!(healthz.status, 200);
    assert_eq!(failed.status, 401);
    for reply in [&healthz, &failed] {
        assert_eq!(reply.header("access-control-allow-origin"), Some(ALLOWED));
        assert_eq!(
            reply.header("access-control-allow-credentials"),
            Some("true")
        );
        assert!(lists(reply, "vary", "Origin"), "{:?}", reply.headers);
    }
}

#[test]
fn other_origins_get_no_cors_headers() {
    let server = cors_server();
    for origin in [
        "https://evil.example.com",
        "http://app.example.com",
        "https://app.example.com.evil.com",
        "null",
    ] {
        let preflight = preflight(&server, origin);
        assert!(
            cors_headers(&preflight).is_empty(),
            "{origin}: {:?}",
            preflight.headers
        );
        let get = server.send(&Request::new("GET", "/healthz").header("Origin", origin));
        assert_eq!(get.status, 200);
        assert!(cors_headers(&get).is_empty(), "{origin}: {:?}", get.headers);
    }
    let no_origin = server.get("/healthz");
    assert!(
        cors_headers(&no_origin).is_empty(),
        "{:?}",
        no_origin.headers
    );
}

#[test]
fn without_configured_origins_there_are_no_cors_headers() {
    let server = TestServer::start();
    let preflight = preflight(&server, ALLOWED);
    assert!(
        cors_headers(&preflight).is_empty(),
        "{:?}",
        preflight.headers
    );
    let get = server.send(&Request::new("GET", "/healthz").header("Origin", ALLOWED));
    assert_eq!(get.status, 200);
    assert!(cors_headers(&get).is_empty(), "{:?}", get.headers);
}
