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
    /// Accounts: list, show, sessions, create, activate, deactivate, delete, set-password.
    #[command(subcommand)]
    User(UserCommand),
    /// Signing keys: list, rotate, export.
    #[command(subcommand)]
    Key(KeyCommand),
    /// The outbox: queued and parked mail.
    #[command(subcommand)]
    Mail(MailCommand),
    /// The audit log: list it, check its hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Bring accounts over from another system.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Check what operators get wrong (data dir, database, keys, URLs, limits, SMTP); exit 1
    /// if a check fails.
    Doctor {
        /// Also send a test mail to this address.
        #[arg(long, value_name = "ADDR")]
        send_to: Option<String>,
        /// One JSON object per check.
        #[arg(long)]
        json: bool,
    },
}

/// `latchkey import ...`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Accounts from `manage.py dumpdata` JSON (auth.user, or a custom user model with an
    /// email field); they keep their Django passwords.
    Django {
        /// The dumpdata file.
        file: PathBuf,
        /// Only say what would be imported and refused.
        #[arg(long)]
        dry_run: bool,
        /// One JSON object per listed row.
        #[arg(long)]
        json: bool,
    },
}

/// `latchkey mail ...`
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Queued and parked mail: recipient, subject, tries, last error (never the body).
    List {
        /// Parked mail only.
        #[arg(long)]
        parked: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Put parked mail back in the queue.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["id", "parked"])))]
    Retry {
        /// One mail, by the id `mail list` shows.
        id: Option<u64>,
        /// Every parked mail.
        #[arg(long)]
        parked: bool,
    },
    /// Remove parked mail for good (its body holds a code or a link until then).
    #[command(group(clap::ArgGroup::new("which").required(true).args(["id", "parked"])))]
    Drop {
        /// One mail, by the id `mail list` shows.
        id: Option<u64>,
        /// Every parked mail.
        #[arg(long)]
        parked: bool,
    },
}

/// `latchkey audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Entries, oldest first.
    List {
        /// One account's entries only (its id).
        #[arg(long, value_name = "ID")]
        user: Option<String>,
        /// Entries of this last span only, e.g. 24h or 7d.
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Follow the hash chain from its anchor; name the first broken link and exit 1 if any.
    Verify,
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
    /// Make an active account; without --password-stdin a password is generated and shown once.
    Create {
        /// The address.
        email: String,
        /// Display name [default: from the address].
        #[arg(long)]
        nickname: Option<String>,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
        /// As one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Delete the account, its sessions, codes and unsent mail.
    Delete {
        /// Id or address.
        user: String,
    },
    /// Set a new password and end every session; without --password-stdin one is generated
    /// and shown once.
    SetPassword {
        /// Id or address.
        user: String,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
        /// As one JSON object.
        #[arg(long)]
        json: bool,
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
    /// Open a session for an account and print its access and refresh tokens.
    Issue {
        /// Id or address.
        user: String,
        /// As one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Verify a token as `token/verify` would (signature, claims, revocation); exit 1 if it
    /// is not valid.
    Verify {
        /// The compact token; `-` reads it from standard input.
        token: String,
    },
}
