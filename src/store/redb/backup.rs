//! A consistent copy of the database while it serves: every table is read from one read
//! transaction (a snapshot, so writes committed meanwhile are simply not in it) into a new
//! file, which is synced and only then renamed to the name asked for.

use std::path::Path;

use redb::{
    Database, Key, MultimapTableDefinition, ReadTransaction, ReadableDatabase as _,
    ReadableMultimapTable as _, ReadableTable as _, TableDefinition, Value, WriteTransaction,
};

use super::tables::{
    CODES, CODES_BY_EXPIRY, EMAILS, KEYS, LINKS, META, NICKNAMES, OUTBOX, OUTBOX_BY_USER,
    OUTBOX_DUE, REVOKED, SENDS, SENDS_BY_TIME, SESSIONS, SESSIONS_BY_EXPIRY, USER_SESSIONS, USERS,
};
use crate::store::Error;

fn table<K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
) -> Result<u64, Error> {
    let source = from.open_table(def)?;
    let mut target = to.open_table(def)?;
    let mut rows = 0;
    for row in source.iter()? {
        let (key, value) = row?;
        target.insert(key.value(), value.value())?;
        rows += 1;
    }
    Ok(rows)
}

fn multimap<K: Key + 'static, V: Key + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    def: MultimapTableDefinition<K, V>,
) -> Result<u64, Error> {
    let source = from.open_multimap_table(def)?;
    let mut target = to.open_multimap_table(def)?;
    let mut rows = 0;
    for row in source.iter()? {
        let (key, values) = row?;
        for value in values {
            target.insert(key.value(), value?.value())?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// Copies `db` as of one snapshot to `to`, which must not exist; returns the records copied.
pub(super) fn copy(db: &Database, to: &Path) -> Result<u64, Error> {
    let io = |what: &'static str| {
        move |e: std::io::Error| Error::Io {
            what,
            source: std::sync::Arc::new(e),
        }
    };
    if to.exists() {
        return Err(Error::Io {
            what: "backup",
            source: std::sync::Arc::new(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists; choose a new file", to.display()),
            )),
        });
    }
    let partial = to.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let snapshot = db.begin_read()?;
    let copied = (|| {
        let target = Database::create(&partial)?;
        let txn = target.begin_write()?;
        let mut rows = 0;
        rows += table(&snapshot, &txn, META)?;
        rows += table(&snapshot, &txn, USERS)?;
        rows += table(&snapshot, &txn, EMAILS)?;
        rows += table(&snapshot, &txn, NICKNAMES)?;
        rows += table(&snapshot, &txn, SESSIONS)?;
        rows += table(&snapshot, &txn, SESSIONS_BY_EXPIRY)?;
        rows += table(&snapshot, &txn, REVOKED)?;
        rows += multimap(&snapshot, &txn, USER_SESSIONS)?;
        rows += table(&snapshot, &txn, CODES)?;
        rows += table(&snapshot, &txn, CODES_BY_EXPIRY)?;
        rows += table(&snapshot, &txn, LINKS)?;
        rows += table(&snapshot, &txn, SENDS)?;
        rows += table(&snapshot, &txn, SENDS_BY_TIME)?;
        rows += table(&snapshot, &txn, OUTBOX)?;
        rows += table(&snapshot, &txn, OUTBOX_DUE)?;
        rows += multimap(&snapshot, &txn, OUTBOX_BY_USER)?;
        rows += table(&snapshot, &txn, KEYS)?;
        // Committing is durable (fsync) before the file gets its name.
        txn.commit()?;
        Ok::<_, Error>(rows)
    })();
    let rows = match copied {
        Ok(rows) => rows,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, to).map_err(io("naming the backup"))?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename itself must survive a crash.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io("syncing the backup's directory"))?;
    }
    Ok(rows)
}
