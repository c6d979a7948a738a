//! Where a request's credentials are, and the checks that go with where: the
//! `Authorization: Bearer` header always, the token cookies in cookie mode, and the CSRF
//! double-submit for a cookie-authenticated state change.

use http::{HeaderMap, Method, header};

use super::cookies;
use super::error::ApiError;
use crate::accounts::{self, Authenticated};
use crate::app::App;
use crate::config::TokenTransport;

/// The bearer token of `Authorization`, if the header is there and well-formed.
#[must_use]
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether the request has more than one `Authorization` header: proxies and libraries
/// disagree on which counts, so such a request is refused (SPEC §5).
#[must_use]
pub fn several_authorizations(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .nth(1)
        .is_some()
}

/// A token and whether it came from a cookie.
#[derive(Clone, Copy, Debug)]
pub struct Presented<'a> {
    /// The token, if any was presented.
    pub token: Option<&'a str>,
    /// Whether it came from a cookie (and so needs the CSRF check for state changes).
    pub cookie: bool,
}

/// The first of: an explicit token (from the body), the bearer header, and, in cookie mode,
/// the cookie `name`.
#[must_use]
pub fn presented<'a>(
    app: &App,
    headers: &'a HeaderMap,
    explicit: Option<&'a str>,
    name: &str,
) -> Presented<'a> {
    if let Some(token) = explicit.or_else(|| bearer(headers)) {
        return Presented {
            token: Some(token),
            cookie: false,
        };
    }
    let cookie = match app.config.tokens.transport {
        TokenTransport::Body => None,
        TokenTransport::Cookie | TokenTransport::Both => {
            cookies::get(headers, name).filter(|t| !t.is_empty())
        }
    };
    Presented {
        token: cookie,
        cookie: cookie.is_some(),
    }
}

/// `403 csrf_failed` unless a cookie-borne token on a state change is backed by a matching
/// `X-CSRF-Token`.
pub fn csrf(
    presented: Presented<'_>,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if presented.cookie && !safe && !cookies::csrf_ok(headers) {
        return Err(ApiError::csrf_failed());
    }
    Ok(())
}

/// Authenticates a request by its access token (header, or cookie with CSRF).
pub fn authenticate(
    app: &App,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Authenticated, ApiError> {
    let presented = presented(app, headers, None, cookies::ACCESS);
    let who = accounts::authenticate(app, presented.token)?;
    csrf(presented, method, headers)?;
    Ok(who)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn only_a_bearer_scheme_with_a_token_counts() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(v));
            bearer(&h).map(str::to_owned)
        };
        assert_eq!(with("Bearer abc.def.ghi").as_deref(), Some("abc.def.ghi"));
        assert_eq!(with("bearer   abc").as_deref(), Some("abc"));
        assert_eq!(with("Basic dXNlcjpwdw=="), None);
        assert_eq!(with("Bearer "), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
