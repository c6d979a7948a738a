//! The HTTP edge: routes, methods, content types, body limits, timeouts, header limits, and
//! the error shape.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::json;

use crate::client::{Request, read_reply};
use crate::harness::TestServer;

#[test]
fn unknown_routes_are_404_with_the_error_shape() {
    let server = TestServer::start();
    let reply = server.get("/api/accounts/nope");
    assert_eq!(reply.status, 404);
    let body = reply.json();
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(reply.header("x-request-id").is_some());
}

#[test]
fn wrong_methods_are_405_with_allow() {
    let server = TestServer::start();
    let reply = server.get("/api/accounts/login");
    assert_eq!(
        (reply.status, reply.error()),
        (405, "method_not_allowed".into())
    );
    assert_eq!(reply.header("allow"), Some("POST"));
    let me = server.send(&Request::new("PUT", "/api/accounts/me"));
    assert_eq!(me.status, 405);
    assert!(me.header("allow").unwrap().contains("GET"));
}

#[test]
fn paths_take_a_trailing_slash() {
    let server = TestServer::start();
    assert_eq!(server.get("/healthz/").status, 200);
    let reply = server.post_json(
        "/api/accounts/login/",
        &json!({"email": "x@example.com", "password": "whatever123"}),
    );
    assert_eq!(reply.error(), "invalid_credentials");
}

#[test]
fn bodies_must_be_json_objects_within_the_limit() {
    let server = TestServer::start_with(|c| {
        c.set("server.body_limit", 1024);
    });
    let text =
        server.send(&Request::new("POST", "/api/accounts/login").body("text/plain", "email=x"));
    assert_eq!(
        (text.status, text.error()),
        (415, "unsupported_media_type".into())
    );
    let broken = server
        .send(&Request::new("POST", "/api/accounts/login").body("application/json", "{\"email\":"));
    assert_eq!(
        (broken.status, broken.error()),
        (400, "invalid_json".into())
    );
    let array =
        server.send(&Request::new("POST", "/api/accounts/login").body("application/json", "[]"));
    assert_eq!(
        (array.status, array.error()),
        (400, "validation_failed".into())
    );
    let big = server.send(&Request::new("POST", "/api/accounts/login").body(
        "application/json",
        format!("{{\"x\":\"{}\"}}", "a".repeat(2000)),
    ));
    assert_eq!((big.status, big.error()), (413, "body_too_large".into()));
    let empty = server.send(&Request::new("POST", "/api/accounts/login"));
    assert_eq!(
        (empty.status, empty.error()),
        (400, "validation_failed".into())
    );
}

#[test]
fn a_body_that_does_not_arrive_in_time_is_408() {
    let server = TestServer::start_with(|c| {
        c.set("server.body_timeout", "1s");
    });
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = "POST /api/accounts/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":";
    stream.write_all(head.as_bytes()).unwrap();
    let reply = read_reply(&mut stream).unwrap();
    assert_eq!(reply.status, 408);
    assert_eq!(reply.error(), "request_timeout");
}

#[test]
fn oversized_headers_are_431() {
    let server = TestServer::start();
    let request = Request::new("GET", "/healthz").header("X-Big", &"a".repeat(64 * 1024));
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The server may answer and close before reading all of it; a reset on write is fine.
    let _ = stream.write_all(&request.bytes(server.addr));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
}

#[test]
fn healthz_answers_ok() {
    let server = TestServer::start();
    let reply = server.get("/healthz");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"status": "ok"}));
}

#[test]
fn metrics_are_prometheus_text_with_the_spec_names() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    server.login("a@example.com");
    let text = server.get("/metrics").text();
    for name in [
        "latchkey_http_requests_total{",
        "latchkey_http_request_duration_seconds_bucket{",
        "latchkey_signups_total 1",
        "latchkey_logins_total{result=\"success\"} 1",
        "latchkey_tokens_issued_total{type=\"access\"}",
        "latchkey_mail_total{state=\"sent\"}",
        "latchkey_outbox_depth",
        "latchkey_pending_codes 0",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
}

#[test]
fn json_logs_are_one_object_per_line_with_the_request_fields() {
    let server = TestServer::start_with(|c| {
        c.set("log.format", "json");
    });
    assert_eq!(server.get("/healthz").status, 200);
    std::thread::sleep(Duration::from_millis(200));
    let log = server.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let request = lines
        .iter()
        .find(|l| l["fields"]["message"] == "request" && l["span"]["path"] == "/healthz")
        .unwrap_or_else(|| panic!("no request line:\n{log}"));
    assert_eq!(request["fields"]["status"], 200);
    assert_eq!(request["span"]["method"], "GET");
    assert!(request["span"]["id"].is_string());
    assert!(request["fields"]["latency_us"].is_number());
}

#[test]
fn connections_that_never_send_a_request_are_closed_and_free_their_slot() {
    let server = TestServer::start_with(|c| {
        c.set("server.max_connections", 4)
            .set("server.header_timeout", "1s");
    });
    let silent: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    for mut socket in silent {
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        match socket.read(&mut [0; 16]) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("the server kept a silent connection open: {other:?}"),
        }
    }
    assert_eq!(server.get("/healthz").status, 200);
}
