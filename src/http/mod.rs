//! The HTTP API. [`ROUTES`] is the whole API at a glance; [`handle`] finds the route, runs its
//! handler, and wraps every answer with a request id, a log line and metrics.
//!
//! - `handlers`: one function per route
//! - `body`: body limits, content types, JSON fields
//! - `auth`: the bearer token
//! - `error`: [`ApiError`], the only domain-error → status mapping
//! - `respond`: JSON, HTML and empty answers
//! - `pages`: the HTML behind the mailed link

mod auth;
mod body;
mod error;
mod handlers;
mod pages;
mod respond;

use std::net::SocketAddr;
use std::time::Instant;

use http::{HeaderValue, Method};
use hyper::body::Incoming;
use tracing::Instrument as _;

pub use error::ApiError;
pub use respond::Response;

use crate::app::App;
use crate::metrics::{Route as RouteLabel, RouteStatus};
use crate::random;

/// Every route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/api/accounts/signup`
    Signup,
    /// `/api/accounts/verify-email`
    VerifyEmail,
    /// `/api/accounts/verify-email/link`
    VerifyLink,
    /// `/api/accounts/resend-code`
    ResendCode,
    /// `/api/accounts/login`
    Login,
    /// `/api/accounts/token/refresh`
    Refresh,
    /// `/api/accounts/token/verify`
    TokenVerify,
    /// `/api/accounts/logout`
    Logout,
    /// `/api/accounts/me`
    Me,
    /// `/healthz`
    Healthz,
    /// `/metrics`
    Metrics,
}

/// Path, route, and the methods it answers (`GET` implies `HEAD`).
pub const ROUTES: &[(&str, Route, &str)] = &[
    ("/api/accounts/signup", Route::Signup, "POST"),
    (
        "/api/accounts/verify-email",
        Route::VerifyEmail,
        "GET, HEAD, POST",
    ),
    ("/api/accounts/verify-email/link", Route::VerifyLink, "POST"),
    ("/api/accounts/resend-code", Route::ResendCode, "POST"),
    ("/api/accounts/login", Route::Login, "POST"),
    ("/api/accounts/token/refresh", Route::Refresh, "POST"),
    ("/api/accounts/token/verify", Route::TokenVerify, "POST"),
    ("/api/accounts/logout", Route::Logout, "POST"),
    ("/api/accounts/me", Route::Me, "GET, HEAD"),
    ("/healthz", Route::Healthz, "GET, HEAD"),
    ("/metrics", Route::Metrics, "GET, HEAD"),
];

/// The route for `path`; a trailing slash is optional.
fn find(path: &str) -> Option<(&'static str, Route, &'static str)> {
    let path = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    ROUTES.iter().copied().find(|(p, ..)| *p == path)
}

async fn dispatch(
    app: &App,
    req: http::Request<Incoming>,
    route: Route,
    allow: &'static str,
) -> Result<Response, ApiError> {
    use handlers as h;
    let method = req.method().clone();
    let get = method == Method::GET || method == Method::HEAD;
    match (route, method) {
        (Route::Signup, Method::POST) => h::signup(app, req).await,
        (Route::VerifyEmail, Method::POST) => h::verify_email(app, req).await,
        (Route::VerifyEmail, _) if get => Ok(h::verify_link_page(app, &req)),
        (Route::VerifyLink, Method::POST) => h::verify_link(app, req).await,
        (Route::ResendCode, Method::POST) => h::resend_code(app, req).await,
        (Route::Login, Method::POST) => h::login(app, req).await,
        (Route::Refresh, Method::POST) => h::refresh(app, req).await,
        (Route::TokenVerify, Method::POST) => h::token_verify(app, req).await,
        (Route::Logout, Method::POST) => h::logout(app, req).await,
        (Route::Me, _) if get => h::me(app, &req),
        (Route::Healthz, _) if get => Ok(h::healthz(app)),
        (Route::Metrics, _) if get => Ok(h::metrics(app)),
        _ => Err(ApiError::method_not_allowed(allow)),
    }
}

/// A request id: the client's `X-Request-Id` when it is short and plain, else a fresh one.
fn request_id(req: &http::Request<Incoming>) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map_or_else(|| random::id()[..16].to_owned(), str::to_owned)
}

/// Answers one request.
pub async fn handle(app: &App, req: http::Request<Incoming>, peer: SocketAddr) -> Response {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().clone();
    // The path only: a query may hold a link token, and tokens are never logged.
    let path = req.uri().path().to_owned();
    let span =
        tracing::info_span!("request", id = %id, method = %method, path = %path, peer = %peer.ip());
    let found = find(&path);
    let label = found.map_or("unknown", |(p, ..)| p);
    let mut response = match found {
        Some((_, route, allow)) => {
            dispatch(app, req, route, allow)
                .instrument(span.clone())
                .await
        }
        None => Err(ApiError::not_found()),
    }
    .unwrap_or_else(ApiError::into_response);
    let status = response.status();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let elapsed = started.elapsed();
    app.metrics
        .http_requests
        .get_or_create(&RouteStatus {
            route: label,
            status: status.as_u16(),
        })
        .inc();
    app.metrics
        .http_duration
        .get_or_create(&RouteLabel { route: label })
        .observe(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            latency_us = elapsed.as_micros() as u64,
            "request"
        );
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_take_an_optional_trailing_slash() {
        assert_eq!(find("/api/accounts/login").map(|r| r.1), Some(Route::Login));
        assert_eq!(
            find("/api/accounts/login/").map(|r| r.1),
            Some(Route::Login)
        );
        assert_eq!(find("/api/accounts/login//"), None);
        assert_eq!(find("/api/accounts"), None);
        assert_eq!(find("/"), None);
    }

    #[test]
    fn every_route_is_listed_once() {
        for (i, (path, ..)) in ROUTES.iter().enumerate() {
            assert!(ROUTES[..i].iter().all(|(p, ..)| p != path), "{path}");
        }
    }
}
