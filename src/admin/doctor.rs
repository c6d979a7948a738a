//! `doctor` (SPEC §8): what operators get wrong, one line per check (ok, warn, fail) with the
//! fix. It runs where the database is: in the server when one answers on the admin socket (so
//! the SMTP checks see the network the server sees), else in the CLI.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

use serde_json::{Map, Value, json};

use super::{Context, Reply, row, smtp_probe};
use crate::config::{MailTransport, SmtpTls};
use crate::jwt::Algorithm;
use crate::rules::audit::Verifier;
use crate::store::{MailState, NewMail, OutboxMail};

/// Shortest HMAC secret accepted as strong: SHA-256's output length (RFC 7518 §3.2).
const MIN_SECRET: usize = crate::jwt::MIN_SECRET_BYTES;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Warn,
    Fail,
}

struct Report {
    rows: Vec<Map<String, Value>>,
    failed: bool,
}

impl Report {
    fn add(&mut self, check: &str, status: Status, detail: impl Into<String>, fix: &str) {
        let shown = match status {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        };
        self.failed |= status == Status::Fail;
        let fix = if status == Status::Ok { "" } else { fix };
        self.rows.push(row([
            ("check", json!(check)),
            ("status", json!(shown)),
            ("detail", json!(detail.into())),
            ("fix", json!(fix)),
        ]));
    }
}

pub(super) async fn run(cx: &Context<'_>, send_to: Option<&str>) -> Result<Reply, super::Error> {
    let mut report = Report {
        rows: Vec::new(),
        failed: false,
    };
    let by = if cx.serving {
        "checked in the running server"
    } else {
        "checked by the CLI: no server answers on the admin socket"
    };
    report.add(
        "configuration",
        Status::Ok,
        format!("loaded and valid; {by}"),
        "",
    );
    data_dir(cx, &mut report);
    database(cx, &mut report).await;
    signing_key(cx, &mut report).await;
    public_url(cx, &mut report);
    cookies_and_limits(cx, &mut report);
    mail(cx, &mut report, send_to).await;
    let failed = report.failed;
    Ok(Reply {
        rows: report.rows,
        message: Some(if failed {
            "some checks failed: see their fix".to_owned()
        } else {
            "no check failed".to_owned()
        }),
        failed,
    })
}

fn data_dir(cx: &Context<'_>, report: &mut Report) {
    let dir = &cx.config.data_dir;
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) => {
            report.add(
                "data dir",
                Status::Fail,
                format!("{}: {e}", dir.display()),
                "create it, owned by the user latchkey runs as, mode 0700",
            );
            return;
        }
    };
    let mode = meta.permissions().mode() & 0o777;
    let probe = dir.join(".doctor-probe");
    let writable = std::fs::write(&probe, b"").and_then(|()| std::fs::remove_file(&probe));
    let mine =
        std::fs::metadata(dir.join(crate::app::DB_FILE)).map_or(true, |db| db.uid() == meta.uid());
    if let Err(e) = writable {
        report.add(
            "data dir",
            Status::Fail,
            format!("{} is not writable: {e}", dir.display()),
            "chown it to the user latchkey runs as",
        );
    } else if mode & 0o077 != 0 {
        report.add(
            "data dir",
            Status::Warn,
            format!(
                "{} is mode {mode:03o}: others can read the database (password hashes, keys)",
                dir.display()
            ),
            &format!("chmod 700 {}", dir.display()),
        );
    } else if !mine {
        report.add(
            "data dir",
            Status::Warn,
            "the database file belongs to another user than its directory",
            "chown the data dir and its files to the user latchkey runs as",
        );
    } else {
        report.add(
            "data dir",
            Status::Ok,
            format!("{} mode {mode:03o}, writable", dir.display()),
            "",
        );
    }
}

async fn database(cx: &Context<'_>, report: &mut Report) {
    if let Err(e) = cx.store.health().await {
        report.add(
            "database",
            Status::Fail,
            e.to_string(),
            "free disk space or fix the data dir; latchkey re-opens the database by itself",
        );
        return;
    }
    // Every record the service reloads at start, decoded, and the audit chain followed.
    let loaded = async {
        let keys = cx.store.signing_keys().await?.len();
        let codes = cx.store.pending_codes().await?.len();
        let revoked = cx.store.revoked_sessions(cx.now).await?.len();
        Ok::<_, crate::store::Error>((keys, codes, revoked))
    }
    .await;
    match loaded {
        Ok((keys, codes, revoked)) => report.add(
            "database",
            Status::Ok,
            format!(
                "schema {}; {keys} key(s), {codes} pending code(s), {revoked} ended session(s) read back",
                crate::store::SCHEMA_VERSION
            ),
            "",
        ),
        Err(e) => report.add(
            "database",
            Status::Fail,
            e.to_string(),
            "restore the last backup (README, \"Backup and restore\")",
        ),
    }
    match audit_chain(cx).await {
        Ok(checked) => report.add(
            "audit log",
            Status::Ok,
            format!("{checked} entries, chain intact"),
            "",
        ),
        Err(e) => report.add(
            "audit log",
            Status::Fail,
            e,
            "compare with a backup: entries were changed or removed outside latchkey",
        ),
    }
}

async fn audit_chain(cx: &Context<'_>) -> Result<u64, String> {
    let anchor = cx.store.audit_anchor().await.map_err(|e| e.to_string())?;
    let mut verifier = Verifier::new(anchor);
    loop {
        let (head, _) = verifier.head();
        let page = cx
            .store
            .audit(head.seq, 2000)
            .await
            .map_err(|e| e.to_string())?;
        for entry in &page {
            verifier.next(entry).map_err(|e| e.to_string())?;
        }
        if page.len() < 2000 {
            return Ok(verifier.head().1);
        }
    }
}

async fn signing_key(cx: &Context<'_>, report: &mut Report) {
    let tokens = &cx.config.tokens;
    if let Some(secret) = &tokens.secret {
        if secret.len() < MIN_SECRET {
            report.add(
                "signing key",
                Status::Fail,
                format!(
                    "tokens.secret is {} bytes; HS256 needs at least {MIN_SECRET}",
                    secret.len()
                ),
                "put a new secret there (`latchkey init` prints one) and restart",
            );
        } else {
            report.add(
                "signing key",
                Status::Ok,
                format!("HS256 with tokens.secret ({} bytes)", secret.len()),
                "",
            );
        }
        return;
    }
    let set = cx.app.keys.current();
    let signer = set.signer(cx.now);
    let weak = cx
        .store
        .signing_keys()
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|k| k.kid == signer.kid())
        .is_some_and(|k| signer.algorithm() == Algorithm::Hs256 && k.secret.len() < MIN_SECRET);
    if weak {
        report.add(
            "signing key",
            Status::Fail,
            format!(
                "HS256 key {} is shorter than {MIN_SECRET} bytes",
                signer.kid()
            ),
            "`latchkey key rotate`",
        );
    } else {
        report.add(
            "signing key",
            Status::Ok,
            format!("{} key {} signs", signer.algorithm().as_str(), signer.kid()),
            "",
        );
    }
}

fn public_url(cx: &Context<'_>, report: &mut Report) {
    let url = &cx.config.server.public_url;
    let rest = url.strip_prefix("http://");
    let host = rest
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or_default())
        .map(|authority| match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default().to_owned(),
            None => authority
                .rsplit_once(':')
                .map_or(authority, |(h, _)| h)
                .to_owned(),
        });
    let loopback = host.as_deref().is_some_and(|h| {
        h == "localhost"
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    if url.starts_with("https://") || loopback {
        report.add("public url", Status::Ok, url.clone(), "");
    } else {
        report.add(
            "public url",
            Status::Warn,
            format!("{url} is not https: mailed links and cookies travel in the clear"),
            "set server.public_url to the https address clients use (TLS at the proxy)",
        );
    }
}

fn cookies_and_limits(cx: &Context<'_>, report: &mut Report) {
    if cx.config.server.insecure_cookies {
        report.add(
            "cookies",
            Status::Warn,
            "server.insecure_cookies = true: cookies are sent without Secure",
            "set server.insecure_cookies = false once clients use https",
        );
    } else {
        report.add("cookies", Status::Ok, "Secure, HttpOnly", "");
    }
    let limits = &cx.config.rate_limits;
    let off: Vec<&str> = [
        ("signup", limits.signup.is_none()),
        ("login", limits.login.is_none()),
        ("verify", limits.verify.is_none()),
        ("resend", limits.resend.is_none()),
        ("reset", limits.reset.is_none()),
        (
            "failed_logins_per_email",
            limits.failed_logins_per_email.is_none(),
        ),
    ]
    .into_iter()
    .filter_map(|(name, off)| off.then_some(name))
    .collect();
    if off.is_empty() {
        report.add("rate limits", Status::Ok, "all on", "");
    } else {
        report.add(
            "rate limits",
            Status::Warn,
            format!("off: {}", off.join(", ")),
            "set them in [rate_limits] (see config.toml.example)",
        );
    }
}

async fn mail(cx: &Context<'_>, report: &mut Report, send_to: Option<&str>) {
    let smtp = &cx.config.mail.smtp;
    match cx.config.mail.transport {
        MailTransport::Log => report.add(
            "mail",
            Status::Warn,
            "mail.transport = \"log\": mail (codes included) goes to the log, not to users",
            "set mail.transport = \"smtp\" and [mail.smtp]",
        ),
        MailTransport::File => report.add(
            "mail",
            Status::Warn,
            "mail.transport = \"file\": mail is written to <data dir>/mail, not sent",
            "set mail.transport = \"smtp\" and [mail.smtp]",
        ),
        MailTransport::Smtp => {
            if smtp.tls == SmtpTls::None {
                report.add(
                    "smtp tls",
                    Status::Warn,
                    "mail.smtp.tls = \"none\": fine for a relay on this host, not across a network",
                    "use tls = \"starttls\" (port 587) or \"tls\" (port 465)",
                );
            }
            for step in smtp_probe::probe(smtp).await {
                let fix = match step.name {
                    "smtp connect" => {
                        "check mail.smtp.host and port, and that the relay runs and a firewall lets latchkey through"
                    }
                    "smtp ehlo" => "the relay refuses this host: check its relay settings",
                    "smtp tls" | "smtp starttls" => {
                        "check the relay's certificate (host name, chain), or the tls setting"
                    }
                    _ => "check mail.smtp.username and password",
                };
                let status = if step.ok { Status::Ok } else { Status::Fail };
                report.add(step.name, status, step.said, fix);
            }
        }
    }
    if let Some(to) = send_to {
        send_test(cx, report, to).await;
    }
}

async fn send_test(cx: &Context<'_>, report: &mut Report, to: &str) {
    let Ok(email) = crate::input::Email::parse(to) else {
        report.add(
            "test mail",
            Status::Fail,
            format!("{to:?} is not an address latchkey accepts"),
            "pass one address to --send-to",
        );
        return;
    };
    let from = match cx.config.mail.from.parse() {
        Ok(from) => from,
        Err(e) => {
            report.add(
                "test mail",
                Status::Fail,
                format!("mail.from: {e}"),
                "fix mail.from",
            );
            return;
        }
    };
    let text = "This is a test mail from `latchkey doctor --send-to`. If you read it, mail from \
                latchkey reaches this mailbox.";
    let row = OutboxMail {
        id: 0,
        mail: NewMail {
            to: email.as_str().to_owned(),
            subject: "latchkey test mail".to_owned(),
            text: text.to_owned(),
            html: format!("<p>{text}</p>"),
            message_id: format!("<{}@latchkey.doctor>", crate::random::id()),
            user_id: None,
        },
        queued_at: cx.now,
        attempts: 0,
        next_attempt_ms: 0,
        state: MailState::Queued,
        last_error: None,
    };
    match cx.app.outbox.transport().send(&from, &row).await {
        Ok(()) => report.add(
            "test mail",
            Status::Ok,
            format!("the relay accepted a test mail to {}", email.as_str()),
            "",
        ),
        Err(e) => report.add(
            "test mail",
            Status::Fail,
            e.to_string(),
            "see the smtp checks above",
        ),
    }
}
