//! `latchkey token inspect`: looking at a token without a key or a database (`token issue` and
//! `verify` are administrative commands).

use std::io::Write as _;

use crate::jwt;

use super::Error;

/// Prints what `token` claims, unverified.
pub(super) fn inspect(token: &str) -> Result<(), Error> {
    let seen = jwt::inspect(token)?;
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    // A closed stdout is not worth an error of its own.
    let _ = writeln!(
        out,
        "UNVERIFIED: decoded without a key; anyone can write any of this.\n\
         header (unverified):\n{}\nclaims (unverified):\n{}\nsignature: {} bytes (not checked)",
        pretty(&seen.header),
        pretty(&seen.claims),
        seen.signature_len,
    );
    Ok(())
}
