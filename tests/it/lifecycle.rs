//! The account life cycle after sign-up: renaming, deleting, changing and resetting the
//! password (and the pre-hijack defence that comes with reset), changing the login address, and
//! the error codes of each of those endpoints.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::{Reply, Request};
use crate::harness::{PASSWORD, TestServer};

const NEW_PASSWORD: &str = "a brand new passphrase";

fn s(v: &Value) -> String {
    v.as_str().unwrap().to_owned()
}

/// A code that is not `code` (same alphabet, one character changed).
fn wrong(code: &str) -> String {
    let first = if code.starts_with('A') { 'B' } else { 'A' };
    format!("{first}{}", &code[1..])
}

fn login_with(server: &TestServer, email: &str, password: &str) -> Reply {
    server.post_json(
        "/api/accounts/login",
        &json!({"email": email, "password": password}),
    )
}

fn me(server: &TestServer, access: &str) -> Reply {
    server.bearer("GET", "/api/accounts/me", access, None)
}

fn refresh(server: &TestServer, token: &str) -> Reply {
    server.post_json(
        "/api/accounts/token/refresh",
        &json!({"refresh_token": token}),
    )
}

fn reset(server: &TestServer, email: &str) -> Reply {
    server.post_json("/api/accounts/password/reset", &json!({"email": email}))
}

fn confirm_reset(server: &TestServer, email: &str, code: &str) -> Reply {
    server.post_json(
        "/api/accounts/password/reset/confirm",
        &json!({"email": email, "code": code, "new_password": NEW_PASSWORD}),
    )
}

fn change_email(server: &TestServer, access: &str, new_email: &str, password: &str) -> Reply {
    server.bearer(
        "POST",
        "/api/accounts/email/change",
        access,
        Some(&json!({"new_email": new_email, "password": password})),
    )
}

fn confirm_email(server: &TestServer, access: &str, code: &str) -> Reply {
    server.bearer(
        "POST",
        "/api/accounts/email/change/confirm",
        access,
        Some(&json!({"code": code})),
    )
}

fn status_error(reply: &Reply) -> (u16, String) {
    (reply.status, reply.error())
}

fn err(status: u16, code: &str) -> (u16, String) {
    (status, code.to_owned())
}

/// Waits for the `n`-th mail to `to` and checks its subject.
fn nth_mail(server: &TestServer, to: &str, n: usize, subject: &str) -> crate::smtp::Delivered {
    let mail = server.smtp.wait_for_nth(to, n, Duration::from_secs(10));
    assert!(
        mail.subject().contains(subject),
        "mail #{n} to {to}: {}",
        mail.subject()
    );
    mail
}

fn metric(server: &TestServer, name: &str) -> Option<u64> {
    server
        .get("/metrics")
        .text()
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn patch_me_renames_and_frees_the_old_nickname() {
    let server = TestServer::start();
    let anna = server.verified_user("a@example.com", "Anna");
    server.verified_user("b@example.com", "Bert");
    let access = s(&server.login("a@example.com")["access_token"]);

    let renamed = server.bearer(
        "PATCH",
        "/api/accounts/me",
        &access,
        Some(&json!({"nickname": "Annabel"})),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let user = renamed.json();
    assert_eq!(user["nickname"], "Annabel");
    assert_eq!(user["id"], anna["id"]);
    assert_eq!(user["email"], "a@example.com");
    assert_eq!(me(&server, &access).json()["nickname"], "Annabel");

    let bert = s(&server.login("b@example.com")["access_token"]);
    let freed = server.bearer(
        "PATCH",
        "/api/accounts/me",
        &bert,
        Some(&json!({"nickname": "ANNA"})),
    );
    assert_eq!(
        freed.status,
        200,
        "the old nickname is free again: {}",
        freed.text()
    );
}

#[test]
fn patch_me_with_a_taken_nickname_in_any_case_is_a_conflict() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    server.verified_user("b@example.com", "Bert");
    let access = s(&server.login("a@example.com")["access_token"]);
    for taken in ["Bert", "bERT"] {
        let reply = server.bearer(
            "PATCH",
            "/api/accounts/me",
            &access,
            Some(&json!({"nickname": taken})),
        );
        assert_eq!(status_error(&reply), err(409, "nickname_taken"), "{taken}");
    }
    assert_eq!(me(&server, &access).json()["nickname"], "Anna");
    let own = server.bearer(
        "PATCH",
        "/api/accounts/me",
        &access,
        Some(&json!({"nickname": "ANNA"})),
    );
    assert_eq!(
        own.status,
        200,
        "one's own nickname is not taken: {}",
        own.text()
    );
    assert_eq!(own.json()["nickname"], "ANNA");
}

#[test]
fn patch_me_refuses_invisible_control_and_malformed_nicknames() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let access = s(&server.login("a@example.com")["access_token"]);
    for bad in [
        json!({"nickname": "An\u{200B}na"}),
        json!({"nickname": "\u{202E}annA"}),
        json!({"nickname": "An\r\nna"}),
        json!({"nickname": "An\u{7}na"}),
        json!({"nickname": "A"}),
        json!({"nickname": "x".repeat(33)}),
        json!({"nickname": 42}),
        json!({}),
    ] {
        let reply = server.bearer("PATCH", "/api/accounts/me", &access, Some(&bad));
        assert_eq!(status_error(&reply), err(400, "validation_failed"), "{bad}");
        assert!(reply.json()["fields"]["nickname"].is_string(), "{bad}");
    }
    assert_eq!(me(&server, &access).json()["nickname"], "Anna");
}

#[test]
fn delete_me_needs_the_password_and_then_ends_every_session() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let one = server.login("a@example.com");
    let two = server.login("a@example.com");
    let access = s(&one["access_token"]);

    let wrong_password = server.bearer(
        "DELETE",
        "/api/accounts/me",
        &access,
        Some(&json!({"password": "not the password"})),
    );
    assert_eq!(
        status_error(&wrong_password),
        err(401, "invalid_credentials")
    );
    assert_eq!(me(&server, &access).status, 200, "nothing was deleted");

    let deleted = server.bearer(
        "DELETE",
        "/api/accounts/me",
        &access,
        Some(&json!({"password": PASSWORD})),
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert!(deleted.body.is_empty());
    for session in [&one, &two] {
        let access = s(&session["access_token"]);
        assert_eq!(
            status_error(&me(&server, &access)),
            err(401, "token_revoked")
        );
        let refreshed = refresh(&server, &s(&session["refresh_token"]));
        assert_eq!(status_error(&refreshed), err(401, "token_revoked"));
    }
    let login = login_with(&server, "a@example.com", PASSWORD);
    assert_eq!(status_error(&login), err(401, "invalid_credentials"));
}

#[test]
fn a_deleted_address_and_nickname_can_sign_up_again_with_a_fresh_mail() {
    let server = TestServer::start();
    let old = server.verified_user("a@example.com", "Anna");
    let old_code = server.mail_to("a@example.com").code();
    let access = s(&server.login("a@example.com")["access_token"]);
    let deleted = server.bearer(
        "DELETE",
        "/api/accounts/me",
        &access,
        Some(&json!({"password": PASSWORD})),
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text());

    let again = server.signup("A@example.com", "anna");
    assert_eq!(again["user"]["is_active"], false);
    assert_ne!(again["user"]["id"], old["id"]);
    let mail = nth_mail(&server, "a@example.com", 2, "Confirm");
    assert_ne!(mail.code(), old_code);
    let verified = server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": "a@example.com", "code": mail.code()}),
    );
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert_eq!(
        server.login("a@example.com")["user"]["id"],
        again["user"]["id"]
    );
}

#[test]
fn deleting_an_account_drops_its_unsent_mail() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let access = s(&server.login("a@example.com")["access_token"]);

    // The relay now refuses for a while: the email-change mails stay queued for a retry.
    server.smtp.defer_with(451);
    let requested = change_email(&server, &access, "new@example.com", PASSWORD);
    assert_eq!(requested.status, 202, "{}", requested.text());
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.smtp.deferred() < 2 {
        assert!(
            Instant::now() < deadline,
            "no delivery attempt:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(metric(&server, "latchkey_outbox_depth"), Some(2));

    let deleted = server.bearer(
        "DELETE",
        "/api/accounts/me",
        &access,
        Some(&json!({"password": PASSWORD})),
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(metric(&server, "latchkey_outbox_depth"), Some(0));

    // Once the relay accepts again, a later mail goes out and the dropped ones never do.
    server.smtp.defer_with(0);
    server.signup("later@example.com", "Later");
    server.mail_to("later@example.com");
    std::thread::sleep(Duration::from_millis(2500));
    assert!(server.smtp.to("new@example.com").is_empty());
    assert_eq!(
        server.smtp.to("a@example.com").len(),
        1,
        "only the sign-up mail"
    );
}

#[test]
fn password_change_keeps_this_session_and_ends_the_others() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let this = server.login("a@example.com");
    let other = server.login("a@example.com");
    let access = s(&this["access_token"]);

    let changed = server.bearer(
        "POST",
        "/api/accounts/password/change",
        &access,
        Some(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
    );
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert!(changed.json()["message"].is_string());

    assert_eq!(me(&server, &access).status, 200, "this session stays");
    let rotated = refresh(&server, &s(&this["refresh_token"]));
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    assert_eq!(
        status_error(&me(&server, &s(&other["access_token"]))),
        err(401, "token_revoked")
    );
    assert_eq!(
        status_error(&refresh(&server, &s(&other["refresh_token"]))),
        err(401, "token_revoked")
    );

    assert_eq!(
        login_with(&server, "a@example.com", NEW_PASSWORD).status,
        200
    );
    let old = login_with(&server, "a@example.com", PASSWORD);
    assert_eq!(status_error(&old), err(401, "invalid_credentials"));
}

#[test]
fn password_change_with_a_wrong_current_password_changes_nothing() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let this = s(&server.login("a@example.com")["access_token"]);
    let other = s(&server.login("a@example.com")["access_token"]);
    let reply = server.bearer(
        "POST",
        "/api/accounts/password/change",
        &this,
        Some(&json!({"current_password": "not the password", "new_password": NEW_PASSWORD})),
    );
    assert_eq!(status_error(&reply), err(401, "invalid_credentials"));
    assert_eq!(me(&server, &other).status, 200);
    assert_eq!(login_with(&server, "a@example.com", PASSWORD).status, 200);
    assert_eq!(
        login_with(&server, "a@example.com", NEW_PASSWORD).status,
        401
    );

    let short = server.bearer(
        "POST",
        "/api/accounts/password/change",
        &this,
        Some(&json!({"current_password": PASSWORD, "new_password": "short"})),
    );
    assert_eq!(status_error(&short), err(400, "validation_failed"));
    assert!(short.json()["fields"]["new_password"].is_string());
    assert_eq!(login_with(&server, "a@example.com", PASSWORD).status, 200);
}

#[test]
fn reset_mails_a_code_only_to_a_known_address() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let unknown = reset(&server, "nobody@example.com");
    let known = reset(&server, "A@Example.com");
    assert_eq!(unknown.status, 202, "{}", unknown.text());
    assert_eq!(known.status, 202, "{}", known.text());
    assert_eq!(unknown.body, known.body);
    assert!(known.json()["message"].is_string());

    let mail = nth_mail(&server, "a@example.com", 2, "Reset");
    assert_eq!(mail.recipients, ["a@example.com"]);
    assert_eq!(mail.code().len(), 6);
    assert!(
        !mail.text().contains("/api/accounts/verify-email?token="),
        "a reset mail carries no sign-up link"
    );
    assert!(server.smtp.to("nobody@example.com").is_empty());
    assert_eq!(
        server.smtp.all().len(),
        2,
        "the sign-up mail and the reset mail"
    );
}

#[test]
fn a_reset_inside_the_resend_interval_answers_202_and_sends_nothing() {
    let server = TestServer::start_with(|c| {
        c.set("codes.resend_interval", "60s");
    });
    server.verified_user("a@example.com", "Anna");
    let first = reset(&server, "a@example.com");
    assert_eq!(first.status, 202);
    let code = nth_mail(&server, "a@example.com", 2, "Reset").code();

    let second = reset(&server, "a@example.com");
    assert_eq!(second.status, 202, "{}", second.text());
    assert_eq!(second.body, first.body);
    assert_eq!(second.header("retry-after"), None);

    // A mail queued after the second reset would have been: once it arrives, nothing else came.
    let access = s(&server.login("a@example.com")["access_token"]);
    assert_eq!(
        change_email(&server, &access, "new@example.com", PASSWORD).status,
        202
    );
    nth_mail(&server, "a@example.com", 3, "changed");
    server.mail_to("new@example.com");
    let resets = server
        .smtp
        .to("a@example.com")
        .iter()
        .filter(|m| m.subject().contains("Reset"))
        .count();
    assert_eq!(resets, 1, "the second reset sent nothing");
    assert_eq!(
        confirm_reset(&server, "a@example.com", &code).status,
        200,
        "nor did it replace the first code"
    );
}

#[test]
fn reset_confirm_sets_the_password_and_ends_every_session() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let one = server.login("a@example.com");
    let two = server.login("a@example.com");
    assert_eq!(reset(&server, "a@example.com").status, 202);
    let code = nth_mail(&server, "a@example.com", 2, "Reset").code();

    let bad = confirm_reset(&server, "a@example.com", &wrong(&code));
    assert_eq!(status_error(&bad), err(400, "invalid_code"));
    assert_eq!(me(&server, &s(&one["access_token"])).status, 200);

    let done = confirm_reset(&server, "A@EXAMPLE.COM", &code.to_lowercase());
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(done.json()["message"].is_string());
    for session in [&one, &two] {
        assert_eq!(
            status_error(&me(&server, &s(&session["access_token"]))),
            err(401, "token_revoked")
        );
        assert_eq!(
            status_error(&refresh(&server, &s(&session["refresh_token"]))),
            err(401, "token_revoked")
        );
    }
    assert_eq!(
        login_with(&server, "a@example.com", NEW_PASSWORD).status,
        200
    );
    let old = login_with(&server, "a@example.com", PASSWORD);
    assert_eq!(status_error(&old), err(401, "invalid_credentials"));
    let reused = confirm_reset(&server, "a@example.com", &code);
    assert_eq!(status_error(&reused), err(400, "invalid_code"));
}

#[test]
fn reset_confirm_for_an_unknown_address_or_without_a_code_is_invalid_code() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    for email in ["nobody@example.com", "a@example.com"] {
        let reply = confirm_reset(&server, email, "ABC123");
        assert_eq!(status_error(&reply), err(400, "invalid_code"), "{email}");
    }
    let short = server.post_json(
        "/api/accounts/password/reset/confirm",
        &json!({"email": "a@example.com", "code": "ABC123", "new_password": "short"}),
    );
    assert_eq!(status_error(&short), err(400, "validation_failed"));
    assert!(short.json()["fields"]["new_password"].is_string());
}

#[test]
fn sign_up_and_reset_codes_only_confirm_their_own_purpose() {
    let server = TestServer::start();
    server.signup("a@example.com", "Anna");
    let signup_code = server.mail_to("a@example.com").code();
    let crossed = confirm_reset(&server, "a@example.com", &signup_code);
    assert_eq!(
        status_error(&crossed),
        err(400, "invalid_code"),
        "a sign-up code cannot reset the password"
    );

    assert_eq!(reset(&server, "a@example.com").status, 202);
    let reset_code = nth_mail(&server, "a@example.com", 2, "Reset").code();
    let crossed = server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": "a@example.com", "code": reset_code}),
    );
    assert_eq!(
        status_error(&crossed),
        err(400, "invalid_code"),
        "a reset code cannot verify a sign-up"
    );

    let verified = server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": "a@example.com", "code": signup_code}),
    );
    assert_eq!(verified.status, 200, "{}", verified.text());
    let done = confirm_reset(&server, "a@example.com", &reset_code);
    assert_eq!(done.status, 200, "{}", done.text());
}

#[test]
fn email_change_and_reset_codes_only_confirm_their_own_purpose() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let access = s(&server.login("a@example.com")["access_token"]);
    assert_eq!(
        change_email(&server, &access, "new@example.com", PASSWORD).status,
        202
    );
    let change_code = server.mail_to("new@example.com").code();
    let crossed = confirm_reset(&server, "a@example.com", &change_code);
    assert_eq!(
        status_error(&crossed),
        err(400, "invalid_code"),
        "an email-change code cannot reset the password"
    );

    assert_eq!(reset(&server, "a@example.com").status, 202);
    // Sign-up, the change notice and the reset, in whatever order the last two arrive.
    server
        .smtp
        .wait_for_nth("a@example.com", 3, Duration::from_secs(10));
    let reset_code = server
        .smtp
        .to("a@example.com")
        .into_iter()
        .find(|m| m.subject().contains("Reset"))
        .expect("a reset mail")
        .code();
    let crossed = confirm_email(&server, &access, &reset_code);
    assert_eq!(
        status_error(&crossed),
        err(400, "invalid_code"),
        "a reset code cannot change the address"
    );

    let changed = confirm_email(&server, &access, &change_code);
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json()["email"], "new@example.com");
}

#[test]
fn a_reset_defeats_account_pre_hijacking() {
    let server = TestServer::start();
    let attacker_password = "the squatter's password";
    let squatted = server.post_json(
        "/api/accounts/signup",
        &json!({"email": "victim@example.com", "password": attacker_password, "nickname": "Squatter"}),
    );
    assert_eq!(squatted.status, 201, "{}", squatted.text());
    let before = login_with(&server, "victim@example.com", attacker_password);
    assert_eq!(status_error(&before), err(403, "account_inactive"));

    // The real owner never saw the sign-up; they just reset the password of "their" account.
    assert_eq!(reset(&server, "victim@example.com").status, 202);
    let code = nth_mail(&server, "victim@example.com", 2, "Reset").code();
    let done = confirm_reset(&server, "victim@example.com", &code);
    assert_eq!(done.status, 200, "{}", done.text());

    let owner = login_with(&server, "victim@example.com", NEW_PASSWORD);
    assert_eq!(owner.status, 200, "{}", owner.text());
    assert_eq!(owner.json()["user"]["is_active"], true);
    let attacker = login_with(&server, "victim@example.com", attacker_password);
    assert_eq!(status_error(&attacker), err(401, "invalid_credentials"));
    let resend = server.post_json(
        "/api/accounts/resend-code",
        &json!({"email": "victim@example.com", "password": attacker_password}),
    );
    assert_eq!(status_error(&resend), err(401, "invalid_credentials"));
}

#[test]
fn email_change_sends_a_code_to_the_new_address_and_a_notice_to_the_old() {
    let server = TestServer::start();
    let anna = server.verified_user("a@example.com", "Anna");
    let access = s(&server.login("a@example.com")["access_token"]);

    let requested = change_email(&server, &access, "New@EXAMPLE.com", PASSWORD);
    assert_eq!(requested.status, 202, "{}", requested.text());
    assert!(requested.json()["message"].is_string());
    let code_mail = nth_mail(&server, "new@example.com", 1, "new email");
    assert_eq!(code_mail.recipients, ["new@example.com"]);
    let code = code_mail.code();
    let notice = nth_mail(&server, "a@example.com", 2, "changed");
    assert!(
        notice.text().contains("new@example.com"),
        "{}",
        notice.text()
    );
    assert!(
        notice.line_after("Code: ").is_none(),
        "the notice holds no code"
    );
    assert!(!notice.text().contains(&code));

    let bad = confirm_email(&server, &access, &wrong(&code));
    assert_eq!(status_error(&bad), err(400, "invalid_code"));
    assert_eq!(me(&server, &access).json()["email"], "a@example.com");

    let changed = confirm_email(&server, &access, &code);
    assert_eq!(changed.status, 200, "{}", changed.text());
    let user = changed.json();
    assert_eq!(user["email"], "new@example.com");
    assert_eq!(user["id"], anna["id"]);
    assert_eq!(me(&server, &access).json()["email"], "new@example.com");

    assert_eq!(login_with(&server, "new@example.com", PASSWORD).status, 200);
    let old = login_with(&server, "a@example.com", PASSWORD);
    assert_eq!(status_error(&old), err(401, "invalid_credentials"));
    let reused = confirm_email(&server, &access, &code);
    assert_eq!(status_error(&reused), err(400, "invalid_code"));
    let freed = server.post_json(
        "/api/accounts/signup",
        &json!({"email": "a@example.com", "password": PASSWORD, "nickname": "Other"}),
    );
    assert_eq!(
        freed.status,
        201,
        "the old address is free: {}",
        freed.text()
    );
}

#[test]
fn email_change_refuses_a_taken_address_and_a_wrong_password() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    server.signup("b@example.com", "Bert");
    let access = s(&server.login("a@example.com")["access_token"]);

    let taken = change_email(&server, &access, "B@example.com", PASSWORD);
    assert_eq!(status_error(&taken), err(409, "email_taken"));
    let wrong_password = change_email(&server, &access, "c@example.com", "not the password");
    assert_eq!(
        status_error(&wrong_password),
        err(401, "invalid_credentials")
    );
    let invalid = change_email(&server, &access, "not an address", PASSWORD);
    assert_eq!(status_error(&invalid), err(400, "validation_failed"));
    assert!(invalid.json()["fields"]["new_email"].is_string());

    // Nothing was sent for any of them: a later mail to the old address is the second one.
    assert_eq!(reset(&server, "a@example.com").status, 202);
    nth_mail(&server, "a@example.com", 2, "Reset");
    assert!(server.smtp.to("c@example.com").is_empty());
    assert_eq!(server.smtp.to("b@example.com").len(), 1);
    assert_eq!(me(&server, &access).json()["email"], "a@example.com");
}

#[test]
fn email_change_confirm_fails_if_the_address_was_taken_meanwhile() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let access = s(&server.login("a@example.com")["access_token"]);
    assert_eq!(
        change_email(&server, &access, "c@example.com", PASSWORD).status,
        202
    );
    let code = server.mail_to("c@example.com").code();
    server.signup("c@example.com", "Carl");

    let late = confirm_email(&server, &access, &code);
    assert_eq!(status_error(&late), err(409, "email_taken"));
    assert_eq!(me(&server, &access).json()["email"], "a@example.com");
    assert_eq!(login_with(&server, "a@example.com", PASSWORD).status, 200);
}

#[test]
fn email_change_confirm_without_a_pending_change_is_invalid_code() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let access = s(&server.login("a@example.com")["access_token"]);
    let reply = confirm_email(&server, &access, "ABC123");
    assert_eq!(status_error(&reply), err(400, "invalid_code"));
}

#[test]
fn the_new_endpoints_need_an_access_token() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let refresh_token = s(&server.login("a@example.com")["refresh_token"]);
    let body = json!({});
    for (method, path) in [
        ("PATCH", "/api/accounts/me"),
        ("DELETE", "/api/accounts/me"),
        ("POST", "/api/accounts/password/change"),
        ("POST", "/api/accounts/email/change"),
        ("POST", "/api/accounts/email/change/confirm"),
    ] {
        let missing = server.send(&Request::new(method, path).json(&body));
        assert_eq!(
            status_error(&missing),
            err(401, "token_missing"),
            "{method} {path}"
        );
        assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
        let garbage = server.bearer(method, path, "not.a.token", Some(&body));
        assert_eq!(
            status_error(&garbage),
            err(401, "token_invalid"),
            "{method} {path}"
        );
        let wrong_type = server.bearer(method, path, &refresh_token, Some(&body));
        assert_eq!(
            status_error(&wrong_type),
            err(401, "token_invalid"),
            "{method} {path} with a refresh token"
        );
    }
}

#[test]
fn the_new_endpoints_name_missing_fields() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let access = s(&server.login("a@example.com")["access_token"]);
    for (method, path, fields) in [
        ("PATCH", "/api/accounts/me", &["nickname"][..]),
        ("DELETE", "/api/accounts/me", &["password"][..]),
        (
            "POST",
            "/api/accounts/password/change",
            &["current_password", "new_password"][..],
        ),
        (
            "POST",
            "/api/accounts/email/change",
            &["new_email", "password"][..],
        ),
        ("POST", "/api/accounts/email/change/confirm", &["code"][..]),
    ] {
        let reply = server.bearer(method, path, &access, Some(&json!({})));
        assert_eq!(
            status_error(&reply),
            err(400, "validation_failed"),
            "{method} {path}"
        );
        for field in fields {
            assert!(
                reply.json()["fields"][field].is_string(),
                "{method} {path}: {field} in {}",
                reply.text()
            );
        }
        let typed = server.bearer(method, path, &access, Some(&json!([1, 2])));
        assert_eq!(
            status_error(&typed),
            err(400, "validation_failed"),
            "{method} {path} with an array body"
        );
    }
    for (path, fields) in [
        ("/api/accounts/password/reset", &["email"][..]),
        (
            "/api/accounts/password/reset/confirm",
            &["email", "code", "new_password"][..],
        ),
    ] {
        let reply = server.post_json(path, &json!({}));
        assert_eq!(
            status_error(&reply),
            err(400, "validation_failed"),
            "{path}"
        );
        for field in fields {
            assert!(reply.json()["fields"][field].is_string(), "{path}: {field}");
        }
    }
    let array = server.post_json(
        "/api/accounts/password/reset",
        &json!({"email": ["a@example.com", "b@example.com"]}),
    );
    assert_eq!(status_error(&array), err(400, "validation_failed"));
    assert_eq!(me(&server, &access).json()["nickname"], "Anna");
}

#[test]
fn the_new_endpoints_want_json() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let access = s(&server.login("a@example.com")["access_token"]);
    for (method, path) in [
        ("PATCH", "/api/accounts/me"),
        ("DELETE", "/api/accounts/me"),
        ("POST", "/api/accounts/password/change"),
        ("POST", "/api/accounts/password/reset"),
        ("POST", "/api/accounts/password/reset/confirm"),
        ("POST", "/api/accounts/email/change"),
        ("POST", "/api/accounts/email/change/confirm"),
    ] {
        let text = server.send(
            &Request::new(method, path)
                .bearer(&access)
                .body("text/plain", "nickname=x"),
        );
        assert_eq!(
            status_error(&text),
            err(415, "unsupported_media_type"),
            "{method} {path}"
        );
        let broken = server.send(
            &Request::new(method, path)
                .bearer(&access)
                .body("application/json", "{\"nickname\":"),
        );
        assert_eq!(
            status_error(&broken),
            err(400, "invalid_json"),
            "{method} {path}"
        );
    }
    assert_eq!(me(&server, &access).status, 200);
}

#[test]
fn guesses_at_reset_confirm_answer_alike_for_known_and_unknown_addresses() {
    let server = TestServer::start();
    server.verified_user("known@example.com", "Known");
    assert_eq!(reset(&server, "known@example.com").status, 202);
    assert_eq!(reset(&server, "nobody@example.com").status, 202);
    let known_code = nth_mail(&server, "known@example.com", 2, "Reset").code();
    let guess = wrong(&known_code);
    // Five wrong guesses void the code, then even the right one is refused: for the unknown
    // address the same happens to its decoy, so the answers cannot tell the two apart.
    let answers = |email: &str| -> Vec<(u16, String)> {
        (0..7)
            .map(|_| status_error(&confirm_reset(&server, email, &guess)))
            .collect()
    };
    let known = answers("known@example.com");
    let unknown = answers("nobody@example.com");
    assert_eq!(known, unknown);
    assert_eq!(known[4], err(400, "invalid_code"));
    assert_eq!(known[5], err(429, "too_many_attempts"));
    assert!(
        server.smtp.to("nobody@example.com").is_empty(),
        "a decoy mails nothing"
    );
}
