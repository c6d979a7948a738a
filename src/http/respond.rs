//! Building responses: JSON, HTML pages, empty answers, and the headers every answer carries.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use http_body_util::Full;
use serde::Serialize;

/// The response type every handler returns.
pub type Response = http::Response<Full<Bytes>>;

/// A JSON answer. `Cache-Control: no-store`: answers carry tokens and account data.
pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    // Serializing the crate's own types into a Vec cannot fail.
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = http::Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An HTML page, locked down: no scripts, no framing, no referrer (the page's URL may hold a
/// link token), no caching; forms post only to this origin.
pub fn html(status: StatusCode, page: String) -> Response {
    html_posting_to(status, page, None)
}

/// [`html`], whose forms may also lead to `origin` (browsers hold a form's redirect to the
/// page's `form-action` too).
pub fn html_posting_to(status: StatusCode, page: String, origin: Option<&str>) -> Response {
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'{}; frame-ancestors 'none'",
        origin.map(|o| format!(" {o}")).unwrap_or_default()
    );
    let mut response = http::Response::new(Full::new(Bytes::from(page)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let csp = HeaderValue::from_str(&csp).unwrap_or_else(|_| {
        HeaderValue::from_static("default-src 'none'; form-action 'self'; frame-ancestors 'none'")
    });
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

/// A `text/plain` answer (metrics).
pub fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = http::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// An answer with no body.
pub fn empty(status: StatusCode) -> Response {
    let mut response = http::Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// A `303 See Other` to `location`.
pub fn see_other(location: &str) -> Response {
    let mut response = empty(StatusCode::SEE_OTHER);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
