//! The Djoser + SimpleJWT dialect (SPEC §12): their endpoints under `compat.prefix`, with their
//! request and response shapes and DRF's error bodies, over the same flows as the native API.
//! Each handler reads the body as a DRF serializer would, makes the native call, and answers as
//! Djoser 2.x or SimpleJWT 5.x does.
//!
//! - `drf`: DRF's error bodies and field messages, and the mapping from latchkey's errors

mod drf;

use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use hyper::body::Incoming;
use serde_json::json;

use self::drf::{DrfError, INVALID_PASSWORD, INVALID_TOKEN, INVALID_UID, MISMATCH, Reader};
use super::body::{self, Fields, Kind};
use super::cors;
use super::respond::{self, Response};
use crate::accounts::{self, Authenticated, SignupInput, UidTokenError, UserView};
use crate::app::App;
use crate::input::{Email, Nickname, Password};
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
        (Endpoint::Create, _) => create(app, req).await,
        (Endpoint::Activation, _) => activation(app, req).await,
        (Endpoint::ResendActivation, _) => resend_activation(app, req).await,
        (Endpoint::Me, Method::GET | Method::HEAD) => me(app, req.headers()).await,
        (Endpoint::Me, Method::DELETE) => delete_me(app, req).await,
        (Endpoint::Me, m) => update_me(app, req, m == Method::PATCH).await,
        (Endpoint::SetPassword, _) => set_password(app, req).await,
        (Endpoint::ResetPassword, _) => reset_password(app, req).await,
        (Endpoint::ResetPasswordConfirm, _) => reset_password_confirm(app, req).await,
        (Endpoint::JwtCreate, _) => jwt_create(app, req, client).await,
        (Endpoint::JwtRefresh, _) => jwt_refresh(app, req).await,
        (Endpoint::JwtVerify, _) => jwt_verify(app, req).await,
    }
}

/// The body as DRF's parsers take it: JSON, or a form, or nothing.
async fn fields(app: &App, req: Request) -> std::result::Result<(HeaderMap, Fields), DrfError> {
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
fn who(app: &App, headers: &HeaderMap) -> std::result::Result<Authenticated, DrfError> {
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

/// Djoser's user representation: `{id, email, nickname}`.
fn user(status: StatusCode, user: &UserView) -> Response {
    respond::json(
        status,
        &json!({ "id": user.id, "email": user.email, "nickname": user.nickname }),
    )
}

/// A new password field: `re_field`, when sent, must repeat it.
fn new_password(r: &mut Reader, f: &Fields, field: &str, re_field: &str) -> Option<Password> {
    let given = r.string(f, field)?;
    let Ok(password) = Password::parse(given) else {
        return r.add(field, "This password must be 8 to 1024 characters long.");
    };
    match r.optional(f, re_field) {
        Some(again) if again != given => r.add("non_field_errors", MISMATCH),
        _ => Some(password),
    }
}

fn no_content() -> Response {
    respond::empty(StatusCode::NO_CONTENT)
}

/// `POST users/`
async fn create(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let email = r.parsed(&f, "email", Email::parse, "Enter a valid email address.");
    let password = new_password(&mut r, &f, "password", "re_password");
    let nickname = match r.optional(&f, "nickname").filter(|n| !n.is_empty()) {
        Some(given) => match Nickname::parse(given) {
            Ok(n) => Some(Some(n)),
            Err(e) => r.add("nickname", &format!("This nickname {e}.")),
        },
        None => Some(None),
    };
    r.finish()?;
    let (Some(email), Some(password), Some(chosen)) = (email, password, nickname) else {
        return Err(DrfError::field("non_field_errors", drf::REQUIRED));
    };
    let made_up = chosen.is_none();
    let mut nickname = match chosen {
        Some(n) => n,
        None => accounts::nickname_for(app, &email).await?,
    };
    // A made-up nickname can be taken between the look and the sign-up: look again once.
    for attempt in 0..2 {
        let input = SignupInput {
            email: Email::parse(email.as_str())
                .map_err(|_| DrfError::field("email", "Enter a valid email address."))?,
            password: password.clone(),
            nickname: nickname.clone(),
        };
        match accounts::signup(app, input).await {
            Ok(view) => return Ok(user(StatusCode::CREATED, &view)),
            Err(accounts::Error::NicknameTaken) if made_up && attempt == 0 => {
                nickname = accounts::nickname_for(app, &email).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(accounts::Error::NicknameTaken.into())
}

/// The `uid` and `token` fields, both required.
fn uid_and_token<'a>(r: &mut Reader, f: &'a Fields) -> (Option<&'a str>, Option<&'a str>) {
    (r.string(f, "uid"), r.string(f, "token"))
}

fn uid_token_error(e: UidTokenError) -> DrfError {
    match e {
        UidTokenError::Uid => DrfError::field("uid", INVALID_UID),
        UidTokenError::Token => DrfError::field("token", INVALID_TOKEN),
        UidTokenError::Stale => {
            DrfError::detail(StatusCode::FORBIDDEN, "Stale token for given user.")
        }
        UidTokenError::Other(e) => e.into(),
    }
}

/// `POST users/activation/`
async fn activation(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let (uid, token) = uid_and_token(&mut r, &f);
    r.finish()?;
    let (Some(uid), Some(token)) = (uid, token) else {
        return Err(DrfError::field("non_field_errors", drf::REQUIRED));
    };
    accounts::activate(app, uid, token)
        .await
        .map_err(uid_token_error)?;
    Ok(no_content())
}

/// The `email` field as Djoser's `SendEmailResetSerializer` reads it.
fn email_field(r: &mut Reader, f: &Fields) -> Option<Email> {
    r.parsed(f, "email", Email::parse, "Enter a valid email address.")
}

/// `POST users/resend_activation/`: `204` for every address.
async fn resend_activation(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let email = email_field(&mut r, &f);
    r.finish()?;
    if let Some(email) = email {
        accounts::resend_activation(app, &email).await?;
    }
    Ok(no_content())
}

/// `GET users/me/`
async fn me(app: &App, headers: &HeaderMap) -> Result {
    let who = who(app, headers)?;
    Ok(user(StatusCode::OK, &accounts::me(app, &who).await?))
}

/// `PUT` / `PATCH users/me/`: the nickname (the address is read-only here, as in Djoser).
async fn update_me(app: &App, req: Request, partial: bool) -> Result {
    let who = who(app, req.headers())?;
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let nickname = if partial {
        r.optional(&f, "nickname")
    } else {
        r.string(&f, "nickname")
    };
    let parsed = match nickname.map(Nickname::parse) {
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => r.add("nickname", &format!("This nickname {e}.")),
        None => None,
    };
    r.finish()?;
    let view = match parsed {
        Some(nickname) => accounts::update_nickname(app, &who, nickname).await?,
        None => accounts::me(app, &who).await?,
    };
    Ok(user(StatusCode::OK, &view))
}

/// The `current_password` field; a value that could never have been set is simply wrong.
fn current_password(r: &mut Reader, f: &Fields) -> Option<Password> {
    let given = r.string(f, "current_password")?;
    Password::parse(given)
        .ok()
        .or_else(|| r.add("current_password", INVALID_PASSWORD))
}

/// A wrong current password is a field error in Djoser, not a `401`.
fn wrong_current(e: accounts::Error) -> DrfError {
    match e {
        accounts::Error::InvalidCredentials => {
            DrfError::field("current_password", INVALID_PASSWORD)
        }
        other => other.into(),
    }
}

/// `DELETE users/me/`
async fn delete_me(app: &App, req: Request) -> Result {
    let who = who(app, req.headers())?;
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let current = current_password(&mut r, &f);
    r.finish()?;
    let Some(current) = current else {
        return Err(DrfError::field("current_password", INVALID_PASSWORD));
    };
    accounts::delete_account(app, &who, current)
        .await
        .map_err(wrong_current)?;
    Ok(no_content())
}

/// `POST users/set_password/`
async fn set_password(app: &App, req: Request) -> Result {
    let who = who(app, req.headers())?;
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let new = new_password(&mut r, &f, "new_password", "re_new_password");
    let current = current_password(&mut r, &f);
    r.finish()?;
    let (Some(new), Some(current)) = (new, current) else {
        return Err(DrfError::field("non_field_errors", drf::REQUIRED));
    };
    accounts::change_password(app, &who, current, new)
        .await
        .map_err(wrong_current)?;
    Ok(no_content())
}

/// `POST users/reset_password/`: `204` for every address.
async fn reset_password(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let email = email_field(&mut r, &f);
    r.finish()?;
    if let Some(email) = email {
        accounts::request_reset(app, email).await?;
    }
    Ok(no_content())
}

/// `POST users/reset_password_confirm/`
async fn reset_password_confirm(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let (uid, token) = uid_and_token(&mut r, &f);
    let new = new_password(&mut r, &f, "new_password", "re_new_password");
    r.finish()?;
    let (Some(uid), Some(token), Some(new)) = (uid, token, new) else {
        return Err(DrfError::field("non_field_errors", drf::REQUIRED));
    };
    accounts::reset_by_uid(app, uid, token, new)
        .await
        .map_err(uid_token_error)?;
    Ok(no_content())
}

/// `POST jwt/create/`
async fn jwt_create(app: &App, req: Request, client: std::net::IpAddr) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let email = r.string(&f, "email");
    let password = r.string(&f, "password");
    r.finish()?;
    let failed = || {
        DrfError::detail(
            StatusCode::UNAUTHORIZED,
            "No active account found with the given credentials",
        )
    };
    let (Some(email), Some(password)) = (email, password) else {
        return Err(failed());
    };
    // An address or password that could never have been set is just a failed log-in.
    let (Ok(email), Ok(password)) = (Email::parse(email), Password::parse(password)) else {
        return Err(failed());
    };
    let (tokens, _) = accounts::login(app, email, password, client).await?;
    Ok(respond::json(
        StatusCode::OK,
        &json!({ "refresh": tokens.refresh_token, "access": tokens.access_token }),
    ))
}

/// `POST jwt/refresh/`: rotated, as SimpleJWT with `ROTATE_REFRESH_TOKENS`.
async fn jwt_refresh(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let token = r.string(&f, "refresh");
    r.finish()?;
    let (tokens, _) = accounts::refresh(app, token).await?;
    Ok(respond::json(
        StatusCode::OK,
        &json!({ "access": tokens.access_token, "refresh": tokens.refresh_token }),
    ))
}

/// `POST jwt/verify/`: `200 {}` for a live token of either type.
async fn jwt_verify(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let token = r.string(&f, "token");
    r.finish()?;
    accounts::verify_token(app, token).await?;
    Ok(respond::json(StatusCode::OK, &json!({})))
}
