//! Djoser's `users/` endpoints: sign-up, activation, resend, `me`, password change and reset.

use http::{HeaderMap, StatusCode};
use serde_json::json;

use super::drf::{self, DrfError, INVALID_PASSWORD, INVALID_TOKEN, INVALID_UID, MISMATCH, Reader};
use super::{Request, Result, fields, who};
use crate::accounts::{self, SignupInput, UidTokenError, UserView};
use crate::app::App;
use crate::http::body::Fields;
use crate::http::respond::{self, Response};
use crate::input::{Email, Nickname, Password};

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
pub(super) async fn create(app: &App, req: Request) -> Result {
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
            email: email.clone(),
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
pub(super) async fn activation(app: &App, req: Request) -> Result {
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
pub(super) async fn resend_activation(app: &App, req: Request) -> Result {
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
pub(super) async fn me(app: &App, headers: &HeaderMap) -> Result {
    let who = who(app, headers)?;
    Ok(user(StatusCode::OK, &accounts::me(app, &who).await?))
}

/// `PUT` / `PATCH users/me/`: the nickname (the address is read-only here, as in Djoser).
pub(super) async fn update_me(app: &App, req: Request, partial: bool) -> Result {
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
pub(super) async fn delete_me(app: &App, req: Request) -> Result {
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
pub(super) async fn set_password(app: &App, req: Request) -> Result {
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
pub(super) async fn reset_password(app: &App, req: Request) -> Result {
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
pub(super) async fn reset_password_confirm(app: &App, req: Request) -> Result {
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
