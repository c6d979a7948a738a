//! Rate limits (SPEC §7): per client IP on sign-up, log-in, verify, resend and reset; failed
//! log-ins per address; where the client IP comes from; and the metric that counts refusals.

use serde_json::{Value, json};

use crate::client::{Reply, Request};
use crate::harness::{PASSWORD, TestServer};

fn assert_limited(reply: &Reply, what: &str) {
    assert_eq!(
        (reply.status, reply.error()),
        (429, "rate_limited".into()),
        "{what}: {}",
        reply.text()
    );
    let retry: u64 = reply
        .header("retry-after")
        .unwrap_or_else(|| panic!("{what}: no Retry-After"))
        .parse()
        .unwrap_or_else(|e| panic!("{what}: Retry-After is not whole seconds: {e}"));
    assert!(retry >= 1, "{what}: Retry-After {retry}");
}

fn login(server: &TestServer, email: &str, password: &str) -> Reply {
    server.post_json(
        "/api/accounts/login",
        &json!({"email": email, "password": password}),
    )
}

fn login_from(server: &TestServer, forwarded_for: &str) -> Reply {
    server.send(
        &Request::new("POST", "/api/accounts/login")
            .header("X-Forwarded-For", forwarded_for)
            .json(&json!({"email": "nobody@example.com", "password": PASSWORD})),
    )
}

fn signup_body(i: usize) -> Value {
    json!({"email": format!("user{i}@example.com"), "password": PASSWORD, "nickname": format!("User{i}")})
}

#[test]
fn login_over_the_per_ip_limit_is_rate_limited_with_retry_after() {
    let server = TestServer::start_with(|c| {
        c.set("rate_limits.login", "3/m");
    });
    server.verified_user("a@example.com", "Anna");
    for i in 0..3 {
        assert_eq!(
            login(&server, "nobody@example.com", "wrong password").status,
            401,
            "#{i}"
        );
    }
    assert_limited(&login(&server, "a@example.com", PASSWORD), "the 4th log-in");
    assert_limited(&login(&server, "a@example.com", PASSWORD), "the 5th log-in");

    let metrics = server.get("/metrics").text();
    let line = metrics
        .lines()
        .find(|l| l.starts_with(r#"latchkey_rate_limited_total{route="/api/accounts/login"}"#))
        .unwrap_or_else(|| panic!("no rate-limit metric for login:\n{metrics}"));
    assert!(line.ends_with(" 2"), "{line}");

    // Other routes have their own budgets.
    assert_eq!(
        server
            .post_json(
                "/api/accounts/password/reset",
                &json!({"email": "a@example.com"})
            )
            .status,
        202
    );
}

#[test]
fn signup_over_the_per_ip_limit_is_rate_limited() {
    let server = TestServer::start_with(|c| {
        c.set("rate_limits.signup", "3/m");
    });
    for i in 0..3 {
        let reply = server.post_json("/api/accounts/signup", &signup_body(i));
        assert_eq!(reply.status, 201, "#{i}: {}", reply.text());
    }
    assert_limited(
        &server.post_json("/api/accounts/signup", &signup_body(3)),
        "the 4th sign-up",
    );
    assert!(
        server.smtp.to("user3@example.com").is_empty(),
        "a refused sign-up mails nothing"
    );
    assert_eq!(login(&server, "user3@example.com", PASSWORD).status, 401);
}

#[test]
fn verify_by_code_and_by_link_share_one_per_ip_limit() {
    let server = TestServer::start_with(|c| {
        c.set("rate_limits.verify", "3/m");
    });
    server.signup("a@example.com", "Anna");
    let mail = server.mail_to("a@example.com");
    let code = server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": "a@example.com", "code": "ZZZZZZ"}),
    );
    assert_eq!(code.error(), "invalid_code");
    let link = server.post_json(
        "/api/accounts/verify-email/link",
        &json!({"token": "not-a-real-token"}),
    );
    assert_eq!(link.error(), "invalid_code");
    let form = server.send(
        &Request::new("POST", "/api/accounts/verify-email/link").body(
            "application/x-www-form-urlencoded",
            "token=not-a-real-token",
        ),
    );
    assert_eq!(form.status, 400);

    let right_code = server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": "a@example.com", "code": mail.code()}),
    );
    assert_limited(&right_code, "the 4th verify, by code");
    let token = mail.link().split("token=").nth(1).unwrap().to_owned();
    let right_link = server.post_json("/api/accounts/verify-email/link", &json!({"token": token}));
    assert_limited(&right_link, "the 5th verify, by link");
    assert_eq!(
        login(&server, "a@example.com", PASSWORD).error(),
        "account_inactive",
        "the refused verifications did nothing"
    );
}

#[test]
fn resend_over_the_per_ip_limit_is_rate_limited() {
    let server = TestServer::start_with(|c| {
        c.set("rate_limits.resend", "3/m");
    });
    server.signup("a@example.com", "Anna");
    let body = json!({"email": "a@example.com", "password": PASSWORD});
    for i in 0..3 {
        let reply = server.post_json("/api/accounts/resend-code", &body);
        assert_eq!(reply.status, 200, "#{i}: {}", reply.text());
    }
    assert_limited(
        &server.post_json("/api/accounts/resend-code", &body),
        "the 4th resend",
    );
}

#[test]
fn reset_over_the_per_ip_limit_is_refused_alike_for_known_and_unknown_addresses() {
    let server = TestServer::start_with(|c| {
        c.set("rate_limits.reset", "3/m");
    });
    server.verified_user("a@example.com", "Anna");
    let reset =
        |email: &str| server.post_json("/api/accounts/password/reset", &json!({"email": email}));
    for email in ["a@example.com", "x@example.com", "y@example.com"] {
        assert_eq!(reset(email).status, 202, "{email}");
    }
    let known = reset("a@example.com");
    let unknown = reset("nobody@example.com");
    assert_limited(&known, "a known address");
    assert_limited(&unknown, "an unknown address");
    assert_eq!(known.body, unknown.body);
}

#[test]
fn failed_logins_block_the_address_whatever_the_password_and_the_ip() {
    let server = TestServer::start_with(|c| {
        c.set("rate_limits.failed_logins_per_email", "3/h")
            .set("server.trusted_proxies", vec!["127.0.0.1"]);
    });
    server.verified_user("a@example.com", "Anna");
    server.verified_user("b@example.com", "Bert");
    for i in 0..3 {
        let reply = login(&server, "a@example.com", "wrong password");
        assert_eq!(reply.error(), "invalid_credentials", "#{i}");
    }
    assert_limited(
        &login(&server, "a@example.com", PASSWORD),
        "the right password",
    );
    assert_limited(
        &login(&server, "A@EXAMPLE.COM", "wrong password"),
        "a wrong one",
    );
    let elsewhere = server.send(
        &Request::new("POST", "/api/accounts/login")
            .header("X-Forwarded-For", "9.9.9.9")
            .json(&json!({"email": "a@example.com", "password": PASSWORD})),
    );
    assert_limited(&elsewhere, "from another IP");

    assert_eq!(login(&server, "b@example.com", PASSWORD).status, 200);
    assert_eq!(
        login(&server, "b@example.com", "wrong password").error(),
        "invalid_credentials"
    );
}

#[test]
fn a_successful_login_does_not_count_against_the_address() {
    let server = TestServer::start_with(|c| {
        c.set("rate_limits.failed_logins_per_email", "3/h");
    });
    server.verified_user("a@example.com", "Anna");
    for _ in 0..2 {
        assert_eq!(
            login(&server, "a@example.com", "wrong password").status,
            401
        );
    }
    for i in 0..5 {
        let reply = login(&server, "a@example.com", PASSWORD);
        assert_eq!(reply.status, 200, "success #{i}: {}", reply.text());
    }
    assert_eq!(
        login(&server, "a@example.com", "wrong password").error(),
        "invalid_credentials",
        "only the third failure spends the budget"
    );
    assert_limited(
        &login(&server, "a@example.com", PASSWORD),
        "after three failures",
    );
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let server = TestServer::start_with(|c| {
        c.set("rate_limits.login", "2/m")
            .set("server.trusted_proxies", vec!["127.0.0.1"]);
    });
    for _ in 0..2 {
        assert_eq!(login_from(&server, "1.2.3.4").status, 401);
    }
    assert_limited(&login_from(&server, "1.2.3.4"), "1.2.3.4, third time");
    assert_limited(
        &login_from(&server, "6.6.6.6, 1.2.3.4"),
        "a spoofed left-most entry",
    );
    assert_limited(
        &login_from(&server, "7.7.7.7, 1.2.3.4"),
        "another spoofed left-most entry",
    );
    assert_eq!(login_from(&server, "5.6.7.8").status, 401, "another client");
    assert_eq!(login_from(&server, "1.2.3.4, 5.6.7.8").status, 401);
    assert_limited(&login_from(&server, "5.6.7.8"), "5.6.7.8, third time");
    assert_eq!(
        login(&server, "nobody@example.com", PASSWORD).status,
        401,
        "the proxy's own address has its own budget"
    );
}

#[test]
fn without_trusted_proxies_x_forwarded_for_is_ignored() {
    let server = TestServer::start_with(|c| {
        c.set("rate_limits.login", "2/m");
    });
    assert_eq!(login_from(&server, "1.1.1.1").status, 401);
    assert_eq!(login_from(&server, "2.2.2.2").status, 401);
    assert_limited(&login_from(&server, "3.3.3.3"), "a third forwarded address");
    assert_limited(
        &login(&server, "nobody@example.com", PASSWORD),
        "no header at all",
    );
}

#[test]
fn past_the_hashing_queue_logins_are_turned_away_at_once_with_503() {
    let server = std::sync::Arc::new(TestServer::start_with(|c| {
        c.set("passwords.max_queue", 0)
            .set("passwords.argon2_memory_kib", 19_456)
            .set("passwords.argon2_iterations", 2);
    }));
    server.verified_user("a@example.com", "Anna");
    // The server hashes on one thread per core and queues nothing: four times as many log-ins
    // as cores, sent at once while each hash takes tens of milliseconds, cannot all be admitted.
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let parallel = 4 * cores + 8;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(parallel));
    let handles: Vec<_> = (0..parallel)
        .map(|_| {
            let (server, barrier) = (server.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                login(&server, "a@example.com", PASSWORD)
            })
        })
        .collect();
    let replies: Vec<Reply> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let refused: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    for reply in &refused {
        assert_eq!(reply.error(), "unavailable");
        assert!(reply.header("retry-after").is_some());
    }
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 503));
    assert!(replies.iter().any(|r| r.status == 200), "some got through");
    assert!(
        !refused.is_empty(),
        "with {cores} cores and no queue, {parallel} at once cannot all be hashed"
    );
}

#[test]
fn parallel_wrong_passwords_cannot_outrun_the_failed_login_budget() {
    let server = std::sync::Arc::new(TestServer::start_with(|c| {
        c.set("rate_limits.failed_logins_per_email", "5/h");
    }));
    server.verified_user("a@example.com", "Anna");
    let handles: Vec<_> = (0..30)
        .map(|i| {
            let server = server.clone();
            std::thread::spawn(move || {
                login(&server, "a@example.com", &format!("wrong password {i}")).status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        25,
        "{statuses:?}"
    );
    assert_limited(
        &login(&server, "a@example.com", PASSWORD),
        "the right password after the budget",
    );
}
