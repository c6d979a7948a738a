//! `key list | rotate | export` (SPEC §5, §5.2, §8).

use serde_json::{Value, json};

use super::{Context, Error, Reply, row};
use crate::accounts::rfc3339;
use crate::jwt::Algorithm;
use crate::keys;
use crate::rules::keys::{self as schedule, KeyState};

pub(super) async fn list(cx: &Context<'_>) -> Result<Reply, Error> {
    let mut stored = cx.store.signing_keys().await?;
    schedule::newest_first(&mut stored);
    let ttl = cx.config.tokens.refresh_ttl.as_secs();
    let mut rows = Vec::new();
    if let Some(secret) = &cx.config.tokens.secret {
        rows.push(row([
            (
                "kid",
                json!(crate::jwt::Key::kid_for_secret(secret.expose())),
            ),
            ("algorithm", json!("HS256")),
            ("state", json!("signing")),
            ("created", json!("tokens.secret")),
            ("signs_from", Value::Null),
            ("verifies_until", Value::Null),
        ]));
    }
    for key in &stored {
        let mut state = schedule::state(key, &stored, cx.now, ttl);
        // With a configured secret no stored key signs, whatever the schedule says.
        if cx.config.tokens.secret.is_some() && state == KeyState::Signing {
            state = KeyState::Retired {
                until: cx.now.saturating_add(ttl),
            };
        }
        let until = match state {
            KeyState::Retired { until } => json!(rfc3339(until)),
            KeyState::Expired => json!("expired"),
            KeyState::Staged | KeyState::Signing => Value::Null,
        };
        rows.push(row([
            ("kid", json!(key.kid)),
            ("algorithm", json!(key.algorithm)),
            ("state", json!(state.name())),
            ("created", json!(rfc3339(key.created_at))),
            ("signs_from", json!(rfc3339(key.signs_from))),
            ("verifies_until", until),
        ]));
    }
    Ok(Reply {
        rows,
        message: None,
        ..Reply::default()
    })
}

pub(super) async fn rotate(cx: &Context<'_>, at_once: bool) -> Result<Reply, Error> {
    if cx.config.tokens.secret.is_some() {
        return Err(Error::Usage(
            "tokens.secret is set in the configuration, so that secret signs every token; to \
             rotate, put a new secret there (or remove it to let latchkey keep keys in the \
             database) and restart"
                .into(),
        ));
    }
    let algorithm = cx.config.tokens.algorithm;
    // Verifiers cache the JWKS for jwks_max_age: a new public key starts signing only once
    // every one of them can have fetched it. HMAC keys are published to nobody.
    let lead = if at_once || algorithm == Algorithm::Hs256 {
        0
    } else {
        cx.config.tokens.jwks_max_age.as_secs()
    };
    let (fresh, _) = keys::generate(algorithm, cx.now, cx.now.saturating_add(lead))?;
    let kid = fresh.kid.clone();
    let mut event = super::audit_event(cx, &super::Request::KeyRotate { now: at_once }, None, None);
    event.detail = Some(format!("{algorithm} key {kid}"));
    cx.app
        .write(move |tx, w| {
            schedule::rotate(tx, w, &fresh)?;
            w.audit(event.clone());
            Ok(())
        })
        .await?;
    cx.app.keys.reload(cx.config, cx.store, cx.now).await?;
    let message = if lead == 0 {
        format!("new {algorithm} key {kid} signs from now on")
    } else {
        format!(
            "new {algorithm} key {kid} is published in the JWKS now and signs from {} \
             (tokens.jwks_max_age later); `key rotate --now` signs at once",
            rfc3339(cx.now.saturating_add(lead))
        )
    };
    Ok(Reply {
        rows: Vec::new(),
        message: Some(message),
        ..Reply::default()
    })
}

pub(super) async fn export(cx: &Context<'_>, private: bool) -> Result<Reply, Error> {
    let ttl = cx.config.tokens.refresh_ttl.as_secs();
    let (kid, key, secret) = if let Some(secret) = &cx.config.tokens.secret {
        let kid = crate::jwt::Key::kid_for_secret(secret.expose());
        let key = crate::jwt::Key::from_secret(&kid, secret.expose())
            .map_err(|e| Error::Failed(e.to_string()))?;
        (kid, key, secret.expose().to_vec())
    } else {
        let stored = cx.store.signing_keys().await?;
        let signer = schedule::signer(&stored, cx.now, ttl)
            .ok_or_else(|| Error::Failed("no stored key signs now".into()))?;
        (
            signer.kid.clone(),
            keys::from_stored(signer)?,
            signer.secret.clone(),
        )
    };
    let mut out = row([
        ("kid", json!(kid)),
        ("algorithm", json!(key.algorithm().as_str())),
    ]);
    match key.public_jwk() {
        // HS256 has nothing public: the secret is the key, and exporting it is the point.
        None => {
            out.insert(
                "secret".into(),
                json!(crate::config::encode_secret(&secret)),
            );
        }
        Some(jwk) => {
            out.insert(
                "jwk".into(),
                serde_json::to_value(jwk).map_err(|e| Error::Failed(e.to_string()))?,
            );
            if private {
                out.insert("private_key_pem".into(), json!(key.private_pem()));
            }
        }
    }
    Ok(Reply {
        rows: vec![out],
        message: None,
        ..Reply::default()
    })
}
