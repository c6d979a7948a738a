//! latchkey's own wire form of a claims set: compact JSON, members in [`Claims`] order, strings
//! escaped exactly as `serde_json` escapes them, dates as plain decimal integers.
//!
//! [`write`] produces it for every token latchkey signs, and [`parse`] is the fast path that
//! reads it back: because the shape is fixed, parsing is a straight walk with no allocation for
//! latchkey's own ids, no recursion and no duplicate members to track. [`parse`] accepts
//! nothing else; every other spelling goes to `general`, which must give the same claims for
//! any text [`parse`] accepts.

use compact_str::CompactString;

use super::claims::{Claims, MAX_NUMERIC_DATE, TokenType};

/// Appends the canonical JSON of `claims` to `out`; with `user_id`, a `user_id` member equal to
/// `sub` follows `sub` (SimpleJWT's claim, for front ends that read it).
pub(crate) fn write(claims: &Claims, user_id: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"iss\":");
    write_str(&claims.iss, out);
    out.extend_from_slice(b",\"sub\":");
    write_str(&claims.sub, out);
    if user_id {
        out.extend_from_slice(b",\"user_id\":");
        write_str(&claims.sub, out);
    }
    if let Some(aud) = &claims.aud {
        out.extend_from_slice(b",\"aud\":");
        write_str(aud, out);
    }
    out.extend_from_slice(b",\"iat\":");
    write_int(claims.iat, out);
    if let Some(nbf) = claims.nbf {
        out.extend_from_slice(b",\"nbf\":");
        write_int(nbf, out);
    }
    out.extend_from_slice(b",\"exp\":");
    write_int(claims.exp, out);
    out.extend_from_slice(b",\"jti\":");
    write_str(&claims.jti, out);
    out.extend_from_slice(b",\"sid\":");
    write_str(&claims.sid, out);
    out.extend_from_slice(b",\"token_type\":\"");
    out.extend_from_slice(claims.token_type.as_str().as_bytes());
    out.extend_from_slice(b"\"}");
}

fn write_int(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let mut rest = s.as_bytes();
    loop {
        let plain = plain_run(rest);
        out.extend_from_slice(&rest[..plain]);
        let Some((&b, tail)) = rest[plain..].split_first() else {
            break;
        };
        let short = match b {
            0x08 => b'b',
            0x09 => b't',
            0x0A => b'n',
            0x0C => b'f',
            0x0D => b'r',
            0x00..=0x1F => b'u',
            _ => b, // `"` and `\\` escape as themselves
        };
        out.extend_from_slice(&[b'\\', short]);
        if short == b'u' {
            out.extend_from_slice(&[
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
        }
        rest = tail;
    }
    out.push(b'"');
}

/// Lower-case, as `serde_json` writes `\u00XX`.
const HEX: [u8; 16] = *b"0123456789abcdef";

/// Parses `json` if, and only if, it is exactly what [`write`] produces for some claims.
pub(crate) fn parse(json: &[u8]) -> Option<Claims> {
    // One UTF-8 check for the whole text; after it, strings are sliced out without another.
    let mut c = Cursor {
        text: std::str::from_utf8(json).ok()?,
        pos: 0,
    };
    c.expect(b"{\"iss\":\"")?;
    let iss = c.string_body()?;
    c.expect(b",\"sub\":\"")?;
    let sub = c.string_body()?;
    // Written only as a copy of `sub`; anything else is for the general path to judge.
    if c.accept(b",\"user_id\":\"") && c.string_body()? != sub {
        return None;
    }
    let aud = if c.accept(b",\"aud\":\"") {
        Some(c.string_body()?)
    } else {
        None
    };
    c.expect(b",\"iat\":")?;
    let iat = c.date()?;
    let nbf = if c.accept(b",\"nbf\":") {
        Some(c.date()?)
    } else {
        None
    };
    c.expect(b",\"exp\":")?;
    let exp = c.date()?;
    c.expect(b",\"jti\":\"")?;
    let jti = c.string_body()?;
    c.expect(b",\"sid\":\"")?;
    let sid = c.string_body()?;
    c.expect(b",\"token_type\":")?;
    let token_type = if c.accept(b"\"access\"") {
        TokenType::Access
    } else if c.accept(b"\"refresh\"") {
        TokenType::Refresh
    } else {
        return None;
    };
    c.expect(b"}")?;
    (c.pos == c.text.len()).then_some(Claims {
        iss,
        sub,
        aud,
        iat,
        nbf,
        exp,
        jti,
        sid,
        token_type,
    })
}

/// Length of the run of bytes that need no escaping: up to the first `"`, `\\` or control.
fn plain_run(bytes: &[u8]) -> usize {
    // Eight bytes per step (SWAR): strings here are ids of about 22 bytes, so the per-byte loop
    // was most of the parse. `(v - 0x01..) & !v & 0x80..` flags bytes of `v` below the
    // subtrahend; false flags only appear above a true one, so the lowest flag is exact.
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v;
    let mut done = 0;
    while let Some(chunk) = bytes[done..].first_chunk::<8>() {
        let v = u64::from_le_bytes(*chunk);
        let quote = v ^ (ONES * u64::from(b'"'));
        let backslash = v ^ (ONES * u64::from(b'\\'));
        let stops = (below(quote, 1) | below(backslash, 1) | below(v, 0x20)) & HIGHS;
        if stops != 0 {
            return done + (stops.trailing_zeros() / 8) as usize;
        }
        done += 8;
    }
    let tail = bytes[done..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
    done + tail.unwrap_or(bytes.len() - done)
}

/// The value of eight ASCII digits, or `None` if any byte is not a digit.
fn eight_digits(chunk: [u8; 8]) -> Option<u64> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    let v = u64::from_le_bytes(chunk);
    let d = v.wrapping_sub(ONES * u64::from(b'0'));
    // Every byte of `d` must be 0..=9: no borrow out of it (high bit clear) and no carry past
    // 9 when 6 is added (bit 4 stays clear).
    if (d | d.wrapping_add(ONES * 6)) & u64::from_ne_bytes([0xF0; 8]) != 0 {
        return None;
    }
    // Pairwise combine: digits to 2-digit, 4-digit, then 8-digit numbers (first digit lowest).
    let d = (d * 10 + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let d = (d * 100 + (d >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((d * 10_000 + (d >> 32)) & 0xFFFF_FFFF)
}

/// A position in valid UTF-8 text.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    #[inline]
    fn rest(&self) -> &[u8] {
        &self.text.as_bytes()[self.pos..]
    }

    /// Consumes `lit` if the input continues with it. Literals are short and of known length,
    /// so the comparison compiles to a few register compares instead of a `memcmp` call.
    #[inline]
    fn accept<const N: usize>(&mut self, lit: &[u8; N]) -> bool {
        let found = self.rest().first_chunk::<N>() == Some(lit);
        if found {
            self.pos += N;
        }
        found
    }

    #[inline]
    fn expect<const N: usize>(&mut self, lit: &[u8; N]) -> Option<()> {
        self.accept(lit).then_some(())
    }

    /// A `NumericDate`: decimal digits, no sign, no leading zero, no fraction or exponent.
    fn date(&mut self) -> Option<u64> {
        let rest = self.rest();
        // Today's dates have ten digits: take eight at once (SWAR) when they are all digits.
        let (mut value, mut digits) = match rest.first_chunk::<8>() {
            Some(&chunk) if rest[0] != b'0' => eight_digits(chunk).map_or((0, 0), |v| (v, 8)),
            _ => (0, 0),
        };
        for &b in rest[digits..].iter().take_while(|b| b.is_ascii_digit()) {
            // 12 digits hold MAX_NUMERIC_DATE and keep the sum far from overflow.
            if digits == 12 {
                return None;
            }
            value = value * 10 + u64::from(b - b'0');
            digits += 1;
        }
        if digits == 0 || (digits > 1 && rest[0] == b'0') || value > MAX_NUMERIC_DATE {
            return None;
        }
        self.pos += digits;
        Some(value)
    }

    /// The rest of a string whose opening quote has been read, in `serde_json`'s escaping: only
    /// `"`, `\` and controls escaped, the short forms where they exist, `\u00xx` (lower-case)
    /// otherwise.
    fn string_body(&mut self) -> Option<CompactString> {
        let start = self.pos;
        let plain = plain_run(self.rest());
        self.pos += plain;
        if self.accept(b"\"") {
            // Both ends are ASCII quotes, so the slice is on character boundaries.
            return Some(CompactString::from(&self.text[start..start + plain]));
        }
        let mut out = self.text.as_bytes()[start..self.pos].to_vec();
        loop {
            let (&b, _) = self.rest().split_first()?;
            self.pos += 1;
            match b {
                b'"' => return String::from_utf8(out).ok().map(CompactString::from),
                b'\\' => out.push(self.escape()?),
                0x00..=0x1F => return None,
                _ => out.push(b),
            }
        }
    }

    fn escape(&mut self) -> Option<u8> {
        let (&kind, rest) = self.rest().split_first()?;
        let byte = match kind {
            b'"' => b'"',
            b'\\' => b'\\',
            b'b' => 0x08,
            b't' => 0x09,
            b'n' => 0x0A,
            b'f' => 0x0C,
            b'r' => 0x0D,
            b'u' => {
                let &[z1, z2, hi, lo] = rest.first_chunk::<4>()?;
                if z1 != b'0' || z2 != b'0' || !matches!(hi, b'0' | b'1') {
                    return None;
                }
                self.pos += 4;
                let byte = ((hi - b'0') << 4) | HEX.iter().position(|&h| h == lo)? as u8;
                // Characters with a short escape must use it, as the writer does.
                if matches!(byte, 0x08 | 0x09 | 0x0A | 0x0C | 0x0D) {
                    return None;
                }
                byte
            }
            _ => return None,
        };
        self.pos += 1;
        Some(byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            iss: "latchkey".into(),
            sub: "u_1".into(),
            aud: None,
            iat: 1_700_000_000,
            nbf: None,
            exp: 1_700_000_600,
            jti: "j".into(),
            sid: "s".into(),
            token_type: TokenType::Access,
        }
    }

    fn written(c: &Claims) -> Vec<u8> {
        let mut out = Vec::new();
        write(c, false, &mut out);
        out
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let mut c = claims();
        c.sub = "a\"b\\c\u{1}\u{8}\t\n\u{c}\r\u{1f}\u{7f}é/😀".into();
        c.aud = Some("web".into());
        c.nbf = Some(5);
        assert_eq!(written(&c), serde_json::to_vec(&c).unwrap());
        assert_eq!(parse(&written(&c)), Some(c));
    }

    #[test]
    fn rejects_every_other_spelling() {
        let canonical = String::from_utf8(written(&claims())).unwrap();
        assert!(parse(canonical.as_bytes()).is_some());
        let variants = [
            canonical.replace("\"iss\":", "\"iss\": "),
            canonical.replace('{', "{ "),
            canonical.replace('}', "} "),
            canonical.replace("\"u_1\"", "\"\\u0075_1\""),
            canonical.replace("1700000000", "01700000000"),
            canonical.replace("1700000000", "1700000000.0"),
            canonical.replace("1700000000", "1.7e9"),
            canonical.replace("1700000000", "-1"),
            canonical.replace("\"access\"", "\"Access\""),
            canonical.replace(",\"sid\":\"s\"", ""),
            canonical.replace(
                ",\"jti\":\"j\",\"sid\":\"s\"",
                ",\"sid\":\"s\",\"jti\":\"j\"",
            ),
            format!("{canonical}x"),
            canonical.replace('}', ",\"exp\":1}"),
        ];
        for v in variants {
            assert_eq!(parse(v.as_bytes()), None, "{v}");
        }
    }

    #[test]
    fn rejects_long_escapes_for_short_ones_and_upper_case_hex() {
        let canonical = String::from_utf8(written(&claims())).unwrap();
        for esc in ["\\u000a", "\\u001F", "\\u0022", "\\/", "\\u00e9"] {
            let v = canonical.replace("\"u_1\"", &format!("\"u{esc}\""));
            assert_eq!(parse(v.as_bytes()), None, "{esc}");
        }
        let ok = canonical.replace("\"u_1\"", "\"u\\u001f\\n\"");
        assert_eq!(parse(ok.as_bytes()).unwrap().sub, "u\u{1f}\n");
    }

    #[test]
    fn eight_digits_reads_digits_and_nothing_else() {
        assert_eq!(eight_digits(*b"17000006"), Some(17_000_006));
        assert_eq!(eight_digits(*b"00000000"), Some(0));
        assert_eq!(eight_digits(*b"99999999"), Some(99_999_999));
        for bad in [
            *b"1700000a",
            *b"/7000000",
            *b"1:000000",
            *b"1700 000",
            *b"\xff7000000",
        ] {
            assert_eq!(eight_digits(bad), None, "{bad:?}");
        }
        for n in (0..100_000_000u64).step_by(7919) {
            assert_eq!(
                eight_digits(format!("{n:08}").as_bytes().try_into().unwrap()),
                Some(n)
            );
        }
    }

    #[test]
    fn dates_stop_at_year_9999() {
        let canonical = String::from_utf8(written(&claims())).unwrap();
        let max = canonical.replace("1700000600", "253402300799");
        assert_eq!(parse(max.as_bytes()).unwrap().exp, MAX_NUMERIC_DATE);
        for big in [
            "253402300800",
            "18446744073709551615",
            "99999999999999999999999",
        ] {
            assert_eq!(parse(canonical.replace("1700000600", big).as_bytes()), None);
        }
    }
}
