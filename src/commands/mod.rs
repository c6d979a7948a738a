//! What each subcommand does, behind one [`run`] entry point that `main` calls.

mod admin;
mod init;
mod requests;
mod serve;
mod token;

use crate::cli::{Cli, Command, GlobalArgs, TokenCommand};
use crate::config::{self, Config, Flags, LoadOptions};

/// A subcommand that failed, with the exit code it should produce.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is unusable.
    #[error("{0}")]
    Config(#[from] config::Error),
    /// The service could not start.
    #[error("{0}")]
    Start(#[from] crate::app::StartError),
    /// An I/O failure.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// `init` would overwrite a file.
    #[error("{0} exists; pass --force to overwrite it")]
    Exists(String),
    /// The token given to `token inspect` cannot even be decoded.
    #[error("cannot decode the token: {0}")]
    Token(#[from] crate::jwt::Error),
    /// An administrative command failed.
    #[error(transparent)]
    Admin(#[from] crate::admin::Error),
}

impl Error {
    /// The process exit code: 2 for usage and configuration problems, 1 for the rest.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) | Self::Exists(_) | Self::Admin(crate::admin::Error::Usage(_)) => 2,
            Self::Start(_)
            | Self::Io { .. }
            | Self::Token(_)
            | Self::Admin(crate::admin::Error::Failed(_)) => 1,
        }
    }
}

/// Loads the configuration from the global flags, the environment and the file.
fn load(global: &GlobalArgs, listen: Option<String>) -> Result<Config, Error> {
    let flags = Flags {
        data_dir: global.data_dir.as_ref().map(|p| p.display().to_string()),
        listen,
    };
    Ok(Config::load(&LoadOptions {
        file: global.config.clone(),
        flags,
    })?)
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Serve { listen } => serve::run(load(&cli.global, listen)?),
        Command::Init { out, force } => init::run(&out, force),
        Command::CheckConfig => {
            let config = load(&cli.global, None)?;
            println!("configuration is valid");
            println!("listen: {}", config.server.listen);
            println!("data_dir: {}", config.data_dir.display());
            println!("mail: {:?}", config.mail.transport);
            Ok(())
        }
        Command::Token(TokenCommand::Inspect { token }) => token::inspect(token.trim()),
        command => {
            let config = load(&cli.global, None)?;
            let (request, output) = requests::of(command)?;
            admin::run(&config, &request, output)
        }
    }
}
