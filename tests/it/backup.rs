//! `latchkey backup FILE` (SPEC §8): a consistent copy taken while the server runs and takes
//! writes, that a new server starts from.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use crate::harness::{PASSWORD, TestServer};

#[test]
fn a_backup_taken_under_writes_starts_a_server_with_the_accounts_and_keys() {
    let server = Arc::new(TestServer::start());
    server.verified_user("a@example.com", "Anna");
    let login = server.login("a@example.com");
    let token = login["access_token"].as_str().unwrap().to_owned();

    // Sign-ups keep writing while the copy is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (server, stop) = (server.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let reply = server.post_json(
                    "/api/accounts/signup",
                    &json!({"email": format!("w{n}@example.com"), "password": PASSWORD, "nickname": format!("w{n}")}),
                );
                assert_eq!(reply.status, 201, "{}", reply.text());
                n += 1;
            }
            n
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latchkey-backup.redb");
    let out = server.cli(&["backup", file.to_str().unwrap()]);
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("records"), "{said}");
    assert!(written > 0);

    let again = server.cli(&["backup", file.to_str().unwrap()]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing file is never overwritten"
    );

    // Restore: the file becomes latchkey.redb of a new data directory.
    let restored_dir = dir.path().join("restored");
    std::fs::create_dir_all(&restored_dir).unwrap();
    std::fs::copy(&file, restored_dir.join("latchkey.redb")).unwrap();
    let restored = TestServer::start_with(|c| {
        c.set("storage.data_dir", restored_dir.display().to_string());
    });
    let me = restored.bearer("GET", "/api/accounts/me", &token, None);
    assert_eq!(
        me.status,
        200,
        "the keys and the session came along: {}",
        me.text()
    );
    restored.login("a@example.com");
}
