//! The values users type, checked and normalized once at the edge (SPEC §3.3): [`Email`],
//! [`Nickname`], [`Password`]. Each is valid by construction; the rest of the crate never sees
//! raw input.

use std::fmt;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use unicode_normalization::UnicodeNormalization as _;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};
use zeroize::Zeroizing;

/// Longest local part, in octets (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_BYTES: usize = 64;
/// Longest address, in octets of its ASCII form (RFC 5321 path limit less the angle brackets).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Nickname length bounds, in Unicode scalar values.
pub const NICKNAME_CHARS: std::ops::RangeInclusive<usize> = 2..=32;
/// Password length bounds, in Unicode scalar values after NFKC.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=1024;

/// A normalized email address: ASCII local part lower-cased, domain in its ASCII (IDNA) form.
///
/// # Security
/// It holds no whitespace, control character, angle bracket, comma or quote, so it can go into
/// a mail header as it is and names exactly one mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Checks and normalizes what a user typed.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is required");
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain spaces or control characters");
        }
        let (local, domain) = raw
            .rsplit_once('@')
            .ok_or("must be an address like name@example.com")?;
        if !is_dot_atom(local) {
            return Err("has a local part (before the @) that is not a plain address");
        }
        if local.len() > MAX_LOCAL_BYTES {
            return Err("has a local part (before the @) longer than 64 characters");
        }
        let domain = ascii_domain(domain)?;
        let email = format!("{}@{domain}", local.to_ascii_lowercase());
        if email.len() > MAX_EMAIL_BYTES {
            return Err("is longer than 254 characters");
        }
        Ok(Self(email))
    }

    /// Wraps an address read back from storage, where only parsed addresses are written.
    #[must_use]
    pub fn from_stored(normalized: String) -> Self {
        Self(normalized)
    }

    /// The normalized address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 5322 dot-atom: atext runs separated by single dots.
fn is_dot_atom(local: &str) -> bool {
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
    !local.is_empty()
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.bytes().all(atext))
}

/// UTS #46 to ASCII, with STD3 rules (letters, digits, hyphens) and DNS length checks.
fn ascii_domain(domain: &str) -> Result<String, &'static str> {
    const BAD: &str = "has a domain (after the @) that is not a valid host name";
    if domain.ends_with('.') || !domain.contains('.') {
        return Err(BAD);
    }
    let ascii = Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Verify,
        )
        .map_err(|_| BAD)?;
    Ok(ascii.to_ascii_lowercase())
}

/// A display name: NFC, trimmed, 2 to 32 scalar values, no control, format or separator
/// characters (no bidi overrides, zero-width joiners or line breaks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nickname(String);

impl Nickname {
    /// Checks and normalizes what a user typed.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        // Only plain spaces are trimmed: any other invisible or control character at the edges
        // is refused below, not silently dropped.
        let nfc: String = raw.trim_matches(' ').nfc().collect();
        let count = nfc.chars().count();
        if !NICKNAME_CHARS.contains(&count) {
            return Err("must be 2 to 32 characters");
        }
        // Exactly SPEC §3.3's list, which `/openapi.json` states as a pattern: what hides or
        // reorders text. Private-use and not-yet-assigned characters show as boxes, harmlessly.
        let forbidden = |c: char| {
            matches!(
                c.general_category(),
                GeneralCategory::Control
                    | GeneralCategory::Format
                    | GeneralCategory::LineSeparator
                    | GeneralCategory::ParagraphSeparator
            ) || c == '\u{85}'
        };
        if nfc.chars().any(forbidden) {
            return Err("must not contain control, formatting or line-break characters");
        }
        Ok(Self(nfc))
    }

    /// Wraps a nickname read back from storage.
    #[must_use]
    pub fn from_stored(nickname: String) -> Self {
        Self(nickname)
    }

    /// The nickname as shown.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is decided on: lower-cased.
    #[must_use]
    pub fn key(&self) -> String {
        nickname_key(&self.0)
    }
}

/// A nickname made from an address's local part for accounts that came without one:
/// `attempt` 0 is the local part itself (at most 24 characters, at least 2), later ones add
/// `-2`, `-3`, ... for when it is taken.
#[must_use]
pub fn nickname_from_address(email: &Email, attempt: u32) -> String {
    let local = email.as_str().split('@').next().unwrap_or_default();
    let base: String = local.chars().take(24).collect();
    let base = if base.chars().count() < 2 {
        format!("user-{base}")
    } else {
        base
    };
    if attempt == 0 {
        base
    } else {
        format!("{base}-{}", attempt + 1)
    }
}

/// The form nickname uniqueness is decided on, for a stored or parsed nickname.
#[must_use]
pub fn nickname_key(nickname: &str) -> String {
    nickname.to_lowercase()
}

/// A password as it is hashed: NFKC, 8 to 1024 scalar values, never truncated; and as it was
/// typed, for checking hashes imported from Django (which hashes without normalizing).
///
/// # Security
/// Zeroed on drop; `Debug` does not show it.
#[derive(Clone)]
pub struct Password {
    nfkc: Zeroizing<String>,
    raw: Zeroizing<String>,
}

impl Password {
    /// Checks and normalizes what a user typed. Both the characters as sent (what
    /// `/openapi.json` states as `minLength`/`maxLength`, and what a front end counts) and
    /// the NFKC form (what SPEC §3.3 counts) must be 8 to 1024.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if !PASSWORD_CHARS.contains(&raw.chars().count()) {
            return Err("must be 8 to 1024 characters");
        }
        let nfkc = Zeroizing::new(raw.nfkc().collect::<String>());
        if !PASSWORD_CHARS.contains(&nfkc.chars().count()) {
            return Err("must be 8 to 1024 characters");
        }
        Ok(Self {
            nfkc,
            raw: Zeroizing::new(raw.to_owned()),
        })
    }

    /// The bytes to hash or verify: the NFKC form.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.nfkc.as_bytes()
    }

    /// The bytes as typed, for hashes made elsewhere (Django's).
    #[must_use]
    pub fn raw_bytes(&self) -> &[u8] {
        self.raw.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lower_cased_and_idn_encoded() {
        let e = |s: &str| Email::parse(s).map(|e| e.0);
        assert_eq!(
            e("  Alice.B+tag@Example.COM "),
            Ok("alice.b+tag@example.com".into())
        );
        assert_eq!(
            e("kim@도메인.한국"),
            Ok("kim@xn--hq1bm8jm9l.xn--3e0b707e".into())
        );
        assert_eq!(e("x@BÜCHER.de"), Ok("x@xn--bcher-kva.de".into()));
        assert_eq!(e("o'brien@example.org"), Ok("o'brien@example.org".into()));
    }

    #[test]
    fn emails_refuse_what_could_smuggle_a_second_address_or_header() {
        for bad in [
            "",
            "plain",
            "a@b",
            "a@example.com.",
            "a b@example.com",
            "a@example.com\r\nBcc: x@evil.test",
            "a@example.com\nx",
            "a\t@example.com",
            "\"a b\"@example.com",
            "a,b@example.com",
            "a@b@example.com",
            "<a@example.com>",
            "Name <a@example.com>",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "ü@example.com",
            "a@exa_mple.com",
            "a@-example.com",
            "a@example.com,b@example.com",
            "a@[127.0.0.1]",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn email_limits_apply_to_the_ascii_form() {
        let local = "a".repeat(64);
        assert!(Email::parse(&format!("{local}@example.com")).is_ok());
        assert!(Email::parse(&format!("a{local}@example.com")).is_err());
        let label = "b".repeat(63);
        let long = format!("{local}@{label}.{label}.{label}.cc");
        assert_eq!(long.len(), 64 + 1 + 63 * 3 + 3 + 2);
        assert!(Email::parse(&long).is_err());
        // 60 Korean syllables are 60 characters but far longer once Punycode-encoded.
        let idn = format!("a@{}.kr", "가".repeat(60));
        assert!(Email::parse(&idn).is_err());
    }

    #[test]
    fn nicknames_are_nfc_and_refuse_invisible_characters() {
        let decomposed = "Jose\u{301}";
        assert_eq!(Nickname::parse(decomposed).unwrap().as_str(), "Jos\u{e9}");
        assert_eq!(Nickname::parse("  Kim 민수 ").unwrap().as_str(), "Kim 민수");
        assert_eq!(Nickname::parse("ÉLAN").unwrap().key(), "élan");
        for bad in [
            "a",
            "",
            &"x".repeat(33),
            "ab\u{202e}cd",
            "a\u{200b}b",
            "a\nb",
            "a\u{2028}b",
            "a\u{0}b",
            "a\u{feff}b",
            "Anna\r",
            "Anna\u{85}",
            "\tAnna",
        ] {
            assert!(Nickname::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Nickname::parse(&"가".repeat(32)).is_ok());
        assert!(
            Nickname::parse("a\u{e000}b").is_ok(),
            "private use shows as a box, no harm"
        );
    }

    #[test]
    fn passwords_are_nfkc_counted_in_scalar_values_and_never_truncated() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"p".repeat(1024)).is_ok());
        assert!(Password::parse(&"p".repeat(1025)).is_err());
        assert_eq!(
            Password::parse("ｐａｓｓｗｏｒｄ").unwrap().as_bytes(),
            b"password"
        );
        let long = "가".repeat(1000);
        assert_eq!(Password::parse(&long).unwrap().as_bytes().len(), 3000);
        // Both counts hold: 7 characters as sent that NFKC makes 9, and 8 characters that
        // compose to 4, are both refused.
        assert!(Password::parse("\u{fb03}abcdef").is_err());
        assert!(Password::parse("e\u{301}e\u{301}e\u{301}e\u{301}").is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-password").unwrap()),
            "Password(..)"
        );
    }
}
