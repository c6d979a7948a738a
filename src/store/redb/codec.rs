//! Records to bytes and back (postcard: compact, no schema in the bytes; the schema version in
//! `meta` says how to read them). Every decode names the table and key of a bad value.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::Error;

/// Encodes a record.
pub fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    // postcard only fails on writer errors, and a Vec grows.
    postcard::to_allocvec(record).unwrap_or_default()
}

/// Decodes the record stored at `key` in `table`.
pub fn decode<T: DeserializeOwned>(
    table: &'static str,
    key: impl std::fmt::Debug,
    bytes: &[u8],
) -> Result<T, Error> {
    postcard::from_bytes(bytes).map_err(|e| Error::corrupt(table, key, &e))
}

/// A big-endian u64 stored in `meta`.
pub fn decode_u64(key: &str, bytes: &[u8]) -> Result<u64, Error> {
    let be: [u8; 8] = bytes
        .try_into()
        .map_err(|_| Error::corrupt("meta", key, &format!("{} bytes, not 8", bytes.len())))?;
    Ok(u64::from_be_bytes(be))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_garbled_values_are_corrupt_not_a_panic() {
        assert!(matches!(
            decode_u64("outbox_seq", &[1, 2]),
            Err(Error::Corrupt { table: "meta", .. })
        ));
        assert_eq!(decode_u64("x", &7u64.to_be_bytes()).unwrap(), 7);
        let bad = decode::<crate::store::User>("users", "u1", &[0xff; 3]).unwrap_err();
        let text = bad.to_string();
        assert!(text.contains("users") && text.contains("u1"), "{text}");
    }
}
