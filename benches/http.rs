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

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use latchkey::codes::Codes;
use latchkey::config::Passwords;
use latchkey::input::Password;
use latchkey::password::Hasher;
use latchkey::store::{Purpose, RedbStore, Store, User};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
const CONNECTIONS: usize = 64;

/// A running server, killed on drop.
struct Server {
    addr: SocketAddr,
    child: Child,
    started_in: Duration,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, extra: &str) -> Server {
    let config = format!(
        "[storage]\ndata_dir = \"{}\"\n[rate_limits]\nsignup = \"off\"\nlogin = \"off\"\nverify = \"off\"\n\
         resend = \"off\"\nreset = \"off\"\nfailed_logins_per_email = \"off\"\n[server]\nmax_connections = 4096\n{extra}",
        dir.join("data").display()
    );
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let log = std::fs::File::create(dir.join("stderr.log")).unwrap();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args([
            "--config",
            "config.toml",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server printed where it listens")
            .unwrap();
        if let Some(addr) = line.strip_prefix("listening on http://") {
            break addr.parse().unwrap();
        }
    };
    let started_in = started.elapsed();
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        addr,
        child,
        started_in,
    }
}

/// Latencies of one load, in microseconds, and how many answers were not the expected status.
struct Load {
    latencies: Vec<u32>,
    unexpected: usize,
    seconds: f64,
}

impl Load {
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        f64::from(sorted.get(i).copied().unwrap_or(0)) / 1000.0
    }

    fn line(&self, name: &str) -> String {
        format!(
            "{name:<34} {:>10.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   unexpected {}",
            self.per_second(),
            self.percentile(0.50),
            self.percentile(0.99),
            self.unexpected
        )
    }
}

type MakeRequest = Arc<dyn Fn() -> Request<Full<Bytes>> + Send + Sync>;

async fn worker(
    addr: SocketAddr,
    make: MakeRequest,
    expect: u16,
    until: Instant,
) -> (Vec<u32>, usize) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let (mut latencies, mut unexpected) = (Vec::new(), 0);
    while Instant::now() < until {
        let started = Instant::now();
        let Ok(response) = sender.send_request(make()).await else {
            break;
        };
        let status = response.status().as_u16();
        let _ = response.into_body().collect().await;
        latencies.push(started.elapsed().as_micros() as u32);
        unexpected += usize::from(status != expect);
    }
    (latencies, unexpected)
}

async fn load(
    addr: SocketAddr,
    connections: usize,
    secs: f64,
    expect: u16,
    make: MakeRequest,
) -> Load {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(worker(addr, make.clone(), expect, until)))
        .collect();
    let mut all = Load {
        latencies: Vec::new(),
        unexpected: 0,
        seconds: 0.0,
    };
    for task in tasks {
        let (latencies, unexpected) = task.await.unwrap();
        all.latencies.extend(latencies);
        all.unexpected += unexpected;
    }
    all.seconds = started.elapsed().as_secs_f64();
    all
}

fn get(path: &'static str, token: Option<Arc<str>>) -> MakeRequest {
    Arc::new(move || {
        let mut request = Request::get(path).header("host", "bench");
        if let Some(token) = &token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.body(Full::new(Bytes::new())).unwrap()
    })
}

fn post(path: &'static str, body: &Value) -> MakeRequest {
    let body = Bytes::from(serde_json::to_vec(body).unwrap());
    Arc::new(move || {
        Request::post(path)
            .header("host", "bench")
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .unwrap()
    })
}

async fn call(addr: SocketAddr, make: MakeRequest) -> (u16, Value) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(make()).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// The code in the newest `.eml` the file transport wrote for `email`.
fn mailed_code(dir: &Path, email: &str) -> String {
    for _ in 0..200 {
        let mail_dir = dir.join("data/mail");
        for entry in std::fs::read_dir(&mail_dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let code = text.lines().find_map(|l| l.strip_prefix("Code: "));
            if let Some(code) = code.filter(|_| text.contains(&format!("To: {email}"))) {
                return code.trim().to_owned();
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no mail for {email}");
}

/// Signs up, verifies and logs in `email`; returns the access token.
async fn account(addr: SocketAddr, dir: &Path, email: &str) -> String {
    let (status, _) = call(
        addr,
        post(
            "/api/accounts/signup",
            &json!({"email": email, "password": PASSWORD, "nickname": email}),
        ),
    )
    .await;
    assert_eq!(status, 201);
    let code = mailed_code(dir, email);
    let (status, _) = call(
        addr,
        post(
            "/api/accounts/verify-email",
            &json!({"email": email, "code": code}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        addr,
        post(
            "/api/accounts/login",
            &json!({"email": email, "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    body["access_token"].as_str().unwrap().to_owned()
}

fn default_passwords() -> Passwords {
    Passwords {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
        max_queue: 256,
    }
}

/// Median time of one argon2id hash with the default parameters, measured in-process.
async fn hash_time() -> Duration {
    let hasher = Hasher::build(&default_passwords(), 1).unwrap();
    let started = Instant::now();
    for _ in 0..10 {
        hasher
            .hash(Password::parse(PASSWORD).unwrap())
            .await
            .unwrap();
    }
    started.elapsed() / 10
}

/// A data directory holding `users` accounts and `codes` pending codes.
fn seeded(dir: &Path, users: usize, codes: usize) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(&dir.join("data/latchkey.redb")).unwrap());
    let now = latchkey::clock::Clock::System.now();
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$2L0sOebmgoDW1Dlo3KJvSXvPwYTOWWxLK3cTDOKqbZM";
    let accounts: Vec<User> = (0..users)
        .map(|i| User {
            id: format!("user{i:08}"),
            email: format!("user{i}@example.com"),
            nickname: format!("user {i}"),
            password_hash: hash.to_owned(),
            is_active: i >= codes,
            disabled: false,
            created_at: now,
        })
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let issuer = Codes::new(&store.code_key().await.unwrap(), Duration::from_secs(3600));
        for (n, chunk) in accounts.chunks(10_000).enumerate() {
            let chunk = chunk.to_vec();
            let pending: Vec<_> = chunk
                .iter()
                .take(codes.saturating_sub(n * 10_000))
                .map(|u| issuer.issue(Purpose::Signup, &u.email, &u.id, now).pending)
                .collect();
            store
                .write(move |_, w| {
                    for user in &chunk {
                        w.put_user(user.clone());
                    }
                    for code in &pending {
                        w.put_code(code.clone());
                    }
                    Ok(())
                })
                .await
                .unwrap();
        }
    });
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
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
        seeded(big.path(), 100_000, 10_000);
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
