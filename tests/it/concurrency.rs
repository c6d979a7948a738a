//! Races: one address signed up ten times at once, and wrong guesses in parallel.

use std::sync::Arc;

use serde_json::json;

use crate::harness::{PASSWORD, TestServer};

#[test]
fn ten_parallel_signups_with_one_email_make_one_account() {
    let server = Arc::new(TestServer::start());
    let handles: Vec<_> = (0..10)
        .map(|i| {
            let server = server.clone();
            std::thread::spawn(move || {
                let body = json!({"email": "same@example.com", "password": PASSWORD, "nickname": format!("racer{i}")});
                server.post_json("/api/accounts/signup", &body).status
            })
        })
        .collect();
    let mut statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
}

#[test]
fn parallel_wrong_guesses_never_exceed_the_attempt_limit() {
    let server = Arc::new(TestServer::start_with(|c| {
        c.set("codes.max_attempts", 5);
    }));
    server.signup("a@example.com", "Anna");
    let code = server.mail_to("a@example.com").code();
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let server = server.clone();
            let guess = format!("ZZZZ{:02}", i % 10);
            let guess = if guess == code {
                "ZZZZ99".to_owned()
            } else {
                guess
            };
            std::thread::spawn(move || {
                server
                    .post_json(
                        "/api/accounts/verify-email",
                        &json!({"email": "a@example.com", "code": guess}),
                    )
                    .error()
            })
        })
        .collect();
    let answers: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let wrong = answers.iter().filter(|a| *a == "invalid_code").count();
    let blocked = answers.iter().filter(|a| *a == "too_many_attempts").count();
    assert_eq!((wrong, blocked), (5, 15), "{answers:?}");
    let right = server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": "a@example.com", "code": code}),
    );
    assert_eq!(right.error(), "too_many_attempts");
}
