//! What only the redb backend has: its file format (migration from version 1, bad bytes), and
//! re-opening itself after a storage failure. The behaviour every backend shares is held by the
//! conformance suite in `tests/it/conformance`.

use std::io;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redb::{Database, ReadableDatabase as _};

use super::codec::encode;
use super::migrate::v1;
use super::tables::{CODES, KEYS, META, OUTBOX, REVOKED, SENDS, SESSIONS, USERS, code_key};
use super::*;
use crate::store::{MailState, NewMail, OutboxMail, PendingCode, Purpose};

/// A file-backed redb backend that fails every write with "no space left" while `full`.
#[derive(Debug)]
struct Disk {
    file: Mutex<std::fs::File>,
    full: Arc<AtomicBool>,
}

impl Disk {
    fn check(&self) -> io::Result<()> {
        if self.full.load(Ordering::SeqCst) {
            return Err(io::Error::from(io::ErrorKind::StorageFull));
        }
        Ok(())
    }
}

impl redb::StorageBackend for Disk {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.lock().unwrap().metadata()?.len())
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.file.lock().unwrap().read_exact_at(out, offset)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let file = self.file.lock().unwrap();
        if len > file.metadata()?.len() {
            self.check()?;
        }
        file.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.check()?;
        self.file.lock().unwrap().sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.check()?;
        self.file.lock().unwrap().write_all_at(data, offset)
    }
}

fn open_on_disk(path: &Path, full: &Arc<AtomicBool>) -> Result<Database, Error> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Error::Io {
            what: "opening the test file",
            source: Arc::new(e),
        })?;
    let disk = Disk {
        file: Mutex::new(file),
        full: full.clone(),
    };
    let db = redb::Builder::new().create_with_backend(disk)?;
    RedbStore::prepare(&db)?;
    Ok(db)
}

fn queue_one(
    to: &str,
) -> impl FnMut(&mut dyn crate::store::Tx, &mut crate::store::Changes) -> Result<(), Error>
+ Send
+ 'static {
    let mail = NewMail {
        to: to.to_owned(),
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
        message_id: format!("<{to}>"),
        user_id: None,
    };
    move |_, w| {
        w.enqueue(mail.clone(), 0);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_full_disk_the_store_refuses_writes_reports_it_and_recovers_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("latchkey.redb");
    let full = Arc::new(AtomicBool::new(false));
    let opener = {
        let (path, full) = (path.clone(), full.clone());
        Box::new(move || open_on_disk(&path, &full))
    };
    let store: Arc<dyn Store> = Arc::new(RedbStore::open_with(opener).unwrap());
    store.write(queue_one("before@example.com")).await.unwrap();
    assert!(store.health().await.is_ok());

    full.store(true, Ordering::SeqCst);
    let refused = store
        .write(queue_one("during@example.com"))
        .await
        .unwrap_err();
    assert!(refused.is_io(), "{refused}");
    assert!(
        store.health().await.is_err(),
        "health reports failing writes"
    );
    for _ in 0..3 {
        assert!(store.write(queue_one("during@example.com")).await.is_err());
        tokio::time::sleep(commit::RETRY_EVERY).await;
    }
    assert!(
        store.health().await.is_err(),
        "still failing while the disk is full"
    );

    full.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.health().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the store did not recover by itself"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    store.write(queue_one("after@example.com")).await.unwrap();
    assert_eq!(
        store.outbox_depth().await.unwrap(),
        2,
        "what was acknowledged is there, what was refused is not"
    );
}

#[tokio::test]
async fn short_meta_values_are_corrupt_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latchkey.redb");
    drop(RedbStore::open(&path).unwrap());
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("outbox_seq", [1u8, 2].as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(&path).unwrap());
    let err = store.write(queue_one("a@example.com")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { table: "meta", key, .. } if key.contains("outbox_seq")),
        "{err}"
    );
    assert!(
        store.health().await.is_ok(),
        "bad bytes are not a storage failure"
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latchkey.redb");
    drop(RedbStore::open(&path).unwrap());
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("schema_version", 99u64.to_be_bytes().as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let err = RedbStore::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            Error::SchemaTooNew {
                found: 99,
                supported: SCHEMA_VERSION
            }
        ),
        "{err}"
    );
}

/// Writes a database as version 1 of latchkey left it.
fn version_one(path: &Path) {
    let db = Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut meta = txn.open_table(META).unwrap();
        meta.insert("schema_version", 1u64.to_be_bytes().as_slice())
            .unwrap();
        meta.insert("code_key", [7u8; 32].as_slice()).unwrap();
        let user = v1::User {
            id: "u1".into(),
            email: "a@example.com".into(),
            nickname: "Ada".into(),
            password_hash: "$argon2id$x".into(),
            is_active: true,
            created_at: 5,
        };
        txn.open_table(USERS)
            .unwrap()
            .insert("u1", encode(&user).as_slice())
            .unwrap();
        let session = v1::Session {
            id: "s1".into(),
            user_id: "u1".into(),
            created_at: 5,
            refresh: v1::RefreshState {
                jti: "r1".into(),
                iat: 5,
                exp: 9_000,
                kid: "k1".into(),
            },
            previous: Some(v1::Rotated {
                jti: "r0".into(),
                at_ms: 4_000,
            }),
            revoked_at: None,
        };
        let mut sessions = txn.open_table(SESSIONS).unwrap();
        sessions.insert("s1", encode(&session).as_slice()).unwrap();
        // An ended session of a deleted account: version 1 kept only its revocation.
        txn.open_table(REVOKED)
            .unwrap()
            .insert("gone", 8_000u64)
            .unwrap();
        let key = v1::StoredKey {
            kid: "k1".into(),
            secret: vec![1; 32],
            created_at: 3,
            retired_at: None,
        };
        txn.open_table(KEYS)
            .unwrap()
            .insert("k1", encode(&key).as_slice())
            .unwrap();
        let code = PendingCode {
            purpose: Purpose::Reset,
            email: "a@example.com".into(),
            user_id: "u1".into(),
            target: None,
            code_mac: [2; 32],
            link_mac: None,
            issued_at: 10,
            expires_at: 3_610,
            attempts: 1,
        };
        let key = code_key(Purpose::Reset, "a@example.com");
        txn.open_table(CODES)
            .unwrap()
            .insert(key.as_str(), encode(&code).as_slice())
            .unwrap();
        txn.open_table(SENDS)
            .unwrap()
            .insert(key.as_str(), 10u64)
            .unwrap();
        let mail = OutboxMail {
            id: 1,
            mail: NewMail {
                to: "a@example.com".into(),
                subject: "s".into(),
                text: "t".into(),
                html: "h".into(),
                message_id: "<m>".into(),
                user_id: Some("u1".into()),
            },
            queued_at: 10,
            attempts: 0,
            next_attempt_ms: 10_000,
            state: MailState::Queued,
            last_error: None,
        };
        txn.open_table(OUTBOX)
            .unwrap()
            .insert(1u64, encode(&mail).as_slice())
            .unwrap();
    }
    txn.commit().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_one_database_is_migrated_with_its_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latchkey.redb");
    version_one(&path);
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(&path).unwrap());
    let user = store.user("u1").await.unwrap().unwrap();
    assert!(user.is_active && !user.disabled);
    let session = store.session("s1").await.unwrap().unwrap();
    assert_eq!(session.previous.unwrap().jti, "r0");
    assert_eq!(session.refresh.signature, None);
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(
        (keys[0].algorithm.as_str(), keys[0].signs_from),
        ("HS256", 3)
    );
    assert_eq!(store.code_key().await.unwrap(), [7; 32]);
    assert_eq!(
        store.revoked_sessions(0).await.unwrap(),
        [Revocation {
            sid: "gone".into(),
            refresh_exp: 8_000
        }]
    );
    // The indexes work: the sweeper finds the code, the send and both sessions by expiry; the
    // deletion finds the account's mail.
    let purged = store
        .write(|tx, w| crate::rules::sweep::step(tx, w, 9_000, (60, u64::MAX), 10))
        .await
        .unwrap();
    assert_eq!((purged.codes, purged.sends, purged.sessions), (1, 1, 2));
    let deleted = store
        .write(|tx, w| crate::rules::users::delete(tx, w, ("u1", "$argon2id$x"), 9_000))
        .await
        .unwrap();
    assert!(deleted.is_some());
    assert_eq!(
        store.outbox_depth().await.unwrap(),
        0,
        "the account's mail went with it"
    );
    drop(store);
    let db = Database::open(&path).unwrap();
    let version = db
        .begin_read()
        .unwrap()
        .open_table(META)
        .unwrap()
        .get("schema_version")
        .unwrap()
        .unwrap()
        .value()
        .to_vec();
    assert_eq!(version, SCHEMA_VERSION.to_be_bytes());
}
