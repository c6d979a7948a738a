//! Codes: forgiving input, wrong, expired, reused and replaced codes, the attempt limit, and
//! resending.

use std::time::Duration;

use serde_json::json;

use crate::harness::{PASSWORD, TestServer};

fn verify(server: &TestServer, email: &str, code: &str) -> crate::client::Reply {
    server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": email, "code": code}),
    )
}

/// A code that is not `code` (same alphabet, one character changed).
fn wrong(code: &str) -> String {
    let first = if code.starts_with('A') { 'B' } else { 'A' };
    format!("{first}{}", &code[1..])
}

/// Resends the sign-up code of `email` until the mailed one holds `digit`; returns it.
fn code_holding(server: &TestServer, email: &str, digit: char) -> String {
    for sent in 1..=300 {
        let code = server
            .smtp
            .wait_for_nth(email, sent, Duration::from_secs(10))
            .code();
        if code.contains(digit) {
            return code;
        }
        let body = json!({"email": email, "password": PASSWORD});
        let reply = server.post_json("/api/accounts/resend-code", &body);
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    panic!("300 codes without a {digit}");
}

#[test]
fn typed_codes_are_forgiving() {
    let server = TestServer::start();
    // Case, spaces and dashes, and each look-alike, on a code that really holds the digit.
    for (email, digit, typed_as) in [
        ("zero@example.com", '0', "o"),
        ("one@example.com", '1', "l"),
        ("eye@example.com", '1', "I"),
    ] {
        server.signup(email, &format!("nick {digit} {typed_as}"));
        let code = code_holding(&server, email, digit);
        let typed = format!(
            " {}-{} ",
            code[..3].replace(digit, typed_as).to_lowercase(),
            code[3..].replace(digit, typed_as)
        );
        assert!(!typed.contains(digit), "{typed}");
        let reply = verify(&server, &email.to_uppercase(), &typed);
        assert_eq!(reply.status, 200, "{code} typed {typed}: {}", reply.text());
    }
}

#[test]
fn wrong_then_right_works_and_used_codes_do_not() {
    let server = TestServer::start();
    server.signup("a@example.com", "Anna");
    let code = server.mail_to("a@example.com").code();
    let bad = verify(&server, "a@example.com", &wrong(&code));
    assert_eq!((bad.status, bad.error()), (400, "invalid_code".into()));
    assert_eq!(verify(&server, "a@example.com", &code).status, 200);
    let reused = verify(&server, "a@example.com", &code);
    assert_eq!(
        (reused.status, reused.error()),
        (400, "invalid_code".into())
    );
}

#[test]
fn codes_for_unknown_addresses_are_just_invalid() {
    let server = TestServer::start();
    let reply = verify(&server, "nobody@example.com", "ABC123");
    assert_eq!((reply.status, reply.error()), (400, "invalid_code".into()));
}

#[test]
fn the_attempt_limit_voids_the_code_and_then_even_the_right_one_is_refused() {
    let server = TestServer::start_with(|c| {
        c.set("codes.max_attempts", 3)
            .set("codes.resend_interval", "30s");
    });
    server.signup("a@example.com", "Anna");
    let code = server.mail_to("a@example.com").code();
    for _ in 0..3 {
        assert_eq!(
            verify(&server, "a@example.com", &wrong(&code)).error(),
            "invalid_code"
        );
    }
    let right = verify(&server, "a@example.com", &code);
    assert_eq!(
        (right.status, right.error()),
        (429, "too_many_attempts".into())
    );
    let retry: u64 = right.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (1..=30).contains(&retry),
        "seconds until a new code may be asked for: {retry}"
    );
}

#[test]
fn an_expired_code_is_invalid() {
    let server = TestServer::start_with(|c| {
        c.set("codes.ttl", "2s");
    });
    server.signup("a@example.com", "Anna");
    let code = server.mail_to("a@example.com").code();
    std::thread::sleep(Duration::from_millis(2100));
    let reply = verify(&server, "a@example.com", &code);
    assert_eq!((reply.status, reply.error()), (400, "invalid_code".into()));
}

#[test]
fn resending_replaces_the_code() {
    let server = TestServer::start();
    server.signup("a@example.com", "Anna");
    let first = server.mail_to("a@example.com").code();
    let resent = server.post_json(
        "/api/accounts/resend-code",
        &json!({"email": "a@example.com", "password": PASSWORD}),
    );
    assert_eq!(resent.status, 200, "{}", resent.text());
    let second = server
        .smtp
        .wait_for_nth("a@example.com", 2, Duration::from_secs(10))
        .code();
    if first != second {
        assert_eq!(
            verify(&server, "a@example.com", &first).error(),
            "invalid_code"
        );
    }
    assert_eq!(verify(&server, "a@example.com", &second).status, 200);
    let active = server.post_json(
        "/api/accounts/resend-code",
        &json!({"email": "a@example.com", "password": PASSWORD}),
    );
    assert_eq!(
        (active.status, active.error()),
        (403, "account_already_active".into())
    );
}

#[test]
fn resending_needs_the_password_and_waits_for_the_interval() {
    let server = TestServer::start_with(|c| {
        c.set("codes.resend_interval", "60s");
    });
    server.signup("a@example.com", "Anna");
    server.mail_to("a@example.com");
    let wrong = server.post_json(
        "/api/accounts/resend-code",
        &json!({"email": "a@example.com", "password": "wrong password"}),
    );
    assert_eq!(
        (wrong.status, wrong.error()),
        (401, "invalid_credentials".into())
    );
    let early = server.post_json(
        "/api/accounts/resend-code",
        &json!({"email": "a@example.com", "password": PASSWORD}),
    );
    assert_eq!((early.status, early.error()), (429, "rate_limited".into()));
    let retry: u64 = early.header("retry-after").unwrap().parse().unwrap();
    assert!((55..=60).contains(&retry), "{retry}");
    assert_eq!(
        server.smtp.to("a@example.com").len(),
        1,
        "nothing more was sent"
    );
}
