//! The store at size: 1 000 000 accounts and 1 000 000 sessions (a third of them expired),
//! every figure taken in one run:
//!
//! - how long the fill takes and how large the file is;
//! - how long the release binary takes to start on it and how much memory it holds then;
//! - write latency of rotation-like writes (read a session for update, replace it) from 16
//!   concurrent writers, first alone and then while the sweeper deletes the expired third:
//!   no write may wait on the sweeper for more than 10 ms.
//!
//! `cargo bench --bench store`; `LATCHKEY_BENCH_ACCOUNTS` scales it (default 1 000 000).

// Counts and durations become f64 for rates and percentiles; precision far beyond what a load
// test measures is not at stake.
#![allow(clippy::cast_precision_loss, clippy::cast_sign_loss)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use latchkey::rules::sweep::{self, BATCH};
use latchkey::store::{RedbStore, RefreshState, Session, Store, User};
use support::{rss_mib, start};

/// Concurrent writers, as many as the HTTP bench's refresh load.
const WRITERS: usize = 16;
/// Records per fill transaction: large enough that the fill is not fsync-bound.
const FILL_CHUNK: usize = 5_000;
/// A third of the sessions have expired and are the sweeper's work.
const EXPIRED_EVERY: usize = 3;

fn accounts() -> usize {
    std::env::var("LATCHKEY_BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn user(i: usize, now: u64) -> User {
    User {
        id: format!("user{i:08}"),
        email: format!("user{i}@example.com"),
        nickname: format!("user {i}"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$2L0sOebmgoDW1Dlo3KJvSXvPwYTOWWxLK3cTDOKqbZM".to_owned(),
        is_active: true,
        disabled: false,
        created_at: now,
    }
}

fn session(i: usize, now: u64) -> Session {
    let expired = i.is_multiple_of(EXPIRED_EVERY);
    // Expired sessions ended a week ago; live ones end in a week. One in a hundred live ones
    // was logged out, so start-up has a revoked set to load.
    let exp = if expired { now - 60 } else { now + 7 * 86_400 };
    Session {
        id: format!("session{i:08}"),
        user_id: format!("user{i:08}"),
        created_at: now - 7 * 86_400,
        ip: "203.0.113.7".to_owned(),
        refresh: RefreshState {
            jti: format!("jti{i:08}"),
            iat: exp - 7 * 86_400,
            exp,
            kid: "bench".to_owned(),
            signature: None,
        },
        previous: None,
        revoked_at: (!expired && i.is_multiple_of(100)).then_some(now - 3600),
    }
}

async fn fill(store: &Arc<dyn Store>, n: usize, now: u64) {
    for start in (0..n).step_by(FILL_CHUNK) {
        let end = (start + FILL_CHUNK).min(n);
        store
            .write(move |_, w| {
                for i in start..end {
                    w.put_user(user(i, now));
                    w.put_session(session(i, now));
                }
                Ok(())
            })
            .await
            .unwrap();
    }
}

/// Replaces live sessions as rotation does until `stop`, returning each write's latency.
async fn rotate_load(
    store: Arc<dyn Store>,
    n: usize,
    writer: usize,
    stop: Arc<AtomicBool>,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut i = writer;
    while !stop.load(Ordering::Relaxed) {
        // Live sessions only: the sweeper must not be racing this writer for the same record.
        i = (i + WRITERS) % n;
        if i.is_multiple_of(EXPIRED_EVERY) {
            continue;
        }
        let sid = format!("session{i:08}");
        let started = Instant::now();
        store
            .write(move |tx, w| {
                if let Some(mut s) = tx.session(&sid)? {
                    s.refresh.iat += 1;
                    s.refresh.jti = format!("{}x", s.refresh.jti);
                    w.put_session(s);
                }
                Ok(())
            })
            .await
            .unwrap();
        latencies.push(started.elapsed());
    }
    latencies
}

/// What one phase measured.
struct Phase {
    /// Latency of every rotation-like write, sorted.
    writes: Vec<Duration>,
    /// Sessions the sweeper deleted.
    swept: usize,
    /// Longest sweep step: the most any write can have waited on the sweeper.
    longest_step: Duration,
    took: Duration,
}

/// Writes for `alone` (no sweeper), or while the sweeper empties the expired third.
async fn measure(
    store: &Arc<dyn Store>,
    n: usize,
    sweeping: bool,
    alone: Duration,
    now: u64,
) -> Phase {
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(rotate_load(store.clone(), n, w, stop.clone())))
        .collect();
    let started = Instant::now();
    let (mut swept, mut longest_step) = (0, Duration::ZERO);
    if sweeping {
        // The sweeper's own loop: a step, then a pause so waiting requests go first.
        loop {
            let step_started = Instant::now();
            let purged = store
                .write(move |tx, w| sweep::step(tx, w, now, (60, u64::MAX), BATCH))
                .await
                .unwrap();
            longest_step = longest_step.max(step_started.elapsed());
            swept += purged.sessions;
            if !purged.more(BATCH) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    } else {
        tokio::time::sleep(alone).await;
    }
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for w in writers {
        all.extend(w.await.unwrap());
    }
    all.sort();
    Phase {
        writes: all,
        swept,
        longest_step,
        took,
    }
}

fn line(name: &str, latencies: &[Duration], took: Duration) {
    let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
    println!(
        "{name:<28} {:>8.0} writes/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
        latencies.len() as f64 / took.as_secs_f64(),
        at(0.5),
        at(0.99),
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = accounts();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let file = dir.path().join("data/latchkey.redb");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let now = latchkey::clock::Clock::System.now();

    let started = Instant::now();
    runtime.block_on(async {
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&file).unwrap());
        fill(&store, n, now).await;
    });
    let filled_in = started.elapsed();
    let size = std::fs::metadata(&file).unwrap().len() as f64 / (1024.0 * 1024.0);
    println!(
        "fill                         {n} accounts + {n} sessions in {:.1} s ({:.0} records/s), file {size:.0} MiB",
        filled_in.as_secs_f64(),
        (2 * n) as f64 / filled_in.as_secs_f64()
    );

    let empty = tempfile::tempdir().unwrap();
    let floor = start(empty.path(), "");
    let floor_in = floor.started_in;
    let floor_rss = rss_mib(floor.child.id());
    drop(floor);
    let server = start(dir.path(), "");
    // Give start-up's background work (revoked set, code cache) a moment to settle in memory.
    std::thread::sleep(Duration::from_millis(500));
    println!(
        "start-up                     {:.0} ms, RSS {:.0} MiB (empty database: {:.0} ms, {:.0} MiB; {:.1}×)",
        server.started_in.as_secs_f64() * 1e3,
        rss_mib(server.child.id()),
        floor_in.as_secs_f64() * 1e3,
        floor_rss,
        server.started_in.as_secs_f64() / floor_in.as_secs_f64(),
    );
    drop(server);

    runtime.block_on(async {
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&file).unwrap());
        // Warm the cache first: the first reads of a reopened file come from the disk.
        let three = Duration::from_secs(3);
        measure(&store, n, false, three, now).await;
        let alone = measure(&store, n, false, three, now).await;
        line("rotate x16, no sweep", &alone.writes, alone.took);
        let during = measure(&store, n, true, three, now).await;
        line("rotate x16, while sweeping", &during.writes, during.took);
        // The same load for as long as the sweep took, without it: how often the disk alone
        // makes a write wait over 10 ms in that much time.
        let as_long = measure(&store, n, false, during.took, now).await;
        line(
            "rotate x16, as long, no sweep",
            &as_long.writes,
            as_long.took,
        );
        let max = |p: &Phase| p.writes.last().copied().unwrap_or_default().as_secs_f64() * 1e3;
        let over = |p: &Phase| p.writes.iter().filter(|d| d.as_millis() > 10).count();
        println!(
            "sweep                        {} expired sessions in {:.1} s; longest step {:.2} ms \
             (goal: at most 10 ms); longest write {:.2} ms, {:.2} ms without the sweeper for as \
             long; writes over 10 ms: {} of {} while sweeping, {} of {} without",
            during.swept,
            during.took.as_secs_f64(),
            during.longest_step.as_secs_f64() * 1e3,
            max(&during),
            max(&as_long),
            over(&during),
            during.writes.len(),
            over(&as_long),
            as_long.writes.len(),
        );
    });
}
