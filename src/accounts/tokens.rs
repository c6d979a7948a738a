//! Token pairs: issuing them, rotating the refresh token (with reuse detection and the grace
//! window of SPEC §5), and checking presented tokens against the key ring and the revoked set.

use serde::Serialize;

use super::{Error, TokenProblem, UserView};
use crate::app::App;
use crate::jwt::{self, Algorithm, Claims, TokenType, Validation};
use crate::mail::Kind;
use crate::random;
use crate::rules::sessions::{Rotation, Standing, rotate, standing};
use crate::store::RefreshState;

/// What log-in and refresh hand out.
#[derive(Clone, Debug, Serialize)]
pub struct TokenPair {
    /// Short-lived bearer token.
    pub access_token: String,
    /// Long-lived token for `token/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Access token lifetime, seconds.
    pub expires_in: u64,
    /// Refresh token lifetime left, seconds.
    pub refresh_expires_in: u64,
}

/// A verified access token of a live session.
#[derive(Clone, Debug)]
pub struct Authenticated {
    /// Its claims.
    pub claims: Claims,
}

/// A refresh token state for a session (re)issued at `now`.
pub(super) fn new_refresh(app: &App, now: u64, user_id: &str, sid: &str) -> RefreshState {
    let keys = app.keys.current();
    let key = keys.signer(now);
    let mut state = RefreshState {
        jti: random::id(),
        iat: now,
        exp: now.saturating_add(app.config.tokens.refresh_ttl.as_secs()),
        kid: key.kid().to_owned(),
        signature: None,
    };
    if key.algorithm() == Algorithm::Es256 {
        // ECDSA signatures are randomized: keep this one, so that the grace window hands out
        // the same token again, byte for byte.
        let token = key.sign(&refresh_claims(app, user_id, sid, &state));
        state.signature = Some(jwt::signature_of(&token).to_owned());
    }
    state
}

fn refresh_claims(app: &App, user_id: &str, sid: &str, refresh: &RefreshState) -> Claims {
    claims(
        app,
        user_id,
        sid,
        refresh.jti.clone(),
        refresh.iat,
        refresh.exp,
        TokenType::Refresh,
    )
}

fn claims(
    app: &App,
    user_id: &str,
    sid: &str,
    jti: String,
    iat: u64,
    exp: u64,
    token_type: TokenType,
) -> Claims {
    Claims {
        iss: app.config.tokens.issuer.as_str().into(),
        sub: user_id.into(),
        aud: app.config.tokens.audience.as_deref().map(Into::into),
        iat,
        nbf: None,
        exp,
        jti: jti.into(),
        sid: sid.into(),
        token_type,
    }
}

/// A fresh access token and the refresh token `refresh` describes, byte for byte the same each
/// time for the same state: re-signed where signing is deterministic (HS256, `EdDSA`), rebuilt
/// from the stored signature where it is not (ES256).
pub(super) fn pair(app: &App, user_id: &str, sid: &str, refresh: &RefreshState) -> TokenPair {
    let now = app.now();
    let keys = app.keys.current();
    let access_ttl = app.config.tokens.access_ttl.as_secs();
    let access = claims(
        app,
        user_id,
        sid,
        random::id(),
        now,
        now.saturating_add(access_ttl),
        TokenType::Access,
    );
    let refresh_claims = refresh_claims(app, user_id, sid, refresh);
    // The key that signed it first, so a repeat in the grace window is identical; a key that
    // has since left the ring falls back to the signing key.
    let again = match &refresh.signature {
        Some(signature) => keys.reissue(&refresh_claims, &refresh.kid, signature),
        None => keys.get(&refresh.kid).map(|key| key.sign(&refresh_claims)),
    };
    let refresh_token = again.unwrap_or_else(|| keys.sign(&refresh_claims, now));
    app.metrics
        .tokens_issued
        .get_or_create(&crate::metrics::TokenTypeLabel { r#type: "access" })
        .inc();
    app.metrics
        .tokens_issued
        .get_or_create(&crate::metrics::TokenTypeLabel { r#type: "refresh" })
        .inc();
    TokenPair {
        access_token: keys.sign(&access, now),
        refresh_token,
        token_type: "Bearer",
        expires_in: access_ttl,
        refresh_expires_in: refresh.exp.saturating_sub(now),
    }
}

/// Verifies `token` under `rules` and checks its session has not ended.
fn check(app: &App, token: Option<&str>, rules: &Validation) -> Result<Claims, Error> {
    let token = token.ok_or(Error::Token(TokenProblem::Missing))?;
    let claims = app
        .keys
        .current()
        .verify(token, rules)
        .inspect_err(|e| app.metrics.rejected(e.reason()))?;
    if app.revoked.contains(&claims.sid) {
        app.metrics.rejected("revoked");
        return Err(Error::Token(TokenProblem::Revoked));
    }
    Ok(claims)
}

/// Authenticates a request by its access token.
pub fn authenticate(app: &App, token: Option<&str>) -> Result<Authenticated, Error> {
    check(app, token, &app.rules.access).map(|claims| Authenticated { claims })
}

/// `token/verify`: any live latchkey token, access or refresh; the claims say which. A refresh
/// token is live only while its session accepts it: the current one, or the one rotated away
/// within the grace window.
pub async fn verify_token(app: &App, token: Option<&str>) -> Result<Claims, Error> {
    let claims = check(app, token, &app.rules.any)?;
    if claims.token_type == TokenType::Refresh {
        let session = app.store.session(&claims.sid).await?;
        let session = session
            .filter(crate::store::Session::is_live)
            .ok_or(Error::Token(TokenProblem::Revoked))?;
        let grace_ms = app.config.tokens.reuse_grace.as_millis() as u64;
        if standing(&session, &claims.jti, app.now_ms(), grace_ms) == Standing::Stale {
            return Err(Error::Token(TokenProblem::Superseded));
        }
    }
    Ok(claims)
}

/// Rotates a refresh token: a new pair for the current token; within the grace window, the
/// same successor again for its predecessor; and for anything older, the end of the session.
pub async fn refresh(app: &App, token: Option<&str>) -> Result<(TokenPair, UserView), Error> {
    let claims = check(app, token, &app.rules.refresh)?;
    let next = new_refresh(app, app.now(), &claims.sub, &claims.sid);
    let mailer = app.mailer.clone();
    let warning =
        move |user: &crate::store::User| mailer.notice(Kind::ReuseWarning, &user.email, user, "");
    let presented = (claims.sid.to_string(), claims.jti.to_string());
    let clock = (
        app.now_ms(),
        app.config.tokens.reuse_grace.as_millis() as u64,
    );
    let rotation = app
        .write(move |tx, w| rotate(tx, w, (&presented.0, &presented.1), &next, clock, &warning))
        .await?;
    match rotation {
        Rotation::Rotated { session, user } | Rotation::Grace { session, user } => Ok((
            pair(app, &user.id, &session.id, &session.refresh),
            UserView::from(&user),
        )),
        Rotation::Reused { user, ended } => {
            app.revoked.add([ended]);
            app.outbox.wake();
            app.metrics.rejected("reused");
            tracing::warn!(user = %user.id, "refresh token reuse: session revoked");
            Err(Error::Token(TokenProblem::Reused))
        }
        Rotation::Gone => Err(Error::Token(TokenProblem::Revoked)),
    }
}
