//! [`App`]: the state every request shares, built once at start-up: configuration, the store,
//! the key ring, the caches, the password hasher, the mailer and the metrics.

use std::sync::Arc;

use lettre::message::Mailbox;

use crate::clock::Clock;
use crate::codes::Codes;
use crate::config::Config;
use crate::jwt::{TokenType, Validation};
use crate::keys::Keys;
use crate::limits::Limits;
use crate::mail::{Mailer, Outbox, Transport};
use crate::metrics::Metrics;
use crate::password::{self, Hasher};
use crate::revoked::Revoked;
use crate::store::{self, Changes, RedbStore, Store, Tx};
use crate::users::Users;

/// The database file inside the data directory.
pub const DB_FILE: &str = "latchkey.redb";

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory could not be created.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error("{0}")]
    Store(#[from] store::Error),
    /// A signing key is unusable.
    #[error("signing key: {0}")]
    Keys(String),
    /// Mail could not be set up.
    #[error("mail: {0}")]
    Mail(String),
    /// Password hashing could not be set up.
    #[error("{0}")]
    Password(#[from] password::Error),
}

/// The token rules for each use.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Access tokens only.
    pub access: Validation,
    /// Refresh tokens only.
    pub refresh: Validation,
    /// Either (for `token/verify`, which reports the type).
    pub any: Validation,
}

/// Shared state.
#[derive(Debug)]
pub struct App {
    /// The validated configuration.
    pub config: Config,
    /// Durable state.
    pub store: Arc<dyn Store>,
    /// Signing and verifying keys.
    pub keys: Keys,
    /// Token validation rules.
    pub rules: Rules,
    /// Pending codes.
    pub codes: Codes,
    /// Password hashing.
    pub hasher: Hasher,
    /// Mail rendering.
    pub mailer: Arc<Mailer>,
    /// Mail sending.
    pub outbox: Arc<Outbox>,
    /// Ended sessions.
    pub revoked: Revoked,
    /// Accounts by id, for the request path.
    pub users: Users,
    /// Rate limits.
    pub limits: Limits,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Wall-clock time.
    pub clock: Clock,
}

impl App {
    /// Opens everything the configuration names: the database, the caches it refills, the
    /// password hasher (which computes one hash), the mail transport. Call it before serving.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let clock = Clock::System;
        let now = clock.now();
        let (store, hasher, transport) = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || open_blocking(&config))
                .await
                .map_err(|e| StartError::Mail(format!("start-up task: {e}")))??
        };
        let keys = Keys::load(&config, store.as_ref(), now)
            .await
            .map_err(|e| StartError::Keys(e.to_string()))?;
        let codes = Codes::new(&store.code_key().await?, config.codes.ttl);
        let live = codes.load(store.pending_codes().await?, now);
        tracing::info!(pending_codes = live, "codes loaded");
        let revoked = Revoked::default();
        revoked.add(store.revoked_sessions(now).await?);
        let mailer = Arc::new(Mailer::build(&config).map_err(|e| StartError::Mail(e.to_string()))?);
        let from: Mailbox = config
            .mail
            .from
            .parse()
            .map_err(|e| StartError::Mail(format!("mail.from: {e}")))?;
        let metrics = Arc::new(Metrics::default());
        let outbox = Arc::new(Outbox::new(
            store.clone(),
            transport,
            from,
            config.mail.smtp.timeout,
            metrics.clone(),
            clock.clone(),
        ));
        let rules = rules(&config, &clock);
        let limits = Limits::new(&config.rate_limits);
        Ok(Self {
            config,
            store,
            keys,
            rules,
            codes,
            hasher,
            mailer,
            outbox,
            revoked,
            users: Users::default(),
            limits,
            metrics,
            clock,
        })
    }

    /// Runs `work` in a write transaction (see [`crate::store`]) and returns its answer once
    /// its changes are durable; the accounts it wrote leave the cache.
    pub async fn write<R, F>(&self, mut work: F) -> Result<R, store::Error>
    where
        R: Send + 'static,
        F: FnMut(&mut dyn Tx, &mut Changes) -> Result<R, store::Error> + Send + 'static,
    {
        let touched = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = touched.clone();
        let answer = self
            .store
            .write(move |tx, w| {
                let answer = work(tx, w);
                if let Ok(mut seen) = seen.lock() {
                    // A retried work replaces what its earlier attempt wrote.
                    *seen = crate::users::touched(w);
                }
                answer
            })
            .await;
        if let Ok(touched) = touched.lock() {
            self.users.invalidate(&touched);
        }
        answer
    }

    /// The account with this id, from the cache or the store.
    pub async fn user(&self, id: &str) -> Result<Option<store::User>, store::Error> {
        self.users.get(self.store.as_ref(), id).await
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Milliseconds since the Unix epoch.
    #[must_use]
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }
}

/// The start-up steps that block: creating the data directory, opening the database, the
/// hashing threads' first hash, the mail spool directory.
fn open_blocking(config: &Config) -> Result<(Arc<dyn Store>, Hasher, Transport), StartError> {
    // Owner-only from the start: the database holds password hashes and signing keys.
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&config.data_dir)
        .map_err(|source| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(&config.data_dir.join(DB_FILE))?);
    let cpu_count = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let hasher = Hasher::build(&config.passwords, cpu_count)?;
    let transport = Transport::build(&config.mail, &config.data_dir).map_err(StartError::Mail)?;
    Ok((store, hasher, transport))
}

fn rules(config: &Config, clock: &Clock) -> Rules {
    let base = Validation {
        issuer: config.tokens.issuer.clone(),
        audience: config.tokens.audience.clone(),
        leeway: config.tokens.leeway.as_secs(),
        token_type: Some(TokenType::Access),
        clock: clock.clone(),
    };
    Rules {
        refresh: base.for_type(TokenType::Refresh),
        any: Validation {
            token_type: None,
            ..base.clone()
        },
        access: base,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Flags, encode_secret};

    fn config(secret: Option<&str>) -> Config {
        let env = secret.map(|s| ("LATCHKEY_TOKENS__SECRET".to_owned(), s.to_owned()));
        let file = "[tokens]\nrefresh_ttl = \"100s\"\naccess_ttl = \"10s\"\n";
        Config::from_sources(Some((Path::new("t.toml"), file)), env, &Flags::default()).unwrap()
    }

    async fn ring(config: &Config, store: &dyn Store, now: u64) -> Arc<crate::keys::KeySet> {
        Keys::load(config, store, now).await.unwrap().current()
    }

    #[tokio::test]
    async fn a_configured_secret_retires_the_database_keys_for_good() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&dir.path().join("db")).unwrap());
        let store = store.as_ref();
        let first = ring(&config(None), store, 1000).await;
        let db_kid = first.signer(1000).kid().to_owned();
        let secret = encode_secret(&[9; 32]);
        let with_secret = ring(&config(Some(&secret)), store, 2000).await;
        assert_ne!(with_secret.signer(2000).kid(), db_kid);
        assert!(
            with_secret.get(&db_kid).is_some(),
            "still verifies what it signed"
        );
        // Restarts do not push the retirement forward: 100 s after the first one it is gone.
        let later = ring(&config(Some(&secret)), store, 2050).await;
        assert!(later.get(&db_kid).is_some());
        let expired = ring(&config(Some(&secret)), store, 2101).await;
        assert!(expired.get(&db_kid).is_none());
    }

    #[tokio::test]
    async fn changing_the_algorithm_makes_a_key_of_that_kind_and_keeps_the_old_one_verifying() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&dir.path().join("db")).unwrap());
        let store = store.as_ref();
        let hs = ring(&config(None), store, 1000).await;
        let hs_kid = hs.signer(1000).kid().to_owned();
        assert_eq!(hs.signer(1000).algorithm(), crate::jwt::Algorithm::Hs256);
        let mut eddsa = config(None);
        eddsa.tokens.algorithm = crate::jwt::Algorithm::EdDsa;
        let ed = ring(&eddsa, store, 2000).await;
        assert_eq!(ed.signer(2000).algorithm(), crate::jwt::Algorithm::EdDsa);
        assert!(
            ed.get(&hs_kid).is_some(),
            "the HS256 key verifies its tokens"
        );
        assert_eq!(
            ed.published(2000).len(),
            1,
            "only the public key is published"
        );
        // A restart keeps the same key; after one refresh lifetime the HS256 key is gone.
        let again = ring(&eddsa, store, 2050).await;
        assert_eq!(again.signer(2050).kid(), ed.signer(2000).kid());
        assert!(ring(&eddsa, store, 2101).await.get(&hs_kid).is_none());
    }
}
