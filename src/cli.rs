//! The command line, as clap derive types. Parsing only: `commands` runs what is parsed.

// Doc comments here are the `--help` text, where backticks would show as they are.
#![allow(clippy::doc_markdown)]

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
    /// Write a consistent copy of the database, also while the server runs.
    Backup {
        /// The new file (it must not exist).
        file: PathBuf,
    },
    /// Accounts: list, show, sessions, activate, deactivate.
    #[command(subcommand)]
    User(UserCommand),
    /// Signing keys: list, rotate, export.
    #[command(subcommand)]
    Key(KeyCommand),
}

/// `latchkey user ...`; USER is an account id or its address.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Every account.
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// One account.
    Show {
        /// Id or address.
        user: String,
        /// As one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// An account's live sessions.
    Sessions {
        /// Id or address.
        user: String,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Let a deactivated account log in again.
    Activate {
        /// Id or address.
        user: String,
    },
    /// Keep the account but end its sessions and refuse its log-ins (403 account_inactive).
    Deactivate {
        /// Id or address.
        user: String,
    },
}

/// `latchkey key ...`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Every key with its algorithm, state (staged, signing, retired, expired) and dates.
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Make a new signing key. EdDSA and ES256 keys are published at once and sign after
    /// tokens.jwks_max_age, so verifiers have them first.
    Rotate {
        /// Sign with the new key at once (when the old one is compromised).
        #[arg(long)]
        now: bool,
    },
    /// Print the signing key: the HMAC secret for HS256, the public JWK for EdDSA and ES256.
    Export {
        /// Also print the private key as PKCS#8 PEM (EdDSA and ES256).
        #[arg(long)]
        private: bool,
        /// As one JSON object.
        #[arg(long)]
        json: bool,
    },
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
