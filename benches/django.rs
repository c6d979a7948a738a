//! Coming from Django (SPEC §12): how fast `import django` takes 100 000 accounts (no hash is
//! computed at import, so this is a storage figure, reported against writing the same accounts
//! straight through the store in the same run), and what the first log-in of an imported
//! PBKDF2 user costs (Django's 1 000 000 iterations, then the upgrade to argon2id) against a
//! native user's log-in.
//!
//! `cargo bench --bench django`; `LATCHKEY_BENCH_IMPORT` sets the number of accounts.

// Counts become f64 for figures; precision far beyond what this measures is not at stake.
#![allow(clippy::cast_precision_loss)]

mod support;

use std::num::NonZeroU32;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use latchkey::store::{RedbStore, Store, User};
use serde_json::{Value, json};
use support::{PASSWORD, call, median, post, start_configured};

const ITERATIONS: u32 = 1_000_000;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A Django `pbkdf2_sha256` hash of `password`, as `make_password` writes it.
fn pbkdf2(password: &str, salt: &str) -> String {
    let mut key = [0; 32];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(ITERATIONS).unwrap(),
        salt.as_bytes(),
        password.as_bytes(),
        &mut key,
    );
    format!("pbkdf2_sha256${ITERATIONS}${salt}${}", b64(&key))
}

fn dumpdata(rows: impl Iterator<Item = (usize, String, String)>) -> String {
    let objects: Vec<Value> = rows
        .map(|(pk, email, password)| {
            json!({"model": "auth.user", "pk": pk, "fields": {
                "password": password, "username": format!("user{pk}"), "email": email,
                "is_active": true, "date_joined": "2024-05-01T10:00:00Z",
                "first_name": "", "last_name": "",
            }})
        })
        .collect();
    serde_json::to_string(&objects).unwrap()
}

fn latchkey(dir: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["--config", "config.toml"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn config(dir: &Path) -> String {
    let config = format!(
        "[storage]\ndata_dir = \"{}\"\n[mail]\ntransport = \"file\"\n[rate_limits]\nlogin = \"off\"\n\
         failed_logins_per_email = \"off\"\n",
        dir.join("data").display()
    );
    std::fs::write(dir.join("config.toml"), &config).unwrap();
    config
}

/// Seconds to import `count` accounts with the CLI, and to write them through the store.
async fn import_throughput(count: usize) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path());
    // Format-valid hashes: import checks their shape and computes none.
    let hash = format!("pbkdf2_sha256${ITERATIONS}$salt${}", b64(&[7; 32]));
    let file = dir.path().join("users.json");
    std::fs::write(
        &file,
        dumpdata((1..=count).map(|i| (i, format!("user{i}@example.com"), hash.clone()))),
    )
    .unwrap();
    let started = Instant::now();
    latchkey(
        dir.path(),
        &["import", "django", file.to_str().unwrap()],
        "",
    );
    let import = started.elapsed().as_secs_f64();

    let floor_dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(RedbStore::open(&floor_dir.path().join("latchkey.redb")).unwrap());
    let users: Vec<User> = (1..=count)
        .map(|i| User {
            id: latchkey::random::id(),
            email: format!("user{i}@example.com"),
            nickname: format!("user{i}"),
            password_hash: hash.clone(),
            is_active: true,
            disabled: false,
            created_at: 1_714_557_600,
        })
        .collect();
    let started = Instant::now();
    store
        .write(move |tx, w| {
            for user in &users {
                if latchkey::rules::users::conflict(tx, user)?.is_none() {
                    w.put_user(user.clone());
                }
            }
            Ok(())
        })
        .await
        .unwrap();
    (import, started.elapsed().as_secs_f64())
}

async fn login_time(addr: std::net::SocketAddr, email: &str, password: &str) -> Duration {
    let started = Instant::now();
    let (status, body) = call(
        addr,
        post(
            "/api/accounts/login",
            &json!({"email": email, "password": password}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let count = std::env::var("LATCHKEY_BENCH_IMPORT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (import, floor) = import_throughput(count).await;
    println!(
        "import django: {count} accounts in {import:.2} s ({:.0}/s); the same accounts written \
         straight through the store: {floor:.2} s; ratio {:.2}x (process start, parsing and the \
         per-row checks)",
        count as f64 / import,
        import / floor
    );

    // First log-ins: five imported PBKDF2 users against five native ones, default argon2.
    let dir = tempfile::tempdir().unwrap();
    let text = config(dir.path());
    let rows: Vec<(usize, String, String)> = (1..=5)
        .map(|i| {
            (
                i,
                format!("django{i}@example.com"),
                pbkdf2(PASSWORD, &format!("salt{i}salt{i}")),
            )
        })
        .collect();
    let file = dir.path().join("five.json");
    std::fs::write(&file, dumpdata(rows.into_iter())).unwrap();
    latchkey(
        dir.path(),
        &["import", "django", file.to_str().unwrap()],
        "",
    );
    for i in 1..=5 {
        let email = format!("native{i}@example.com");
        latchkey(
            dir.path(),
            &["user", "create", &email, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        );
    }
    let server = start_configured(Path::new(env!("CARGO_BIN_EXE_latchkey")), dir.path(), &text);
    let mut native = Vec::new();
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for i in 1..=5 {
        native.push(login_time(server.addr, &format!("native{i}@example.com"), PASSWORD).await);
        first.push(login_time(server.addr, &format!("django{i}@example.com"), PASSWORD).await);
        second.push(login_time(server.addr, &format!("django{i}@example.com"), PASSWORD).await);
    }
    let (native, first, second) = (median(native), median(first), median(second));
    println!(
        "log-in: native {:.0} ms; imported PBKDF2 ({ITERATIONS} iterations) first {:.0} ms \
         ({:.2}x native: PBKDF2, then argon2id for the upgrade), second {:.0} ms ({:.2}x)",
        native.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        first.as_secs_f64() / native.as_secs_f64(),
        second.as_secs_f64() * 1e3,
        second.as_secs_f64() / native.as_secs_f64(),
    );
}
