//! `latchkey token ...`: looking at tokens from the command line.

use std::io::Write as _;

use crate::cli::TokenCommand;
use crate::jwt;

use super::Error;

/// Runs a `token` subcommand.
pub(super) fn run(command: &TokenCommand) -> Result<(), Error> {
    match command {
        TokenCommand::Inspect { token } => inspect(token.trim()),
    }
}

fn inspect(token: &str) -> Result<(), Error> {
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
