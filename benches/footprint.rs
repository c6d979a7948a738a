//! Memory an operator can plan for (SPEC §9, the operations issue): resident memory of the
//! release binary idle, after 1 000 log-ins one at a time, and after a flood from 300 000
//! distinct client addresses, with the default argon2 cost (19 MiB) and with 8 MiB.
//!
//! Each hashing thread owns one argon2 memory block, so the expected ceiling is
//! `hashing threads × argon2_memory_kib` plus the idle base; the bench prints that formula's
//! figure beside each measurement. `LATCHKEY_BENCH_BASELINE=/path/to/latchkey` runs an older
//! binary the same way, for comparison.
//!
//! `cargo bench --bench footprint`; `LATCHKEY_BENCH_LOGINS` and `LATCHKEY_BENCH_FLOOD` scale it.

// Counts become f64 for figures; precision far beyond what this measures is not at stake.
#![allow(clippy::cast_precision_loss, clippy::cast_sign_loss)]

mod support;

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::json;
use support::{PASSWORD, account, call, post, rss_mib, start_configured};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Requests to `login` from a new address each time, through a trusted proxy, until `total`
/// addresses have been used: each one makes rate-limiter state for its address.
async fn flood(addr: std::net::SocketAddr, next: Arc<AtomicU32>, total: u32) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= total {
            return;
        }
        let request = Request::post("/api/accounts/login")
            .header("host", "bench")
            .header("content-type", "application/json")
            .header(
                "x-forwarded-for",
                Ipv4Addr::from(0x0A00_0000 + n).to_string(),
            )
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 400);
        let _ = response.into_body().collect().await;
    }
}

async fn measure(binary: &Path, name: &str, memory_kib: u32) {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[storage]\ndata_dir = \"{}\"\n[server]\ntrusted_proxies = [\"127.0.0.1\"]\n\
         max_connections = 4096\n[passwords]\nargon2_memory_kib = {memory_kib}\n\
         [rate_limits]\nlogin = \"100000/s\"\nsignup = \"off\"\nfailed_logins_per_email = \"off\"\n",
        dir.path().join("data").display()
    );
    let server = start_configured(binary, dir.path(), &config);
    let pid = server.child.id();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let idle = rss_mib(pid);
    account(server.addr, dir.path(), "footprint@example.com").await;
    let logins = setting("LATCHKEY_BENCH_LOGINS", 1_000);
    let login = post(
        "/api/accounts/login",
        &json!({"email": "footprint@example.com", "password": PASSWORD}),
    );
    for _ in 0..logins {
        let (status, _) = call(server.addr, login.clone()).await;
        assert_eq!(status, 200);
    }
    let after_logins = rss_mib(pid);
    let addresses = setting("LATCHKEY_BENCH_FLOOD", 300_000);
    let next = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..32)
        .map(|_| tokio::spawn(flood(server.addr, next.clone(), addresses as u32)))
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let after_flood = rss_mib(pid);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let formula = idle + (threads as f64 * f64::from(memory_kib) / 1024.0);
    println!(
        "{name:<10} argon2 {:>2} MiB: idle {idle:>5.1} MiB, after {logins} log-ins {after_logins:>5.1} MiB \
         (formula {threads} × {:.0} + idle = {formula:.1} MiB; {:.2}× of it), after {} addresses {after_flood:>5.1} MiB",
        memory_kib / 1024,
        f64::from(memory_kib) / 1024.0,
        after_logins / formula,
        addresses,
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ours = Path::new(env!("CARGO_BIN_EXE_latchkey")).to_owned();
    let baseline = std::env::var_os("LATCHKEY_BENCH_BASELINE").map(std::path::PathBuf::from);
    runtime.block_on(async {
        for memory_kib in [19_456, 8_192] {
            measure(&ours, "this build", memory_kib).await;
            if let Some(old) = &baseline {
                measure(old, "baseline", memory_kib).await;
            }
        }
    });
}
