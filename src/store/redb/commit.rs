//! Group commit: one thread owns the write path. It takes every work waiting, runs them one
//! after another in a single write transaction, commits once (one `fsync` for the lot), and
//! only then answers each caller. A work that fails leaves no trace and fails nothing else; a
//! failed commit fails the whole batch, since none of it is durable.
//!
//! After a storage I/O error (a full disk) redb refuses every later operation until the
//! database is re-opened. This thread then closes it, and re-opens it and makes a probe write
//! every [`RETRY_EVERY`] until writes succeed again; meanwhile works are refused at once.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use redb::Database;
use tokio::sync::oneshot;

use super::tables::META;
use super::tx::{RedbTx, Tables, apply, validate};
use crate::clock::Clock;
use crate::store::{Changes, CommitStats, Error, Work};

/// Most works in one transaction: bounds how long the first of them waits for the commit.
const MAX_BATCH: usize = 256;
/// How often a failed database is re-opened and probed.
pub(super) const RETRY_EVERY: Duration = Duration::from_millis(500);
/// How long re-opening waits for reads still holding the old database handle.
const READERS_GRACE: Duration = Duration::from_secs(5);

/// What a caller gets back.
pub(super) type Answer = Result<Box<dyn Any + Send>, Error>;

/// A work and where its answer goes.
pub(super) struct Job {
    pub work: Box<Work>,
    pub reply: oneshot::Sender<Answer>,
}

/// Opens the database file (again).
pub(super) type Opener = dyn Fn() -> Result<Database, Error> + Send + Sync;

/// The state the write thread and the readers share.
pub(super) struct Shared {
    db: RwLock<Option<Arc<Database>>>,
    open: Box<Opener>,
    healthy: AtomicBool,
    commits: AtomicU64,
    writes: AtomicU64,
    clock: Clock,
}

impl Shared {
    /// Opens the database for the first time.
    pub fn open(open: Box<Opener>, clock: Clock) -> Result<Self, Error> {
        let db = open()?;
        Ok(Self {
            db: RwLock::new(Some(Arc::new(db))),
            open,
            healthy: AtomicBool::new(true),
            commits: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            clock,
        })
    }

    /// The open database, unless it is being re-opened.
    pub fn db(&self) -> Result<Arc<Database>, Error> {
        self.db
            .read()
            .map_err(|_| Error::Unavailable("the database lock is poisoned"))?
            .clone()
            .ok_or(Error::Unavailable(
                "re-opening the database after a storage error",
            ))
    }

    /// Whether the last write succeeded.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Acquire)
    }

    /// Commits and acknowledged writes so far.
    pub fn stats(&self) -> CommitStats {
        CommitStats {
            commits: self.commits.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    /// Notes a failure a reader or writer met: an I/O error poisons redb until a re-open.
    pub fn note(&self, error: &Error) {
        if error.is_io() && self.healthy.swap(false, Ordering::AcqRel) {
            tracing::error!(%error, "storage failed; writes are refused until the database re-opens");
        }
    }
}

/// The write thread's loop: runs until every sender is gone.
pub(super) fn run(shared: &Shared, jobs: &Receiver<Job>) {
    let mut last_attempt = Instant::now();
    loop {
        // Readers may notice a failure too, so an idle writer still looks now and then.
        let first = match jobs.recv_timeout(RETRY_EVERY) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                recover(shared, &mut last_attempt);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if !shared.healthy() {
            recover(shared, &mut last_attempt);
        }
        run_batch(shared, batch);
    }
}

fn run_batch(shared: &Shared, mut batch: Vec<Job>) {
    let outcome = shared
        .db()
        .and_then(|db| commit(&db, &mut batch, shared.clock.now_ms()));
    match outcome {
        Ok(answers) => {
            shared.commits.fetch_add(1, Ordering::Relaxed);
            let done = answers.iter().filter(|a| a.is_ok()).count() as u64;
            shared.writes.fetch_add(done, Ordering::Relaxed);
            for (job, answer) in batch.into_iter().zip(answers) {
                let _ = job.reply.send(answer);
            }
        }
        Err(error) => {
            shared.note(&error);
            for job in batch {
                let _ = job.reply.send(Err(error.clone()));
            }
        }
    }
}

/// Runs every work of the batch in one transaction and commits it.
fn commit(db: &Database, batch: &mut [Job], now_ms: u64) -> Result<Vec<Answer>, Error> {
    let txn = db.begin_write()?;
    let mut answers = Vec::with_capacity(batch.len());
    {
        let mut tables = Tables::open(&txn)?;
        for job in batch.iter_mut() {
            let mut changes = Changes::default();
            let work = &mut job.work;
            let answer = catch_unwind(AssertUnwindSafe(|| {
                work(&mut RedbTx { tables: &tables }, &mut changes)
            }))
            .unwrap_or(Err(Error::Constraint(
                "a write transaction's work panicked",
            )))
            .and_then(|answer| validate(&tables, &changes).map(|()| answer));
            match answer {
                Ok(answer) => {
                    apply(&mut tables, changes, now_ms)?;
                    answers.push(Ok(answer));
                }
                Err(error) if error.is_io() => return Err(error),
                Err(error) => answers.push(Err(error)),
            }
        }
    }
    txn.commit()?;
    Ok(answers)
}

/// Re-opens the database after a storage error and probes it with a write, at most once per
/// [`RETRY_EVERY`].
fn recover(shared: &Shared, last_attempt: &mut Instant) {
    if shared.healthy() || last_attempt.elapsed() < RETRY_EVERY {
        return;
    }
    *last_attempt = Instant::now();
    let old = shared.db.write().ok().and_then(|mut db| db.take());
    if let Some(old) = old {
        // redb refuses a second open of a file this process holds: wait for readers to let go.
        let deadline = Instant::now() + READERS_GRACE;
        while Arc::strong_count(&old) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        drop(old);
    }
    let reopened = (shared.open)().and_then(|db| probe(&db, shared.clock.now_ms()).map(|()| db));
    match reopened {
        Ok(db) => {
            if let Ok(mut slot) = shared.db.write() {
                *slot = Some(Arc::new(db));
                shared.healthy.store(true, Ordering::Release);
                tracing::info!("storage recovered: the database is open and takes writes again");
            }
        }
        Err(error) => tracing::debug!(%error, "storage still failing"),
    }
}

/// A small durable write: succeeds only if the database takes writes.
fn probe(db: &Database, now_ms: u64) -> Result<(), Error> {
    let txn = db.begin_write()?;
    txn.open_table(META)?
        .insert("probe", now_ms.to_be_bytes().as_slice())?;
    txn.commit()?;
    Ok(())
}
