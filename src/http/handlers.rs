//! One function per route: read the input, make one domain call, answer.

use http::StatusCode;
use hyper::body::Incoming;
use serde::Serialize;
use serde_json::json;

use super::auth::bearer;
use super::body::{self, Fields, Kind};
use super::error::ApiError;
use super::pages;
use super::respond::{self, Response};
use crate::accounts::{self, Problems, SignupInput, TokenPair, UserView};
use crate::app::App;
use crate::input::{Email, Nickname, Password};

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

/// Login and refresh answer alike.
#[derive(Serialize)]
struct Session<'a> {
    #[serde(flatten)]
    tokens: &'a TokenPair,
    user: &'a UserView,
}

fn session(tokens: &TokenPair, user: &UserView) -> Response {
    respond::json(StatusCode::OK, &Session { tokens, user })
}

/// `POST /api/accounts/signup`
pub async fn signup(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let email = f.parsed(&mut p, "email", Email::parse);
    let password = f.parsed(&mut p, "password", Password::parse);
    let nickname = f.parsed(&mut p, "nickname", Nickname::parse);
    let ((email, password), nickname) = p.finish(email.zip(password).zip(nickname))?;
    let user = accounts::signup(
        app,
        SignupInput {
            email,
            password,
            nickname,
        },
    )
    .await?;
    let text = "Account created. Check your email for the verification code.";
    Ok(message_and_user(StatusCode::CREATED, text, &user))
}

/// `POST /api/accounts/verify-email`
pub async fn verify_email(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let email = f.parsed(&mut p, "email", Email::parse);
    let code = f.string(&mut p, "code");
    let (email, code) = p.finish(email.zip(code))?;
    let user = accounts::verify_code(app, email, code).await?;
    Ok(message_and_user(
        StatusCode::OK,
        "Email address verified.",
        &user,
    ))
}

/// `GET /api/accounts/verify-email?token=…`: the page behind the mailed link. Never consumes.
pub fn verify_link_page(app: &App, req: &Request) -> Response {
    let query = req.uri().query().unwrap_or_default();
    let token = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v);
    match token {
        Some(token) if accounts::link_page(app, &token) == accounts::LinkPage::Confirm => {
            respond::html(StatusCode::OK, pages::confirm(&token))
        }
        _ => respond::html(StatusCode::BAD_REQUEST, pages::invalid_link()),
    }
}

/// `POST /api/accounts/verify-email/link`: JSON `{token}`, or the link page's form, which is
/// answered with HTML.
pub async fn verify_link(app: &App, req: Request) -> Result {
    let (parts, body) = req.into_parts();
    let server = &app.config.server;
    let bytes = body::read(&parts.headers, body, server.body_limit, server.body_timeout).await?;
    if body::kind(&parts.headers, &bytes, true)? == Kind::Form {
        let token = Fields::from_form(&bytes)
            .string(&mut Problems::default(), "token")
            .map(str::to_owned);
        let outcome = match token {
            Some(token) => accounts::verify_link(app, &token).await,
            None => Err(accounts::Error::InvalidCode),
        };
        return match outcome {
            Ok(user) => Ok(match &app.config.verified_redirect {
                Some(url) => respond::see_other(url),
                None => respond::html(StatusCode::OK, pages::verified(&user.email)),
            }),
            Err(accounts::Error::InvalidCode) => Ok(respond::html(
                StatusCode::BAD_REQUEST,
                pages::invalid_link(),
            )),
            Err(e) => Err(e.into()),
        };
    }
    let f = Fields::parse(&parts.headers, &bytes)?;
    let mut p = Problems::default();
    let token = f.string(&mut p, "token");
    let token = p.finish(token)?;
    let user = accounts::verify_link(app, token).await?;
    Ok(message_and_user(
        StatusCode::OK,
        "Email address verified.",
        &user,
    ))
}

/// `POST /api/accounts/resend-code`
pub async fn resend_code(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let email = f.parsed(&mut p, "email", Email::parse);
    let password = f.parsed(&mut p, "password", Password::parse);
    let (email, password) = p.finish(email.zip(password))?;
    accounts::resend(app, email, password).await?;
    Ok(message(StatusCode::OK, "A new code is on its way."))
}

/// `POST /api/accounts/login`
pub async fn login(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let email = f.parsed(&mut p, "email", Email::parse);
    let password = f.string(&mut p, "password");
    let (email, password) = p.finish(email.zip(password))?;
    // A password that could never have been set gets the same answer as a wrong one.
    let password = Password::parse(password).map_err(|_| accounts::Error::InvalidCredentials)?;
    let (tokens, user) = accounts::login(app, email, password).await?;
    Ok(session(&tokens, &user))
}

/// `POST /api/accounts/token/refresh`: the token from the body or the `Authorization` header.
pub async fn refresh(app: &App, req: Request) -> Result {
    let (parts, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let from_body = f.optional_string(&mut p, "refresh_token");
    p.check_all()?;
    let (tokens, user) =
        accounts::refresh(app, from_body.or_else(|| bearer(&parts.headers))).await?;
    Ok(session(&tokens, &user))
}

/// `POST /api/accounts/token/verify`
pub async fn token_verify(app: &App, req: Request) -> Result {
    let (parts, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let from_body = f.optional_string(&mut p, "token");
    p.check_all()?;
    let claims = accounts::verify_token(app, from_body.or_else(|| bearer(&parts.headers)))?;
    Ok(respond::json(
        StatusCode::OK,
        &json!({ "valid": true, "claims": claims }),
    ))
}

/// `POST /api/accounts/logout`
pub async fn logout(app: &App, req: Request) -> Result {
    let who = accounts::authenticate(app, bearer(req.headers()))?;
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let all = f.flag(&mut p, "all");
    p.check_all()?;
    accounts::logout(app, &who, all).await?;
    Ok(respond::empty(StatusCode::NO_CONTENT))
}

/// `GET /api/accounts/me`
pub fn me(app: &App, req: &Request) -> Result {
    let who = accounts::authenticate(app, bearer(req.headers()))?;
    Ok(respond::json(StatusCode::OK, &accounts::me(app, &who)?))
}

/// `GET /healthz`
pub fn healthz(app: &App) -> Response {
    match app.store.ping() {
        Ok(()) => respond::json(StatusCode::OK, &json!({ "status": "ok" })),
        Err(e) => ApiError::unavailable(&e).into_response(),
    }
}

/// `GET /metrics`
pub fn metrics(app: &App) -> Response {
    app.metrics
        .pending_codes
        .set(i64::try_from(app.codes.count()).unwrap_or(i64::MAX));
    if let Ok(depth) = app.store.outbox_depth() {
        app.metrics
            .outbox_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    respond::text(StatusCode::OK, content_type, app.metrics.render())
}
