//! `FileConfig`: the configuration exactly as written in `config.toml` (and in `LATCHKEY_*`
//! variables), untyped beyond what TOML gives. Its `Default` is the documented defaults;
//! `config.toml.example` must say the same, and a test holds them together.

use serde::{Deserialize, Serialize};

/// A duration as written: `"30s"`, `"10m"`, `"1h"`, `"7d"`, or a number of seconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DurationText {
    /// Seconds, as a TOML integer.
    Seconds(u64),
    /// A number with a unit, or digits for seconds.
    Text(String),
}

impl From<&str> for DurationText {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    /// `[server]`
    pub server: ServerFile,
    /// `[storage]`
    pub storage: StorageFile,
    /// `[accounts]`
    pub accounts: AccountsFile,
    /// `[tokens]`
    pub tokens: TokensFile,
    /// `[codes]`
    pub codes: CodesFile,
    /// `[passwords]`
    pub passwords: PasswordsFile,
    /// `[rate_limits]`
    pub rate_limits: RateLimitsFile,
    /// `[mail]`
    pub mail: MailFile,
    /// `[links]`
    pub links: LinksFile,
    /// `[log]`
    pub log: LogFile,
    /// `[audit]`
    pub audit: AuditFile,
    /// `[compat]`
    pub compat: CompatFile,
}

/// `[compat]`: the Djoser + SimpleJWT dialect (SPEC §12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompatFile {
    /// Answer the Djoser and SimpleJWT endpoints. Default: false.
    pub djoser: bool,
    /// Where they live. Default: `/auth`.
    pub prefix: String,
    /// The activation link mailed, with `{uid}` and `{token}`; empty: Djoser's default,
    /// `<public_url>/#/activate/{uid}/{token}`. Default: empty.
    pub activation_url: String,
    /// The password-reset link mailed, with `{uid}` and `{token}`; empty: Djoser's default,
    /// `<public_url>/#/password/reset/confirm/{uid}/{token}`. Default: empty.
    pub password_reset_url: String,
}

impl Default for CompatFile {
    fn default() -> Self {
        Self {
            djoser: false,
            prefix: "/auth".to_owned(),
            activation_url: String::new(),
            password_reset_url: String::new(),
        }
    }
}

/// `[audit]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditFile {
    /// How long audit entries are kept; older ones are dropped from the front, the chain
    /// keeping an anchor. Default: 90 days.
    pub retention: DurationText,
}

impl Default for AuditFile {
    fn default() -> Self {
        Self {
            retention: "90d".into(),
        }
    }
}

/// `[server]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerFile {
    /// Address to listen on. Default: `127.0.0.1:8080`.
    pub listen: String,
    /// Base of links in mails; empty means `http://<listen>`. Default: empty.
    pub public_url: String,
    /// IPs or CIDRs whose `X-Forwarded-For` is believed. Default: none.
    pub trusted_proxies: Vec<String>,
    /// Origins allowed by CORS. Default: none.
    pub cors_origins: Vec<String>,
    /// Largest request body in bytes. Default: 65536.
    pub body_limit: u64,
    /// Cookies without `Secure`, for plain-HTTP development; weakens security. Default: false.
    pub insecure_cookies: bool,
    /// How long shutdown waits for in-flight requests. Default: 10 s.
    pub shutdown_grace: DurationText,
    /// How long a client may take to send the request head. Default: 10 s.
    pub header_timeout: DurationText,
    /// How long a client may take to send the request body. Default: 10 s.
    pub body_timeout: DurationText,
    /// Largest request head (request line and headers) in bytes; more gets `431`. Default: 16384.
    pub max_header_bytes: u64,
    /// Connections served at once; more wait in the listen queue. Default: 1024.
    pub max_connections: u64,
}

impl Default for ServerFile {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            public_url: String::new(),
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            body_limit: 65_536,
            insecure_cookies: false,
            shutdown_grace: "10s".into(),
            header_timeout: "10s".into(),
            body_timeout: "10s".into(),
            max_header_bytes: 16_384,
            max_connections: 1024,
        }
    }
}

/// `[storage]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageFile {
    /// Directory for the database and the mail spool. Default: `./latchkey-data`.
    pub data_dir: String,
}

impl Default for StorageFile {
    fn default() -> Self {
        Self {
            data_dir: "./latchkey-data".to_owned(),
        }
    }
}

/// `[accounts]`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsFile {
    /// Answer a sign-up for a taken address like a new one, and tell the owner. Default: false.
    pub conceal_existing: bool,
}

/// `[tokens]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensFile {
    /// Base64 signing secret of at least 32 bytes; empty: generated and kept in the database.
    pub secret: String,
    /// The `iss` claim. Default: `latchkey`.
    pub issuer: String,
    /// The `aud` claim; empty: none. Default: empty.
    pub audience: String,
    /// Access token lifetime. Default: 10 m.
    pub access_ttl: DurationText,
    /// Refresh token lifetime. Default: 7 d.
    pub refresh_ttl: DurationText,
    /// Clock skew forgiven. Default: 0 s.
    pub leeway: DurationText,
    /// How long a rotated refresh token still buys its successor. Default: 10 s.
    pub reuse_grace: DurationText,
    /// `body`, `cookie` or `both`. Default: `body`.
    pub transport: String,
    /// `HS256`, `EdDSA` or `ES256`. Default: `HS256`.
    pub algorithm: String,
    /// `Cache-Control` lifetime of the JWKS, and how long a rotated key is staged. Default: 5 m.
    pub jwks_max_age: DurationText,
}

impl Default for TokensFile {
    fn default() -> Self {
        Self {
            secret: String::new(),
            issuer: "latchkey".to_owned(),
            audience: String::new(),
            access_ttl: "10m".into(),
            refresh_ttl: "7d".into(),
            leeway: "0s".into(),
            reuse_grace: "10s".into(),
            transport: "body".to_owned(),
            algorithm: "HS256".to_owned(),
            jwks_max_age: "5m".into(),
        }
    }
}

/// `[codes]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CodesFile {
    /// Lifetime of a code and its link. Default: 1 h.
    pub ttl: DurationText,
    /// Wrong attempts that void a code. Default: 5.
    pub max_attempts: u64,
    /// Least time between two mails of one purpose to one address. Default: 60 s.
    pub resend_interval: DurationText,
}

impl Default for CodesFile {
    fn default() -> Self {
        Self {
            ttl: "1h".into(),
            max_attempts: 5,
            resend_interval: "60s".into(),
        }
    }
}

/// `[passwords]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordsFile {
    /// Argon2id memory in KiB. Default: 19456 (19 MiB, OWASP).
    pub argon2_memory_kib: u64,
    /// Argon2id passes. Default: 2.
    pub argon2_iterations: u64,
    /// Argon2id lanes. Default: 1.
    pub argon2_parallelism: u64,
    /// Hashes waiting for a core before `503`. Default: 256.
    pub max_queue: u64,
}

impl Default for PasswordsFile {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            max_queue: 256,
        }
    }
}

/// `[rate_limits]`: `"N/s"`, `"N/m"`, `"N/h"`, or `"off"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitsFile {
    /// Sign-ups per client IP. Default: 20/h.
    pub signup: String,
    /// Log-ins per client IP. Default: 30/m.
    pub login: String,
    /// Code and link checks per client IP. Default: 30/m.
    pub verify: String,
    /// Resends per client IP. Default: 5/m.
    pub resend: String,
    /// Password resets per client IP. Default: 5/m.
    pub reset: String,
    /// Failed log-ins per email, whatever the IP. Default: 20/h.
    pub failed_logins_per_email: String,
}

impl Default for RateLimitsFile {
    fn default() -> Self {
        Self {
            signup: "20/h".to_owned(),
            login: "30/m".to_owned(),
            verify: "30/m".to_owned(),
            resend: "5/m".to_owned(),
            reset: "5/m".to_owned(),
            failed_logins_per_email: "20/h".to_owned(),
        }
    }
}

/// `[mail]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailFile {
    /// `smtp`, `file` or `log`. Default: `file`.
    pub transport: String,
    /// The `From` mailbox. Default: `latchkey <no-reply@localhost>`.
    pub from: String,
    /// `en` or `ko`. Default: `en`.
    pub language: String,
    /// Directory of templates overriding the embedded ones; empty: embedded. Default: empty.
    pub templates_dir: String,
    /// `[mail.smtp]`
    pub smtp: SmtpFile,
}

impl Default for MailFile {
    fn default() -> Self {
        Self {
            transport: "file".to_owned(),
            from: "latchkey <no-reply@localhost>".to_owned(),
            language: "en".to_owned(),
            templates_dir: String::new(),
            smtp: SmtpFile::default(),
        }
    }
}

/// `[mail.smtp]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpFile {
    /// Relay host. Default: `localhost`.
    pub host: String,
    /// Relay port. Default: 587.
    pub port: u64,
    /// `starttls`, `tls` or `none` (plain, for local relays only). Default: `starttls`.
    pub tls: String,
    /// Login; empty: none. Default: empty.
    pub username: String,
    /// Password. Default: empty.
    pub password: String,
    /// Per-message send timeout. Default: 10 s.
    pub timeout: DurationText,
}

impl Default for SmtpFile {
    fn default() -> Self {
        Self {
            host: "localhost".to_owned(),
            port: 587,
            tls: "starttls".to_owned(),
            username: String::new(),
            password: String::new(),
            timeout: "10s".into(),
        }
    }
}

/// `[links]`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinksFile {
    /// Where the confirm form sends the browser; empty: a success page. Default: empty.
    pub verified_redirect: String,
}

/// `[log]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogFile {
    /// `text` or `json`. Default: `text`.
    pub format: String,
    /// A `tracing` filter: `info`, `debug`, `latchkey=debug,warn`, .... Default: `info`.
    pub level: String,
}

impl Default for LogFile {
    fn default() -> Self {
        Self {
            format: "text".to_owned(),
            level: "info".to_owned(),
        }
    }
}
