//! [`Error`]: what can go wrong below the seam, with each backend's failure kept as its own
//! typed variant. Cloneable, because one failed commit fails every write batched into it.

use std::sync::Arc;

/// A storage failure. The HTTP layer answers `503 unavailable` and logs the detail.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// redb failed: an I/O error, a full disk, a lock held by another process.
    #[error("storage: {0}")]
    Redb(Arc<redb::Error>),
    /// A file beside the database could not be read or written.
    #[error("storage: {what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: Arc<std::io::Error>,
    },
    /// The backend refuses work for now: it is re-opening the database after an I/O error, or
    /// shutting down.
    #[error("storage is unavailable: {0}")]
    Unavailable(&'static str),
    /// The database was written by a newer latchkey.
    #[error(
        "the database has schema version {found}; this latchkey reads up to {supported}: upgrade latchkey"
    )]
    SchemaTooNew {
        /// Version in the file.
        found: u64,
        /// Newest version this build knows.
        supported: u64,
    },
    /// A stored value does not decode.
    #[error("corrupt record in {table} at {key:?}: {detail}")]
    Corrupt {
        /// Table name.
        table: &'static str,
        /// The record's key, as text.
        key: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A write would have broken a uniqueness rule the flows are meant to check first: a bug,
    /// so the write is refused rather than stored.
    #[error("refused write: {0}")]
    Constraint(&'static str),
}

impl Error {
    /// Whether the failure came from the storage medium, so the backend should re-open the
    /// database once writes can succeed again.
    #[must_use]
    pub fn is_io(&self) -> bool {
        match self {
            Self::Redb(e) => matches!(
                **e,
                redb::Error::Io(_) | redb::Error::PreviousIo | redb::Error::DatabaseClosed
            ),
            Self::Io { .. } => true,
            _ => false,
        }
    }

    /// A decode failure of the record at `key` in `table`.
    pub(crate) fn corrupt(
        table: &'static str,
        key: impl std::fmt::Debug,
        detail: &dyn std::fmt::Display,
    ) -> Self {
        Self::Corrupt {
            table,
            key: format!("{key:?}"),
            detail: detail.to_string(),
        }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Self::Redb(Arc::new(e.into()))
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
