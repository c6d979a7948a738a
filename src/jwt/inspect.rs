//! Decoding without trusting, for `latchkey token inspect`: shows what a token says, checks
//! nothing that needs a key.

use serde_json::Value;

use super::b64;
use super::decode::{Parts, payload_error};
use super::error::{Error, Segment};

/// What an unverified token claims to be.
#[derive(Debug)]
pub struct Inspection {
    /// The header, as JSON.
    pub header: Value,
    /// The claims, as JSON; NOT VERIFIED.
    pub claims: Value,
    /// Length of the signature in bytes.
    pub signature_len: usize,
}

/// Decodes `token` without verifying it.
///
/// # Security
/// Nothing in the result may be trusted: anyone can write any header and claims.
pub fn inspect(token: &str) -> Result<Inspection, Error> {
    let parts = Parts::split(token)?;
    let segment = |text: &[u8], which| b64::decode(text).ok_or(Error::Base64(which));
    let header = segment(parts.header, Segment::Header)?;
    let payload = b64::decode(parts.payload).ok_or_else(|| payload_error(parts.payload))?;
    let signature = segment(parts.signature, Segment::Signature)?;
    Ok(Inspection {
        header: serde_json::from_slice(&header).map_err(|_| Error::HeaderMalformed)?,
        claims: serde_json::from_slice(&payload).map_err(|_| Error::PayloadMalformed)?,
        signature_len: signature.len(),
    })
}
