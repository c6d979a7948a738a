//! Every secret, code and id comes from here, and so from `ring::rand::SystemRandom` (the
//! operating system's CSPRNG).

use ring::rand::{SecureRandom as _, SystemRandom};

use crate::jwt;

/// Crockford base32 without look-alikes (`I L O U`): the verification code alphabet.
pub const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Length of a verification code.
pub const CODE_LEN: usize = 6;

/// `N` random bytes.
///
/// # Panics
/// If the operating system's random source fails, which `ring` treats as unrecoverable.
#[must_use]
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0; N];
    SystemRandom::new()
        .fill(&mut out)
        .expect("the OS random source does not fail once running");
    out
}

/// An opaque id: 16 random bytes (128 bits) as 22 base64url characters.
#[must_use]
pub fn id() -> String {
    jwt::encode_b64(&bytes::<16>())
}

/// A link token: 32 random bytes as 43 base64url characters (SPEC §4).
#[must_use]
pub fn link_token() -> String {
    jwt::encode_b64(&bytes::<32>())
}

/// A verification code: 6 characters of [`CODE_ALPHABET`], about 30 bits.
#[must_use]
pub fn code() -> String {
    // 32 divides 256, so taking the low five bits of each byte is unbiased.
    bytes::<CODE_LEN>()
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(b & 31)]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_without_look_alikes() {
        for _ in 0..200 {
            let code = code();
            assert_eq!(code.len(), CODE_LEN);
            assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{code}");
            assert!(!code.contains(['I', 'L', 'O', 'U']));
        }
    }

    #[test]
    fn ids_and_link_tokens_have_their_lengths_and_differ() {
        assert_eq!(id().len(), 22);
        assert_eq!(link_token().len(), 43);
        assert_ne!(id(), id());
    }
}
