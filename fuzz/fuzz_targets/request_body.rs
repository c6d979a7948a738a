//! Untrusted request bodies: JSON and form bodies read field by field, and every user-typed
//! value run through its parser. Nothing may panic, and whatever `Email::parse` accepts must
//! be safe to put in a mail header as it is.

#![no_main]

use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use latchkey::codes;
use latchkey::http::body::{self, Fields};
use latchkey::http::problems::Problems;
use latchkey::input::{Email, Nickname, Password};
use libfuzzer_sys::fuzz_target;

const FIELDS: [&str; 8] = [
    "email",
    "password",
    "nickname",
    "code",
    "token",
    "new_email",
    "new_password",
    "all",
];

fn check_email(email: &Email) {
    let text = email.as_str();
    assert!(text.len() <= 254, "{text:?}");
    assert!(text.is_ascii(), "{text:?}");
    assert_eq!(text.matches('@').count(), 1, "{text:?}");
    assert!(
        !text.contains(|c: char| c.is_ascii_whitespace()
            || c.is_ascii_control()
            || "<>,;:\"()[]\\".contains(c)),
        "{text:?}"
    );
    assert_eq!(
        Email::parse(text).as_ref().map(Email::as_str),
        Ok(text),
        "normalizing is idempotent"
    );
}

fn values(fields: &Fields) {
    let mut problems = Problems::default();
    for name in FIELDS {
        if let Some(email) = fields.parsed(&mut problems, name, Email::parse) {
            check_email(&email);
        }
        let _ = fields.parsed(&mut problems, name, Nickname::parse);
        let _ = fields.parsed(&mut problems, name, Password::parse);
        let _ = fields
            .optional_string(&mut problems, name)
            .map(codes::normalize);
        let _ = fields.flag(&mut problems, name);
    }
    let _ = problems.check_all();
}

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(fields) = Fields::parse(&headers, data) {
        values(&fields);
    }
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    if body::kind(&headers, data, true).is_ok() {
        values(&Fields::from_form(data));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(email) = Email::parse(text) {
            check_email(&email);
        }
        let _ = Nickname::parse(text).map(|n| n.key());
        let _ = codes::normalize(text);
    }
});
