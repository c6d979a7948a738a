//! A full disk, as an operator meets it: the data directory on an 8 MiB tmpfs, filled up, then
//! freed. Writes answer `503`, `/healthz` answers `503` while they fail, the background workers
//! do not flood the log, and once space is back everything works again without a restart.
//!
//! Mounting needs root (CI runs as root). Elsewhere the test says so and stops; the same
//! recovery is covered on every machine by the fault-injecting backend test in
//! `src/store/redb/tests.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{PASSWORD, TestServer};

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        mounted.then(|| Self(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes zeros into `path` until the file system is full.
fn fill(path: &Path) {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
}

fn signup(server: &TestServer, n: usize) -> crate::client::Reply {
    let body = json!({
        "email": format!("u{n}@example.com"),
        "password": PASSWORD,
        "nickname": format!("user {n}"),
    });
    server.post_json("/api/accounts/signup", &body)
}

#[test]
fn a_full_disk_answers_503_and_recovers_by_itself_once_space_is_freed() {
    let root = tempfile::tempdir().unwrap();
    let Some(tmpfs) = Tmpfs::mount(&root.path().join("disk"), "8m") else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs this as root)");
        return;
    };
    let data = tmpfs.0.join("data");
    let server = TestServer::start_with(|c| {
        c.set("storage.data_dir", data.display().to_string());
    });
    assert_eq!(signup(&server, 0).status, 201);
    fill(&tmpfs.0.join("filler"));
    // The database may still have free pages; keep writing until it needs more.
    let mut n = 1;
    let refused = loop {
        let reply = signup(&server, n);
        if reply.status != 201 {
            break reply;
        }
        n += 1;
        assert!(n < 5000, "5000 sign-ups fitted on a full disk");
    };
    assert_eq!(
        (refused.status, refused.error()),
        (503, "unavailable".to_owned())
    );
    let health = server.get("/healthz");
    assert_eq!(
        health.status,
        503,
        "healthz must say writes fail: {}",
        health.text()
    );
    let log_before = server.log().lines().count();
    std::thread::sleep(Duration::from_secs(2));
    let flood = server.log().lines().count() - log_before;
    assert!(
        flood < 20,
        "{flood} log lines in 2 s while failing:\n{}",
        server.log()
    );

    std::fs::remove_file(tmpfs.0.join("filler")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.get("/healthz").status != 200 {
        assert!(Instant::now() < deadline, "no recovery:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(signup(&server, n + 1).status, 201, "writes work again");
    for acknowledged in 0..n {
        let reply = signup(&server, acknowledged);
        assert_eq!(
            reply.status, 409,
            "sign-up {acknowledged} was acknowledged, then lost"
        );
    }
    // The mails queued before, during and after the outage are delivered.
    server.smtp.wait_for_nth(
        &format!("u{}@example.com", n + 1),
        1,
        Duration::from_secs(10),
    );
    server
        .smtp
        .wait_for_nth("u0@example.com", 1, Duration::from_secs(10));
}
