//! Verification, fail-closed, in this order: length cap, three segments, canonical base64url,
//! header, signature (constant time for HMAC), and only then the payload and the claims rules.
//!
//! This is the fast path for latchkey's own spelling: the header is compared byte for byte
//! with the text each key signs with, the payload is decoded into a stack buffer and read by
//! `canonical`'s straight walk. Whatever either shortcut cannot read goes to `general`, which
//! decides alone; the shortcuts only ever accept what `general` accepts, with the same result.

use super::asymmetric::SIGNATURE_BYTES;
use super::b64;
use super::canonical;
use super::claims::Claims;
use super::error::{Error, Segment};
use super::general;
use super::keyring::KeyRing;
use super::validation::Validation;

/// Tokens longer than this are refused before any other work.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Decoded payloads up to this size stay on the stack; latchkey's own are about 200 bytes.
const INLINE_PAYLOAD_BYTES: usize = 384;

/// Encoded length of an HS256 tag: 32 bytes, unpadded base64.
const TAG_B64_LEN: usize = b64::encoded_len(32);

/// A token cut at its two dots.
pub(crate) struct Parts<'a> {
    /// The first segment, still encoded.
    pub header: &'a [u8],
    /// The second segment, still encoded.
    pub payload: &'a [u8],
    /// The third segment, still encoded.
    pub signature: &'a [u8],
    /// What the signature covers: header, dot, payload.
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

/// A decoded signature segment: on the stack when it has a length some algorithm uses.
pub(crate) enum Signature {
    /// The first `len` bytes of `bytes`.
    Inline {
        bytes: [u8; SIGNATURE_BYTES],
        len: usize,
    },
    /// Longer than any algorithm's: it will be refused for its length, after the header.
    Long(Vec<u8>),
}

impl Signature {
    /// Decodes the signature segment, which must be canonical base64url. Its length is checked
    /// only after the header, against the algorithm of the key the header names.
    pub(crate) fn decode(text: &[u8]) -> Result<Self, Error> {
        let mut bytes = [0; SIGNATURE_BYTES];
        let len = if let Ok(tag) = <&[u8; TAG_B64_LEN]>::try_from(text) {
            let tag = b64::decode_tag(tag).ok_or(Error::Base64(Segment::Signature))?;
            bytes[..32].copy_from_slice(&tag);
            32
        } else if text.len() <= b64::encoded_len(SIGNATURE_BYTES) {
            b64::decode_into(text, &mut bytes).ok_or(Error::Base64(Segment::Signature))?
        } else {
            let long = b64::decode(text).ok_or(Error::Base64(Segment::Signature))?;
            return Ok(Self::Long(long));
        };
        Ok(Self::Inline { bytes, len })
    }

    /// The signature's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { bytes, len } => &bytes[..*len],
            Self::Long(bytes) => bytes,
        }
    }
}

impl KeyRing {
    /// Verifies `token` and checks its claims against `rules`.
    ///
    /// Tokens in latchkey's own spelling take a fast path; any other conforming spelling (the
    /// one of another JWT library, say) is read by the general path with the same result.
    ///
    /// # Security
    /// `token` is untrusted. Nothing in the payload is parsed before the signature has been
    /// checked with the key the header's `kid` names, under that key's algorithm only.
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
        let signature = Signature::decode(parts.signature)?;
        let key = match self.by_header(parts.header) {
            Some(key) => key,
            None => general::header(parts.header, self)?,
        };
        key.verify_bytes(parts.signing_input, signature.as_bytes())?;
        let claims = match canonical::parse(json) {
            Some(claims) => claims,
            None => general::payload(json)?,
        };
        rules.check(&claims)?;
        Ok(claims)
    }
}
