//! Cookie transport (SPEC §7): the three cookies login and refresh set, with their paths and
//! flags; the double-submit CSRF check on cookie-authenticated state changes; logout clearing
//! the cookies; `both` and the default `body` transport.

use serde_json::json;

use crate::client::{Reply, Request};
use crate::harness::{PASSWORD, TestServer};

const ACCESS: &str = "latchkey_access";
const REFRESH: &str = "latchkey_refresh";
const CSRF: &str = "latchkey_csrf";

/// One `Set-Cookie`: its value and its attributes as written (`Path=/`, `HttpOnly`, ...).
#[derive(Debug)]
struct SetCookie {
    value: String,
    attributes: Vec<String>,
}

impl SetCookie {
    fn has(&self, attribute: &str) -> bool {
        self.attributes
            .iter()
            .any(|a| a.eq_ignore_ascii_case(attribute))
    }

    /// The value of `name=...` among the attributes (name compared case-insensitively).
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find_map(|a| {
            let (n, v) = a.split_once('=')?;
            n.eq_ignore_ascii_case(name).then_some(v)
        })
    }
}

/// The cookie `name` set by `reply`; panics unless it is set exactly once.
fn set_cookie(reply: &Reply, name: &str) -> SetCookie {
    let found: Vec<SetCookie> = reply
        .headers_named("set-cookie")
        .into_iter()
        .filter_map(|header| {
            let mut parts = header.split(';').map(str::trim);
            let (n, value) = parts.next()?.split_once('=')?;
            (n == name).then(|| SetCookie {
                value: value.to_owned(),
                attributes: parts.map(str::to_owned).collect(),
            })
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{name} set once: {:?}",
        reply.headers_named("set-cookie")
    );
    found.into_iter().next().unwrap()
}

fn cookie_server(transport: &str, insecure: bool) -> TestServer {
    let server = TestServer::start_with(|c| {
        c.set("tokens.transport", transport)
            .set("server.insecure_cookies", insecure);
    });
    server.verified_user("a@example.com", "Anna");
    server
}

fn login(server: &TestServer) -> Reply {
    let reply = server.post_json(
        "/api/accounts/login",
        &json!({"email": "a@example.com", "password": PASSWORD}),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply
}

/// The cookies a browser would send back after `reply`, for a request under `/api/accounts/token`.
struct Jar {
    access: String,
    refresh: String,
    csrf: String,
}

impl Jar {
    fn from(reply: &Reply) -> Self {
        Self {
            access: set_cookie(reply, ACCESS).value,
            refresh: set_cookie(reply, REFRESH).value,
            csrf: set_cookie(reply, CSRF).value,
        }
    }

    /// `Cookie:` for a request to a path outside `/api/accounts/token`.
    fn general(&self) -> String {
        format!("{ACCESS}={}; {CSRF}={}", self.access, self.csrf)
    }

    /// `Cookie:` for a request to `/api/accounts/token/...`.
    fn token_path(&self) -> String {
        format!(
            "{ACCESS}={}; {REFRESH}={}; {CSRF}={}",
            self.access, self.refresh, self.csrf
        )
    }
}

#[test]
fn cookie_login_sets_three_cookies_and_keeps_tokens_out_of_the_body() {
    let server = cookie_server("cookie", false);
    let reply = login(&server);

    let access = set_cookie(&reply, ACCESS);
    assert_eq!(access.attribute("Path"), Some("/"));
    let refresh = set_cookie(&reply, REFRESH);
    assert_eq!(refresh.attribute("Path"), Some("/api/accounts/token"));
    for (name, cookie) in [(ACCESS, &access), (REFRESH, &refresh)] {
        assert!(cookie.has("HttpOnly"), "{name}: {cookie:?}");
        assert!(cookie.has("Secure"), "{name}: {cookie:?}");
        assert_eq!(cookie.attribute("SameSite"), Some("Lax"), "{name}");
        assert_eq!(cookie.value.split('.').count(), 3, "{name} holds a JWT");
    }
    assert_eq!(access.attribute("Max-Age"), Some("600"));

    let csrf = set_cookie(&reply, CSRF);
    assert!(!csrf.has("HttpOnly"), "scripts must read it: {csrf:?}");
    assert!(csrf.has("Secure"), "{csrf:?}");
    assert_eq!(csrf.attribute("SameSite"), Some("Lax"));
    assert!(csrf.value.len() >= 16, "{csrf:?}");

    let body = reply.json();
    assert!(body.get("access_token").is_none(), "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["user"]["email"], "a@example.com");
    for (name, value) in [("access", &access.value), ("refresh", &refresh.value)] {
        assert!(
            !reply.text().contains(value.as_str()),
            "{name} token in the body"
        );
    }
}

#[test]
fn each_login_gets_its_own_csrf_value() {
    let server = cookie_server("cookie", false);
    let one = set_cookie(&login(&server), CSRF).value;
    let two = set_cookie(&login(&server), CSRF).value;
    assert_ne!(one, two);
}

#[test]
fn the_access_cookie_reads_without_csrf_but_changes_need_it() {
    let server = cookie_server("cookie", false);
    let jar = Jar::from(&login(&server));

    let me = server.send(&Request::new("GET", "/api/accounts/me").header("Cookie", &jar.general()));
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["email"], "a@example.com");

    let rename = |csrf: Option<&str>| {
        let mut request = Request::new("PATCH", "/api/accounts/me")
            .header("Cookie", &jar.general())
            .json(&json!({"nickname": "Annabel"}));
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        server.send(&request)
    };
    let without = rename(None);
    assert_eq!(
        (without.status, without.error()),
        (403, "csrf_failed".into())
    );
    let wrong = rename(Some("not-the-cookie"));
    assert_eq!((wrong.status, wrong.error()), (403, "csrf_failed".into()));
    let empty = rename(Some(""));
    assert_eq!(empty.status, 403);
    assert_eq!(rename(Some(&jar.csrf)).status, 200);
}

#[test]
fn a_csrf_header_without_the_csrf_cookie_fails() {
    let server = cookie_server("cookie", false);
    let jar = Jar::from(&login(&server));
    let reply = server.send(
        &Request::new("POST", "/api/accounts/logout")
            .header("Cookie", &format!("{ACCESS}={}", jar.access))
            .header("X-CSRF-Token", &jar.csrf),
    );
    assert_eq!((reply.status, reply.error()), (403, "csrf_failed".into()));
}

#[test]
fn cookie_logout_needs_csrf_and_clears_all_three_cookies() {
    let server = cookie_server("cookie", false);
    let jar = Jar::from(&login(&server));
    let logout = |csrf: Option<&str>| {
        let mut request =
            Request::new("POST", "/api/accounts/logout").header("Cookie", &jar.general());
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        server.send(&request)
    };

    let without = logout(None);
    assert_eq!(
        (without.status, without.error()),
        (403, "csrf_failed".into())
    );
    let wrong = logout(Some("0123456789abcdef"));
    assert_eq!((wrong.status, wrong.error()), (403, "csrf_failed".into()));
    let me = server.send(&Request::new("GET", "/api/accounts/me").header("Cookie", &jar.general()));
    assert_eq!(me.status, 200, "the refused logouts ended nothing");

    let done = logout(Some(&jar.csrf));
    assert_eq!(done.status, 204, "{}", done.text());
    for (name, path) in [(ACCESS, "/"), (REFRESH, "/api/accounts/token"), (CSRF, "/")] {
        let cleared = set_cookie(&done, name);
        assert_eq!(
            cleared.attribute("Max-Age"),
            Some("0"),
            "{name}: {cleared:?}"
        );
        assert_eq!(cleared.value, "", "{name}");
        assert_eq!(cleared.attribute("Path"), Some(path), "{name}");
    }
    let me = server.send(&Request::new("GET", "/api/accounts/me").header("Cookie", &jar.general()));
    assert_eq!((me.status, me.error()), (401, "token_revoked".into()));
}

#[test]
fn refresh_by_cookie_needs_csrf_and_sets_new_cookies() {
    let server = cookie_server("cookie", false);
    let jar = Jar::from(&login(&server));
    let only_refresh = format!("{REFRESH}={}; {CSRF}={}", jar.refresh, jar.csrf);

    let without = server
        .send(&Request::new("POST", "/api/accounts/token/refresh").header("Cookie", &only_refresh));
    assert_eq!(
        (without.status, without.error()),
        (403, "csrf_failed".into())
    );

    let refreshed = server.send(
        &Request::new("POST", "/api/accounts/token/refresh")
            .header("Cookie", &only_refresh)
            .header("X-CSRF-Token", &jar.csrf),
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    let body = refreshed.json();
    assert!(body.get("access_token").is_none(), "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(body["user"]["email"], "a@example.com");
    let next = Jar::from(&refreshed);
    assert_ne!(next.access, jar.access);
    assert_ne!(next.refresh, jar.refresh);
    assert_eq!(
        set_cookie(&refreshed, REFRESH).attribute("Path"),
        Some("/api/accounts/token")
    );

    let me =
        server.send(&Request::new("GET", "/api/accounts/me").header("Cookie", &next.general()));
    assert_eq!(me.status, 200, "{}", me.text());
    let again = server.send(
        &Request::new("POST", "/api/accounts/token/refresh")
            .header("Cookie", &next.token_path())
            .header("X-CSRF-Token", &next.csrf),
    );
    assert_eq!(
        again.status,
        200,
        "the rotated cookie works: {}",
        again.text()
    );
}

#[test]
fn insecure_cookies_drop_only_the_secure_flag() {
    let server = cookie_server("cookie", true);
    let reply = login(&server);
    for name in [ACCESS, REFRESH, CSRF] {
        let cookie = set_cookie(&reply, name);
        assert!(!cookie.has("Secure"), "{name}: {cookie:?}");
        assert_eq!(cookie.attribute("SameSite"), Some("Lax"), "{name}");
    }
    assert!(set_cookie(&reply, ACCESS).has("HttpOnly"));
    assert!(set_cookie(&reply, REFRESH).has("HttpOnly"));
}

#[test]
fn both_transport_puts_the_tokens_in_the_body_and_in_cookies() {
    let server = cookie_server("both", false);
    let reply = login(&server);
    let body = reply.json();
    let jar = Jar::from(&reply);
    assert_eq!(body["access_token"], jar.access.as_str());
    assert_eq!(body["refresh_token"], jar.refresh.as_str());

    let bearer = server.bearer("GET", "/api/accounts/me", &jar.access, None);
    assert_eq!(bearer.status, 200);
    let by_cookie =
        server.send(&Request::new("GET", "/api/accounts/me").header("Cookie", &jar.general()));
    assert_eq!(by_cookie.status, 200);
    let logout =
        server.send(&Request::new("POST", "/api/accounts/logout").header("Cookie", &jar.general()));
    assert_eq!(
        (logout.status, logout.error()),
        (403, "csrf_failed".into()),
        "a cookie needs CSRF in both mode too"
    );
}

#[test]
fn the_default_body_transport_sets_no_cookies_and_ignores_them() {
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let reply = login(&server);
    assert!(reply.headers_named("set-cookie").is_empty());
    let access = reply.json()["access_token"].as_str().unwrap().to_owned();
    let me = server.send(
        &Request::new("GET", "/api/accounts/me").header("Cookie", &format!("{ACCESS}={access}")),
    );
    assert_eq!((me.status, me.error()), (401, "token_missing".into()));
    let logout = server.send(&Request::new("POST", "/api/accounts/logout").bearer(&access));
    assert_eq!(logout.status, 204);
    assert!(logout.headers_named("set-cookie").is_empty());
}
