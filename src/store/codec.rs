//! Records to bytes and back (postcard: compact, no schema in the bytes; the schema version in
//! `meta` says how to read them).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Error;

/// Encodes a record.
pub fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    // postcard only fails on writer errors, and a Vec grows.
    postcard::to_allocvec(record).unwrap_or_default()
}

/// Decodes a record read from `table`.
pub fn decode<T: DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<T, Error> {
    postcard::from_bytes(bytes).map_err(|e| Error::Corrupt {
        table,
        detail: e.to_string(),
    })
}
