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

/// The base64url alphabet, in value order.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The url alphabet's value of each byte; `INVALID` (high bit set) for every other byte.
const VALUES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};
const INVALID: u8 = 0x80;

/// Decodes the 43 characters of an HS256 tag into its 32 bytes, or `None` unless canonical.
///
/// The general engine spends most of its time on set-up for input this short; a fixed length
/// lets this one run straight through: ten groups of four, then three characters whose last two
/// bits must be zero.
pub(crate) fn decode_tag(text: &[u8; 43]) -> Option<[u8; 32]> {
    let mut tag = [0; 32];
    let mut seen = 0;
    let mut value = |c: u8| {
        let v = VALUES[usize::from(c)];
        seen |= v;
        u32::from(v)
    };
    for (quad, out) in text.chunks_exact(4).zip(tag.chunks_exact_mut(3)) {
        let n = value(quad[0]) << 18 | value(quad[1]) << 12 | value(quad[2]) << 6 | value(quad[3]);
        out.copy_from_slice(&n.to_be_bytes()[1..]);
    }
    let n = value(text[40]) << 12 | value(text[41]) << 6 | value(text[42]);
    tag[30..].copy_from_slice(&(n >> 2).to_be_bytes()[2..]);
    (seen & INVALID == 0 && n.trailing_zeros() >= 2).then_some(tag)
}

/// Encodes the 32 bytes of an HS256 tag as its 43 characters.
pub(crate) fn encode_tag(tag: &[u8; 32], out: &mut [u8; 43]) {
    let symbol = |n: u32, shift: u32| ALPHABET[(n >> shift & 63) as usize];
    for (bytes, text) in tag.chunks_exact(3).zip(out.chunks_exact_mut(4)) {
        let n = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        text.copy_from_slice(&[symbol(n, 18), symbol(n, 12), symbol(n, 6), symbol(n, 0)]);
    }
    // The last two bytes are 16 bits: three symbols, the last with two zero bits below.
    let n = (u32::from(tag[30]) << 8 | u32::from(tag[31])) << 2;
    out[40..].copy_from_slice(&[symbol(n, 12), symbol(n, 6), symbol(n, 0)]);
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
    fn tag_codec_agrees_with_the_general_engine() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..20_000u32 {
            let mut bytes = [0u8; 32];
            for b in &mut bytes {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = seed as u8;
            }
            let mut text: [u8; 43] = encode(&bytes).into_bytes().try_into().unwrap();
            let mut ours = [0; 43];
            encode_tag(&bytes, &mut ours);
            assert_eq!(ours, text);
            assert_eq!(decode_tag(&text), Some(bytes));
            // Then one character replaced by anything: the two decoders must still agree.
            let at = usize::from(seed as u8) % 43;
            text[at] = (seed >> 8) as u8 ^ (round as u8);
            let general = decode(&text).map(|v| <[u8; 32]>::try_from(v).unwrap());
            assert_eq!(
                decode_tag(&text),
                general,
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
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
