//! Forward authentication (SPEC §5.3): a reverse proxy asks, for each request it is about to
//! pass on, whether the caller is logged in, and forwards who they are.

use http::{HeaderValue, Method, StatusCode};

use super::{Request, Result};
use crate::accounts;
use crate::app::App;
use crate::http::auth::authenticate;
use crate::http::error::ApiError;
use crate::http::respond;

/// `* /api/accounts/authz`: `200` with the caller's ids for a live access token, else `401`.
pub async fn authz(app: &App, req: &Request) -> Result {
    // The proxy's own subrequest method says nothing about the request it guards; the method
    // that matters for CSRF is the one it forwards, and a request without one changes nothing.
    let method = req
        .headers()
        .get("x-forwarded-method")
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
        .unwrap_or(Method::GET);
    let who = authenticate(app, &method, req.headers())?;
    let user = accounts::me(app, &who).await?;
    let value = |v: &str| HeaderValue::from_str(v).map_err(|e| ApiError::internal(&e));
    let mut answer = respond::empty(StatusCode::OK);
    let headers = answer.headers_mut();
    headers.insert("x-auth-user-id", value(&user.id)?);
    headers.insert("x-auth-email", value(&user.email)?);
    headers.insert("x-auth-session-id", value(&who.claims.sid)?);
    Ok(answer)
}
