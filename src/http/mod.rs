//! The HTTP API. [`ROUTES`] is the whole API at a glance; [`handle`] finds the route, runs its
//! handler, and wraps every answer with a request id, a log line and metrics.
//!
//! - `handlers`: one function per route
//! - `body`: body limits, content types, JSON fields
//! - `auth`: the bearer token
//! - `error`: [`ApiError`], the only domain-error → status mapping
//! - `problems`: the wrong fields of a body, collected
//! - `respond`: JSON, HTML and empty answers
//! - `pages`: the HTML behind the mailed link
//! - `cookies`, `cors`, `client_ip`: cookie transport and CSRF, CORS, the client address
//! - `compat`: the Djoser + SimpleJWT dialect under `compat.prefix`

mod auth;
pub mod body;
mod client_ip;
mod compat;
mod cookies;
mod cors;
mod error;
mod handlers;
mod pages;
pub mod problems;
mod respond;

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use http::{HeaderValue, Method, StatusCode};
use hyper::body::Incoming;
use tracing::Instrument as _;

pub use error::ApiError;
pub use respond::Response;

use crate::app::App;
use crate::limits::Limit;
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
    /// `/api/accounts/authz`: forward authentication, any method
    Authz,
    /// `/api/accounts/password/change`
    PasswordChange,
    /// `/api/accounts/password/reset`
    PasswordReset,
    /// `/api/accounts/password/reset/confirm`
    PasswordResetConfirm,
    /// `/api/accounts/email/change`
    EmailChange,
    /// `/api/accounts/email/change/confirm`
    EmailChangeConfirm,
    /// `/healthz`
    Healthz,
    /// `/.well-known/jwks.json`
    Jwks,
    /// `/metrics`
    Metrics,
    /// `/openapi.json`
    OpenApi,
    /// `/`: the web pages
    Home,
    /// `/app.js`: their script
    AppJs,
}

/// The `allow` of a route that answers every method (the proxy chooses it, not a client).
const ANY_METHOD: &str = "*";

/// Path, route, the methods it answers (`GET` implies `HEAD`), and the per-IP rate limit it
/// counts against.
pub const ROUTES: &[(&str, Route, &str, Option<Limit>)] = &[
    (
        "/api/accounts/signup",
        Route::Signup,
        "POST",
        Some(Limit::Signup),
    ),
    (
        "/api/accounts/verify-email",
        Route::VerifyEmail,
        "GET, HEAD, POST",
        Some(Limit::Verify),
    ),
    (
        "/api/accounts/verify-email/link",
        Route::VerifyLink,
        "POST",
        Some(Limit::Verify),
    ),
    (
        "/api/accounts/resend-code",
        Route::ResendCode,
        "POST",
        Some(Limit::Resend),
    ),
    (
        "/api/accounts/login",
        Route::Login,
        "POST",
        Some(Limit::Login),
    ),
    ("/api/accounts/token/refresh", Route::Refresh, "POST", None),
    (
        "/api/accounts/token/verify",
        Route::TokenVerify,
        "POST",
        None,
    ),
    ("/api/accounts/logout", Route::Logout, "POST", None),
    (
        "/api/accounts/me",
        Route::Me,
        "GET, HEAD, PATCH, DELETE",
        None,
    ),
    ("/api/accounts/authz", Route::Authz, ANY_METHOD, None),
    (
        "/api/accounts/password/change",
        Route::PasswordChange,
        "POST",
        None,
    ),
    (
        "/api/accounts/password/reset",
        Route::PasswordReset,
        "POST",
        Some(Limit::Reset),
    ),
    (
        "/api/accounts/password/reset/confirm",
        Route::PasswordResetConfirm,
        "POST",
        Some(Limit::Verify),
    ),
    (
        "/api/accounts/email/change",
        Route::EmailChange,
        "POST",
        Some(Limit::Resend),
    ),
    (
        "/api/accounts/email/change/confirm",
        Route::EmailChangeConfirm,
        "POST",
        Some(Limit::Verify),
    ),
    ("/healthz", Route::Healthz, "GET, HEAD", None),
    ("/.well-known/jwks.json", Route::Jwks, "GET, HEAD", None),
    ("/metrics", Route::Metrics, "GET, HEAD", None),
    ("/openapi.json", Route::OpenApi, "GET, HEAD", None),
    ("/", Route::Home, "GET, HEAD", None),
    ("/app.js", Route::AppJs, "GET, HEAD", None),
];

/// A route found for a path.
#[derive(Clone, Copy, Debug)]
struct Found {
    path: &'static str,
    route: Route,
    allow: &'static str,
    limit: Option<Limit>,
}

/// The route for `path`; a trailing slash is optional.
fn find(path: &str) -> Option<Found> {
    let path = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    ROUTES
        .iter()
        .find(|(p, ..)| *p == path)
        .map(|&(path, route, allow, limit)| Found {
            path,
            route,
            allow,
            limit,
        })
}

async fn dispatch(
    app: &App,
    req: http::Request<Incoming>,
    found: Found,
    client: IpAddr,
) -> Result<Response, ApiError> {
    use handlers as h;
    let method = req.method().clone();
    if method == Method::OPTIONS && found.allow != ANY_METHOD {
        let origin = cors::allowed_origin(req.headers(), &app.config.server.cors_origins);
        return Ok(cors::preflight(origin, found.allow));
    }
    if auth::several_authorizations(req.headers()) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_invalid",
            "Send one Authorization header, not several.",
        ));
    }
    if found.allow != ANY_METHOD && !found.allow.split(", ").any(|m| m == method.as_str()) {
        return Err(ApiError::method_not_allowed(found.allow));
    }
    if let Some(limit) = found.limit {
        app.limits.check(limit, client).map_err(|retry_after| {
            app.metrics
                .rate_limited
                .get_or_create(&RouteLabel { route: found.path })
                .inc();
            ApiError::rate_limited(retry_after)
        })?;
    }
    match (found.route, method) {
        (Route::Signup, _) => h::signup(app, req).await,
        (Route::VerifyEmail, Method::POST) => h::verify_email(app, req).await,
        (Route::VerifyEmail, _) => Ok(h::verify_link_page(app, &req)),
        (Route::VerifyLink, _) => h::verify_link(app, req).await,
        (Route::ResendCode, _) => h::resend_code(app, req).await,
        (Route::Login, _) => h::login(app, req, client).await,
        (Route::Refresh, _) => h::refresh(app, req).await,
        (Route::TokenVerify, _) => h::token_verify(app, req).await,
        (Route::Logout, _) => h::logout(app, req).await,
        (Route::Me, Method::PATCH) => h::update_me(app, req).await,
        (Route::Me, Method::DELETE) => h::delete_me(app, req).await,
        (Route::Me, _) => h::me(app, &req).await,
        (Route::Authz, _) => h::authz(app, &req).await,
        (Route::PasswordChange, _) => h::change_password(app, req).await,
        (Route::PasswordReset, _) => h::request_reset(app, req).await,
        (Route::PasswordResetConfirm, _) => h::confirm_reset(app, req).await,
        (Route::EmailChange, _) => h::request_email_change(app, req).await,
        (Route::EmailChangeConfirm, _) => h::confirm_email_change(app, req).await,
        (Route::Healthz, _) => Ok(h::healthz(app).await),
        (Route::Jwks, _) => h::jwks(app),
        (Route::Metrics, _) => Ok(h::metrics(app).await),
        (Route::OpenApi, _) => Ok(h::openapi()),
        (Route::Home, _) => Ok(h::home()),
        (Route::AppJs, _) => Ok(h::app_js()),
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
    let client = client_ip::client_ip(req.headers(), peer, &app.config.server.trusted_proxies);
    let cors_origins = &app.config.server.cors_origins;
    let origin = cors::allowed_origin(req.headers(), cors_origins).cloned();
    // The path only: a query may hold a link token, and tokens are never logged.
    let path = req.uri().path().to_owned();
    let span =
        tracing::info_span!("request", id = %id, method = %method, path = %path, client = %client);
    let found = find(&path);
    let dialect = if found.is_none() {
        compat::find(app, &path)
    } else {
        None
    };
    let label = found.map_or_else(|| dialect.map_or("unknown", |(_, l)| l), |f| f.path);
    let mut response = match (found, dialect) {
        (None, Some((index, _))) => Ok(crate::audit::Origin::request(client, &id)
            .scope(compat::handle(app, req, index, client).instrument(span.clone()))
            .await),
        (Some(found), _) => {
            crate::audit::Origin::request(client, &id)
                .scope(dispatch(app, req, found, client).instrument(span.clone()))
                .await
        }
        (None, None) => Err(ApiError::not_found()),
    }
    .unwrap_or_else(ApiError::into_response);
    cors::decorate(&mut response, origin.as_ref(), !cors_origins.is_empty());
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
        let route = |p| find(p).map(|f| f.route);
        assert_eq!(route("/api/accounts/login"), Some(Route::Login));
        assert_eq!(route("/api/accounts/login/"), Some(Route::Login));
        assert_eq!(route("/api/accounts/login//"), None);
        assert_eq!(route("/api/accounts"), None);
        assert_eq!(route("/"), Some(Route::Home));
    }

    #[test]
    fn the_openapi_document_describes_every_route_but_the_pages() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("web/openapi.json")).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        for (path, route, allow, _) in ROUTES {
            if matches!(route, Route::Home | Route::AppJs) {
                assert!(!paths.contains_key(*path), "{path} is not part of the API");
                continue;
            }
            let described = paths
                .get(*path)
                .unwrap_or_else(|| panic!("{path} is not described"));
            let methods = if *allow == ANY_METHOD {
                "GET, POST, PUT, PATCH, DELETE"
            } else {
                allow
            };
            for method in methods.split(", ").filter(|m| *m != "HEAD") {
                assert!(
                    described.get(method.to_lowercase()).is_some(),
                    "{method} {path} is not described"
                );
            }
        }
        assert_eq!(
            paths.len(),
            ROUTES.len() - 2,
            "nothing described that does not exist"
        );
    }

    #[test]
    fn every_route_is_listed_once() {
        for (i, (path, ..)) in ROUTES.iter().enumerate() {
            assert!(ROUTES[..i].iter().all(|(p, ..)| p != path), "{path}");
        }
    }
}
