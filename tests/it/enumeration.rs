//! Account enumeration: a log-in with an unknown address and one with a wrong password answer
//! alike in status, body and time (with the real argon2 cost), and password reset answers alike
//! for known and unknown addresses.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::Reply;
use crate::harness::TestServer;

/// How many timings of each kind the medians are taken over.
const SAMPLES: usize = 10;

fn login(server: &TestServer, email: &str) -> (Reply, Duration) {
    let started = Instant::now();
    let reply = server.post_json(
        "/api/accounts/login",
        &json!({"email": email, "password": "not the password"}),
    );
    (reply, started.elapsed())
}

fn median(mut timings: Vec<Duration>) -> Duration {
    timings.sort();
    let mid = timings.len() / 2;
    (timings[mid - 1] + timings[mid]) / 2
}

#[test]
fn unknown_email_and_wrong_password_answer_alike_in_body_and_time() {
    let server = TestServer::start_with(|c| {
        c.set("passwords.argon2_memory_kib", 19_456)
            .set("passwords.argon2_iterations", 2);
    });
    server.verified_user("known@example.com", "Known");
    // Warm up both paths (first-touch allocation, caches) before timing anything.
    let (known, _) = login(&server, "known@example.com");
    let (unknown, _) = login(&server, "unknown@example.com");
    assert_eq!(known.status, 401);
    assert_eq!(known.error(), "invalid_credentials");

    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    for _ in 0..SAMPLES {
        // Interleaved, so that a load spike from elsewhere hits both series alike.
        let (k, kt) = login(&server, "known@example.com");
        let (u, ut) = login(&server, "unknown@example.com");
        for reply in [&k, &u] {
            assert_eq!(reply.status, known.status);
            assert_eq!(reply.body, known.body);
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        }
        known_times.push(kt);
        unknown_times.push(ut);
    }
    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, known.body);

    let (k, u) = (median(known_times), median(unknown_times));
    let ratio = k.as_secs_f64().max(u.as_secs_f64()) / k.as_secs_f64().min(u.as_secs_f64());
    assert!(
        ratio <= 1.5,
        "median wrong password {k:?} vs unknown address {u:?}: ratio {ratio:.2}"
    );
}

#[test]
fn reset_for_unknown_and_known_addresses_answers_alike() {
    let server = TestServer::start_with(|c| {
        c.set("codes.resend_interval", "60s");
    });
    server.verified_user("known@example.com", "Known");
    server.signup("pending@example.com", "Pending");
    let reset =
        |email: &str| server.post_json("/api/accounts/password/reset", &json!({"email": email}));
    let unknown = reset("unknown@example.com");
    assert_eq!(unknown.status, 202, "{}", unknown.text());
    // Known, unverified, known again inside the resend interval, unknown again.
    for email in [
        "known@example.com",
        "pending@example.com",
        "known@example.com",
        "unknown@example.com",
        "Unknown@EXAMPLE.com",
    ] {
        let reply = reset(email);
        assert_eq!(reply.status, unknown.status, "{email}");
        assert_eq!(reply.body, unknown.body, "{email}");
        assert_eq!(reply.header("retry-after"), None, "{email}");
        assert_eq!(
            reply.header("content-type"),
            unknown.header("content-type"),
            "{email}"
        );
    }
    let mail = server
        .smtp
        .wait_for_nth("known@example.com", 2, Duration::from_secs(10));
    assert!(mail.subject().contains("Reset"), "{}", mail.subject());
}
