//! The administrative commands of SPEC §8 beyond `user list | show | sessions | activate |
//! deactivate` (see `users_cli`): each driven through the real binary with the server running
//! (over the admin socket, taking effect at once) and stopped (on the database).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::Request;
use crate::harness::{PASSWORD, TestServer};
use crate::smtp::Smtp;

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn login_status(server: &TestServer, email: &str, password: &str) -> (u16, Value) {
    let reply = server.post_json(
        "/api/accounts/login",
        &json!({"email": email, "password": password}),
    );
    let body = if reply.text().is_empty() {
        Value::Null
    } else {
        reply.json()
    };
    (reply.status, body)
}

fn me_status(server: &TestServer, access: &str) -> (u16, String) {
    let me = server.send(&Request::new("GET", "/api/accounts/me").bearer(access));
    let error = if me.status == 200 {
        String::new()
    } else {
        me.error()
    };
    (me.status, error)
}

#[test]
fn user_create_set_password_and_delete_take_effect_at_once_and_offline() {
    let mut server = TestServer::start();

    // A chosen password, from standard input.
    let made = ok(&server.cli_with_input(
        &[
            "user",
            "create",
            "C@Example.com",
            "--password-stdin",
            "--json",
        ],
        &format!("{PASSWORD}\n"),
    ));
    let made = &json_lines(&made)[0];
    assert_eq!(made["email"], "c@example.com");
    assert_eq!(made["active"], true);
    assert!(
        made.get("password").is_none(),
        "a given password is never echoed"
    );
    let (status, body) = login_status(&server, "c@example.com", PASSWORD);
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap().to_owned();

    // A generated one, shown once.
    let generated = ok(&server.cli(&["user", "create", "g@example.com", "--json"]));
    let generated = json_lines(&generated)[0]["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(generated.len() >= 16, "{generated}");
    assert_eq!(login_status(&server, "g@example.com", &generated).0, 200);

    // Refused input: exit 2 and nothing made.
    let taken = server.cli_with_input(
        &["user", "create", "c@example.com", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code(&taken), Some(2), "{taken:?}");
    assert!(String::from_utf8_lossy(&taken.stderr).contains("already has an account"));
    let bad = server.cli(&["user", "create", "not an address"]);
    assert_eq!(code(&bad), Some(2), "{bad:?}");
    let short = server.cli_with_input(
        &["user", "create", "s@example.com", "--password-stdin"],
        "short\n",
    );
    assert_eq!(code(&short), Some(2), "{short:?}");
    let listed = ok(&server.cli(&["user", "list", "--json"]));
    assert_eq!(json_lines(&listed).len(), 2, "{listed}");

    // A new password ends every session on the running server at once.
    let new_password = "a brand new passphrase";
    let said = ok(&server.cli_with_input(
        &["user", "set-password", "c@example.com", "--password-stdin"],
        &format!("{new_password}\n"),
    ));
    assert!(said.contains("1 session(s) ended"), "{said}");
    assert_eq!(me_status(&server, &access), (401, "token_revoked".into()));
    assert_eq!(login_status(&server, "c@example.com", PASSWORD).0, 401);
    let (status, body) = login_status(&server, "c@example.com", new_password);
    assert_eq!(status, 200);
    let access = body["access_token"].as_str().unwrap().to_owned();

    // Deletion: sessions end, log-in fails, the address may sign up again.
    let said = ok(&server.cli(&["user", "delete", "c@example.com"]));
    assert!(said.contains("deleted c@example.com"), "{said}");
    assert_eq!(me_status(&server, &access), (401, "token_revoked".into()));
    assert_eq!(login_status(&server, "c@example.com", new_password).0, 401);
    server.signup("c@example.com", "Again");
    let gone = server.cli(&["user", "delete", "nobody@example.com"]);
    assert_eq!(code(&gone), Some(2), "{gone:?}");

    // Stopped: the same commands work on the database, and the server starts with them.
    server.stop();
    ok(&server.cli_with_input(
        &[
            "user",
            "create",
            "d@example.com",
            "--nickname",
            "Dora",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    ));
    let generated = ok(&server.cli(&["user", "set-password", "g@example.com", "--json"]));
    let generated = json_lines(&generated)[0]["password"]
        .as_str()
        .unwrap()
        .to_owned();
    server.restart();
    assert_eq!(login_status(&server, "d@example.com", PASSWORD).0, 200);
    assert_eq!(login_status(&server, "g@example.com", &generated).0, 200);
}

#[test]
fn token_issue_opens_a_real_session_and_token_verify_answers_as_the_server_does() {
    let mut server = TestServer::start();
    let user = server.verified_user("a@example.com", "Anna");
    let issued = ok(&server.cli(&["token", "issue", "a@example.com", "--json"]));
    let issued = &json_lines(&issued)[0];
    let access = issued["access_token"].as_str().unwrap().to_owned();
    let refresh = issued["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(me_status(&server, &access), (200, String::new()));
    let sessions = ok(&server.cli(&["user", "sessions", "a@example.com", "--json"]));
    assert_eq!(json_lines(&sessions)[0]["ip"], "cli");

    let verified = ok(&server.cli(&["token", "verify", &access]));
    assert!(
        verified.contains(user["id"].as_str().unwrap()),
        "{verified}"
    );
    assert!(verified.contains("access"), "{verified}");
    // From standard input too, so a token need not sit in the shell history.
    let piped = ok(&server.cli_with_input(&["token", "verify", "-"], &format!("{refresh}\n")));
    assert!(piped.contains("refresh"), "{piped}");

    let garbage = server.cli(&["token", "verify", "not.a.token"]);
    assert_eq!(code(&garbage), Some(1), "{garbage:?}");

    ok(&server.cli(&["user", "deactivate", "a@example.com"]));
    let revoked = server.cli(&["token", "verify", &access]);
    assert_eq!(code(&revoked), Some(1), "{revoked:?}");
    assert!(String::from_utf8_lossy(&revoked.stderr).contains("token_revoked"));
    let refused = server.cli(&["token", "issue", "a@example.com"]);
    assert_eq!(
        code(&refused),
        Some(2),
        "a deactivated account gets no token: {refused:?}"
    );

    // Stopped: the revocation is read back from the database.
    server.stop();
    let revoked = server.cli(&["token", "verify", &access]);
    assert_eq!(code(&revoked), Some(1), "{revoked:?}");
    ok(&server.cli(&["user", "activate", "a@example.com"]));
    let issued = ok(&server.cli(&["token", "issue", user["id"].as_str().unwrap(), "--json"]));
    let access = json_lines(&issued)[0]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    server.restart();
    assert_eq!(me_status(&server, &access), (200, String::new()));
}

/// Waits until `mail list --parked --json` shows `count` mails.
fn parked(server: &TestServer, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = json_lines(&ok(&server.cli(&["mail", "list", "--parked", "--json"])));
        if rows.len() >= count || Instant::now() > deadline {
            return rows;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn parked_mail_is_listed_without_its_body_and_delivered_after_retry() {
    let mut server = TestServer::start();
    server.smtp.reject_with(550);
    server.signup("p@example.com", "Pia");
    let rows = parked(&server, 1);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = rows[0].as_object().unwrap();
    let columns: Vec<&str> = row.keys().map(String::as_str).collect();
    assert_eq!(
        columns,
        [
            "id",
            "state",
            "to",
            "subject",
            "tries",
            "queued",
            "last_error"
        ],
        "never the body"
    );
    assert_eq!(row["state"], "parked");
    assert_eq!(row["to"], "p@example.com");
    assert_eq!(row["tries"], 1);
    assert!(
        row["last_error"].as_str().unwrap().contains("550"),
        "{row:?}"
    );
    let table = ok(&server.cli(&["mail", "list"]));
    assert!(
        table.starts_with("ID") && table.contains("parked"),
        "{table}"
    );

    let not_parked = server.cli(&["mail", "retry", "999999"]);
    assert_eq!(code(&not_parked), Some(2), "{not_parked:?}");
    let neither = server.cli(&["mail", "retry"]);
    assert_eq!(
        code(&neither),
        Some(2),
        "an id or --parked is required: {neither:?}"
    );

    // The relay is fixed: one command sends it.
    server.smtp.reject_with(0);
    let id = row["id"].to_string();
    let said = ok(&server.cli(&["mail", "retry", &id]));
    assert!(said.contains("1 parked mail(s) queued again"), "{said}");
    let delivered = server
        .smtp
        .wait_for_nth("p@example.com", 1, Duration::from_secs(20));
    assert_eq!(delivered.code().len(), 6);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ok(&server.cli(&["mail", "list", "--json"])).is_empty() {
        assert!(
            Instant::now() < deadline,
            "a delivered mail leaves the outbox"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Stopped: `--parked` queues every parked mail, sent once the server starts.
    server.smtp.reject_with(550);
    server.signup("q@example.com", "Quinn");
    server.signup("r@example.com", "Rita");
    assert_eq!(parked(&server, 2).len(), 2);
    server.stop();
    server.smtp.reject_with(0);
    let said = ok(&server.cli(&["mail", "retry", "--parked"]));
    assert!(said.contains("2 parked mail(s)"), "{said}");
    server.restart();
    for to in ["q@example.com", "r@example.com"] {
        server.smtp.wait_for_nth(to, 1, Duration::from_secs(20));
    }

    // Dropping: the parked mail (and the code in it) is gone, a queued one is refused.
    server.smtp.reject_with(550);
    server.signup("s@example.com", "Sam");
    let rows = parked(&server, 1);
    let id = rows[0]["id"].to_string();
    let said = ok(&server.cli(&["mail", "drop", &id]));
    assert!(said.contains("1 parked mail(s) dropped"), "{said}");
    let left = server.cli(&["mail", "list", "--json"]);
    assert!(String::from_utf8_lossy(&left.stdout).is_empty(), "{left:?}");
    assert!(String::from_utf8_lossy(&left.stderr).contains("the outbox is empty"));
    let again = server.cli(&["mail", "drop", &id]);
    assert_eq!(code(&again), Some(2), "{again:?}");
    let audit = ok(&server.cli(&["audit", "list", "--json"]));
    let admin: Vec<String> = json_lines(&audit)
        .into_iter()
        .filter(|e| e["actor"] == "cli")
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        admin,
        ["admin.mail_retry", "admin.mail_retry", "admin.mail_drop"]
    );
}

#[test]
fn the_audit_log_records_each_security_event_and_names_a_tampered_entry() {
    let mut server = TestServer::start();
    let user = server.verified_user("a@example.com", "Anna");
    let id = user["id"].as_str().unwrap().to_owned();
    let wrong = server.send(
        &Request::new("POST", "/api/accounts/login")
            .header("X-Request-Id", "req-wrong-1")
            .json(&json!({"email": "a@example.com", "password": "not the password"})),
    );
    assert_eq!(wrong.status, 401);
    let tokens = server.login("a@example.com");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let changed = server.bearer(
        "POST",
        "/api/accounts/password/change",
        &access,
        Some(&json!({"current_password": PASSWORD, "new_password": "another fine passphrase"})),
    );
    assert_eq!(changed.status, 200, "{}", changed.text());
    let logout = server.bearer("POST", "/api/accounts/logout", &access, None);
    assert_eq!(logout.status, 204, "{}", logout.text());
    ok(&server.cli(&["user", "deactivate", "a@example.com"]));

    let listed = ok(&server.cli(&["audit", "list", "--json"]));
    let entries = json_lines(&listed);
    let events: Vec<&str> = entries
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "signup",
            "verify",
            "login_failed",
            "login",
            "password_change",
            "logout",
            "admin.user_deactivate"
        ],
        "{listed}"
    );
    for e in &entries[..6] {
        assert_eq!(
            (&e["actor"], &e["ip"], &e["user"]),
            (&json!("user"), &json!("127.0.0.1"), &json!(id)),
            "{e}"
        );
    }
    assert_eq!(entries[2]["request"], "req-wrong-1");
    assert_eq!(entries[2]["detail"], "wrong password");
    assert_eq!(entries[3]["session"].as_str().map(str::len), Some(22));
    assert_eq!(entries[6]["actor"], "cli");
    // Nothing secret reaches it.
    for secret in [
        PASSWORD,
        "not the password",
        "another fine passphrase",
        access.as_str(),
    ] {
        assert!(!listed.contains(secret), "the audit log holds {secret:?}");
    }
    let mine = json_lines(&ok(&server.cli(&["audit", "list", "--user", &id, "--json"])));
    assert_eq!(mine.len(), 7);
    let nobody = ok(&server.cli(&["audit", "list", "--user", "nobody", "--json"]));
    assert!(nobody.trim().is_empty(), "{nobody}");
    let recent = json_lines(&ok(
        &server.cli(&["audit", "list", "--since", "1h", "--json"])
    ));
    assert_eq!(recent.len(), 7);
    let bad_since = server.cli(&["audit", "list", "--since", "soon"]);
    assert_eq!(code(&bad_since), Some(2), "{bad_since:?}");
    let verified = ok(&server.cli(&["audit", "verify"]));
    assert!(verified.starts_with("ok: 7 entries intact"), "{verified}");

    let sent = verify_under_load(&server);
    let verified = ok(&server.cli(&["audit", "verify"]));
    assert!(
        verified.starts_with(&format!("ok: {} entries intact", 7 + sent)),
        "{sent} failures: {verified}"
    );

    // Someone edits entry 3 behind latchkey's back: verify names it and exits 1.
    let mine = json_lines(&ok(&server.cli(&["audit", "list", "--user", &id, "--json"])));
    assert_eq!(mine.len(), 7, "the load was about nobody's account");
    server.stop();
    tamper(&server.data_dir().join("latchkey.redb"), 3);
    let broken = server.cli(&["audit", "verify"]);
    assert_eq!(code(&broken), Some(1), "{broken:?}");
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(said.contains("entry 3 was changed"), "{said}");
}

/// Verifies the audit log five times while four clients fail to log in; the failures made.
fn verify_under_load(server: &TestServer) -> usize {
    // A busy log: failed log-ins from four clients while it is verified, again and again.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (addr, stop) = (server.addr, stop.clone());
            std::thread::spawn(move || {
                let mut sent = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let reply = Request::new("POST", "/api/accounts/login")
                        .json(&json!({"email": "x@example.com", "password": "wrong password"}))
                        .send(addr);
                    assert_eq!(reply.status, 401);
                    sent += 1;
                }
                sent
            })
        })
        .collect();
    for _ in 0..5 {
        let verified = ok(&server.cli(&["audit", "verify"]));
        assert!(verified.starts_with("ok: "), "{verified}");
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let sent: usize = load.into_iter().map(|t| t.join().unwrap()).sum();
    sent
}

/// Rewrites the client address of audit entry `seq`, keeping its hashes.
fn tamper(db: &std::path::Path, seq: u64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store: std::sync::Arc<dyn latchkey::store::Store> =
            std::sync::Arc::new(latchkey::store::RedbStore::open(db).unwrap());
        let mut entry = store.audit(seq - 1, 1).await.unwrap().remove(0);
        entry.event.ip = Some("203.0.113.9".into());
        store
            .write(move |_, w| {
                w.append_audit(entry.clone());
                Ok(())
            })
            .await
            .unwrap();
    });
}

#[test]
fn the_admin_socket_refuses_another_user() {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;
    let server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    let socket = server.data_dir().join("admin.sock");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&socket), 0o600);
    assert_eq!(mode(&server.data_dir()), 0o700);
    // Only root can become another user to try.
    let root =
        std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
    if !root {
        eprintln!("not root: cannot run the CLI as another user; the modes above were checked");
        return;
    }
    // `nobody` may reach the socket's path (the test opens the way to it) but not use it.
    let top = server.data_dir().parent().unwrap().to_owned();
    std::fs::set_permissions(&top, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(server.data_dir(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["--data-dir"])
        .arg(server.data_dir())
        .args(["user", "list", "--json"])
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    std::fs::set_permissions(server.data_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(code(&out), Some(1), "{out:?}");
    assert!(out.stdout.is_empty(), "nothing listed: {out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("refuses this user"), "{said}");
}

#[test]
fn doctor_talks_to_the_relay_sends_a_test_mail_and_fails_on_a_closed_port() {
    let mut server = TestServer::start();
    let report = server.cli(&["doctor", "--send-to", "ops@example.com", "--json"]);
    let rows = json_lines(&String::from_utf8_lossy(&report.stdout));
    let status = |check: &str| {
        let row = rows
            .iter()
            .find(|r| r["check"] == check)
            .unwrap_or_else(|| panic!("no {check} check in {rows:?}"));
        (
            row["status"].as_str().unwrap().to_owned(),
            row["detail"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(code(&report), Some(0), "{report:?}");
    assert_eq!(status("data dir").0, "ok", "the data dir is made 0700");
    assert_eq!(status("database").0, "ok");
    assert_eq!(status("audit log").0, "ok");
    assert_eq!(status("signing key").0, "ok");
    let (connect, said) = status("smtp connect");
    assert_eq!(connect, "ok");
    assert!(
        said.contains("220 latchkey-test"),
        "the relay's own words: {said}"
    );
    assert!(status("smtp ehlo").1.contains("250-latchkey-test"));
    assert_eq!(status("rate limits").0, "warn", "the tests turn them off");
    assert_eq!(status("test mail").0, "ok");
    let mail = server
        .smtp
        .wait_for_nth("ops@example.com", 1, Duration::from_secs(10));
    assert_eq!(mail.subject(), "latchkey test mail");
    let table = ok(&server.cli(&["doctor"]));
    assert!(
        table.starts_with("CHECK") && table.contains("no check failed"),
        "{table}"
    );

    // Offline, the same checks from the CLI.
    server.stop();
    let offline = server.cli(&["doctor", "--json"]);
    assert_eq!(code(&offline), Some(0), "{offline:?}");

    // Nothing listens on the relay's port: the SMTP check fails with its fix, exit 1.
    let closed = TestServer::start_full(Smtp::reserve(), |_| {});
    let report = closed.cli(&["doctor", "--json"]);
    assert_eq!(code(&report), Some(1), "{report:?}");
    let rows = json_lines(&String::from_utf8_lossy(&report.stdout));
    let connect = rows.iter().find(|r| r["check"] == "smtp connect").unwrap();
    assert_eq!(connect["status"], "fail");
    assert!(
        connect["detail"].as_str().unwrap().contains("refused"),
        "{connect}"
    );
    assert!(
        connect["fix"].as_str().unwrap().contains("mail.smtp.host"),
        "{connect}"
    );
}

#[test]
fn every_reading_command_answers_the_same_on_a_stopped_server() {
    let mut server = TestServer::start();
    server.verified_user("a@example.com", "Anna");
    server.login("a@example.com");
    let commands: [&[&str]; 9] = [
        &["user", "list", "--json"],
        &["user", "show", "a@example.com", "--json"],
        &["user", "sessions", "a@example.com", "--json"],
        &["key", "list", "--json"],
        &["mail", "list", "--json"],
        &["audit", "list", "--json"],
        &["audit", "verify"],
        &["doctor", "--json"],
        &[
            "import",
            "django",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/django/users.json"
            ),
            "--dry-run",
            "--json",
        ],
    ];
    let live: Vec<String> = commands.iter().map(|args| ok(&server.cli(args))).collect();
    server.stop();
    for (args, live) in commands.iter().zip(&live) {
        let offline = ok(&server.cli(args));
        // The same rows; only what names where it ran may differ (and the public URL, which a
        // server listening on port 0 takes from the port it got).
        let comparable = |text: &str| -> Vec<Value> {
            json_lines(text)
                .into_iter()
                .filter(|row| row["check"] != "configuration" && row["check"] != "public url")
                .collect()
        };
        if args[0] == "audit" && args[1] == "verify" {
            assert!(offline.starts_with("ok: "), "{offline}");
        } else {
            assert_eq!(comparable(&offline), comparable(live), "{args:?}");
            assert!(
                !comparable(&offline).is_empty() || args[0] == "mail",
                "{args:?} listed nothing"
            );
        }
    }
    // `backup` works on a stopped server too (`backup.rs` restores a copy and serves from it).
    let copy = server.data_dir().parent().unwrap().join("copy.redb");
    ok(&server.cli(&["backup", copy.to_str().unwrap()]));
    assert!(copy.metadata().unwrap().len() > 0);
}
