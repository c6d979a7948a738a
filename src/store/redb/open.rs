//! Opening the database file: creating tables on first use, refusing a newer schema, migrating
//! an older one, and making the code key once.

use std::path::Path;

use redb::{Database, ReadableTable as _};

use super::codec::decode_u64;
use super::migrate;
use super::tables::{META, SCHEMA_VERSION};
use super::tx::Tables;
use crate::random;
use crate::store::Error;

/// Pages redb keeps in memory. The operating system's page cache sits behind it, so a modest
/// cache costs little speed and keeps the footprint plannable.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Opens (creating if needed) the database file at `path` and brings it to [`SCHEMA_VERSION`].
pub(super) fn open_file(path: &Path) -> Result<Database, Error> {
    let db = redb::Builder::new()
        .set_cache_size(CACHE_BYTES)
        .create(path)?;
    prepare(&db)?;
    Ok(db)
}

/// Checks the schema version (migrating an older one), creates every table, and makes the
/// code key on first use.
pub(super) fn prepare(db: &Database) -> Result<(), Error> {
    let txn = db.begin_write()?;
    let found = {
        let meta = txn.open_table(META)?;
        let found = meta.get("schema_version")?;
        found
            .map(|v| decode_u64("schema_version", v.value()))
            .transpose()?
    };
    match found {
        Some(found) if found > SCHEMA_VERSION => {
            return Err(Error::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Some(found) if found < SCHEMA_VERSION => migrate::from(&txn, found)?,
        Some(_) => {}
        None => {
            txn.open_table(META)?
                .insert("code_key", random::bytes::<32>().as_slice())?;
        }
    }
    {
        let mut tables = Tables::open(&txn)?;
        tables
            .meta
            .insert("schema_version", SCHEMA_VERSION.to_be_bytes().as_slice())?;
    }
    txn.commit()?;
    Ok(())
}
