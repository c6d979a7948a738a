//! The mailed link: looking at it never uses it; the page's form (or a JSON post) does.

use serde_json::json;

use crate::client::Request;
use crate::harness::TestServer;

/// The path and query of the link in the newest mail to `email`, and its token.
fn link(server: &TestServer, email: &str) -> (String, String) {
    let link = server.mail_to(email).link();
    let path = link
        .split_once("://")
        .unwrap()
        .1
        .split_once('/')
        .map(|(_, p)| format!("/{p}"))
        .unwrap();
    let token = path.split_once("token=").unwrap().1.to_owned();
    (path, token)
}

#[test]
fn the_link_points_at_this_server() {
    let server = TestServer::start();
    server.signup("a@example.com", "Anna");
    let link = server.mail_to("a@example.com").link();
    assert!(
        link.starts_with(&format!(
            "http://{}/api/accounts/verify-email?token=",
            server.addr
        )),
        "{link}"
    );
    let token = link.split_once("token=").unwrap().1;
    assert_eq!(
        token.len(),
        43,
        "32 random bytes, base64url without padding"
    );
}

#[test]
fn get_and_head_show_the_confirm_page_without_using_the_link() {
    let server = TestServer::start();
    server.signup("a@example.com", "Anna");
    let (path, token) = link(&server, "a@example.com");
    for _ in 0..3 {
        let page = server.get(&path);
        assert_eq!(page.status, 200);
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        assert!(page.text().contains("Confirm"));
        assert!(page.text().contains(&format!("value=\"{token}\"")));
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
        let head = server.send(&Request::new("HEAD", &path));
        assert_eq!(head.status, 200);
    }
    let login = server.post_json(
        "/api/accounts/login",
        &json!({"email": "a@example.com", "password": crate::harness::PASSWORD}),
    );
    assert_eq!(login.error(), "account_inactive", "looking did not verify");
    let confirm = server.send(
        &Request::new("POST", "/api/accounts/verify-email/link").body(
            "application/x-www-form-urlencoded",
            format!("token={token}"),
        ),
    );
    assert_eq!(confirm.status, 200, "{}", confirm.text());
    assert!(confirm.text().contains("a@example.com is confirmed"));
    server.login("a@example.com");
    let again = server.send(
        &Request::new("POST", "/api/accounts/verify-email/link").body(
            "application/x-www-form-urlencoded",
            format!("token={token}"),
        ),
    );
    assert_eq!(again.status, 400);
    assert!(
        again
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let page = server.get(&path);
    assert_eq!(page.status, 400, "a used link shows the invalid page");
}

#[test]
fn json_posts_use_the_link_too_and_bad_tokens_are_invalid_code() {
    let server = TestServer::start();
    server.signup("b@example.com", "Bert");
    let (_, token) = link(&server, "b@example.com");
    let bad = server.post_json(
        "/api/accounts/verify-email/link",
        &json!({"token": "x".repeat(43)}),
    );
    assert_eq!((bad.status, bad.error()), (400, "invalid_code".into()));
    let ok = server.post_json("/api/accounts/verify-email/link", &json!({"token": token}));
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["user"]["is_active"], true);
    let reused = server.post_json("/api/accounts/verify-email/link", &json!({"token": token}));
    assert_eq!(
        (reused.status, reused.error()),
        (400, "invalid_code".into())
    );
}

#[test]
fn the_form_redirects_when_a_destination_is_configured() {
    let server = TestServer::start_with(|c| {
        c.set("links.verified_redirect", "https://app.example.com/welcome");
    });
    server.signup("c@example.com", "Cleo");
    let (_, token) = link(&server, "c@example.com");
    let confirm = server.send(
        &Request::new("POST", "/api/accounts/verify-email/link").body(
            "application/x-www-form-urlencoded",
            format!("token={token}"),
        ),
    );
    assert_eq!(confirm.status, 303);
    assert_eq!(
        confirm.header("location"),
        Some("https://app.example.com/welcome")
    );
}

#[test]
fn using_the_code_kills_the_link_and_the_other_way_round() {
    let server = TestServer::start();
    server.signup("d@example.com", "Dora");
    let mail = server.mail_to("d@example.com");
    let (_, token) = link(&server, "d@example.com");
    let verified = server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": "d@example.com", "code": mail.code()}),
    );
    assert_eq!(verified.status, 200);
    let link_after = server.post_json("/api/accounts/verify-email/link", &json!({"token": token}));
    assert_eq!(link_after.error(), "invalid_code");

    server.signup("e@example.com", "Emil");
    let mail = server.mail_to("e@example.com");
    let (_, token) = link(&server, "e@example.com");
    assert_eq!(
        server
            .post_json("/api/accounts/verify-email/link", &json!({"token": token}))
            .status,
        200
    );
    let code_after = server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": "e@example.com", "code": mail.code()}),
    );
    assert_eq!(code_after.error(), "invalid_code");
}

#[test]
fn the_confirm_page_lets_its_form_lead_to_the_configured_redirect() {
    let server = TestServer::start_with(|c| {
        c.set(
            "links.verified_redirect",
            "https://app.example.com/welcome?from=mail",
        );
    });
    server.signup("f@example.com", "Fred");
    let (path, _) = link(&server, "f@example.com");
    let page = server.get(&path);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("form-action 'self' https://app.example.com;"),
        "{csp}"
    );
    let plain = TestServer::start();
    plain.signup("g@example.com", "Gina");
    let (path, _) = link(&plain, "g@example.com");
    let csp = plain
        .get(&path)
        .header("content-security-policy")
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action 'self';"), "{csp}");
}
