//! Signing: the header text is fixed per key and already encoded, so a token costs one claims
//! serialization, one base64 pass over it, one HMAC, and one allocation.

use ring::hmac;

use super::b64;
use super::canonical;
use super::claims::Claims;
use super::key::{Key, KeyRing};

/// Encoded length of an HS256 tag: 32 bytes, unpadded base64.
pub(crate) const SIGNATURE_B64_LEN: usize = b64::encoded_len(32);

/// Room reserved for the payload's JSON and its encoding; latchkey's own need about 400 bytes.
const PAYLOAD_ROOM: usize = 512;

impl Key {
    /// Signs `claims` into a compact token.
    ///
    /// Every string is accepted (it is escaped); dates beyond year 9999 make a token that
    /// [`KeyRing::verify`] will refuse.
    ///
    /// # Panics
    /// Never: the token is built from base64url text and dots only.
    #[must_use]
    pub fn sign(&self, claims: &Claims) -> String {
        let header = self.header().as_bytes();
        let mut token = Vec::with_capacity(header.len() + PAYLOAD_ROOM + 1 + SIGNATURE_B64_LEN);
        token.extend_from_slice(header);
        token.push(b'.');
        let body = token.len();
        canonical::write(claims, &mut token);
        let json_len = token.len() - body;
        let body_len = b64::encoded_len(json_len);
        // Encode without a second buffer: move the JSON past the room its encoding needs, then
        // fill that room from it.
        token.resize(body + body_len + json_len, 0);
        token.copy_within(body..body + json_len, body + body_len);
        let (signing_input, json) = token.split_at_mut(body + body_len);
        b64::encode_to_slice(json, &mut signing_input[body..]);
        token.truncate(body + body_len);
        let tag = hmac::sign(self.mac(), &token);
        token.push(b'.');
        let mut tag_text = [0; SIGNATURE_B64_LEN];
        b64::encode_tag(
            tag.as_ref()
                .try_into()
                .expect("HMAC-SHA256 tags are 32 bytes"),
            &mut tag_text,
        );
        token.extend_from_slice(&tag_text);
        String::from_utf8(token).expect("a token is base64url text and dots, so ASCII")
    }
}

impl KeyRing {
    /// Signs `claims` with the ring's signing key.
    #[must_use]
    pub fn sign(&self, claims: &Claims) -> String {
        self.signing_key().sign(claims)
    }
}
