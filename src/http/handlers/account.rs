//! Routes that work without a session: sign-up, verification, resending, password reset.

use http::StatusCode;

use super::{Request, Result, fields, message, message_and_user};
use crate::accounts::{self, SignupInput};
use crate::app::App;
use crate::http::body::{self, Fields, Kind};
use crate::http::pages;
use crate::http::problems::Problems;
use crate::http::respond::{self, Response};
use crate::input::{Email, Nickname, Password};

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
            respond::html_posting_to(StatusCode::OK, pages::confirm(&token), redirect_origin(app))
        }
        _ => respond::html(StatusCode::BAD_REQUEST, pages::invalid_link()),
    }
}

/// The origin of `links.verified_redirect` when it points elsewhere: the confirm form's post
/// ends in a redirect there, which the page's CSP must allow.
fn redirect_origin(app: &App) -> Option<&str> {
    let url = app.config.verified_redirect.as_deref()?;
    let (scheme, rest) = url.split_once("://")?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&url[..scheme.len() + 3 + host_end])
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
    let password = f.string(&mut p, "password");
    let (email, password) = p.finish(email.zip(password))?;
    let password = Password::parse(password).map_err(|_| accounts::Error::InvalidCredentials)?;
    accounts::resend(app, email, password).await?;
    Ok(message(StatusCode::OK, "A new code is on its way."))
}

/// `POST /api/accounts/password/reset`: the same `202` for every address.
pub async fn request_reset(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let email = f.parsed(&mut p, "email", Email::parse);
    let email = p.finish(email)?;
    accounts::request_reset(app, email).await?;
    let text = "If an account uses this address, a code to reset its password is on its way.";
    Ok(message(StatusCode::ACCEPTED, text))
}

/// `POST /api/accounts/password/reset/confirm`
pub async fn confirm_reset(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut p = Problems::default();
    let email = f.parsed(&mut p, "email", Email::parse);
    let code = f.string(&mut p, "code");
    let password = f.parsed(&mut p, "new_password", Password::parse);
    let ((email, code), password) = p.finish(email.zip(code).zip(password))?;
    accounts::confirm_reset(app, email, code, password).await?;
    Ok(message(
        StatusCode::OK,
        "Password changed. Every session has been logged out.",
    ))
}
