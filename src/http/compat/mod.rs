//! The Djoser + SimpleJWT dialect (SPEC §12): their endpoints under `compat.prefix`, with their
//! request and response shapes and DRF's error bodies, over the same flows as the native API.
//! Each handler reads the body as a DRF serializer would, makes the native call, and answers as
//! Djoser 2.x or SimpleJWT 5.x does.
//!
//! - `drf`: DRF's error bodies and field messages, and the mapping from latchkey's errors
//! - `users`: Djoser's `users/` endpoints
//! - `jwt`: SimpleJWT's `jwt/` endpoints

mod drf;
mod jwt;
mod users;

use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use hyper::body::Incoming;

use self::drf::DrfError;
use super::body::{self, Fields, Kind};
use super::cors;
use super::respond::Response;
use crate::accounts::{self, Authenticated};
use crate::app::App;
use crate::limits::Limit;

type Request = http::Request<Incoming>;
type Result = std::result::Result<Response, DrfError>;

/// One endpoint of the dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    Create,
    Activation,
    ResendActivation,
    Me,
    SetPassword,
    ResetPassword,
    ResetPasswordConfirm,
    JwtCreate,
    JwtRefresh,
    JwtVerify,
}

/// Path under the prefix (a trailing slash optional, as Djoser's routers write them), the
/// endpoint, its methods, its per-IP limit, and its metrics label.
const ENDPOINTS: &[(&str, Endpoint, &str, Option<Limit>, &str)] = &[
    (
        "users",
        Endpoint::Create,
        "POST",
        Some(Limit::Signup),
        "djoser:users",
    ),
    (
        "users/activation",
        Endpoint::Activation,
        "POST",
        Some(Limit::Verify),
        "djoser:users/activation",
    ),
    (
        "users/resend_activation",
        Endpoint::ResendActivation,
        "POST",
        Some(Limit::Resend),
        "djoser:users/resend_activation",
    ),
    (
        "users/me",
        Endpoint::Me,
        "GET, HEAD, PUT, PATCH, DELETE",
        None,
        "djoser:users/me",
    ),
    (
        "users/set_password",
        Endpoint::SetPassword,
        "POST",
        None,
        "djoser:users/set_password",
    ),
    (
        "users/reset_password",
        Endpoint::ResetPassword,
        "POST",
        Some(Limit::Reset),
        "djoser:users/reset_password",
    ),
    (
        "users/reset_password_confirm",
        Endpoint::ResetPasswordConfirm,
        "POST",
        Some(Limit::Verify),
        "djoser:users/reset_password_confirm",
    ),
    (
        "jwt/create",
        Endpoint::JwtCreate,
        "POST",
        Some(Limit::Login),
        "djoser:jwt/create",
    ),
    (
        "jwt/refresh",
        Endpoint::JwtRefresh,
        "POST",
        None,
        "djoser:jwt/refresh",
    ),
    (
        "jwt/verify",
        Endpoint::JwtVerify,
        "POST",
        None,
        "djoser:jwt/verify",
    ),
];

/// The endpoint `path` names when the dialect is on, with its metrics label.
pub(super) fn find(app: &App, path: &str) -> Option<(usize, &'static str)> {
    let compat = app.config.compat.as_ref()?;
    let rest = path
        .strip_prefix(compat.prefix.as_str())?
        .strip_prefix('/')?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    ENDPOINTS
        .iter()
        .position(|(p, ..)| *p == rest)
        .map(|i| (i, ENDPOINTS[i].4))
}

/// Answers a request for the endpoint [`find`] found.
pub(super) async fn handle(
    app: &App,
    req: Request,
    index: usize,
    client: std::net::IpAddr,
) -> Response {
    dispatch(app, req, index, client)
        .await
        .unwrap_or_else(DrfError::into_response)
}

async fn dispatch(app: &App, req: Request, index: usize, client: std::net::IpAddr) -> Result {
    let (_, endpoint, allow, limit, _) = ENDPOINTS[index];
    let method = req.method().clone();
    if method == Method::OPTIONS {
        let origin = cors::allowed_origin(req.headers(), &app.config.server.cors_origins);
        return Ok(cors::preflight(origin, allow));
    }
    if super::auth::several_authorizations(req.headers()) {
        return Err(DrfError::token_not_valid(
            "Authorization header must contain two space-delimited values",
        ));
    }
    if !allow.split(", ").any(|m| m == method.as_str()) {
        let mut response = DrfError::detail(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("Method \"{method}\" not allowed."),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        return Ok(response);
    }
    if let Some(limit) = limit {
        app.limits
            .check(limit, client)
            .map_err(|retry_after| DrfError::from(super::ApiError::rate_limited(retry_after)))?;
    }
    match (endpoint, method) {
        (Endpoint::Create, _) => users::create(app, req).await,
        (Endpoint::Activation, _) => users::activation(app, req).await,
        (Endpoint::ResendActivation, _) => users::resend_activation(app, req).await,
        (Endpoint::Me, Method::GET | Method::HEAD) => users::me(app, req.headers()).await,
        (Endpoint::Me, Method::DELETE) => users::delete_me(app, req).await,
        (Endpoint::Me, m) => users::update_me(app, req, m == Method::PATCH).await,
        (Endpoint::SetPassword, _) => users::set_password(app, req).await,
        (Endpoint::ResetPassword, _) => users::reset_password(app, req).await,
        (Endpoint::ResetPasswordConfirm, _) => users::reset_password_confirm(app, req).await,
        (Endpoint::JwtCreate, _) => jwt::create(app, req, client).await,
        (Endpoint::JwtRefresh, _) => jwt::refresh(app, req).await,
        (Endpoint::JwtVerify, _) => jwt::verify(app, req).await,
    }
}

/// The body as DRF's parsers take it: JSON, or a form, or nothing.
pub(super) async fn fields(
    app: &App,
    req: Request,
) -> std::result::Result<(HeaderMap, Fields), DrfError> {
    let (parts, incoming) = req.into_parts();
    let server = &app.config.server;
    let bytes = body::read(
        &parts.headers,
        incoming,
        server.body_limit,
        server.body_timeout,
    )
    .await?;
    let fields = match body::kind(&parts.headers, &bytes, true)? {
        Kind::Form => Fields::from_form(&bytes),
        Kind::Empty | Kind::Json => Fields::parse(&parts.headers, &bytes)?,
    };
    Ok((parts.headers, fields))
}

/// The access token of `Authorization: Bearer <token>` or `JWT <token>` (SimpleJWT's
/// `AUTH_HEADER_TYPES`), checked as every native route checks it.
pub(super) fn who(app: &App, headers: &HeaderMap) -> std::result::Result<Authenticated, DrfError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("jwt")
        })
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(DrfError::not_authenticated)?;
    accounts::authenticate(app, Some(token)).map_err(|e| match e {
        accounts::Error::Token(problem) => DrfError::bad_access_token(drf::token_message(problem)),
        other => other.into(),
    })
}
