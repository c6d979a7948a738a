//! What each subcommand does, behind one [`run`] entry point that `main` calls.

mod token;

use crate::cli::{Cli, Command};

/// A subcommand that failed, with the exit code it should produce.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The token given to `token inspect` cannot even be decoded.
    #[error("cannot decode the token: {0}")]
    Token(#[from] crate::jwt::Error),
}

impl Error {
    /// The process exit code: 2 for usage and configuration problems, 1 for the rest.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Token(_) => 1,
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Token(command) => token::run(&command),
    }
}
