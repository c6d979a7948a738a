//! Opening the database: creating tables on first use, refusing a newer schema, migrating an
//! older one; bulk import; and the transaction helpers every operation goes through.

use std::path::Path;

use redb::{
    Database, ReadTransaction, ReadableDatabase as _, ReadableTable as _, WriteTransaction,
};

use super::RedbStore;
use super::txn::put_code;
use crate::input::nickname_key;
use crate::random;
use crate::store::codec::encode;
use crate::store::tables::{
    CODES, EMAILS, KEYS, LINKS, META, NICKNAMES, OUTBOX, OUTBOX_DUE, REVOKED, SCHEMA_VERSION,
    SENDS, SESSIONS, USER_SESSIONS, USERS,
};
use crate::store::{Error, PendingCode, User};

impl RedbStore {
    /// Opens (creating if needed) the database at `path`, creating or migrating its tables.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let db = Database::create(path)?;
        let store = Self { db };
        store.write(|txn| {
            let mut meta = txn.open_table(META)?;
            let found = meta.get("schema_version")?.map(|v| {
                let mut be = [0; 8];
                be.copy_from_slice(&v.value()[..8.min(v.value().len())]);
                u64::from_be_bytes(be)
            });
            match found {
                Some(found) if found > SCHEMA_VERSION => {
                    return Err(Error::SchemaTooNew {
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                Some(found) if found < SCHEMA_VERSION => Self::migrate(txn, found)?,
                Some(_) => {}
                None => {
                    meta.insert("code_key", random::bytes::<32>().as_slice())?;
                }
            }
            meta.insert("schema_version", SCHEMA_VERSION.to_be_bytes().as_slice())?;
            drop(meta);
            Self::create_tables(txn)
        })?;
        Ok(store)
    }

    /// Opening a table in a write transaction creates it; read transactions then find it.
    fn create_tables(txn: &WriteTransaction) -> Result<(), Error> {
        txn.open_table(USERS)?;
        txn.open_table(EMAILS)?;
        txn.open_table(NICKNAMES)?;
        txn.open_table(SESSIONS)?;
        txn.open_table(REVOKED)?;
        txn.open_multimap_table(USER_SESSIONS)?;
        txn.open_table(CODES)?;
        txn.open_table(LINKS)?;
        txn.open_table(SENDS)?;
        txn.open_table(OUTBOX)?;
        txn.open_table(OUTBOX_DUE)?;
        txn.open_table(KEYS)?;
        Ok(())
    }

    /// Loads many accounts and pending codes in one transaction (an import, or a benchmark's
    /// data set). Accounts whose address or nickname is taken are skipped; returns how many
    /// were added.
    pub fn import(&self, users: &[User], codes: &[PendingCode]) -> Result<usize, Error> {
        self.write(|txn| {
            let mut added = 0;
            let mut emails = txn.open_table(EMAILS)?;
            let mut nicknames = txn.open_table(NICKNAMES)?;
            let mut records = txn.open_table(USERS)?;
            for user in users {
                let key = nickname_key(&user.nickname);
                if emails.get(user.email.as_str())?.is_some()
                    || nicknames.get(key.as_str())?.is_some()
                {
                    continue;
                }
                emails.insert(user.email.as_str(), user.id.as_str())?;
                nicknames.insert(key.as_str(), user.id.as_str())?;
                records.insert(user.id.as_str(), encode(user).as_slice())?;
                added += 1;
            }
            drop((emails, nicknames, records));
            for code in codes {
                put_code(txn, code)?;
            }
            Ok(added)
        })
    }

    /// Brings a database of an older schema up to [`SCHEMA_VERSION`], one step per version.
    fn migrate(_txn: &WriteTransaction, found: u64) -> Result<(), Error> {
        // Version 1 is the first layout: nothing older can exist, and each future version adds
        // an arm here that rewrites what changed.
        Err(Error::Corrupt {
            table: "meta",
            detail: format!("unknown schema version {found}"),
        })
    }

    pub(super) fn write<R>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let txn = self.db.begin_write()?;
        let out = f(&txn)?;
        txn.commit()?;
        Ok(out)
    }

    pub(super) fn read(&self) -> Result<ReadTransaction, Error> {
        Ok(self.db.begin_read()?)
    }

    pub(super) fn read_table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: redb::TableDefinition<K, V>,
    ) -> Result<redb::ReadOnlyTable<K, V>, Error> {
        Ok(self.read()?.open_table(def)?)
    }
}
