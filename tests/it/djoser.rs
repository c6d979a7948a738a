//! The Djoser + SimpleJWT dialect (SPEC §12), driven the way a Djoser front end drives it:
//! sign-up, activation from the mailed link, `jwt/create`, `users/me` with `Bearer` and `JWT`,
//! rotation, verification, password change and reset from the mailed link, resend, deletion,
//! and the DRF error bodies for each bad input.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::client::{Reply, Request};
use crate::harness::{PASSWORD, TestServer};

const FRONT: &str = "https://front.example";

fn server() -> TestServer {
    TestServer::start_with(|c| {
        c.set("compat.djoser", true);
        c.set(
            "compat.activation_url",
            format!("{FRONT}/activate/{{uid}}/{{token}}"),
        );
        c.set(
            "compat.password_reset_url",
            format!("{FRONT}/reset/{{uid}}/{{token}}"),
        );
    })
}

fn post(server: &TestServer, path: &str, body: &Value) -> Reply {
    server.post_json(&format!("/auth/{path}"), body)
}

fn with(
    server: &TestServer,
    method: &str,
    path: &str,
    scheme_token: &str,
    body: Option<&Value>,
) -> Reply {
    let mut request = Request::new(method, &format!("/auth/{path}"));
    if !scheme_token.is_empty() {
        request = request.header("Authorization", scheme_token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    server.send(&request)
}

/// Status and body of a reply.
fn answer(reply: &Reply) -> (u16, Value) {
    let body = if reply.text().is_empty() {
        Value::Null
    } else {
        reply.json()
    };
    (reply.status, body)
}

/// The `{uid}` and `{token}` of the newest mail to `to` whose link starts with `base`.
fn link_parts(server: &TestServer, to: &str, base: &str, nth: usize) -> (String, String) {
    let mail = server.smtp.wait_for_nth(to, nth, Duration::from_secs(10));
    let line = mail
        .text()
        .lines()
        .find(|l| l.starts_with(base))
        .unwrap_or_else(|| panic!("no {base} link in:\n{}", mail.text()))
        .to_owned();
    let rest = line.strip_prefix(base).unwrap();
    let (uid, token) = rest.split_once('/').unwrap();
    (uid.to_owned(), token.to_owned())
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

fn signed_up_and_activated(server: &TestServer, email: &str) -> Value {
    let (status, body) = answer(&post(
        server,
        "users/",
        &json!({"email": email, "password": PASSWORD}),
    ));
    assert_eq!(status, 201, "{body}");
    let (uid, token) = link_parts(server, email, &format!("{FRONT}/activate/"), 1);
    assert_eq!(
        answer(&post(
            server,
            "users/activation/",
            &json!({"uid": uid, "token": token})
        ))
        .0,
        204
    );
    body
}

fn jwt_pair(server: &TestServer, email: &str, password: &str) -> (String, String) {
    let (status, body) = answer(&post(
        server,
        "jwt/create/",
        &json!({"email": email, "password": password}),
    ));
    assert_eq!(status, 200, "{body}");
    (
        body["access"].as_str().unwrap().to_owned(),
        body["refresh"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn sign_up_activate_log_in_and_use_the_account_as_a_djoser_front_end_does() {
    let server = server();
    let (status, created) = answer(&post(
        &server,
        "users/",
        &json!({"email": "Ada@Example.com", "password": PASSWORD, "re_password": PASSWORD}),
    ));
    assert_eq!(status, 201, "{created}");
    let mut keys: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["email", "id", "nickname"]);
    assert_eq!(created["email"], "ada@example.com");
    assert_eq!(
        created["nickname"], "ada",
        "made from the address when absent"
    );

    // Not active yet: SimpleJWT's answer for a failed log-in.
    let early = answer(&post(
        &server,
        "jwt/create/",
        &json!({"email": "ada@example.com", "password": PASSWORD}),
    ));
    assert_eq!(
        early,
        (
            401,
            json!({"detail": "No active account found with the given credentials"})
        )
    );

    let (uid, token) = link_parts(&server, "ada@example.com", &format!("{FRONT}/activate/"), 1);
    let bad_uid = answer(&post(
        &server,
        "users/activation/",
        &json!({"uid": "bm9ib2R5", "token": token}),
    ));
    assert_eq!(
        bad_uid,
        (
            400,
            json!({"uid": ["Invalid user id or user doesn't exist."]})
        )
    );
    let bad_token = answer(&post(
        &server,
        "users/activation/",
        &json!({"uid": uid, "token": "AAAA"}),
    ));
    assert_eq!(
        bad_token,
        (400, json!({"token": ["Invalid token for given user."]}))
    );
    assert_eq!(
        answer(&post(
            &server,
            "users/activation/",
            &json!({"uid": uid, "token": token})
        ))
        .0,
        204
    );
    let stale = answer(&post(
        &server,
        "users/activation/",
        &json!({"uid": uid, "token": token}),
    ));
    assert_eq!(
        stale,
        (403, json!({"detail": "Stale token for given user."}))
    );
}

#[test]
fn tokens_from_jwt_create_serve_users_me_rotate_and_verify() {
    let server = server();
    let created = signed_up_and_activated(&server, "ada@example.com");
    let (access, refresh) = jwt_pair(&server, "ada@example.com", PASSWORD);
    let c = claims(&access);
    assert_eq!(c["user_id"], c["sub"], "SimpleJWT's user_id claim");
    assert_eq!(c["sub"], created["id"]);

    for scheme in ["JWT", "Bearer"] {
        let me = answer(&with(
            &server,
            "GET",
            "users/me/",
            &format!("{scheme} {access}"),
            None,
        ));
        assert_eq!(me, (200, created.clone()), "{scheme}");
    }
    let none = with(&server, "GET", "users/me/", "", None);
    assert_eq!(
        answer(&none),
        (
            401,
            json!({"detail": "Authentication credentials were not provided."})
        )
    );
    assert!(none.header("www-authenticate").is_some());
    let (status, junk) = answer(&with(&server, "GET", "users/me/", "JWT junk", None));
    assert_eq!(status, 401);
    assert_eq!(junk["code"], "token_not_valid");
    assert_eq!(junk["detail"], "Given token not valid for any token type");
    assert_eq!(junk["messages"][0]["token_type"], "access");

    let patched = answer(&with(
        &server,
        "PATCH",
        "users/me/",
        &format!("JWT {access}"),
        Some(&json!({"nickname": "Ada L."})),
    ));
    assert_eq!(patched.1["nickname"], "Ada L.", "{patched:?}");
    let put_without = answer(&with(
        &server,
        "PUT",
        "users/me/",
        &format!("JWT {access}"),
        Some(&json!({})),
    ));
    assert_eq!(
        put_without,
        (400, json!({"nickname": ["This field is required."]}))
    );

    // Rotation: a new refresh token; the old one again (inside the grace window) gives the same.
    let (status, rotated) = answer(&post(&server, "jwt/refresh/", &json!({"refresh": refresh})));
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["refresh"], json!(refresh));
    let again = answer(&post(&server, "jwt/refresh/", &json!({"refresh": refresh})));
    assert_eq!(
        again.1["refresh"], rotated["refresh"],
        "two tabs racing agree"
    );
    let missing = answer(&post(&server, "jwt/refresh/", &json!({})));
    assert_eq!(
        missing,
        (400, json!({"refresh": ["This field is required."]}))
    );
    let wrong_type = answer(&post(&server, "jwt/refresh/", &json!({"refresh": access})));
    assert_eq!(
        wrong_type,
        (
            401,
            json!({"detail": "Token has wrong type", "code": "token_not_valid"})
        )
    );

    assert_eq!(
        answer(&post(&server, "jwt/verify/", &json!({"token": access}))),
        (200, json!({}))
    );
    let junk = answer(&post(&server, "jwt/verify/", &json!({"token": "junk"})));
    assert_eq!(
        junk,
        (
            401,
            json!({"detail": "Token is invalid", "code": "token_not_valid"})
        )
    );

    // The native API serves the same account.
    let native = server.post_json(
        "/api/accounts/login",
        &json!({"email": "ada@example.com", "password": PASSWORD}),
    );
    assert_eq!(native.status, 200);
}

#[test]
fn set_password_checks_the_current_one_and_the_repeat() {
    let server = server();
    signed_up_and_activated(&server, "bo@example.com");
    let (access, _) = jwt_pair(&server, "bo@example.com", PASSWORD);
    let auth = format!("JWT {access}");
    let new = "an entirely new passphrase";

    let set = |body: Value| {
        answer(&with(
            &server,
            "POST",
            "users/set_password/",
            &auth,
            Some(&body),
        ))
    };
    assert_eq!(
        set(
            json!({"new_password": new, "re_new_password": new, "current_password": "not it at all"})
        ),
        (400, json!({"current_password": ["Invalid password."]}))
    );
    assert_eq!(
        set(
            json!({"new_password": new, "re_new_password": "something else", "current_password": PASSWORD})
        ),
        (
            400,
            json!({"non_field_errors": ["The two password fields didn't match."]})
        )
    );
    let (status, short) = set(json!({"new_password": "short", "current_password": PASSWORD}));
    assert_eq!(status, 400);
    assert!(
        short["new_password"][0]
            .as_str()
            .unwrap()
            .contains("8 to 1024"),
        "{short}"
    );
    assert_eq!(
        set(json!({"new_password": new, "re_new_password": new, "current_password": PASSWORD})).0,
        204
    );
    assert_eq!(
        answer(&post(
            &server,
            "jwt/create/",
            &json!({"email": "bo@example.com", "password": PASSWORD})
        ))
        .0,
        401
    );
    jwt_pair(&server, "bo@example.com", new);
}

#[test]
fn a_reset_from_the_mailed_link_ends_every_session() {
    let server = server();
    signed_up_and_activated(&server, "bo@example.com");
    let (access, _) = jwt_pair(&server, "bo@example.com", PASSWORD);
    // Reset: 204 for every address; the mail carries the front end's link.
    assert_eq!(
        answer(&post(
            &server,
            "users/reset_password/",
            &json!({"email": "nobody@example.com"})
        ))
        .0,
        204
    );
    let not_an_address = answer(&post(
        &server,
        "users/reset_password/",
        &json!({"email": "not an address"}),
    ));
    assert_eq!(
        not_an_address,
        (400, json!({"email": ["Enter a valid email address."]}))
    );
    assert_eq!(
        answer(&post(
            &server,
            "users/reset_password/",
            &json!({"email": "bo@example.com"})
        ))
        .0,
        204
    );
    let (uid, token) = link_parts(&server, "bo@example.com", &format!("{FRONT}/reset/"), 2);
    let reset = |body: Value| answer(&post(&server, "users/reset_password_confirm/", &body));
    let newer = "the newest passphrase of all";
    assert_eq!(
        reset(json!({"uid": "bm9ib2R5", "token": token, "new_password": newer})),
        (
            400,
            json!({"uid": ["Invalid user id or user doesn't exist."]})
        )
    );
    assert_eq!(
        reset(json!({"uid": uid, "token": "ZZZZZZ", "new_password": newer})),
        (400, json!({"token": ["Invalid token for given user."]}))
    );
    assert_eq!(
        reset(
            json!({"uid": uid, "token": token, "new_password": newer, "re_new_password": "nope nope nope"})
        ),
        (
            400,
            json!({"non_field_errors": ["The two password fields didn't match."]})
        )
    );
    assert_eq!(
        reset(json!({"uid": uid, "token": token, "new_password": newer, "re_new_password": newer}))
            .0,
        204
    );
    // Every session ended with the reset.
    let (status, _) = answer(&with(
        &server,
        "GET",
        "users/me/",
        &format!("JWT {access}"),
        None,
    ));
    assert_eq!(status, 401);
    jwt_pair(&server, "bo@example.com", newer);
}

#[test]
fn deletion_needs_the_current_password_and_ends_everything() {
    let server = server();
    signed_up_and_activated(&server, "bo@example.com");
    let newer = PASSWORD;
    let (access, _) = jwt_pair(&server, "bo@example.com", newer);
    // Deletion needs the current password.
    let auth = format!("JWT {access}");
    let wrong = answer(&with(
        &server,
        "DELETE",
        "users/me/",
        &auth,
        Some(&json!({"current_password": "not the one"})),
    ));
    assert_eq!(
        wrong,
        (400, json!({"current_password": ["Invalid password."]}))
    );
    assert_eq!(
        answer(&with(
            &server,
            "DELETE",
            "users/me/",
            &auth,
            Some(&json!({"current_password": newer}))
        ))
        .0,
        204
    );
    assert_eq!(
        answer(&with(&server, "GET", "users/me/", &auth, None)).0,
        401
    );
    assert_eq!(
        answer(&post(
            &server,
            "jwt/create/",
            &json!({"email": "bo@example.com", "password": newer})
        ))
        .0,
        401
    );
}

#[test]
fn sign_up_refusals_and_resend_answer_in_drf_shapes() {
    let server = server();
    signed_up_and_activated(&server, "cy@example.com");
    let refused = |body: Value| answer(&post(&server, "users/", &body));
    assert_eq!(
        refused(json!({"email": "CY@example.com", "password": PASSWORD})),
        (
            400,
            json!({"email": ["user with this email address already exists."]})
        )
    );
    let (status, short) = refused(json!({"email": "dee@example.com", "password": "short"}));
    assert_eq!(status, 400);
    assert!(short["password"][0].is_string(), "{short}");
    assert_eq!(
        refused(
            json!({"email": "dee@example.com", "password": PASSWORD, "re_password": "other passphrase"})
        ),
        (
            400,
            json!({"non_field_errors": ["The two password fields didn't match."]})
        )
    );
    assert_eq!(
        refused(json!({"password": PASSWORD})),
        (400, json!({"email": ["This field is required."]}))
    );
    assert_eq!(
        refused(json!({"email": "not an address", "password": PASSWORD})),
        (400, json!({"email": ["Enter a valid email address."]}))
    );
    let not_json =
        server.send(&Request::new("POST", "/auth/users/").body("application/json", "{nope"));
    assert_eq!(not_json.status, 400);
    assert!(not_json.json()["detail"].is_string());
    let method = server.send(&Request::new("GET", "/auth/users/"));
    assert_eq!(
        answer(&method),
        (405, json!({"detail": "Method \"GET\" not allowed."}))
    );

    // Two sign-ups from one local part: the second nickname is made unique.
    let (_, first) = refused(json!({"email": "eve@one.example", "password": PASSWORD}));
    let (_, second) = refused(json!({"email": "eve@two.example", "password": PASSWORD}));
    assert_eq!(first["nickname"], "eve");
    assert_eq!(second["nickname"], "eve-2");

    // Resend: 204 for every address; only an unverified one gets a mail.
    for email in ["nobody@example.com", "cy@example.com", "eve@one.example"] {
        assert_eq!(
            answer(&post(
                &server,
                "users/resend_activation/",
                &json!({"email": email})
            ))
            .0,
            204,
            "{email}"
        );
    }
    let (uid, token) = link_parts(&server, "eve@one.example", &format!("{FRONT}/activate/"), 2);
    assert_eq!(
        answer(&post(
            &server,
            "users/activation/",
            &json!({"uid": uid, "token": token})
        ))
        .0,
        204
    );
    assert_eq!(
        server.smtp.to("cy@example.com").len(),
        1,
        "an active account gets nothing"
    );
    assert_eq!(server.smtp.to("nobody@example.com").len(), 0);
}
