//! Routes for operators and browsers: health, metrics, the `OpenAPI` document, the web pages.

use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use crate::app::App;
use crate::http::error::ApiError;
use crate::http::respond::{self, Response};

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
