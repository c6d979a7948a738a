//! Configuration: defaults < `config.toml` < `LATCHKEY_*` variables < flags, validated into
//! [`Config`], the only form the rest of the crate sees.
//!
//! - `file`: [`FileConfig`], the raw TOML shape with the documented defaults
//! - `sources`: merging the sources, remembering where each key came from
//! - `values`: durations, rates, IP ranges, secrets

mod file;
mod sources;
mod values;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;

pub use file::{DurationText, FileConfig};
pub use sources::{ENV_PREFIX, Flags, Origin, Origins};
pub use values::{Rate, encode_secret};

use crate::jwt::MIN_SECRET_BYTES;
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
pub enum Transport {
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
    pub transport: Transport,
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
        Checker {
            origins: &origins,
            problems: Vec::new(),
        }
        .check(&raw)
    }
}

/// Turns a [`FileConfig`] into a [`Config`], collecting every problem rather than the first.
struct Checker<'a> {
    origins: &'a Origins,
    problems: Vec<String>,
}

impl Checker<'_> {
    fn fail(&mut self, key: &str, message: impl std::fmt::Display) {
        let origin = self.origins.of(key).label();
        self.problems.push(format!("{origin}: {key}: {message}"));
    }

    /// `Ok` value, or the problem recorded under `key` and a placeholder returned.
    fn take<T>(&mut self, key: &str, parsed: Result<T, String>, placeholder: T) -> T {
        parsed.unwrap_or_else(|message| {
            self.fail(key, message);
            placeholder
        })
    }

    fn duration(&mut self, key: &str, value: &DurationText) -> Duration {
        self.take(key, values::duration(value), Duration::ZERO)
    }

    fn positive_duration(&mut self, key: &str, value: &DurationText) -> Duration {
        let d = self.duration(key, value);
        if d.is_zero() && values::duration(value).is_ok() {
            self.fail(key, "must be longer than 0s");
        }
        d
    }

    fn int<T: TryFrom<u64> + Default>(&mut self, key: &str, value: u64, min: u64, max: u64) -> T {
        if !(min..=max).contains(&value) {
            self.fail(
                key,
                format!("must be between {min} and {max} (got {value})"),
            );
            return T::default();
        }
        T::try_from(value).unwrap_or_default()
    }

    fn choice<T: Copy>(&mut self, key: &str, value: &str, options: &[(&str, T)]) -> T {
        if let Some((_, v)) = options.iter().find(|(name, _)| *name == value) {
            return *v;
        }
        let names: Vec<_> = options.iter().map(|(name, _)| *name).collect();
        self.fail(
            key,
            format!("must be one of {} (got {value:?})", names.join(", ")),
        );
        options[0].1
    }

    fn rate(&mut self, key: &str, value: &str) -> Option<Rate> {
        self.take(key, values::rate(value), None)
    }

    fn optional(value: &str) -> Option<String> {
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    fn check(mut self, raw: &FileConfig) -> Result<Config, Error> {
        let server = self.server(raw);
        let tokens = self.tokens(raw);
        let codes = Codes {
            ttl: self.positive_duration("codes.ttl", &raw.codes.ttl),
            max_attempts: self.int("codes.max_attempts", raw.codes.max_attempts, 1, 1000),
            resend_interval: self.duration("codes.resend_interval", &raw.codes.resend_interval),
        };
        let p = &raw.passwords;
        let passwords = Passwords {
            memory_kib: self.int(
                "passwords.argon2_memory_kib",
                p.argon2_memory_kib,
                8,
                4 * 1024 * 1024,
            ),
            iterations: self.int("passwords.argon2_iterations", p.argon2_iterations, 1, 100),
            parallelism: self.int("passwords.argon2_parallelism", p.argon2_parallelism, 1, 64),
            max_queue: self.int("passwords.max_queue", p.max_queue, 0, 1_000_000),
        };
        let r = &raw.rate_limits;
        let rate_limits = RateLimits {
            signup: self.rate("rate_limits.signup", &r.signup),
            login: self.rate("rate_limits.login", &r.login),
            verify: self.rate("rate_limits.verify", &r.verify),
            resend: self.rate("rate_limits.resend", &r.resend),
            reset: self.rate("rate_limits.reset", &r.reset),
            failed_logins_per_email: self.rate(
                "rate_limits.failed_logins_per_email",
                &r.failed_logins_per_email,
            ),
        };
        let mail = self.mail(raw);
        let verified_redirect = Self::optional(&raw.links.verified_redirect);
        if let Some(url) = &verified_redirect
            && !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
        {
            self.fail(
                "links.verified_redirect",
                "must be an http(s) URL or a path starting with /",
            );
        }
        let log = Log {
            format: self.choice(
                "log.format",
                &raw.log.format,
                &[("text", LogFormat::Text), ("json", LogFormat::Json)],
            ),
            level: raw.log.level.clone(),
        };
        if tracing_subscriber::EnvFilter::try_new(&log.level).is_err() {
            self.fail(
                "log.level",
                format!(
                    "is not a log filter like info or latchkey=debug (got {:?})",
                    log.level
                ),
            );
        }
        let data_dir = PathBuf::from(raw.storage.data_dir.trim());
        if raw.storage.data_dir.trim().is_empty() {
            self.fail("storage.data_dir", "must not be empty");
        }
        if !self.problems.is_empty() {
            return Err(Error::Invalid(self.problems));
        }
        Ok(Config {
            server,
            data_dir,
            conceal_existing: raw.accounts.conceal_existing,
            tokens,
            codes,
            passwords,
            rate_limits,
            mail,
            verified_redirect,
            log,
        })
    }

    fn server(&mut self, raw: &FileConfig) -> Server {
        let s = &raw.server;
        let listen = self.take(
            "server.listen",
            s.listen
                .trim()
                .parse::<SocketAddr>()
                .map_err(|_| format!("expected IP:port, got {:?}", s.listen)),
            SocketAddr::from(([127, 0, 0, 1], 8080)),
        );
        let public_url_from_listen = Self::optional(&s.public_url).is_none();
        let public_url = match Self::optional(&s.public_url) {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(url) => {
                self.fail(
                    "server.public_url",
                    format!("must start with http:// or https:// (got {url:?})"),
                );
                String::new()
            }
            None => format!("http://{listen}"),
        };
        let mut trusted_proxies = Vec::new();
        for proxy in &s.trusted_proxies {
            if let Some(range) = self.take(
                "server.trusted_proxies",
                values::ip_range(proxy).map(Some),
                None,
            ) {
                trusted_proxies.push(range);
            }
        }
        for origin in &s.cors_origins {
            let ok = (origin.starts_with("http://") || origin.starts_with("https://"))
                && !origin.ends_with('/')
                && origin.matches('/').count() == 2;
            if !ok {
                self.fail(
                    "server.cors_origins",
                    format!("expected an origin like https://app.example.com (got {origin:?})"),
                );
            }
        }
        Server {
            listen,
            public_url,
            public_url_from_listen,
            trusted_proxies,
            cors_origins: s.cors_origins.clone(),
            body_limit: self.int("server.body_limit", s.body_limit, 64, 64 * 1024 * 1024),
            insecure_cookies: s.insecure_cookies,
            shutdown_grace: self.duration("server.shutdown_grace", &s.shutdown_grace),
            header_timeout: self.positive_duration("server.header_timeout", &s.header_timeout),
            body_timeout: self.positive_duration("server.body_timeout", &s.body_timeout),
            max_header_bytes: self.int(
                "server.max_header_bytes",
                s.max_header_bytes,
                8192,
                1024 * 1024,
            ),
            max_connections: self.int("server.max_connections", s.max_connections, 1, 1_000_000),
        }
    }

    fn tokens(&mut self, raw: &FileConfig) -> Tokens {
        let t = &raw.tokens;
        let secret = match Self::optional(&t.secret) {
            None => None,
            Some(text) => match values::secret_bytes(&text) {
                Ok(bytes) if bytes.len() >= MIN_SECRET_BYTES => Some(Secret::new(bytes)),
                Ok(bytes) => {
                    self.fail(
                        "tokens.secret",
                        format!(
                            "must be at least {MIN_SECRET_BYTES} bytes (got {})",
                            bytes.len()
                        ),
                    );
                    None
                }
                Err(message) => {
                    self.fail("tokens.secret", message);
                    None
                }
            },
        };
        if t.issuer.trim().is_empty() {
            self.fail("tokens.issuer", "must not be empty");
        }
        let access_ttl = self.positive_duration("tokens.access_ttl", &t.access_ttl);
        let refresh_ttl = self.positive_duration("tokens.refresh_ttl", &t.refresh_ttl);
        if refresh_ttl < access_ttl {
            self.fail(
                "tokens.refresh_ttl",
                "must not be shorter than tokens.access_ttl",
            );
        }
        Tokens {
            secret,
            issuer: t.issuer.trim().to_owned(),
            audience: Self::optional(&t.audience),
            access_ttl,
            refresh_ttl,
            leeway: self.duration("tokens.leeway", &t.leeway),
            reuse_grace: self.duration("tokens.reuse_grace", &t.reuse_grace),
            transport: self.choice(
                "tokens.transport",
                &t.transport,
                &[
                    ("body", Transport::Body),
                    ("cookie", Transport::Cookie),
                    ("both", Transport::Both),
                ],
            ),
        }
    }

    fn mail(&mut self, raw: &FileConfig) -> Mail {
        let m = &raw.mail;
        if m.from.parse::<lettre::message::Mailbox>().is_err() {
            self.fail(
                "mail.from",
                format!(
                    "is not a mailbox like \"Name <addr@example.com>\" (got {:?})",
                    m.from
                ),
            );
        }
        let templates_dir = Self::optional(&m.templates_dir).map(PathBuf::from);
        if let Some(dir) = &templates_dir
            && !dir.is_dir()
        {
            self.fail(
                "mail.templates_dir",
                format!("{} is not a directory", dir.display()),
            );
        }
        let s = &m.smtp;
        Mail {
            transport: self.choice(
                "mail.transport",
                &m.transport,
                &[
                    ("file", MailTransport::File),
                    ("smtp", MailTransport::Smtp),
                    ("log", MailTransport::Log),
                ],
            ),
            from: m.from.clone(),
            language: self.choice(
                "mail.language",
                &m.language,
                &[("en", Language::En), ("ko", Language::Ko)],
            ),
            templates_dir,
            smtp: Smtp {
                host: s.host.trim().to_owned(),
                port: self.int("mail.smtp.port", s.port, 1, 65_535),
                tls: self.choice(
                    "mail.smtp.tls",
                    &s.tls,
                    &[
                        ("starttls", SmtpTls::StartTls),
                        ("tls", SmtpTls::Tls),
                        ("none", SmtpTls::None),
                    ],
                ),
                username: Self::optional(&s.username),
                password: Secret::new(s.password.clone().into_bytes()),
                timeout: self.positive_duration("mail.smtp.timeout", &s.timeout),
            },
        }
    }
}

#[cfg(test)]
mod tests;
