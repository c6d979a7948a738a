//! What the load benches share: the release binary started on a temporary data directory, a
//! keep-alive load generator on hyper's client, and the accounts and data sets they need.

// Counts and durations become f64 for rates and percentiles; precision far beyond what a load
// test measures is not at stake. Each bench uses part of this module.
#![allow(clippy::cast_precision_loss, clippy::cast_sign_loss, dead_code)]

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

pub const PASSWORD: &str = "correct horse battery staple";
pub const CONNECTIONS: usize = 64;

/// A running server, killed on drop.
pub struct Server {
    pub addr: SocketAddr,
    pub child: Child,
    pub started_in: Duration,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(dir: &Path, extra: &str) -> Server {
    start_binary(Path::new(env!("CARGO_BIN_EXE_latchkey")), dir, extra)
}

/// Starts `binary` (this build's, or another one to compare with) on `dir`, rate limits off.
pub fn start_binary(binary: &Path, dir: &Path, extra: &str) -> Server {
    let config = format!(
        "[storage]\ndata_dir = \"{}\"\n[rate_limits]\nsignup = \"off\"\nlogin = \"off\"\nverify = \"off\"\n\
         resend = \"off\"\nreset = \"off\"\nfailed_logins_per_email = \"off\"\n[server]\nmax_connections = 4096\n{extra}",
        dir.join("data").display()
    );
    start_configured(binary, dir, &config)
}

/// Starts `binary` on `dir` with exactly this `config.toml`.
pub fn start_configured(binary: &Path, dir: &Path, config: &str) -> Server {
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let log = std::fs::File::create(dir.join("stderr.log")).unwrap();
    let started = Instant::now();
    let mut command = Command::new(binary);
    // The bench's own LATCHKEY_BENCH_* settings are not the server's: it refuses unknown ones.
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("LATCHKEY_")) {
        command.env_remove(name);
    }
    let mut child = command
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
        let Some(Ok(line)) = lines.next() else {
            let log = std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
            panic!("{} did not start:\n{log}", binary.display());
        };
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
pub struct Load {
    pub latencies: Vec<u32>,
    pub unexpected: usize,
    pub seconds: f64,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds
    }

    pub fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        f64::from(sorted.get(i).copied().unwrap_or(0)) / 1000.0
    }

    pub fn line(&self, name: &str) -> String {
        format!(
            "{name:<34} {:>10.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   unexpected {}",
            self.per_second(),
            self.percentile(0.50),
            self.percentile(0.99),
            self.unexpected
        )
    }
}

pub type MakeRequest = Arc<dyn Fn() -> Request<Full<Bytes>> + Send + Sync>;

pub async fn worker(
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

pub async fn load(
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
    gather(tasks, started).await
}

/// Waits for every worker of a load started at `started` and adds up what they measured.
async fn gather(tasks: Vec<tokio::task::JoinHandle<(Vec<u32>, usize)>>, started: Instant) -> Load {
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

pub fn get(path: &'static str, token: Option<Arc<str>>) -> MakeRequest {
    Arc::new(move || {
        let mut request = Request::get(path).header("host", "bench");
        if let Some(token) = &token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.body(Full::new(Bytes::new())).unwrap()
    })
}

pub fn post(path: &'static str, body: &Value) -> MakeRequest {
    let body = Bytes::from(serde_json::to_vec(body).unwrap());
    Arc::new(move || {
        Request::post(path)
            .header("host", "bench")
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .unwrap()
    })
}

pub async fn call(addr: SocketAddr, make: MakeRequest) -> (u16, Value) {
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
pub fn mailed_code(dir: &Path, email: &str) -> String {
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
pub async fn account(addr: SocketAddr, dir: &Path, email: &str) -> String {
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

pub fn default_passwords() -> Passwords {
    Passwords {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
        max_queue: 256,
    }
}

/// Median time of one argon2id hash with the default parameters, measured in-process.
pub async fn hash_time() -> Duration {
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
pub async fn seeded(dir: &Path, users: usize, codes: usize) {
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
    {
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
    }
}

pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// One connection chaining refresh tokens: each answer's refresh token is the next request's,
/// so no token is presented twice. Every `reads`-th step is a refresh and the others alternate
/// `token/verify` and `GET /me` with the chain's access token (`reads` = 0: refreshes only).
async fn chain_worker(
    addr: SocketAddr,
    pair: (String, String),
    reads: usize,
    until: Instant,
) -> (Vec<u32>, usize) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let (mut access, mut refresh) = pair;
    let (mut latencies, mut unexpected) = (Vec::new(), 0);
    let mut step = 0usize;
    while Instant::now() < until {
        step += 1;
        let request = if reads == 0 || step.is_multiple_of(reads + 1) {
            post(
                "/api/accounts/token/refresh",
                &json!({"refresh_token": refresh}),
            )()
        } else if step.is_multiple_of(2) {
            post("/api/accounts/token/verify", &json!({"token": access}))()
        } else {
            get("/api/accounts/me", Some(access.as_str().into()))()
        };
        let is_refresh = request.uri().path().ends_with("/refresh");
        let started = Instant::now();
        let Ok(response) = sender.send_request(request).await else {
            break;
        };
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
            .unwrap_or_default();
        latencies.push(started.elapsed().as_micros() as u32);
        if status != 200 {
            unexpected += 1;
            continue;
        }
        if is_refresh {
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if let (Some(a), Some(r)) = (
                body["access_token"].as_str(),
                body["refresh_token"].as_str(),
            ) {
                (access, refresh) = (a.to_owned(), r.to_owned());
            }
        }
    }
    (latencies, unexpected)
}

/// One connection per session in `pairs` (access, refresh), chaining refreshes for `secs`.
pub async fn chain_load(
    addr: SocketAddr,
    pairs: &[(String, String)],
    reads: usize,
    secs: f64,
) -> Load {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let tasks: Vec<_> = pairs
        .iter()
        .cloned()
        .map(|pair| tokio::spawn(chain_worker(addr, pair, reads, until)))
        .collect();
    gather(tasks, started).await
}

/// `n` log-ins of `email`: (access, refresh) of each new session.
pub async fn sessions(addr: SocketAddr, email: &str, n: usize) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for _ in 0..n {
        let (status, body) = call(
            addr,
            post(
                "/api/accounts/login",
                &json!({"email": email, "password": PASSWORD}),
            ),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        pairs.push((
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        ));
    }
    pairs
}

/// The value of metric `name` (no labels) from `/metrics`.
pub async fn metric(addr: SocketAddr, name: &str) -> f64 {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(get("/metrics", None)()).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&body);
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Resident memory of process `pid`, in MiB.
pub fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}
