//! Routes about sessions and what a logged-in user does with their account.

use http::{Method, StatusCode};

use super::{Request, Result, fields, message, session, signed_out};
use crate::accounts;
use crate::app::App;
use crate::http::auth::{authenticate, csrf, presented};
use crate::http::cookies;
use crate::http::problems::Problems;
use crate::http::respond;
use crate::input::{Email, Nickname, Password};

/// A password field that must be present; a value that could never have been set is simply
/// wrong, like any other wrong password.
fn password(
    p: &mut Problems,
    f: &crate::http::body::Fields,
    name: &'static str,
) -> Option<std::result::Result<Password, accounts::Error>> {
    f.string(p, name)
        .map(|v| Password::parse(v).map_err(|_| accounts::Error::InvalidCredentials))
}

/// `POST /api/accounts/login`
pub async fn login(app: &App, req: Request, client: std::net::IpAddr) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let email = f.parsed(&mut p, "email", Email::parse);
    let pw = password(&mut p, &f, "password");
    let (email, pw) = p.finish(email.zip(pw))?;
    let (tokens, user) = accounts::login(app, email, pw?, client).await?;
    Ok(session(app, &tokens, &user))
}

/// `POST /api/accounts/token/refresh`: the token from the body, the `Authorization` header, or
/// (cookie mode, with CSRF) the refresh cookie.
pub async fn refresh(app: &App, req: Request) -> Result {
    let (parts, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let from_body = f.optional_string(&mut p, "refresh_token");
    p.check_all()?;
    let token = presented(app, &parts.headers, from_body, cookies::REFRESH);
    csrf(token, &parts.method, &parts.headers)?;
    let (tokens, user) = accounts::refresh(app, token.token).await?;
    Ok(session(app, &tokens, &user))
}

/// `POST /api/accounts/token/verify`
pub async fn token_verify(app: &App, req: Request) -> Result {
    let (parts, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let from_body = f.optional_string(&mut p, "token");
    p.check_all()?;
    let claims = accounts::verify_token(
        app,
        from_body.or_else(|| crate::http::auth::bearer(&parts.headers)),
    )
    .await?;
    Ok(respond::json(
        StatusCode::OK,
        &serde_json::json!({ "valid": true, "claims": claims }),
    ))
}

/// `POST /api/accounts/logout`: this session, or every one with `{"all": true}`.
pub async fn logout(app: &App, req: Request) -> Result {
    let who = authenticate(app, req.method(), req.headers())?;
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let all = f.flag(&mut p, "all");
    p.check_all()?;
    accounts::logout(app, &who, all).await?;
    Ok(signed_out(app))
}

/// `GET /api/accounts/me`
pub async fn me(app: &App, req: &Request) -> Result {
    let who = authenticate(app, &Method::GET, req.headers())?;
    Ok(respond::json(
        StatusCode::OK,
        &accounts::me(app, &who).await?,
    ))
}

/// `PATCH /api/accounts/me`
pub async fn update_me(app: &App, req: Request) -> Result {
    let who = authenticate(app, req.method(), req.headers())?;
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let nickname = f.parsed(&mut p, "nickname", Nickname::parse);
    let nickname = p.finish(nickname)?;
    let user = accounts::update_nickname(app, &who, nickname).await?;
    Ok(respond::json(StatusCode::OK, &user))
}

/// `DELETE /api/accounts/me`
pub async fn delete_me(app: &App, req: Request) -> Result {
    let who = authenticate(app, req.method(), req.headers())?;
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let pw = password(&mut p, &f, "password");
    let pw = p.finish(pw)?;
    accounts::delete_account(app, &who, pw?).await?;
    Ok(signed_out(app))
}

/// `POST /api/accounts/password/change`
pub async fn change_password(app: &App, req: Request) -> Result {
    let who = authenticate(app, req.method(), req.headers())?;
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let current = password(&mut p, &f, "current_password");
    let new = f.parsed(&mut p, "new_password", Password::parse);
    let (current, new) = p.finish(current.zip(new))?;
    accounts::change_password(app, &who, current?, new).await?;
    Ok(message(
        StatusCode::OK,
        "Password changed. Your other sessions have been logged out.",
    ))
}

/// `POST /api/accounts/email/change`
pub async fn request_email_change(app: &App, req: Request) -> Result {
    let who = authenticate(app, req.method(), req.headers())?;
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let new_email = f.parsed(&mut p, "new_email", Email::parse);
    let pw = password(&mut p, &f, "password");
    let (new_email, pw) = p.finish(new_email.zip(pw))?;
    accounts::request_email_change(app, &who, new_email, pw?).await?;
    Ok(message(
        StatusCode::ACCEPTED,
        "A code is on its way to the new address.",
    ))
}

/// `POST /api/accounts/email/change/confirm`
pub async fn confirm_email_change(app: &App, req: Request) -> Result {
    let who = authenticate(app, req.method(), req.headers())?;
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let code = f.string(&mut p, "code");
    let code = p.finish(code)?;
    let user = accounts::confirm_email_change(app, &who, code).await?;
    Ok(respond::json(StatusCode::OK, &user))
}
