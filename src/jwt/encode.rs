//! Signing: the header text is fixed per key and already encoded, so a token costs one claims
//! serialization, one base64 pass over it, one signature, and one allocation.
//!
//! ES256 signatures are randomized, so signing the same claims twice gives two tokens; where
//! one token must be handed out again byte for byte (a refresh repeated within the grace
//! window, SPEC §5), [`KeyRing::reissue`] rebuilds it from the claims and its stored signature.

use super::asymmetric::SIGNATURE_BYTES;
use super::b64;
use super::canonical;
use super::claims::Claims;
use super::key::Key;
use super::keyring::KeyRing;

/// Room reserved for the payload's JSON and its encoding; latchkey's own need about 400 bytes.
const PAYLOAD_ROOM: usize = 512;

/// Encoded length of the longest signature: 64 bytes, unpadded base64.
const SIGNATURE_B64_MAX: usize = b64::encoded_len(SIGNATURE_BYTES);

impl Key {
    /// Signs `claims` into a compact token.
    ///
    /// Every string is accepted (it is escaped); dates beyond year 9999 make a token that
    /// [`KeyRing::verify`] will refuse. HS256 and `EdDSA` tokens are deterministic; ES256 tokens
    /// differ at each call.
    ///
    /// # Panics
    /// ES256 only, if the operating system's random source fails.
    #[must_use]
    pub fn sign(&self, claims: &Claims) -> String {
        let mut token = self.signing_input(claims);
        let mut signature = [0; SIGNATURE_BYTES];
        let len = self.sign_bytes(&token, &mut signature);
        token.push(b'.');
        let start = token.len();
        if let Ok(tag) = <&[u8; 32]>::try_from(&signature[..len]) {
            let mut text = [0; b64::encoded_len(32)];
            b64::encode_tag(tag, &mut text);
            token.extend_from_slice(&text);
        } else {
            token.resize(start + b64::encoded_len(len), 0);
            b64::encode_to_slice(&signature[..len], &mut token[start..]);
        }
        String::from_utf8(token).expect("a token is base64url text and dots, so ASCII")
    }

    /// The encoded header, a dot and the encoded canonical payload, with room left for the
    /// signature.
    fn signing_input(&self, claims: &Claims) -> Vec<u8> {
        let header = self.header().as_bytes();
        let mut token = Vec::with_capacity(header.len() + PAYLOAD_ROOM + 1 + SIGNATURE_B64_MAX);
        token.extend_from_slice(header);
        token.push(b'.');
        let body = token.len();
        canonical::write(claims, self.user_id_claim(), &mut token);
        let json_len = token.len() - body;
        let body_len = b64::encoded_len(json_len);
        // Encode without a second buffer: move the JSON past the room its encoding needs, then
        // fill that room from it.
        token.resize(body + body_len + json_len, 0);
        token.copy_within(body..body + json_len, body + body_len);
        let (encoded, json) = token.split_at_mut(body + body_len);
        b64::encode_to_slice(json, &mut encoded[body..]);
        token.truncate(body + body_len);
        token
    }
}

impl KeyRing {
    /// Signs `claims` with the ring's signing key.
    ///
    /// # Panics
    /// As [`Key::sign`].
    #[must_use]
    pub fn sign(&self, claims: &Claims) -> String {
        self.signing_key().sign(claims)
    }

    /// The token that the key `kid` signed for `claims` with the signature `signature_b64`
    /// (the third segment, see [`signature_of`]), rebuilt byte for byte.
    ///
    /// `None` when `kid` names no key in the ring or the signature does not verify for these
    /// claims under that key, so a caller can never hand out a token that would be refused.
    #[must_use]
    pub fn reissue(&self, claims: &Claims, kid: &str, signature_b64: &str) -> Option<String> {
        let key = self.get(kid)?;
        let signature = b64::decode(signature_b64.as_bytes())?;
        let mut token = key.signing_input(claims);
        key.verify_bytes(&token, &signature).ok()?;
        token.push(b'.');
        token.extend_from_slice(signature_b64.as_bytes());
        // The signature text decoded as canonical base64url, so it is ASCII like the rest.
        String::from_utf8(token).ok()
    }
}

/// The signature segment of a compact token: the text after its last dot (empty if it has
/// none). For storing beside a refresh token, to [`KeyRing::reissue`] it later.
#[must_use]
pub fn signature_of(token: &str) -> &str {
    token
        .rsplit_once('.')
        .map_or("", |(_, signature)| signature)
}
