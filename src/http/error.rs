//! [`ApiError`] and the one place domain errors become HTTP: status, stable code, a safe
//! message. Internal detail is logged here, once, and never sent.

use std::borrow::Cow;
use std::collections::BTreeMap;

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use super::respond::{Response, json};
use crate::accounts::{self, TokenProblem};
use crate::{password, store};

/// An error answer: `{error, message, fields?}` with the right status and headers.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    fields: Option<BTreeMap<&'static str, String>>,
    retry_after: Option<u64>,
    allow: Option<&'static str>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a BTreeMap<&'static str, String>>,
}

impl ApiError {
    /// An error with this status, code and message.
    #[must_use]
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: None,
            retry_after: None,
            allow: None,
        }
    }

    /// Its `Retry-After`, if it has one.
    #[must_use]
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
    }

    /// Adds `Retry-After`.
    #[must_use]
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    /// `404 not_found`.
    #[must_use]
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "No such route.")
    }

    /// `405 method_not_allowed` with the methods the route does allow.
    #[must_use]
    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This route does not take that method.",
        );
        e.allow = Some(allow);
        e
    }

    /// `400 invalid_json`.
    #[must_use]
    pub fn invalid_json() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "The body is not valid JSON.",
        )
    }

    /// `400 validation_failed` with per-field messages.
    #[must_use]
    pub fn validation(fields: BTreeMap<&'static str, String>) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "Some fields are missing or invalid.",
        );
        e.fields = (!fields.is_empty()).then_some(fields);
        e
    }

    /// `403 csrf_failed`.
    #[must_use]
    pub fn csrf_failed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "The X-CSRF-Token header must match the latchkey_csrf cookie.",
        )
    }

    /// `429 rate_limited`.
    #[must_use]
    pub fn rate_limited(retry_after: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests; try again later.",
        )
        .retry_after(retry_after)
    }

    /// `503 unavailable`, logging why.
    #[must_use]
    pub fn unavailable(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The service is unavailable; try again shortly.",
        )
    }

    /// `500 internal`, logging why.
    #[must_use]
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side.",
        )
    }

    /// The status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable message.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON answer.
    #[must_use]
    pub fn into_response(self) -> Response {
        let body = Body {
            error: self.code,
            message: &self.message,
            fields: self.fields.as_ref(),
        };
        let mut response = json(self.status, &body);
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<TokenProblem> for ApiError {
    fn from(problem: TokenProblem) -> Self {
        let (code, message) = match problem {
            TokenProblem::Missing => ("token_missing", "No token was given."),
            TokenProblem::Invalid(e) if e.is_expired() => {
                ("token_expired", "The token has expired.")
            }
            TokenProblem::Invalid(_) => ("token_invalid", "The token is not valid."),
            TokenProblem::Revoked => ("token_revoked", "The session of this token has ended."),
            TokenProblem::Superseded => ("token_invalid", "This refresh token has been replaced."),
            TokenProblem::Reused => (
                "token_reused",
                "This refresh token was already used; the session has been ended.",
            ),
        };
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }
}

impl From<accounts::Error> for ApiError {
    fn from(e: accounts::Error) -> Self {
        use accounts::Error as E;
        let status = |s, code, message: &'static str| Self::new(s, code, message);
        match e {
            E::Invalid { field, message } => {
                Self::validation([(field, message.to_owned())].into_iter().collect())
            }
            E::InvalidCode => status(
                StatusCode::BAD_REQUEST,
                "invalid_code",
                "The code or link is wrong, expired or already used.",
            ),
            E::TooManyAttempts { retry_after } => status(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "Too many wrong codes; request a new one.",
            )
            .retry_after(retry_after),
            E::RateLimited { retry_after } => Self::rate_limited(retry_after),
            E::InvalidCredentials => status(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "The email or password is wrong.",
            ),
            E::AccountInactive => status(
                StatusCode::FORBIDDEN,
                "account_inactive",
                "Verify your email address first.",
            ),
            E::AccountAlreadyActive => status(
                StatusCode::FORBIDDEN,
                "account_already_active",
                "This account is already verified.",
            ),
            E::EmailTaken => status(
                StatusCode::CONFLICT,
                "email_taken",
                "An account with this email address exists.",
            ),
            E::NicknameTaken => status(
                StatusCode::CONFLICT,
                "nickname_taken",
                "This nickname is taken.",
            ),
            E::Token(problem) => problem.into(),
            E::Store(e) => Self::from(e),
            E::Password(password::Error::Overloaded) => status(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The service is busy; try again shortly.",
            )
            .retry_after(1),
            E::Password(e @ password::Error::Internal(_)) => Self::internal(&e),
        }
    }
}

impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> Self {
        Self::unavailable(&e)
    }
}
