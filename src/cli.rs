//! The command line, as clap derive types. Parsing only: `commands` runs what is parsed.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// latchkey: sign-up, email verification and log-in with JWTs, as one binary.
#[derive(Debug, Parser)]
#[command(name = "latchkey", version, about, propagate_version = true)]
pub struct Cli {
    /// Options every subcommand accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Clone, Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file [default: ./config.toml if it exists].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory holding the database and the mail spool [default: ./latchkey-data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 or 0.0.0.0:0 [default: server.listen].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Write a commented config.toml with a fresh signing secret.
    Init {
        /// Where to write it.
        #[arg(long, value_name = "FILE", default_value = "config.toml")]
        out: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Load and validate the configuration, print what it resolves to, and exit.
    CheckConfig,
    /// Work with tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

/// `latchkey token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a token's header and claims WITHOUT verifying anything.
    Inspect {
        /// The compact token (header.payload.signature).
        token: String,
    },
}
