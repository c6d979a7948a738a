//! Routes for operators and browsers: health, metrics, the `OpenAPI` document, the web pages.

use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use crate::app::App;
use crate::http::error::ApiError;
use crate::http::respond::{self, Response};
use crate::jwt::Algorithm;

/// The `OpenAPI` 3.1 description of the API.
const OPENAPI: &str = include_str!("../web/openapi.json");
/// The web pages: sign up, verify, log in, profile.
const HOME: &str = include_str!("../web/index.html");
/// Their script.
const APP_JS: &str = include_str!("../web/app.js");

/// `GET /healthz`
pub async fn healthz(app: &App) -> Response {
    match app.store.health().await {
        Ok(()) => respond::json(StatusCode::OK, &json!({ "status": "ok" })),
        Err(e) => ApiError::unavailable(&e).into_response(),
    }
}

/// `GET /.well-known/jwks.json`: the public keys that verify latchkey's tokens (SPEC §5.2).
pub fn jwks(app: &App) -> Result<Response, ApiError> {
    if app.config.tokens.algorithm == Algorithm::Hs256 {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "HS256 keys are secret, so there are no public keys to publish; set \
             tokens.algorithm to EdDSA or ES256 for a JWKS.",
        ));
    }
    let keys = app.keys.current().published(app.now());
    let mut response = respond::json(StatusCode::OK, &json!({ "keys": keys }));
    let max_age = app.config.tokens.jwks_max_age.as_secs();
    let headers = response.headers_mut();
    // Public keys are for everybody: any cache may keep them for the lifetime rotation honours.
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}

/// `GET /metrics`
pub async fn metrics(app: &App) -> Response {
    app.metrics
        .pending_codes
        .set(i64::try_from(app.codes.count()).unwrap_or(i64::MAX));
    app.metrics.store(app.store.commit_stats());
    if let Ok(depth) = app.store.outbox_depth().await {
        app.metrics
            .outbox_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    respond::text(StatusCode::OK, content_type, app.metrics.render())
}

/// `GET /openapi.json`
pub fn openapi() -> Response {
    respond::text(StatusCode::OK, "application/json", OPENAPI.to_owned())
}

/// `GET /`: the web pages. Scripts only from this origin, no inline script.
pub fn home() -> Response {
    let mut response = respond::html(StatusCode::OK, HOME.to_owned());
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

/// `GET /app.js`
pub fn app_js() -> Response {
    let mut response = respond::text(
        StatusCode::OK,
        "text/javascript; charset=utf-8",
        APP_JS.to_owned(),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
