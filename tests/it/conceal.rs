//! `accounts.conceal_existing`: a sign-up with a registered address answers like a new one and
//! tells the owner instead; without it, the address is a plain conflict.

use std::time::Duration;

use serde_json::{Value, json};

use crate::client::Reply;
use crate::harness::{PASSWORD, TestServer};

fn signup(server: &TestServer, email: &str, password: &str, nickname: &str) -> Reply {
    server.post_json(
        "/api/accounts/signup",
        &json!({"email": email, "password": password, "nickname": nickname}),
    )
}

/// The keys of a JSON object, sorted.
fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[test]
fn with_conceal_existing_a_taken_address_signs_up_like_a_new_one() {
    let server = TestServer::start_with(|c| {
        c.set("accounts.conceal_existing", true);
    });
    let owner = server.verified_user("owner@example.com", "Owner");

    let fresh = signup(&server, "fresh@example.com", PASSWORD, "Fresh");
    let taken = signup(
        &server,
        "OWNER@example.com",
        "an intruder's password",
        "Intruder",
    );
    assert_eq!(fresh.status, 201, "{}", fresh.text());
    assert_eq!(taken.status, 201, "{}", taken.text());
    assert_eq!(taken.header("content-type"), fresh.header("content-type"));
    let (fresh, taken) = (fresh.json(), taken.json());
    assert_eq!(keys(&taken), keys(&fresh));
    assert_eq!(keys(&taken["user"]), keys(&fresh["user"]));
    assert_eq!(taken["message"], fresh["message"]);
    assert_eq!(taken["user"]["is_active"], false);
    assert_eq!(taken["user"]["email"], "owner@example.com");
    assert_eq!(taken["user"]["nickname"], "Intruder");
    assert_ne!(
        taken["user"]["id"], owner["id"],
        "the owner's id does not leak"
    );

    let notice = server
        .smtp
        .wait_for_nth("owner@example.com", 2, Duration::from_secs(10));
    assert!(notice.subject().contains("tried"), "{}", notice.subject());
    assert!(
        notice.line_after("Code: ").is_none(),
        "the notice holds no code"
    );
    assert!(
        !notice.text().contains("/api/accounts/verify-email?token="),
        "nor a link"
    );

    let intruder = server.post_json(
        "/api/accounts/login",
        &json!({"email": "owner@example.com", "password": "an intruder's password"}),
    );
    assert_eq!(intruder.status, 401);
    let me = server.login("owner@example.com");
    assert_eq!(me["user"]["id"], owner["id"]);
    assert_eq!(me["user"]["nickname"], "Owner");
}

/// A new sign-up with a taken nickname is `409 nickname_taken`; a concealed one must answer the
/// same, or the nickname becomes a probe for whether an address is registered.
#[test]
fn with_conceal_existing_a_taken_nickname_answers_alike_for_taken_and_free_addresses() {
    let server = TestServer::start_with(|c| {
        c.set("accounts.conceal_existing", true);
    });
    server.verified_user("owner@example.com", "Owner");
    server.verified_user("mallory@example.com", "Mallory");
    let free = signup(&server, "fresh@example.com", PASSWORD, "Mallory");
    let taken = signup(&server, "owner@example.com", PASSWORD, "Mallory");
    assert_eq!((free.status, free.error()), (409, "nickname_taken".into()));
    assert_eq!(
        (taken.status, taken.text()),
        (free.status, free.text()),
        "a registered address must not answer differently from a free one"
    );
}

#[test]
fn with_conceal_existing_an_unverified_owner_is_told_too() {
    let server = TestServer::start_with(|c| {
        c.set("accounts.conceal_existing", true);
    });
    server.signup("owner@example.com", "Owner");
    let again = signup(&server, "owner@example.com", PASSWORD, "Second");
    assert_eq!(again.status, 201, "{}", again.text());
    let notice = server
        .smtp
        .wait_for_nth("owner@example.com", 2, Duration::from_secs(10));
    assert!(notice.subject().contains("tried"), "{}", notice.subject());
}

#[test]
fn without_conceal_existing_a_taken_address_is_email_taken_and_mails_nobody() {
    let server = TestServer::start();
    server.verified_user("owner@example.com", "Owner");
    let taken = signup(&server, "owner@example.com", PASSWORD, "Intruder");
    assert_eq!((taken.status, taken.error()), (409, "email_taken".into()));

    // A later mail to the owner is the second one: the conflict sent nothing.
    let reset = server.post_json(
        "/api/accounts/password/reset",
        &json!({"email": "owner@example.com"}),
    );
    assert_eq!(reset.status, 202);
    let second = server
        .smtp
        .wait_for_nth("owner@example.com", 2, Duration::from_secs(10));
    assert!(second.subject().contains("Reset"), "{}", second.subject());
    assert!(
        server
            .smtp
            .to("owner@example.com")
            .iter()
            .all(|m| !m.subject().contains("tried"))
    );
}

#[test]
fn with_conceal_existing_an_email_change_to_a_taken_address_looks_like_any_other() {
    let server = TestServer::start_with(|c| {
        c.set("accounts.conceal_existing", true);
    });
    server.verified_user("owner@example.com", "Owner");
    server.verified_user("mover@example.com", "Mover");
    let access = server.login("mover@example.com")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let change = |to: &str| {
        server.bearer(
            "POST",
            "/api/accounts/email/change",
            &access,
            Some(&json!({"new_email": to, "password": PASSWORD})),
        )
    };
    let taken = change("owner@example.com");
    let free = change("free@example.com");
    assert_eq!((taken.status, free.status), (202, 202));
    assert_eq!(taken.body, free.body);
    // The mover's own address hears about both attempts alike; the owner is told, not sent a code.
    server
        .smtp
        .wait_for_nth("mover@example.com", 3, Duration::from_secs(10));
    let owner_mail = server
        .smtp
        .wait_for_nth("owner@example.com", 2, Duration::from_secs(10));
    assert!(
        owner_mail.subject().contains("tried"),
        "{}",
        owner_mail.subject()
    );
    assert!(owner_mail.line_after("Code: ").is_none());
}
