//! `token issue | verify` (SPEC §8): a real session for an account, and the answer
//! `token/verify` would give, revocation included. `token inspect` needs no database and is
//! done by the CLI alone.

use serde_json::json;

use super::{Context, Error, Reply, row};
use crate::accounts::{self, TokenProblem, rfc3339};

pub(super) async fn issue(cx: &Context<'_>, name: &str) -> Result<Reply, Error> {
    let user = super::users::find(cx, name).await?;
    if !user.is_active || user.disabled {
        return Err(Error::Usage(format!(
            "{} cannot log in ({}); `user activate` it first",
            user.email,
            if user.disabled {
                "deactivated"
            } else {
                "address not verified"
            }
        )));
    }
    let pair = accounts::open_session(cx.app, &user, "cli").await?;
    Ok(Reply {
        rows: vec![row([
            ("user", json!(user.id)),
            ("access_token", json!(pair.access_token)),
            ("refresh_token", json!(pair.refresh_token)),
            ("expires_in", json!(pair.expires_in)),
        ])],
        message: Some(format!(
            "opened a session for {}; `user sessions` lists it, `user deactivate` ends it",
            user.email
        )),
        ..Reply::default()
    })
}

pub(super) async fn verify(cx: &Context<'_>, token: &str) -> Result<Reply, Error> {
    match accounts::verify_token(cx.app, Some(token.trim())).await {
        Ok(claims) => Ok(Reply {
            rows: vec![row([
                ("valid", json!(true)),
                ("user", json!(claims.sub.as_str())),
                ("session", json!(claims.sid.as_str())),
                ("type", json!(claims.token_type.as_str())),
                ("issued", json!(rfc3339(claims.iat))),
                ("expires", json!(rfc3339(claims.exp))),
            ])],
            message: None,
            ..Reply::default()
        }),
        Err(accounts::Error::Token(problem)) => Err(Error::Failed(format!(
            "not valid: {}",
            match problem {
                TokenProblem::Missing => "no token".to_owned(),
                TokenProblem::Invalid(e) => e.to_string(),
                TokenProblem::Revoked => "its session has ended (token_revoked)".to_owned(),
                TokenProblem::Reused | TokenProblem::Superseded => {
                    "a rotated-away refresh token (token_reused)".to_owned()
                }
            }
        ))),
        Err(other) => Err(other.into()),
    }
}
