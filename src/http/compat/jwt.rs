//! SimpleJWT's `jwt/` endpoints: a pair for credentials, rotation, verification.

use http::StatusCode;
use serde_json::json;

use super::drf::{DrfError, Reader};
use super::{Request, Result, fields};
use crate::accounts;
use crate::app::App;
use crate::http::respond;
use crate::input::{Email, Password};

/// `POST jwt/create/`
pub(super) async fn create(app: &App, req: Request, client: std::net::IpAddr) -> Result {
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
pub(super) async fn refresh(app: &App, req: Request) -> Result {
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
pub(super) async fn verify(app: &App, req: Request) -> Result {
    let (_, f) = fields(app, req).await?;
    let mut r = Reader::default();
    let token = r.string(&f, "token");
    r.finish()?;
    accounts::verify_token(app, token).await?;
    Ok(respond::json(StatusCode::OK, &json!({})))
}
