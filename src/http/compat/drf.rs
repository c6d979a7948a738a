//! Django REST framework's side of the dialect: its error bodies (`{"field": ["message"]}`,
//! `{"detail": "..."}`, SimpleJWT's `{"detail", "code"}`), its field messages, and the one
//! mapping from latchkey's errors to them.

use std::collections::BTreeMap;

use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::accounts::{self, TokenProblem};
use crate::http::ApiError;
use crate::http::body::Fields;
use crate::http::respond::{Response, json as respond_json};

/// DRF's message for a missing field.
pub const REQUIRED: &str = "This field is required.";
/// Djoser's message for a `re_password` that differs.
pub const MISMATCH: &str = "The two password fields didn't match.";
/// Djoser's message for a wrong `current_password`.
pub const INVALID_PASSWORD: &str = "Invalid password.";
/// Djoser's message for a `uid` naming nobody.
pub const INVALID_UID: &str = "Invalid user id or user doesn't exist.";
/// Djoser's message for a wrong `token`.
pub const INVALID_TOKEN: &str = "Invalid token for given user.";

/// An error answer in DRF's shape.
#[derive(Debug)]
pub struct DrfError {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

impl DrfError {
    /// `400` with messages per field.
    #[must_use]
    pub fn fields(errors: BTreeMap<String, Vec<String>>) -> Self {
        let body: Map<String, Value> = errors
            .into_iter()
            .map(|(field, messages)| (field, json!(messages)))
            .collect();
        Self::new(StatusCode::BAD_REQUEST, Value::Object(body))
    }

    /// `400` with one message for one field.
    #[must_use]
    pub fn field(field: &str, message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, json!({ field: [message] }))
    }

    /// `{"detail": ...}` with this status.
    #[must_use]
    pub fn detail(status: StatusCode, detail: &str) -> Self {
        Self::new(status, json!({ "detail": detail }))
    }

    /// SimpleJWT's `401 {"detail", "code": "token_not_valid"}`.
    #[must_use]
    pub fn token_not_valid(detail: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": detail, "code": "token_not_valid" }),
        )
    }

    /// SimpleJWT's answer for an access token an authenticated route refused.
    #[must_use]
    pub fn bad_access_token(message: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            json!({
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": [{
                    "token_class": "AccessToken",
                    "token_type": "access",
                    "message": message,
                }],
            }),
        )
    }

    /// No credentials on a route that needs them.
    #[must_use]
    pub fn not_authenticated() -> Self {
        Self::detail(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        )
    }

    fn new(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body,
            retry_after: None,
        }
    }

    /// The answer.
    #[must_use]
    pub fn into_response(self) -> Response {
        let mut response = respond_json(self.status, &self.body);
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"api\""),
            );
        }
        response
    }
}

/// SimpleJWT's words for why a token was refused.
#[must_use]
pub fn token_message(problem: TokenProblem) -> &'static str {
    match problem {
        TokenProblem::Invalid(e) if e.is_expired() => "Token is expired",
        TokenProblem::Invalid(crate::jwt::Error::TokenType) => "Token has wrong type",
        TokenProblem::Missing | TokenProblem::Invalid(_) => "Token is invalid",
        // Ended sessions and rotated-away refresh tokens are SimpleJWT's blacklist.
        TokenProblem::Revoked | TokenProblem::Reused | TokenProblem::Superseded => {
            "Token is blacklisted"
        }
    }
}

impl From<ApiError> for DrfError {
    fn from(e: ApiError) -> Self {
        let status = e.status();
        let detail = match e.code() {
            "invalid_json" => "JSON parse error - the body is not valid JSON.".to_owned(),
            "unsupported_media_type" => {
                "Unsupported media type in request; send application/json.".to_owned()
            }
            "rate_limited" | "too_many_attempts" => format!(
                "Request was throttled. Expected available in {} seconds.",
                e.retry_after_secs().unwrap_or(1)
            ),
            "internal" => "A server error occurred.".to_owned(),
            "validation_failed" => {
                // A body that is not an object, or names a member twice.
                return Self::field("non_field_errors", e.message());
            }
            _ => e.message().to_owned(),
        };
        Self {
            status,
            body: json!({ "detail": detail }),
            retry_after: e.retry_after_secs(),
        }
    }
}

impl From<accounts::Error> for DrfError {
    fn from(e: accounts::Error) -> Self {
        use accounts::Error as E;
        match e {
            E::Invalid { field, message } => Self::field(field, &sentence(message)),
            E::EmailTaken => Self::field("email", "user with this email address already exists."),
            E::NicknameTaken => Self::field("nickname", "user with this nickname already exists."),
            E::InvalidCode => Self::field("token", INVALID_TOKEN),
            E::InvalidCredentials | E::AccountInactive => Self::detail(
                StatusCode::UNAUTHORIZED,
                "No active account found with the given credentials",
            ),
            E::Token(problem) => Self::token_not_valid(token_message(problem)),
            other => ApiError::from(other).into(),
        }
    }
}

/// A latchkey field message (`must be 8 to 1024 characters`) as a DRF sentence.
fn sentence(message: &str) -> String {
    let mut text = format!("This value {message}.");
    if message.starts_with("must be 8 to 1024") {
        text = "This password is too short or too long: it must be 8 to 1024 characters.".into();
    }
    text
}

/// Reads fields as a DRF serializer does, collecting every field's problems.
#[derive(Default)]
pub struct Reader {
    errors: BTreeMap<String, Vec<String>>,
}

impl Reader {
    /// A required string; missing, null, blank or not a string is an error.
    pub fn string<'a>(&mut self, fields: &'a Fields, name: &str) -> Option<&'a str> {
        match fields.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(Value::String(_)) => self.add(name, "This field may not be blank."),
            None => self.add(name, REQUIRED),
            Some(Value::Null) => self.add(name, "This field may not be null."),
            Some(_) => self.add(name, "Not a valid string."),
        }
    }

    /// An optional string: absent is `None`, anything but a string is an error.
    pub fn optional<'a>(&mut self, fields: &'a Fields, name: &str) -> Option<&'a str> {
        match fields.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => self.add(name, "Not a valid string."),
        }
    }

    /// A required string run through `parse`; its error becomes `message`.
    pub fn parsed<T, E>(
        &mut self,
        fields: &Fields,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
        message: &str,
    ) -> Option<T> {
        let value = self.string(fields, name)?;
        match parse(value) {
            Ok(v) => Some(v),
            Err(_) => self.add(name, message),
        }
    }

    /// Adds a message for `name`.
    pub fn add<T>(&mut self, name: &str, message: &str) -> Option<T> {
        self.errors
            .entry(name.to_owned())
            .or_default()
            .push(message.to_owned());
        None
    }

    /// `Err` with every problem, if there were any.
    pub fn finish(self) -> Result<(), DrfError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DrfError::fields(self.errors))
        }
    }
}
