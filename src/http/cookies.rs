//! Cookie transport (SPEC §7): the token cookies login and refresh set, the readable CSRF
//! cookie, and the double-submit check every state-changing request authenticated by a cookie
//! must pass.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, header};
use subtle::ConstantTimeEq as _;

use crate::accounts::TokenPair;
use crate::config::Server;

/// The access token cookie, sent everywhere.
pub const ACCESS: &str = "latchkey_access";
/// The refresh token cookie, sent only to the token endpoints.
pub const REFRESH: &str = "latchkey_refresh";
/// The CSRF cookie, readable by scripts so they can echo it in `X-CSRF-Token`.
pub const CSRF: &str = "latchkey_csrf";
/// The header a cookie-authenticated state change must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

const REFRESH_PATH: &str = "/api/accounts/token";

/// The value of cookie `name`, from every `Cookie` header.
#[must_use]
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// Whether `X-CSRF-Token` equals the CSRF cookie (compared in constant time).
#[must_use]
pub fn csrf_ok(headers: &HeaderMap) -> bool {
    let sent = headers.get(CSRF_HEADER).map(HeaderValue::as_bytes);
    match (sent, get(headers, CSRF)) {
        (Some(sent), Some(cookie)) if !cookie.is_empty() => {
            bool::from(sent.ct_eq(cookie.as_bytes()))
        }
        _ => false,
    }
}

fn cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: u64,
    http_only: bool,
    server: &Server,
) -> HeaderValue {
    let secure = if server.insecure_cookies {
        ""
    } else {
        "; Secure"
    };
    let http_only = if http_only { "; HttpOnly" } else { "" };
    let text =
        format!("{name}={value}; Path={path}; Max-Age={max_age}{http_only}{secure}; SameSite=Lax");
    // Tokens, ids and the fixed attributes are all visible ASCII.
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("latchkey_invalid=; Max-Age=0"))
}

/// Sets the token and CSRF cookies for a new pair.
pub fn set(
    headers: &mut HeaderMap,
    tokens: &TokenPair,
    csrf: &str,
    refresh_ttl: Duration,
    server: &Server,
) {
    let refresh_age = tokens.refresh_expires_in;
    headers.append(
        header::SET_COOKIE,
        cookie(
            ACCESS,
            &tokens.access_token,
            "/",
            tokens.expires_in,
            true,
            server,
        ),
    );
    headers.append(
        header::SET_COOKIE,
        cookie(
            REFRESH,
            &tokens.refresh_token,
            REFRESH_PATH,
            refresh_age,
            true,
            server,
        ),
    );
    headers.append(
        header::SET_COOKIE,
        cookie(CSRF, csrf, "/", refresh_ttl.as_secs(), false, server),
    );
}

/// Clears the token and CSRF cookies.
pub fn clear(headers: &mut HeaderMap, server: &Server) {
    headers.append(header::SET_COOKIE, cookie(ACCESS, "", "/", 0, true, server));
    headers.append(
        header::SET_COOKIE,
        cookie(REFRESH, "", REFRESH_PATH, 0, true, server),
    );
    headers.append(header::SET_COOKIE, cookie(CSRF, "", "/", 0, false, server));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &'static str, csrf: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static(cookie));
        if let Some(csrf) = csrf {
            h.insert(CSRF_HEADER, HeaderValue::from_static(csrf));
        }
        h
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let h = headers("a=1; latchkey_access=tok; latchkey_access_x=no", None);
        assert_eq!(get(&h, ACCESS), Some("tok"));
        assert_eq!(get(&h, REFRESH), None);
    }

    #[test]
    fn csrf_needs_the_header_to_match_a_non_empty_cookie() {
        assert!(csrf_ok(&headers("latchkey_csrf=abc", Some("abc"))));
        assert!(!csrf_ok(&headers("latchkey_csrf=abc", Some("abd"))));
        assert!(!csrf_ok(&headers("latchkey_csrf=abc", None)));
        assert!(!csrf_ok(&headers("latchkey_csrf=", Some(""))));
        assert!(!csrf_ok(&headers("other=abc", Some("abc"))));
    }
}
