//! The HTTP paths under load, against the release binary, every figure taken in one run so
//! the ratios hold on whatever machine runs it:
//!
//! - requests/s and latency percentiles at 64 connections for `GET /healthz` (the floor: the
//!   server and the client with no auth work), `POST /token/verify` and `GET /me`;
//! - log-ins/s against the argon2 ceiling (cores ÷ one hash with the default parameters);
//! - `token/verify` latency alone and while a second load saturates `login` (the hashing
//!   queue must keep cheap requests cheap);
//! - start-up time with 100 000 accounts and 10 000 pending codes, against an empty database.
//!
//! `cargo bench --bench http`; `LATCHKEY_BENCH_SECS` sets the length of each load (default 5).

// Counts and durations become f64 for rates and percentiles; precision far beyond what a load
// test measures is not at stake.
#![allow(clippy::cast_precision_loss, clippy::cast_sign_loss)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{
    CONNECTIONS, PASSWORD, account, chain_load, get, hash_time, load, median, metric, post, seeded,
    sessions, start, start_binary,
};

/// The refresh load against another build of latchkey (`LATCHKEY_BENCH_BASELINE`), in the
/// same run, so "times today's" is a ratio measured side by side.
async fn compare(binary: &std::path::Path, secs: f64, verify_now: f64) {
    let dir = tempfile::tempdir().unwrap();
    let server = start_binary(binary, dir.path(), "");
    let addr = server.addr;
    let token: Arc<str> = account(addr, dir.path(), "bench@example.com").await.into();
    let verify = load(
        addr,
        CONNECTIONS,
        secs,
        200,
        post("/api/accounts/token/verify", &json!({"token": &*token})),
    )
    .await;
    println!("{}", verify.line("baseline: token/verify"));
    for connections in [16, CONNECTIONS] {
        let chains = sessions(addr, "bench@example.com", connections).await;
        let refresh = chain_load(addr, &chains, 0, secs).await;
        println!(
            "{}   {:.3}x its verify",
            refresh.line(&format!("baseline: token/refresh x{connections}")),
            refresh.per_second() / verify.per_second()
        );
    }
    println!("(this build's token/verify in the same run: {verify_now:.0} req/s)\n");
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (a filter) that does not name us skips.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !args.is_empty() && !args.iter().any(|a| "http".contains(a.as_str())) {
        return;
    }
    let secs: f64 = std::env::var("LATCHKEY_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!("http: {cores} cores, {CONNECTIONS} connections, {secs} s per load, release binary\n");
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), "");
        let addr = server.addr;
        let token: Arc<str> = account(addr, dir.path(), "bench@example.com").await.into();

        let floor = load(addr, CONNECTIONS, secs, 200, get("/healthz", None)).await;
        let verify = load(addr, CONNECTIONS, secs, 200, post("/api/accounts/token/verify", &json!({"token": &*token}))).await;
        let me = load(addr, CONNECTIONS, secs, 200, get("/api/accounts/me", Some(token.clone()))).await;
        println!("{}", floor.line("GET /healthz (floor)"));
        println!("{}   {:.2}x floor", verify.line("POST /api/accounts/token/verify"), floor.per_second() / verify.per_second());
        println!("{}   {:.2}x floor\n", me.line("GET /api/accounts/me"), floor.per_second() / me.per_second());

        for connections in [16, CONNECTIONS] {
            let chains = sessions(addr, "bench@example.com", connections).await;
            let (commits, writes) = (metric(addr, "latchkey_store_commits_total").await, metric(addr, "latchkey_store_writes_total").await);
            let refresh = chain_load(addr, &chains, 0, secs).await;
            let commits = metric(addr, "latchkey_store_commits_total").await - commits;
            let writes = metric(addr, "latchkey_store_writes_total").await - writes;
            println!(
                "{}   {:.3}x verify; {:.1} writes per fsync",
                refresh.line(&format!("POST token/refresh x{connections} (chained)")),
                refresh.per_second() / verify.per_second(),
                writes / commits.max(1.0)
            );
        }
        let chains = sessions(addr, "bench@example.com", CONNECTIONS).await;
        let mixed = chain_load(addr, &chains, 9, secs).await;
        println!("{}   (1 refresh : 9 reads)\n", mixed.line(&format!("mixed x{CONNECTIONS}")));
        if let Ok(baseline) = std::env::var("LATCHKEY_BENCH_BASELINE") {
            compare(std::path::Path::new(&baseline), secs, verify.per_second()).await;
        }

        let one_hash = hash_time().await;
        let login = post("/api/accounts/login", &json!({"email": "bench@example.com", "password": PASSWORD}));
        // One log-in at a time through the server: the time of one hash, as the server pays it.
        let single = load(addr, 1, secs, 200, login.clone()).await;
        let one_login = single.percentile(0.5) / 1000.0;
        let ceiling = cores as f64 / one_login;
        let logins = load(addr, cores * 4, secs, 200, login.clone()).await;
        println!(
            "argon2id m=19456 t=2 p=1: {:.1} ms per hash in-process; {:.1} ms per log-in one at a time",
            one_hash.as_secs_f64() * 1000.0,
            one_login * 1000.0
        );
        println!("ceiling: {cores} cores / {:.1} ms = {ceiling:.1} logins/s", one_login * 1000.0);
        println!(
            "{}   {:.0}% of the ceiling\n",
            logins.line(&format!("POST /api/accounts/login x{}", cores * 4)),
            100.0 * logins.per_second() / ceiling
        );

        let alone = load(addr, CONNECTIONS, secs, 200, post("/api/accounts/token/verify", &json!({"token": &*token}))).await;
        let storm = tokio::spawn(load(addr, CONNECTIONS, secs + 1.0, 200, login));
        tokio::time::sleep(Duration::from_millis(500)).await;
        let during = load(addr, CONNECTIONS, secs, 200, post("/api/accounts/token/verify", &json!({"token": &*token}))).await;
        let storm = storm.await.unwrap();
        println!("{}", alone.line("token/verify alone"));
        println!("{}", during.line("token/verify while logins saturate"));
        println!(
            "{}   (non-200: 503 once the hashing queue is full)",
            storm.line("  the login storm itself")
        );
        println!("p99 ratio during/alone: {:.2}\n", during.percentile(0.99) / alone.percentile(0.99).max(0.001));
        drop(server);

        let mut empty = Vec::new();
        let mut full = Vec::new();
        for _ in 0..3 {
            let fresh = tempfile::tempdir().unwrap();
            empty.push(start(fresh.path(), "").started_in);
        }
        let big = tempfile::tempdir().unwrap();
        let seeding = Instant::now();
        seeded(big.path(), 100_000, 10_000).await;
        let seed_time = seeding.elapsed();
        for _ in 0..3 {
            full.push(start(big.path(), "").started_in);
        }
        let (empty, full) = (median(empty), median(full));
        println!("start-up, empty database:              {:>7.1} ms (median of 3)", empty.as_secs_f64() * 1000.0);
        println!(
            "start-up, 100 000 users + 10 000 codes: {:>7.1} ms (median of 3), {:.2}x empty; seeding took {:.1} s",
            full.as_secs_f64() * 1000.0,
            full.as_secs_f64() / empty.as_secs_f64(),
            seed_time.as_secs_f64()
        );
    });
}
