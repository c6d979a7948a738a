//! Administration (SPEC §8): each administrative command is a [`Request`], carried out by
//! [`execute`] against the store, the same code whether the CLI opened the database itself
//! (the server is stopped) or the running server received it on its admin socket (then the
//! change also takes effect in that process at once).
//!
//! - `keys`: `key list | rotate | export`
//! - `users`: `user list | show | sessions | activate | deactivate`
//! - `socket`: the Unix socket the server listens on, and the client side of it

mod keys;
pub mod socket;
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
    /// `backup FILE`
    Backup {
        /// Where the copy goes: an absolute path that does not exist yet.
        to: std::path::PathBuf,
    },
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
        }
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

/// What a command works on: the configuration, the store, and the running service if the
/// command arrived on its socket.
pub struct Context<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The store.
    pub store: &'a dyn Store,
    /// The running service, whose in-memory state must follow the change.
    pub live: Option<&'a App>,
    /// Unix seconds.
    pub now: u64,
}

/// Carries out `request`.
pub async fn execute(cx: &Context<'_>, request: &Request) -> Result<Reply, Error> {
    match request {
        Request::KeyList => keys::list(cx).await,
        Request::KeyRotate { now } => keys::rotate(cx, *now).await,
        Request::KeyExport { private } => keys::export(cx, *private).await,
        Request::Backup { to } => backup(cx, to).await,
        Request::UserList => users::list(cx).await,
        Request::UserShow { user } => users::show(cx, user).await,
        Request::UserSessions { user } => users::sessions(cx, user).await,
        Request::UserDisabled { user, disabled } => users::set_disabled(cx, user, *disabled).await,
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
    })
}

/// A row from `(column, value)` pairs, in order.
fn row<const N: usize>(columns: [(&str, Value); N]) -> Map<String, Value> {
    columns
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}
