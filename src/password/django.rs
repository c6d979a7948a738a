//! Django's password hashes (SPEC §12), verified so that imported accounts log in with the
//! password they had: `pbkdf2_sha256`, `argon2` (Django's prefix on a PHC string) and
//! `bcrypt_sha256`. Parameters come from each hash. Django hashes the password as typed, with
//! no normalization, so these get the raw bytes. Runs on the hashing threads: PBKDF2 at
//! Django's 1 000 000 iterations takes a good part of a second.

use std::num::NonZeroU32;

use base64::Engine as _;
use ring::digest::{SHA256, digest};
use ring::pbkdf2;

use super::{Error, Memory, stored, verify_phc};

/// Most PBKDF2 iterations accepted from a stored hash (Django 5.2 uses 1 000 000).
const MAX_ITERATIONS: u32 = 20_000_000;
/// Highest bcrypt cost accepted from a stored hash (Django's default is 12).
const MAX_BCRYPT_COST: u32 = 16;

/// The Django hasher a stored hash names, if it is one latchkey verifies.
#[must_use]
pub fn algorithm(stored: &str) -> Option<&'static str> {
    ["pbkdf2_sha256", "argon2", "bcrypt_sha256"]
        .into_iter()
        .find(|name| {
            stored
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('$'))
        })
}

/// Why a stored Django password cannot be imported, if it cannot: the hash must be one latchkey
/// verifies and well-formed (checked without a password, so an import needs no hashing).
pub fn importable(stored: &str) -> Result<(), String> {
    if stored.is_empty() || stored.starts_with('!') {
        return Err("an unusable password (Django's set_unusable_password)".into());
    }
    let Some(name) = algorithm(stored) else {
        let hasher = stored.split('$').next().unwrap_or_default();
        return Err(format!(
            "hasher {hasher:?} is not one latchkey verifies (pbkdf2_sha256, argon2, bcrypt_sha256)"
        ));
    };
    let rest = &stored[name.len() + 1..];
    let well_formed = match name {
        "pbkdf2_sha256" => {
            let parts: Vec<&str> = rest.split('$').collect();
            parts.len() == 3
                && parts[0]
                    .parse::<u32>()
                    .is_ok_and(|n| (1..=MAX_ITERATIONS).contains(&n))
                && base64::engine::general_purpose::STANDARD
                    .decode(parts[2])
                    .is_ok_and(|k| !k.is_empty())
        }
        "argon2" => argon2::password_hash::phc::PasswordHash::new(&format!("${rest}")).is_ok(),
        _ => rest
            .split('$')
            .nth(2)
            .and_then(|c| c.parse::<u32>().ok())
            .is_some_and(|c| c <= MAX_BCRYPT_COST),
    };
    if well_formed {
        Ok(())
    } else {
        Err(format!("a malformed {name} hash"))
    }
}

/// Checks `raw` against a Django hash; `None` if `stored` is not one.
pub(super) fn verify(
    memory: &mut Memory,
    raw: &[u8],
    stored_hash: &str,
) -> Option<Result<bool, Error>> {
    let name = algorithm(stored_hash)?;
    let rest = &stored_hash[name.len() + 1..];
    Some(match name {
        "pbkdf2_sha256" => pbkdf2_sha256(raw, rest),
        "argon2" => verify_phc(memory, raw, &format!("${rest}")),
        _ => bcrypt_sha256(raw, rest),
    })
}

/// `pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>`.
fn pbkdf2_sha256(raw: &[u8], rest: &str) -> Result<bool, Error> {
    let mut parts = rest.splitn(3, '$');
    let (Some(iterations), Some(salt), Some(key)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(stored("pbkdf2_sha256: not iterations$salt$hash"));
    };
    let iterations = iterations
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= MAX_ITERATIONS)
        .and_then(NonZeroU32::new)
        .ok_or_else(|| stored(format!("pbkdf2_sha256: {iterations} iterations")))?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|e| stored(format!("pbkdf2_sha256: {e}")))?;
    // ring compares in constant time.
    Ok(pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt.as_bytes(),
        raw,
        &key,
    )
    .is_ok())
}

/// `bcrypt_sha256$<bcrypt hash of the hex SHA-256 of the password>`; Django 4.x writes the
/// bcrypt part as `$2b$<cost>$...`.
fn bcrypt_sha256(raw: &[u8], rest: &str) -> Result<bool, Error> {
    let cost = rest
        .split('$')
        .nth(2)
        .and_then(|c| c.parse::<u32>().ok())
        .ok_or_else(|| stored("bcrypt_sha256: no cost"))?;
    if cost > MAX_BCRYPT_COST {
        return Err(stored(format!("bcrypt_sha256: cost {cost}")));
    }
    let hex = crate::hex::encode(digest(&SHA256, raw).as_ref());
    bcrypt::verify(hex, rest).map_err(|e| stored(format!("bcrypt_sha256: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by Django 5.2 (`make_password`), as in tests/fixtures/django/users.json.
    const PBKDF2: &str =
        "pbkdf2_sha256$1000000$BEbbWm9R98ojcRU531JMBl$M8puijhJ2+UfwViIUzM6L3Fub2+JJB4mfam0Ry/KfNc=";
    const ARGON2: &str = "argon2$argon2id$v=19$m=102400,t=2,p=8$dUlpN0pGcTRsbHZmR2NYcVRvSWpvaQ$miO8vmbawc25A/XEW9FiR0RH3NCqDJ2tiTCf6wgEIkM";
    const BCRYPT: &str =
        "bcrypt_sha256$$2b$12$DNfMZiE1Lp6NGOC9KPNnPuoIKYnPcVvsdOhIhI.DFF3W/zmzQB9de";

    fn check(raw: &str, hash: &str) -> bool {
        let mut memory = Memory {
            blocks: Vec::new(),
            keep: 0,
        };
        verify(&mut memory, raw.as_bytes(), hash).unwrap().unwrap()
    }

    #[test]
    fn each_django_hasher_verifies_its_password_and_refuses_others() {
        assert!(check("django pbkdf2 password", PBKDF2));
        assert!(!check("django pbkdf2 passworD", PBKDF2));
        assert!(check("django argon2 password", ARGON2));
        assert!(!check("django pbkdf2 password", ARGON2));
        assert!(check("django bcrypt password", BCRYPT));
        assert!(!check("django bcrypt passwor", BCRYPT));
    }

    #[test]
    fn other_and_broken_hashes_are_named_or_refused() {
        assert_eq!(algorithm("md5$salt$abc"), None);
        assert_eq!(algorithm("!unusable"), None);
        assert_eq!(
            algorithm("$argon2id$v=19$m=1,t=1,p=1$x$y"),
            None,
            "latchkey's own"
        );
        assert_eq!(algorithm(PBKDF2), Some("pbkdf2_sha256"));
        let mut memory = Memory {
            blocks: Vec::new(),
            keep: 0,
        };
        for broken in [
            "pbkdf2_sha256$abc$salt$key",
            "pbkdf2_sha256$99999999999$salt$key",
            "pbkdf2_sha256$1000$salt",
            "pbkdf2_sha256$1000$salt$not base64!",
            "bcrypt_sha256$$2b$31$DNfMZiE1Lp6NGOC9KPNnPuoIKYnPcVvsdOhIhI.DFF3W/zmzQB9de",
            "bcrypt_sha256$garbage",
            "argon2$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
        ] {
            assert!(
                verify(&mut memory, b"pw", broken).unwrap().is_err(),
                "{broken}"
            );
        }
    }
}
