//! Verification, fail-closed, in this order: length cap, three segments, canonical base64url,
//! header, MAC (constant time), and only then the payload and the claims rules.
//!
//! The header is compared byte for byte with the one text each key issues, so the usual header
//! parse is a short memcmp. The payload is decoded into a stack buffer and parsed in its one
//! canonical form. Parsers in `diagnose` run only to name the reason for a rejection.

use ring::hmac;

use super::b64;
use super::canonical;
use super::claims::Claims;
use super::diagnose;
use super::encode::SIGNATURE_B64_LEN;
use super::error::{Error, Segment};
use super::key::{Key, KeyRing};
use super::validation::Validation;

/// Tokens longer than this are refused before any other work.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Decoded payloads up to this size stay on the stack; latchkey's own are about 200 bytes.
const INLINE_PAYLOAD_BYTES: usize = 384;

/// A token cut at its two dots.
pub(crate) struct Parts<'a> {
    /// The first segment, still encoded.
    pub header: &'a [u8],
    /// The second segment, still encoded.
    pub payload: &'a [u8],
    /// The third segment, still encoded.
    pub signature: &'a [u8],
    /// What the MAC covers: header, dot, payload.
    pub signing_input: &'a [u8],
}

impl<'a> Parts<'a> {
    /// Applies the length cap and cuts the token into exactly three segments.
    pub(crate) fn split(token: &'a str) -> Result<Self, Error> {
        let token = token.as_bytes();
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Error::TooLong);
        }
        // Only the short outer segments are searched here; a dot inside the payload is caught
        // by its base64 decoding and reported as a segment error there (`payload_error`).
        let first = memchr::memchr(b'.', token).ok_or(Error::Segments)?;
        let second = memchr::memrchr(b'.', token)
            .filter(|&i| i > first)
            .ok_or(Error::Segments)?;
        Ok(Self {
            header: &token[..first],
            payload: &token[first + 1..second],
            signature: &token[second + 1..],
            signing_input: &token[..second],
        })
    }
}

/// The error for a payload segment that is not canonical base64url.
pub(crate) fn payload_error(payload: &[u8]) -> Error {
    if payload.contains(&b'.') {
        Error::Segments
    } else {
        Error::Base64(Segment::Payload)
    }
}

/// Decodes the signature segment. `Ok(None)` is canonical base64url of the wrong length, which
/// is reported only after the header, as part of the MAC check.
pub(crate) fn decode_signature(text: &[u8]) -> Result<Option<[u8; 32]>, Error> {
    if let Some(text) = text
        .first_chunk::<SIGNATURE_B64_LEN>()
        .filter(|_| text.len() == SIGNATURE_B64_LEN)
    {
        return b64::decode_tag(text)
            .map(Some)
            .ok_or(Error::Base64(Segment::Signature));
    }
    b64::decode(text)
        .map(|_| None)
        .ok_or(Error::Base64(Segment::Signature))
}

/// Checks the MAC in constant time (`ring::hmac::verify`).
pub(crate) fn verify_mac(key: &Key, signing_input: &[u8], tag: &[u8; 32]) -> Result<(), Error> {
    hmac::verify(key.mac(), signing_input, tag).map_err(|_| Error::Signature)
}

impl KeyRing {
    /// Verifies `token` and checks its claims against `rules`.
    ///
    /// # Security
    /// `token` is untrusted. Nothing in the payload is parsed before the MAC has been checked,
    /// and only the exact text latchkey would issue for the same claims is accepted.
    pub fn verify(&self, token: &str, rules: &Validation) -> Result<Claims, Error> {
        let parts = Parts::split(token)?;
        let mut inline = [0; INLINE_PAYLOAD_BYTES];
        let heap;
        let json = if parts.payload.len() <= INLINE_PAYLOAD_BYTES / 3 * 4 {
            let len = b64::decode_into(parts.payload, &mut inline);
            &inline[..len.ok_or_else(|| payload_error(parts.payload))?]
        } else {
            heap = b64::decode(parts.payload).ok_or_else(|| payload_error(parts.payload))?;
            &heap[..]
        };
        let tag = decode_signature(parts.signature)?;
        let key = self
            .by_header(parts.header)
            .ok_or_else(|| diagnose::header(parts.header, self))?;
        verify_mac(
            key,
            parts.signing_input,
            &tag.ok_or(Error::SignatureLength)?,
        )?;
        let claims = canonical::parse(json).ok_or_else(|| diagnose::payload(json))?;
        rules.check(&claims)?;
        Ok(claims)
    }
}
