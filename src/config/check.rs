//! Validation: [`FileConfig`] in, [`Config`] out, with every problem named by its source and
//! key rather than stopping at the first.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::file::{DurationText, FileConfig};
use super::values::{self, Rate};
use super::{
    Codes, Compat, Config, Error, Language, Log, LogFormat, Mail, MailTransport, Origins,
    Passwords, RateLimits, Server, Smtp, SmtpTls, TokenTransport, Tokens,
};
use crate::jwt::Algorithm;
use crate::jwt::MIN_SECRET_BYTES;
use crate::secret::Secret;

/// Turns a [`FileConfig`] into a [`Config`], collecting every problem rather than the first.
pub(super) struct Checker<'a> {
    origins: &'a Origins,
    problems: Vec<String>,
}

impl<'a> Checker<'a> {
    pub(super) fn new(origins: &'a Origins) -> Self {
        Self {
            origins,
            problems: Vec::new(),
        }
    }

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

    pub(super) fn check(mut self, raw: &FileConfig) -> Result<Config, Error> {
        let server = self.server(raw);
        let tokens = self.tokens(raw);
        let codes = Codes {
            ttl: self.positive_duration("codes.ttl", &raw.codes.ttl),
            max_attempts: self.int("codes.max_attempts", raw.codes.max_attempts, 1, 1000),
            resend_interval: self.duration("codes.resend_interval", &raw.codes.resend_interval),
        };
        let audit_retention = self.positive_duration("audit.retention", &raw.audit.retention);
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
        let compat = self.compat(raw, &server.public_url);
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
            audit_retention,
            compat,
        })
    }

    fn compat(&mut self, raw: &FileConfig, public_url: &str) -> Option<Compat> {
        let c = &raw.compat;
        if !c.djoser {
            return None;
        }
        let prefix = c.prefix.trim().trim_end_matches('/').to_owned();
        let plain = prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b));
        if !prefix.starts_with('/') || prefix.len() < 2 || !plain {
            self.fail("compat.prefix", "must be a path like /auth");
        } else if [
            "/api",
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/.well-known",
            "/app.js",
        ]
        .iter()
        .any(|taken| prefix == *taken || prefix.starts_with(&format!("{taken}/")))
        {
            self.fail("compat.prefix", "must not overlap latchkey's own paths");
        }
        let mut link = |key: &str, given: &str, default: &str| {
            let url = Self::optional(given).unwrap_or_else(|| format!("{public_url}{default}"));
            if !(url.contains("{uid}") && url.contains("{token}")) {
                self.fail(key, "must contain {uid} and {token}");
            }
            url
        };
        let activation_url = link(
            "compat.activation_url",
            &c.activation_url,
            "/#/activate/{uid}/{token}",
        );
        let password_reset_url = link(
            "compat.password_reset_url",
            &c.password_reset_url,
            "/#/password/reset/confirm/{uid}/{token}",
        );
        Some(Compat {
            prefix,
            activation_url,
            password_reset_url,
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
        let algorithm = self.choice(
            "tokens.algorithm",
            &t.algorithm,
            &[
                ("HS256", Algorithm::Hs256),
                ("EdDSA", Algorithm::EdDsa),
                ("ES256", Algorithm::Es256),
            ],
        );
        if secret.is_some() && algorithm != Algorithm::Hs256 {
            self.fail(
                "tokens.secret",
                format!(
                    "is an HMAC secret, so it only works with tokens.algorithm = \"HS256\" \
                     (got {:?}); remove it to let latchkey keep {} keys in the database",
                    t.algorithm, t.algorithm
                ),
            );
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
                    ("body", TokenTransport::Body),
                    ("cookie", TokenTransport::Cookie),
                    ("both", TokenTransport::Both),
                ],
            ),
            algorithm,
            jwks_max_age: self.duration("tokens.jwks_max_age", &t.jwks_max_age),
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
