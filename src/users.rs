//! Accounts by id, cached for the request path: `GET /me` and friends answer from memory instead
//! of a storage read per request. The cache never holds an account older than a write that
//! has been acknowledged: every write that touches an account invalidates it once committed
//! ([`crate::app::App::write`]), and a read that raced such a write does not fill the cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use moka::sync::Cache;

use crate::store::{Changes, Error, Op, Store, User};

/// Accounts kept in memory at most.
const CAPACITY: u64 = 50_000;

/// The cache.
pub struct Users {
    cache: Cache<String, Arc<User>>,
    /// Bumped by every invalidation, before it removes anything: a read that saw another value
    /// before it started may have read the old account, and must not cache it.
    epoch: AtomicU64,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users")
            .field("cached", &self.cache.entry_count())
            .finish_non_exhaustive()
    }
}

impl Default for Users {
    fn default() -> Self {
        Self {
            cache: Cache::builder().max_capacity(CAPACITY).build(),
            epoch: AtomicU64::new(0),
        }
    }
}

impl Users {
    /// The account with this id, from memory or from `store`.
    pub async fn get(&self, store: &dyn Store, id: &str) -> Result<Option<User>, Error> {
        if let Some(user) = self.cache.get(id) {
            return Ok(Some(User::clone(&user)));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let user = store.user(id).await?;
        if let Some(user) = &user
            && self.epoch.load(Ordering::Acquire) == epoch
        {
            self.cache.insert(id.to_owned(), Arc::new(user.clone()));
        }
        Ok(user)
    }

    /// Forgets these accounts: they were just written.
    pub fn invalidate(&self, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for id in ids {
            self.cache.invalidate(id);
        }
    }

    /// Forgets every account (another process may have written any of them).
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.cache.invalidate_all();
    }
}

/// The ids of the accounts `changes` writes.
#[must_use]
pub fn touched(changes: &Changes) -> Vec<String> {
    changes
        .ops()
        .iter()
        .filter_map(|op| match op {
            Op::PutUser(user) => Some(user.id.clone()),
            Op::DeleteUser(id) => Some(id.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RedbStore;

    fn account(nickname: &str) -> User {
        User {
            id: "u1".into(),
            email: "a@example.com".into(),
            nickname: nickname.into(),
            password_hash: String::new(),
            is_active: true,
            disabled: false,
            created_at: 0,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn accounts_are_served_from_memory_until_a_write_invalidates_them() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&dir.path().join("db")).unwrap());
        let put = |user: User| {
            let store = store.clone();
            async move {
                store
                    .write(move |_, w| {
                        w.put_user(user.clone());
                        Ok(touched(w))
                    })
                    .await
                    .unwrap()
            }
        };
        let users = Users::default();
        assert_eq!(users.get(store.as_ref(), "u1").await.unwrap(), None);
        put(account("first")).await;
        assert_eq!(
            users
                .get(store.as_ref(), "u1")
                .await
                .unwrap()
                .unwrap()
                .nickname,
            "first"
        );
        let ids = put(account("second")).await;
        assert_eq!(ids, ["u1"]);
        assert_eq!(
            users
                .get(store.as_ref(), "u1")
                .await
                .unwrap()
                .unwrap()
                .nickname,
            "first",
            "served from memory until invalidated"
        );
        users.invalidate(&ids);
        assert_eq!(
            users
                .get(store.as_ref(), "u1")
                .await
                .unwrap()
                .unwrap()
                .nickname,
            "second"
        );
    }
}
