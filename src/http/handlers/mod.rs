//! One function per route: read the input, make one domain call, answer.
//!
//! - `account`: sign-up, codes and links, password reset
//! - `session`: log-in, tokens, log-out, and what a logged-in user does
//! - `forward`: forward authentication for reverse proxies
//! - `ops`: health, metrics, the `OpenAPI` document and the web pages

mod account;
mod forward;
mod ops;
mod session;

pub use account::{
    confirm_reset, request_reset, resend_code, signup, verify_email, verify_link, verify_link_page,
};
pub use forward::authz;
pub use ops::{app_js, healthz, home, jwks, metrics, openapi};
pub use session::{
    change_password, confirm_email_change, delete_me, login, logout, me, refresh,
    request_email_change, token_verify, update_me,
};

use http::StatusCode;
use hyper::body::Incoming;
use serde::Serialize;
use serde_json::json;

use super::body::{self, Fields};
use super::cookies;
use super::error::ApiError;
use super::respond::{self, Response};
use crate::accounts::{TokenPair, UserView};
use crate::app::App;
use crate::config::TokenTransport;
use crate::random;

type Request = http::Request<Incoming>;
type Result = std::result::Result<Response, ApiError>;

/// Reads the body of `req` as a JSON object.
async fn fields(
    app: &App,
    req: Request,
) -> std::result::Result<(http::request::Parts, Fields), ApiError> {
    let (parts, body) = req.into_parts();
    let server = &app.config.server;
    let bytes = body::read(&parts.headers, body, server.body_limit, server.body_timeout).await?;
    let fields = Fields::parse(&parts.headers, &bytes)?;
    Ok((parts, fields))
}

fn message(status: StatusCode, text: &str) -> Response {
    respond::json(status, &json!({ "message": text }))
}

fn message_and_user(status: StatusCode, text: &str, user: &UserView) -> Response {
    respond::json(status, &json!({ "message": text, "user": user }))
}

/// Login and refresh answer alike: in the body, in cookies, or both (`tokens.transport`).
#[derive(Serialize)]
struct Session<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    token_type: &'a str,
    expires_in: u64,
    refresh_expires_in: u64,
    user: &'a UserView,
}

fn session(app: &App, tokens: &TokenPair, user: &UserView) -> Response {
    let transport = app.config.tokens.transport;
    let in_body = transport != TokenTransport::Cookie;
    let body = Session {
        access_token: in_body.then_some(tokens.access_token.as_str()),
        refresh_token: in_body.then_some(tokens.refresh_token.as_str()),
        token_type: tokens.token_type,
        expires_in: tokens.expires_in,
        refresh_expires_in: tokens.refresh_expires_in,
        user,
    };
    let mut response = respond::json(StatusCode::OK, &body);
    if transport != TokenTransport::Body {
        let csrf = random::id();
        cookies::set(
            response.headers_mut(),
            tokens,
            &csrf,
            app.config.tokens.refresh_ttl,
            &app.config.server,
        );
    }
    response
}

/// An answer with no body that also clears the token cookies in cookie mode.
fn signed_out(app: &App) -> Response {
    let mut response = respond::empty(StatusCode::NO_CONTENT);
    if app.config.tokens.transport != TokenTransport::Body {
        cookies::clear(response.headers_mut(), &app.config.server);
    }
    response
}
