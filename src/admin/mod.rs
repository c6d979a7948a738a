//! Administration (SPEC §8): each administrative command is a [`Request`], carried out by
//! [`execute`] against the store, the same code whether the CLI opened the database itself
//! (the server is stopped) or the running server received it on its admin socket (then the
//! change also takes effect in that process at once).
//!
//! Either way the command runs against a whole [`App`]: offline, the CLI builds one on the
//! database without serving, so every command goes through the same flows and rules as the
//! HTTP API, and is audited with actor `cli`.
//!
//! - `keys`: `key list | rotate | export`
//! - `users`: `user list | show | sessions | create | activate | deactivate | delete |
//!   set-password`
//! - `tokens`: `token issue | verify`
//! - `mail`: `mail list | retry`
//! - `audit`: `audit list | verify`
//! - `doctor`: `doctor`
//! - `import`: `import django FILE`
//! - `socket`: the Unix socket the server listens on, and the client side of it

mod audit;
mod doctor;
mod import;
mod keys;
mod mail;
mod smtp_probe;
pub mod socket;
mod tokens;
mod users;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::app::App;
use crate::config::Config;
use crate::store::Store;

/// One administrative command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// `key list`
    KeyList,
    /// `key rotate [--now]`
    KeyRotate {
        /// Sign with the new key at once instead of staging it.
        now: bool,
    },
    /// `key export [--private]`
    KeyExport {
        /// Include the private key.
        private: bool,
    },
    /// `user list`
    UserList,
    /// `user show USER`
    UserShow {
        /// An id, or an address.
        user: String,
    },
    /// `user sessions USER`
    UserSessions {
        /// An id, or an address.
        user: String,
    },
    /// `user activate USER` / `user deactivate USER`
    UserDisabled {
        /// An id, or an address.
        user: String,
        /// Deactivate (and end its sessions), or activate again.
        disabled: bool,
    },
    /// `user create EMAIL`
    UserCreate {
        /// The address.
        email: String,
        /// The nickname (made from the address when absent).
        nickname: Option<String>,
        /// The password (generated and shown once when absent).
        password: Option<Hidden>,
    },
    /// `user delete USER`
    UserDelete {
        /// An id, or an address.
        user: String,
    },
    /// `user set-password USER`
    UserSetPassword {
        /// An id, or an address.
        user: String,
        /// The new password (generated and shown once when absent).
        password: Option<Hidden>,
    },
    /// `token issue USER`
    TokenIssue {
        /// An id, or an address.
        user: String,
    },
    /// `token verify TOKEN`
    TokenVerify {
        /// The compact token.
        token: Hidden,
    },
    /// `mail list [--parked]`
    MailList {
        /// Parked mail only.
        parked: bool,
    },
    /// `mail retry ID | --parked`
    MailRetry {
        /// One mail, or every parked one when absent.
        id: Option<u64>,
    },
    /// `mail drop ID | --parked`
    MailDrop {
        /// One mail, or every parked one when absent.
        id: Option<u64>,
    },
    /// `audit list [--user ID] [--since SECONDS]`
    AuditList {
        /// One account's entries only.
        user: Option<String>,
        /// Entries of the last this many seconds only.
        since: Option<u64>,
    },
    /// `audit verify`
    AuditVerify,
    /// `import django FILE [--dry-run]`
    ImportDjango {
        /// The `manage.py dumpdata` file: an absolute path the server can read.
        file: std::path::PathBuf,
        /// Only say what would happen.
        dry_run: bool,
    },
    /// `doctor [--send-to ADDR]`
    Doctor {
        /// Also send a test mail here.
        send_to: Option<String>,
    },
    /// `backup FILE`
    Backup {
        /// Where the copy goes: an absolute path that does not exist yet.
        to: std::path::PathBuf,
    },
}

/// A password or token carried in a request: never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

impl Request {
    /// The command's name, for logs (never its arguments: some carry passwords).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::KeyList => "key list",
            Self::KeyRotate { .. } => "key rotate",
            Self::KeyExport { .. } => "key export",
            Self::Backup { .. } => "backup",
            Self::UserList => "user list",
            Self::UserShow { .. } => "user show",
            Self::UserSessions { .. } => "user sessions",
            Self::UserDisabled { disabled: true, .. } => "user deactivate",
            Self::UserDisabled {
                disabled: false, ..
            } => "user activate",
            Self::UserCreate { .. } => "user create",
            Self::UserDelete { .. } => "user delete",
            Self::UserSetPassword { .. } => "user set-password",
            Self::TokenIssue { .. } => "token issue",
            Self::TokenVerify { .. } => "token verify",
            Self::MailList { .. } => "mail list",
            Self::MailRetry { .. } => "mail retry",
            Self::MailDrop { .. } => "mail drop",
            Self::AuditList { .. } => "audit list",
            Self::AuditVerify => "audit verify",
            Self::Doctor { .. } => "doctor",
            Self::ImportDjango { .. } => "import django",
        }
    }

    /// The audit event an operator's change is recorded as; `None` for what only reads.
    #[must_use]
    pub fn audited_as(&self) -> Option<&'static str> {
        Some(match self {
            Self::KeyRotate { .. } => "admin.key_rotate",
            Self::KeyExport { .. } => "admin.key_export",
            Self::Backup { .. } => "admin.backup",
            Self::UserDisabled { disabled: true, .. } => "admin.user_deactivate",
            Self::UserDisabled {
                disabled: false, ..
            } => "admin.user_activate",
            Self::UserCreate { .. } => "admin.user_create",
            Self::UserDelete { .. } => "admin.user_delete",
            Self::UserSetPassword { .. } => "admin.user_set_password",
            Self::TokenIssue { .. } => "admin.token_issue",
            Self::MailRetry { .. } => "admin.mail_retry",
            Self::MailDrop { .. } => "admin.mail_drop",
            Self::ImportDjango { .. } => "admin.import_django",
            _ => return None,
        })
    }
}

/// What a command answers: rows for listings (shown aligned, or as JSON lines with `--json`)
/// and a message for people.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// One object per listed thing, its columns in order.
    pub rows: Vec<Map<String, Value>>,
    /// A sentence for the operator, if any.
    pub message: Option<String>,
    /// The command ran but found something wrong (`doctor`, `audit verify`): exit code 1
    /// once the rows are shown.
    #[serde(default)]
    pub failed: bool,
}

/// Why a command failed; the exit code follows from it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Error {
    /// The command cannot be carried out as asked (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// It failed (exit code 1).
    #[error("{0}")]
    Failed(String),
}

impl From<crate::store::Error> for Error {
    fn from(e: crate::store::Error) -> Self {
        Self::Failed(e.to_string())
    }
}

impl From<crate::keys::Error> for Error {
    fn from(e: crate::keys::Error) -> Self {
        Self::Failed(e.to_string())
    }
}

impl From<crate::accounts::Error> for Error {
    fn from(e: crate::accounts::Error) -> Self {
        use crate::accounts::Error as E;
        match e {
            E::Invalid { .. } | E::EmailTaken | E::NicknameTaken => Self::Usage(e.to_string()),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// What a command works on: the service (running, or built on the database for this command
/// alone), and the time.
pub struct Context<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The store.
    pub store: &'a dyn Store,
    /// The service, whose in-memory state follows each change.
    pub app: &'a App,
    /// Whether that service is the running server (not one built for this command).
    pub serving: bool,
    /// Unix seconds.
    pub now: u64,
}

impl<'a> Context<'a> {
    /// A context on `app`.
    #[must_use]
    pub fn new(app: &'a App, serving: bool) -> Self {
        Self {
            config: &app.config,
            store: app.store.as_ref(),
            app,
            serving,
            now: app.now(),
        }
    }
}

/// Carries out `request` as the operator (actor `cli`). A change is audited in the
/// transaction that makes it; exporting a key and taking a backup change nothing, and are
/// audited once they succeeded.
pub async fn execute(cx: &Context<'_>, request: &Request) -> Result<Reply, Error> {
    crate::audit::Origin::cli()
        .scope(async {
            let reply = dispatch(cx, request).await?;
            if matches!(request, Request::KeyExport { .. } | Request::Backup { .. }) {
                let event = audit_event(cx, request, None, None);
                cx.app
                    .write(move |_, w| {
                        w.audit(event.clone());
                        Ok(())
                    })
                    .await?;
            }
            Ok(reply)
        })
        .await
}

/// The audit event of an operator's `request` about `user_id`.
fn audit_event(
    cx: &Context<'_>,
    request: &Request,
    user_id: Option<&str>,
    detail: Option<String>,
) -> crate::store::AuditEvent {
    let name = request.audited_as().unwrap_or("admin");
    let mut event = crate::rules::audit::event(name, cx.app.now_ms(), user_id, None);
    event.detail = detail;
    event
}

async fn dispatch(cx: &Context<'_>, request: &Request) -> Result<Reply, Error> {
    match request {
        Request::KeyList => keys::list(cx).await,
        Request::KeyRotate { now } => keys::rotate(cx, *now).await,
        Request::KeyExport { private } => keys::export(cx, *private).await,
        Request::Backup { to } => backup(cx, to).await,
        Request::UserList => users::list(cx).await,
        Request::UserShow { user } => users::show(cx, user).await,
        Request::UserSessions { user } => users::sessions(cx, user).await,
        Request::UserDisabled { user, disabled } => users::set_disabled(cx, user, *disabled).await,
        Request::UserCreate {
            email,
            nickname,
            password,
        } => users::create(cx, email, nickname.as_deref(), password.as_ref()).await,
        Request::UserDelete { user } => users::delete(cx, user).await,
        Request::UserSetPassword { user, password } => {
            users::set_password(cx, user, password.as_ref()).await
        }
        Request::TokenIssue { user } => tokens::issue(cx, user).await,
        Request::TokenVerify { token } => tokens::verify(cx, &token.0).await,
        Request::MailList { parked } => mail::list(cx, *parked).await,
        Request::MailRetry { id } => mail::retry(cx, *id).await,
        Request::MailDrop { id } => mail::drop(cx, *id).await,
        Request::AuditList { user, since } => audit::list(cx, user.as_deref(), *since).await,
        Request::AuditVerify => audit::verify(cx).await,
        Request::Doctor { send_to } => doctor::run(cx, send_to.as_deref()).await,
        Request::ImportDjango { file, dry_run } => import::django(cx, file, *dry_run).await,
    }
}

/// `backup FILE`: a consistent copy that `serve` can start from as `latchkey.redb`.
async fn backup(cx: &Context<'_>, to: &std::path::Path) -> Result<Reply, Error> {
    if !to.is_absolute() {
        return Err(Error::Usage(format!(
            "{} is not an absolute path",
            to.display()
        )));
    }
    if to.exists() {
        return Err(Error::Usage(format!(
            "{} exists; choose a new file",
            to.display()
        )));
    }
    let started = std::time::Instant::now();
    let records = cx.store.backup(to).await?;
    Ok(Reply {
        rows: Vec::new(),
        message: Some(format!(
            "wrote {} ({records} records, a consistent copy as of {}) in {:.1} s; to restore, \
             stop the server and copy it to <data dir>/latchkey.redb",
            to.display(),
            crate::accounts::rfc3339(cx.now),
            started.elapsed().as_secs_f64()
        )),
        ..Reply::default()
    })
}

/// A row from `(column, value)` pairs, in order.
fn row<const N: usize>(columns: [(&str, Value); N]) -> Map<String, Value> {
    columns
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}
