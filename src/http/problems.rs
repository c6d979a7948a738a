//! [`Problems`]: every wrong field of a request body, collected so that one answer names all
//! of them (`400 validation_failed` with `fields`).

use std::collections::BTreeMap;

use super::error::ApiError;

/// Per-field problems, so a request hears about all of them at once.
#[derive(Debug, Default)]
pub struct Problems(BTreeMap<&'static str, String>);

impl Problems {
    /// Keeps the value, or records why `field` is wrong.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, &'static str>) -> Option<T> {
        parsed.map_err(|m| self.0.insert(field, m.to_owned())).ok()
    }

    /// Records a problem with `field`.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.insert(field, message.into());
    }

    /// `Err` with every problem, if there was one.
    pub fn check_all(self) -> Result<(), ApiError> {
        self.finish(Some(()))
    }

    /// The parsed values, or every problem. `values` is `None` exactly when some field failed
    /// (each failure records a problem), so the two agree.
    pub fn finish<T>(self, values: Option<T>) -> Result<T, ApiError> {
        match values {
            Some(values) if self.0.is_empty() => Ok(values),
            _ => Err(ApiError::validation(self.0)),
        }
    }
}
