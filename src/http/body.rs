//! Reading request bodies: size limit (`413`), read timeout (`408`), content type (`415`), and
//! JSON objects read field by field so every wrong field is named (`400`).

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use hyper::body::Incoming;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::problems::Problems;
use crate::json::{self, Refused};

/// What kind of body arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No body at all.
    Empty,
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded` (the link page's form).
    Form,
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Reads the whole body within `limit` bytes and `timeout`.
pub async fn read(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("The body is larger than {limit} bytes."),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "The body did not arrive in time.",
        )),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(e)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The body could not be read: {e}."),
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Classifies a read body by its content type; anything but JSON (or, where `form_ok`, a form)
/// is `415`.
pub fn kind(headers: &HeaderMap, body: &[u8], form_ok: bool) -> Result<Kind, ApiError> {
    if body.is_empty() {
        return Ok(Kind::Empty);
    }
    match media_type(headers).as_deref() {
        Some("application/json") => Ok(Kind::Json),
        Some("application/x-www-form-urlencoded") if form_ok => Ok(Kind::Form),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as application/json.",
        )),
    }
}

/// A JSON object body, read field by field. Unknown fields are ignored.
#[derive(Debug, Default)]
pub struct Fields(Map<String, Value>);

impl Fields {
    /// Parses a JSON body that must be an object; an empty body is an empty object.
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, ApiError> {
        match kind(headers, body, false)? {
            Kind::Empty => Ok(Self::default()),
            _ => match json::parse(body) {
                Ok(Value::Object(map)) => Ok(Self(map)),
                Ok(_) => Err(ApiError::validation(
                    [("body", "must be a JSON object".to_owned())]
                        .into_iter()
                        .collect(),
                )),
                // A proxy or a log may read the other member: refuse rather than pick one.
                Err(Refused::Duplicate(name)) => Err(ApiError::validation(
                    [("body", format!("names the member {name:?} more than once"))]
                        .into_iter()
                        .collect(),
                )),
                Err(Refused::Syntax) => Err(ApiError::invalid_json()),
            },
        }
    }

    /// Fields of a form body (`a=b&c=d`), as strings.
    #[must_use]
    pub fn from_form(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect(),
        )
    }

    /// The raw value of a field.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A required string field.
    pub fn string(&self, problems: &mut Problems, name: &'static str) -> Option<&str> {
        match self.0.get(name) {
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => {
                problems.add(name, "is required");
                None
            }
            Some(_) => {
                problems.add(name, "must be a string");
                None
            }
        }
    }

    /// A required string field run through `parse`, which names what is wrong with it.
    pub fn parsed<T>(
        &self,
        problems: &mut Problems,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> Option<T> {
        let value = self.string(problems, name)?;
        problems.check(name, parse(value))
    }

    /// An optional string field.
    pub fn optional_string(&self, problems: &mut Problems, name: &'static str) -> Option<&str> {
        match self.0.get(name) {
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => None,
            Some(_) => {
                problems.add(name, "must be a string");
                None
            }
        }
    }

    /// An optional boolean field, `false` when absent.
    pub fn flag(&self, problems: &mut Problems, name: &'static str) -> bool {
        match self.0.get(name) {
            Some(Value::Bool(b)) => *b,
            None | Some(Value::Null) => false,
            Some(_) => {
                problems.add(name, "must be true or false");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// The bytes of a response body that is already complete.
    fn futures_body(response: super::super::Response) -> Vec<u8> {
        let collected = response.into_body().collect();
        let mut collected = std::pin::pin!(collected);
        let waker = std::task::Waker::noop();
        match collected
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker))
        {
            std::task::Poll::Ready(Ok(body)) => body.to_bytes().to_vec(),
            _ => panic!("a full body is ready at once"),
        }
    }

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        h
    }

    #[test]
    fn json_bodies_must_be_objects() {
        let h = json_headers();
        assert!(Fields::parse(&h, br#"{"a":"b"}"#).is_ok());
        assert_eq!(
            Fields::parse(&h, b"[1]").unwrap_err().code(),
            "validation_failed"
        );
        assert_eq!(
            Fields::parse(&h, b"null").unwrap_err().code(),
            "validation_failed"
        );
        assert_eq!(Fields::parse(&h, b"{").unwrap_err().code(), "invalid_json");
        assert_eq!(
            Fields::parse(&h, b"{} x").unwrap_err().code(),
            "invalid_json"
        );
        assert!(
            Fields::parse(&HeaderMap::new(), b"").is_ok(),
            "no body at all is an empty object"
        );
    }

    #[test]
    fn other_content_types_are_415() {
        let mut h = HeaderMap::new();
        assert_eq!(
            Fields::parse(&h, b"{}").unwrap_err().code(),
            "unsupported_media_type"
        );
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(
            Fields::parse(&h, b"{}").unwrap_err().code(),
            "unsupported_media_type"
        );
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(
            Fields::parse(&h, b"a=b").unwrap_err().code(),
            "unsupported_media_type"
        );
        assert_eq!(kind(&h, b"a=b", true).unwrap(), Kind::Form);
    }

    #[test]
    fn fields_name_their_problems() {
        let fields = Fields::parse(
            &json_headers(),
            br#"{"email":["a@example.com"],"all":"yes","n":null}"#,
        )
        .unwrap();
        let mut problems = Problems::default();
        assert_eq!(fields.string(&mut problems, "email"), None);
        assert_eq!(fields.string(&mut problems, "password"), None);
        assert!(!fields.flag(&mut problems, "all"));
        assert_eq!(fields.optional_string(&mut problems, "n"), None);
        let answer = problems.check_all().unwrap_err().into_response();
        let body: serde_json::Value =
            serde_json::from_slice(&futures_body(answer)).expect("a JSON error");
        let fields = &body["fields"];
        assert_eq!(fields["email"], "must be a string");
        assert_eq!(fields["password"], "is required");
        assert_eq!(fields["all"], "must be true or false");
        assert!(fields.get("n").is_none());
    }
}
