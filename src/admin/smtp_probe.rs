//! The SMTP half of `doctor`: a conversation with the configured relay, step by step (connect,
//! EHLO, STARTTLS or TLS with the certificate checked, AUTH), keeping what the server answered
//! at each step. It sends no mail: `doctor --send-to` does that through the real transport.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::config::{Smtp, SmtpTls};

/// One step and how it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Step {
    /// `smtp connect`, `smtp ehlo`, ...
    pub name: &'static str,
    /// Whether it worked.
    pub ok: bool,
    /// What the server said, or what went wrong.
    pub said: String,
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// The longest reply line kept for the report.
const SHOWN: usize = 200;

struct Conversation {
    io: BufReader<Box<dyn Stream>>,
    timeout: Duration,
}

impl Conversation {
    /// Reads one (possibly multi-line) reply: its code and its lines.
    async fn reply(&mut self) -> Result<(u16, Vec<String>), String> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(self.timeout, self.io.read_line(&mut line))
                .await
                .map_err(|_| format!("no answer within {} s", self.timeout.as_secs()))?
                .map_err(|e| e.to_string())?;
            if read == 0 {
                return Err("the server closed the connection".into());
            }
            let line = line.trim_end().to_owned();
            let code = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| format!("not an SMTP reply: {}", clip(&line)))?;
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line);
            if !more || lines.len() > 100 {
                return Ok((code, lines));
            }
        }
    }

    async fn command(&mut self, text: &str) -> Result<(u16, Vec<String>), String> {
        let io = self.io.get_mut();
        tokio::time::timeout(self.timeout, async {
            io.write_all(text.as_bytes()).await?;
            io.write_all(b"\r\n").await?;
            io.flush().await
        })
        .await
        .map_err(|_| "timed out sending".to_owned())?
        .map_err(|e| e.to_string())?;
        self.reply().await
    }
}

fn clip(text: &str) -> String {
    text.chars().take(SHOWN).collect()
}

fn tls() -> TlsConnector {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    // The ring provider supports the default versions; should it not, TLS fails at handshake.
    TlsConnector::from(Arc::new(config.unwrap_or_else(|_| {
        ClientConfig::builder()
            .with_root_certificates(RootCertStore::empty())
            .with_no_client_auth()
    })))
}

async fn handshake(stream: Box<dyn Stream>, host: &str) -> Result<Box<dyn Stream>, String> {
    let name = ServerName::try_from(host.to_owned()).map_err(|e| format!("{host}: {e}"))?;
    let secured = tls()
        .connect(name, stream)
        .await
        .map_err(|e| format!("TLS handshake: {e}"))?;
    Ok(Box::new(secured))
}

fn summary(code: u16, lines: &[String]) -> String {
    let first = lines.first().map_or(String::new(), |l| clip(l));
    if lines.len() > 1 {
        format!("{first} (+{} lines)", lines.len() - 1)
    } else if first.is_empty() {
        code.to_string()
    } else {
        first
    }
}

/// The steps so far; each `push` says whether to go on.
#[derive(Default)]
struct Steps(Vec<Step>);

impl Steps {
    fn push(&mut self, name: &'static str, ok: bool, said: String) -> bool {
        self.0.push(Step { name, ok, said });
        ok
    }

    /// Records a reply that must carry `want`.
    fn expect(
        &mut self,
        name: &'static str,
        want: u16,
        got: Result<(u16, Vec<String>), String>,
        prefix: &str,
    ) -> Option<Vec<String>> {
        match got {
            Ok((code, lines)) if code == want => {
                self.push(name, true, format!("{prefix}{}", summary(code, &lines)));
                Some(lines)
            }
            Ok((code, lines)) => {
                self.push(name, false, format!("{prefix}{}", summary(code, &lines)));
                None
            }
            Err(e) => {
                self.push(name, false, format!("{prefix}{e}"));
                None
            }
        }
    }
}

/// Talks to the relay; stops at the first step that fails.
pub(super) async fn probe(smtp: &Smtp) -> Vec<Step> {
    let mut steps = Steps::default();
    let timeout = smtp.timeout.min(Duration::from_secs(10));
    if let Some(talk) = converse(smtp, timeout, &mut steps).await {
        authenticate(smtp, talk, &mut steps).await;
    }
    steps.0
}

/// Connects, reads the greeting, says EHLO and secures the connection as configured; the
/// conversation and the features the relay offers over it.
async fn converse(
    smtp: &Smtp,
    timeout: Duration,
    steps: &mut Steps,
) -> Option<(Conversation, Vec<String>)> {
    let address = format!("{}:{}", smtp.host, smtp.port);
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(&address)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => {
            steps.push("smtp connect", false, format!("{address}: {e}"));
            return None;
        }
        Err(_) => {
            let waited = timeout.as_secs();
            steps.push(
                "smtp connect",
                false,
                format!("{address}: no connection in {waited} s"),
            );
            return None;
        }
    };
    let mut stream: Box<dyn Stream> = Box::new(tcp);
    if smtp.tls == SmtpTls::Tls {
        match handshake(stream, &smtp.host).await {
            Ok(secured) => stream = secured,
            Err(e) => {
                steps.push("smtp tls", false, e);
                return None;
            }
        }
        steps.push(
            "smtp tls",
            true,
            format!("certificate for {} verified", smtp.host),
        );
    }
    let mut talk = Conversation {
        io: BufReader::new(stream),
        timeout,
    };
    let greeting = talk.reply().await;
    steps.expect("smtp connect", 220, greeting, &format!("{address}: "))?;
    let ehlo = format!("EHLO {}", hostname());
    let features = steps.expect("smtp ehlo", 250, talk.command(&ehlo).await, "")?;
    if smtp.tls != SmtpTls::StartTls {
        return Some((talk, features));
    }
    match talk.command("STARTTLS").await {
        Ok((220, _)) => {}
        Ok((code, lines)) => {
            let said = summary(code, &lines);
            steps.push(
                "smtp starttls",
                false,
                format!(
                    "{said} (no STARTTLS here: tls = \"tls\" on port 465, or \"none\" locally)"
                ),
            );
            return None;
        }
        Err(e) => {
            steps.push("smtp starttls", false, e);
            return None;
        }
    }
    match handshake(talk.io.into_inner(), &smtp.host).await {
        Ok(secured) => {
            talk = Conversation {
                io: BufReader::new(secured),
                timeout,
            };
        }
        Err(e) => {
            steps.push("smtp starttls", false, e);
            return None;
        }
    }
    steps.push(
        "smtp starttls",
        true,
        format!("certificate for {} verified", smtp.host),
    );
    let features = talk.command(&ehlo).await;
    let features = steps.expect("smtp ehlo", 250, features, "after STARTTLS: ")?;
    Some((talk, features))
}

/// Logs in with AUTH PLAIN when a username is configured, then says QUIT.
async fn authenticate(
    smtp: &Smtp,
    (mut talk, features): (Conversation, Vec<String>),
    steps: &mut Steps,
) {
    match &smtp.username {
        None => {
            steps.push(
                "smtp auth",
                true,
                "no username configured: not logging in".into(),
            );
        }
        Some(user) => {
            let offers_plain = features.iter().any(|l| {
                let l = l.to_ascii_uppercase();
                l.contains("AUTH") && l.contains("PLAIN")
            });
            let mut blob = vec![0];
            blob.extend_from_slice(user.as_bytes());
            blob.push(0);
            blob.extend_from_slice(smtp.password.expose());
            let encoded = base64::engine::general_purpose::STANDARD.encode(&blob);
            let answer = talk.command(&format!("AUTH PLAIN {encoded}")).await;
            let hint = if offers_plain {
                ""
            } else {
                " (the relay does not list AUTH PLAIN)"
            };
            let refused = steps
                .expect("smtp auth", 235, answer, &format!("as {user}: "))
                .is_none();
            if let Some(last) = steps.0.last_mut().filter(|_| refused) {
                last.said.push_str(hint);
            }
        }
    }
    let _ = talk.command("QUIT").await;
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b))
        })
        .unwrap_or_else(|| "localhost".to_owned())
}
