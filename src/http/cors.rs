//! CORS (SPEC §7): only origins in `server.cors_origins` get CORS headers, with credentials;
//! preflights are answered `204` and cached for ten minutes.

use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::respond::{Response, empty};

/// Headers a browser may send cross-origin.
const ALLOW_HEADERS: &str = "Content-Type, Authorization, X-CSRF-Token";

/// The request's `Origin`, if it is on the allow-list.
#[must_use]
pub fn allowed_origin<'a>(headers: &'a HeaderMap, allowed: &[String]) -> Option<&'a HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    allowed.iter().any(|o| o == text).then_some(origin)
}

/// Adds the CORS headers for an allowed origin; always `Vary: Origin` once any is configured,
/// since the answer then depends on it.
pub fn decorate(response: &mut Response, origin: Option<&HeaderValue>, configured: bool) {
    let headers = response.headers_mut();
    if configured {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

/// The answer to `OPTIONS` on a route that allows `methods`: a preflight for an allowed
/// origin, a plain `Allow` otherwise.
#[must_use]
pub fn preflight(origin: Option<&HeaderValue>, methods: &'static str) -> Response {
    let mut response = empty(StatusCode::NO_CONTENT);
    let headers = response.headers_mut();
    headers.insert(header::ALLOW, HeaderValue::from_static(methods));
    if origin.is_some() {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(methods),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    response
}
