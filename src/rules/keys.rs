//! Signing keys kept in the database: the first one, made on first start, and retiring the
//! stored keys when a configured secret takes over. Retired keys verify until the longest token
//! they signed has expired (SPEC §5).

use crate::store::{Changes, Error, StoredKey, Tx};

/// Stores `fresh` as the signing key unless a key already exists (another process may have
/// made one first); returns every stored key, newest first.
pub fn ensure_one(
    tx: &mut dyn Tx,
    w: &mut Changes,
    fresh: &StoredKey,
) -> Result<Vec<StoredKey>, Error> {
    let mut keys = tx.keys()?;
    if keys.is_empty() {
        w.put_key(fresh.clone());
        keys.push(fresh.clone());
    }
    keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.kid.cmp(&a.kid)));
    Ok(keys)
}

/// Retires, as of `now`, every stored key still signing (a configured secret signs instead);
/// returns every stored key as it is now, newest first.
pub fn retire_all(tx: &mut dyn Tx, w: &mut Changes, now: u64) -> Result<Vec<StoredKey>, Error> {
    let mut keys = tx.keys()?;
    for key in keys.iter_mut().filter(|k| k.retired_at.is_none()) {
        key.retired_at = Some(now);
        w.put_key(key.clone());
    }
    keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.kid.cmp(&a.kid)));
    Ok(keys)
}
