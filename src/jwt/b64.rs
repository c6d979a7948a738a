//! Canonical unpadded base64url: the url alphabet only, no `=`, and the unused low bits of the
//! last symbol zero, so that every byte string has exactly one accepted text.

use std::sync::LazyLock;

use base64::engine::general_purpose::NO_PAD;
use base64::engine::{Engine as _, Simd};

/// The SIMD engine picks AVX2 or NEON once at start-up; its decoder enforces all three rules
/// (padding forbidden by `NO_PAD`, trailing bits by the engine default).
static ENGINE: LazyLock<Simd> = LazyLock::new(|| Simd::url_safe(NO_PAD));

/// Decodes `text` into the front of `out` and returns the decoded length, or `None` unless
/// `text` is canonical and fits.
pub(crate) fn decode_into(text: &[u8], out: &mut [u8]) -> Option<usize> {
    ENGINE.decode_slice(text, out).ok()
}

/// Decodes `text` into a new vector, or `None` unless it is canonical.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    ENGINE.decode(text).ok()
}

/// Length of the unpadded encoding of `len` bytes.
pub(crate) const fn encoded_len(len: usize) -> usize {
    (len * 4).div_ceil(3)
}

/// Encodes `bytes` into `out`, which must be exactly [`encoded_len`] long.
pub(crate) fn encode_to_slice(bytes: &[u8], out: &mut [u8]) {
    let written = ENGINE.encode_slice(bytes, out);
    debug_assert_eq!(written, Ok(out.len()));
}

/// The encoding of `bytes` as a new string.
pub(crate) fn encode(bytes: &[u8]) -> String {
    ENGINE.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_padding_other_alphabets_and_stray_bits() {
        assert_eq!(decode(b"_-8").unwrap(), [0xff, 0xef]);
        for bad in ["_-8=", "/+8", "_-9", "_-8 ", "A", "QQ==", "QR"] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(decode(b"QQ").unwrap(), b"A");
    }

    #[test]
    fn long_inputs_take_the_simd_path_and_stay_strict() {
        let bytes: Vec<u8> = (0..=255).cycle().take(1000).collect();
        let text = encode(&bytes);
        assert_eq!(decode(text.as_bytes()).unwrap(), bytes);
        let mut last_changed = text.clone().into_bytes();
        // 1000 bytes leave 2 bytes in the last group: 4 unused bits in the last symbol.
        *last_changed.last_mut().unwrap() += 1;
        assert_eq!(decode(&last_changed), None);
        let mut plus = text.into_bytes();
        plus[100] = b'+';
        assert_eq!(decode(&plus), None);
    }
}
