//! How mail leaves: an SMTP relay, `.eml` files, or the log.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::config::{Mail, MailTransport, SmtpTls};
use crate::store::OutboxMail;

/// SMTP connections kept open to the relay at most: one per mail in flight is plenty, and a
/// relay limits connections per client anyway.
const SMTP_CONNECTIONS: u32 = 8;
/// How long an idle SMTP connection is kept for the next mail.
const SMTP_IDLE: Duration = Duration::from_secs(30);

/// A failed delivery.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// A 5xx answer, or a mail that can never be built: retrying cannot help.
    pub permanent: bool,
    /// What happened, for the log and the outbox row.
    pub message: String,
}

impl SendError {
    fn transient(message: String) -> Self {
        Self {
            permanent: false,
            message,
        }
    }

    fn permanent(message: String) -> Self {
        Self {
            permanent: true,
            message,
        }
    }
}

/// Where mail goes.
pub enum Transport {
    /// An SMTP relay.
    Smtp {
        /// The lettre transport, with a bounded pool of reused connections.
        relay: AsyncSmtpTransport<Tokio1Executor>,
        /// `smtp://host:port`, for the start-up line.
        describe: String,
    },
    /// `.eml` files in this directory.
    File(PathBuf),
    /// The log, bodies included: local development only.
    Log,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Transport {
    /// Sets up the configured transport; `File` writes under `<data_dir>/mail`.
    pub fn build(config: &Mail, data_dir: &std::path::Path) -> Result<Self, String> {
        match config.transport {
            MailTransport::Log => Ok(Self::Log),
            MailTransport::File => {
                let dir = data_dir.join("mail");
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                Ok(Self::File(dir))
            }
            MailTransport::Smtp => {
                let smtp = &config.smtp;
                let tls = match smtp.tls {
                    SmtpTls::None => Tls::None,
                    SmtpTls::StartTls => Tls::Required(
                        TlsParameters::new(smtp.host.clone()).map_err(|e| e.to_string())?,
                    ),
                    SmtpTls::Tls => Tls::Wrapper(
                        TlsParameters::new(smtp.host.clone()).map_err(|e| e.to_string())?,
                    ),
                };
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
                        .port(smtp.port)
                        .timeout(Some(smtp.timeout))
                        .tls(tls)
                        .pool_config(
                            PoolConfig::new()
                                .max_size(SMTP_CONNECTIONS)
                                .idle_timeout(SMTP_IDLE),
                        );
                if let Some(user) = &smtp.username {
                    let password = String::from_utf8_lossy(smtp.password.expose()).into_owned();
                    builder = builder.credentials(Credentials::new(user.clone(), password));
                }
                let scheme = if smtp.tls == SmtpTls::Tls {
                    "smtps"
                } else {
                    "smtp"
                };
                Ok(Self::Smtp {
                    relay: builder.build(),
                    describe: format!("{scheme}://{}:{}", smtp.host, smtp.port),
                })
            }
        }
    }

    /// Where mail goes, in words, for the start-up lines.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { describe, .. } => describe.clone(),
            Self::File(dir) => format!(".eml files in {}", dir.display()),
            Self::Log => "the log".to_owned(),
        }
    }

    /// Delivers one outbox mail.
    pub async fn send(&self, from: &Mailbox, row: &OutboxMail) -> Result<(), SendError> {
        let to: Mailbox = row
            .mail
            .to
            .parse()
            .map_err(|e| SendError::permanent(format!("recipient: {e}")))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(row.mail.subject.clone())
            .message_id(Some(row.mail.message_id.clone()))
            .date(UNIX_EPOCH + Duration::from_secs(row.queued_at))
            .multipart(MultiPart::alternative_plain_html(
                row.mail.text.clone(),
                row.mail.html.clone(),
            ))
            .map_err(|e| SendError::permanent(format!("message: {e}")))?;
        match self {
            Self::Smtp { relay, .. } => match relay.send(message).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(SendError::permanent(e.to_string())),
                Err(e) => Err(SendError::transient(e.to_string())),
            },
            Self::File(dir) => {
                let name = format!("{}-{:08}.eml", row.queued_at, row.id);
                let partial = dir.join(format!(".{name}.partial"));
                tokio::fs::write(&partial, message.formatted())
                    .await
                    .map_err(|e| SendError::transient(e.to_string()))?;
                tokio::fs::rename(&partial, dir.join(&name))
                    .await
                    .map_err(|e| SendError::transient(e.to_string()))?;
                tracing::info!(to = %row.mail.to, subject = %row.mail.subject, file = %name, "mail written");
                Ok(())
            }
            Self::Log => {
                // The documented exception to "never log codes": the log transport exists to
                // show the whole mail during local development.
                tracing::info!(to = %row.mail.to, subject = %row.mail.subject, body = %row.mail.text, "mail");
                Ok(())
            }
        }
    }
}
