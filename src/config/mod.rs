//! Configuration: defaults < `config.toml` < `LATCHKEY_*` variables < flags, validated into
//! [`Config`], the only form the rest of the crate sees.
//!
//! - `file`: [`FileConfig`], the raw TOML shape with the documented defaults
//! - `sources`: merging the sources, remembering where each key came from
//! - `check`: turning the raw values into [`Config`], naming every problem
//! - `values`: durations, rates, IP ranges, secrets

mod check;
mod file;
mod sources;
mod values;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;

pub use file::{DurationText, FileConfig};
pub use sources::{ENV_PREFIX, Flags, Origin, Origins};
pub use values::{Rate, duration, encode_secret};

use crate::jwt::Algorithm;
use crate::secret::Secret;

/// The commented example configuration; `latchkey init` writes it with a fresh secret.
pub const EXAMPLE: &str = include_str!("../../config.toml.example");

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_FILE: &str = "config.toml";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Read {
        /// The path.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{file}: {message}")]
    Syntax {
        /// The path.
        file: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A `LATCHKEY_*` variable that names no setting.
    #[error("{0}: no such setting")]
    UnknownVariable(String),
    /// A value of the wrong type, or an unknown key.
    #[error("{origin}: {key}: {message}")]
    Value {
        /// The file, variable or flag it came from.
        origin: String,
        /// The dotted key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// Values that parse but make no sense, every one named.
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
    /// A bug: the defaults themselves did not serialize.
    #[error("internal: {0}")]
    Internal(String),
}

/// How tokens travel between latchkey and the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenTransport {
    /// In JSON bodies and `Authorization` headers.
    Body,
    /// In cookies only.
    Cookie,
    /// In both.
    Both,
}

/// How mail leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailTransport {
    /// To an SMTP relay.
    Smtp,
    /// As `.eml` files under `<data_dir>/mail/`.
    File,
    /// Into the log, bodies included (local development only).
    Log,
}

/// Mail language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// English.
    En,
    /// Korean.
    Ko,
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required).
    StartTls,
    /// TLS from the first byte.
    Tls,
    /// No encryption: only for a relay on the same host or network.
    None,
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// Validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// `[server]`
    pub server: Server,
    /// `storage.data_dir`
    pub data_dir: PathBuf,
    /// `accounts.conceal_existing`
    pub conceal_existing: bool,
    /// `[tokens]`
    pub tokens: Tokens,
    /// `[codes]`
    pub codes: Codes,
    /// `[passwords]`
    pub passwords: Passwords,
    /// `[rate_limits]`
    pub rate_limits: RateLimits,
    /// `[mail]`
    pub mail: Mail,
    /// `links.verified_redirect`
    pub verified_redirect: Option<String>,
    /// `[log]`
    pub log: Log,
    /// `audit.retention`: how long audit entries are kept.
    pub audit_retention: Duration,
    /// `[compat]`: the Djoser dialect, when it is on.
    pub compat: Option<Compat>,
}

/// `[compat]`, typed: present only with `compat.djoser = true`.
#[derive(Clone, Debug)]
pub struct Compat {
    /// The path prefix, without a trailing slash (`/auth`).
    pub prefix: String,
    /// The activation link, with `{uid}` and `{token}`.
    pub activation_url: String,
    /// The password-reset link, with `{uid}` and `{token}`.
    pub password_reset_url: String,
}

/// `[server]`, typed.
#[derive(Clone, Debug)]
pub struct Server {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Base of links in mails, without a trailing slash.
    pub public_url: String,
    /// Whether `public_url` was left empty and follows the address actually bound.
    pub public_url_from_listen: bool,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins allowed by CORS.
    pub cors_origins: Vec<String>,
    /// Largest request body in bytes.
    pub body_limit: usize,
    /// Cookies without `Secure`.
    pub insecure_cookies: bool,
    /// Drain deadline at shutdown.
    pub shutdown_grace: Duration,
    /// Request-head read timeout.
    pub header_timeout: Duration,
    /// Request-body read timeout.
    pub body_timeout: Duration,
    /// Largest request head in bytes.
    pub max_header_bytes: usize,
    /// Connections served at once.
    pub max_connections: usize,
}

/// `[tokens]`, typed.
#[derive(Clone, Debug)]
pub struct Tokens {
    /// A configured signing secret, or `None` to use the database's keys.
    pub secret: Option<Secret>,
    /// The `iss` claim.
    pub issuer: String,
    /// The `aud` claim, if any.
    pub audience: Option<String>,
    /// Access token lifetime.
    pub access_ttl: Duration,
    /// Refresh token lifetime.
    pub refresh_ttl: Duration,
    /// Clock skew forgiven.
    pub leeway: Duration,
    /// Grace for a just-rotated refresh token.
    pub reuse_grace: Duration,
    /// Body, cookie or both.
    pub transport: TokenTransport,
    /// How new tokens are signed.
    pub algorithm: Algorithm,
    /// The JWKS cache lifetime, and the lead time of a rotated key.
    pub jwks_max_age: Duration,
}

/// `[codes]`, typed.
#[derive(Clone, Debug)]
pub struct Codes {
    /// Lifetime of a code and its link.
    pub ttl: Duration,
    /// Wrong attempts that void a code.
    pub max_attempts: u32,
    /// Least time between two mails of one purpose to one address.
    pub resend_interval: Duration,
}

/// `[passwords]`, typed.
#[derive(Clone, Debug)]
pub struct Passwords {
    /// Argon2id memory in KiB.
    pub memory_kib: u32,
    /// Argon2id passes.
    pub iterations: u32,
    /// Argon2id lanes.
    pub parallelism: u32,
    /// Hashes that may wait for a core.
    pub max_queue: usize,
}

/// `[rate_limits]`, typed; `None` is off.
#[derive(Clone, Debug)]
pub struct RateLimits {
    /// Sign-ups per IP.
    pub signup: Option<Rate>,
    /// Log-ins per IP.
    pub login: Option<Rate>,
    /// Code and link checks per IP.
    pub verify: Option<Rate>,
    /// Resends per IP.
    pub resend: Option<Rate>,
    /// Resets per IP.
    pub reset: Option<Rate>,
    /// Failed log-ins per email.
    pub failed_logins_per_email: Option<Rate>,
}

/// `[mail]`, typed.
#[derive(Clone, Debug)]
pub struct Mail {
    /// How mail leaves.
    pub transport: MailTransport,
    /// The `From` mailbox, as written (validated as a mailbox).
    pub from: String,
    /// Template language.
    pub language: Language,
    /// Directory overriding the embedded templates.
    pub templates_dir: Option<PathBuf>,
    /// `[mail.smtp]`
    pub smtp: Smtp,
}

/// `[mail.smtp]`, typed.
#[derive(Clone, Debug)]
pub struct Smtp {
    /// Relay host.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// Connection security.
    pub tls: SmtpTls,
    /// Login, if any.
    pub username: Option<String>,
    /// Password.
    pub password: Secret,
    /// Per-message timeout.
    pub timeout: Duration,
}

/// `[log]`, typed.
#[derive(Clone, Debug)]
pub struct Log {
    /// Line format.
    pub format: LogFormat,
    /// A `tracing` filter directive.
    pub level: String,
}

/// Where to look for configuration, from the command line.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `--config`: must exist when given.
    pub file: Option<PathBuf>,
    /// The flags that override settings.
    pub flags: Flags,
}

impl Config {
    /// Loads defaults, the file, the process environment and the flags, and validates.
    pub fn load(options: &LoadOptions) -> Result<Self, Error> {
        let (path, required) = match &options.file {
            Some(path) => (path.clone(), true),
            None => (PathBuf::from(DEFAULT_FILE), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(Error::Read {
                    file: path.display().to_string(),
                    source,
                });
            }
        };
        let file = text.as_deref().map(|text| (path.as_path(), text));
        Self::from_sources(file, std::env::vars(), &options.flags)
    }

    /// Builds a configuration from explicit sources (tests use this; `load` reads the real ones).
    pub fn from_sources(
        file: Option<(&Path, &str)>,
        env: impl IntoIterator<Item = (String, String)>,
        flags: &Flags,
    ) -> Result<Self, Error> {
        let (raw, origins) = sources::merge(file, env, flags)?;
        check::Checker::new(&origins).check(&raw)
    }
}

#[cfg(test)]
mod tests;
