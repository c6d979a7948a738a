//! `latchkey import django FILE` with a `dumpdata` file made by real Django 5.2
//! (`tests/fixtures/django/make_fixture.py`): every kept user logs in with their Django
//! password, which then becomes argon2id; the refused rows are listed with their reasons; a
//! second import changes nothing.

use serde_json::{Value, json};

use crate::harness::TestServer;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/django/users.json"
);

fn rows(out: &std::process::Output) -> Vec<Value> {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn login(server: &TestServer, email: &str, password: &str) -> u16 {
    server
        .post_json(
            "/api/accounts/login",
            &json!({"email": email, "password": password}),
        )
        .status
}

fn stored_hash(server: &TestServer, email: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store =
            latchkey::store::RedbStore::open(&server.data_dir().join("latchkey.redb")).unwrap();
        let store: &dyn latchkey::store::Store = &store;
        store
            .user_by_email(email)
            .await
            .unwrap()
            .unwrap()
            .password_hash
    })
}

/// The four rows the fixture makes latchkey refuse, each with its own reason.
fn assert_refused_with_reasons(listed: &[Value]) {
    let refused: Vec<(String, String)> = listed
        .iter()
        .filter(|r| r["state"] == "refused")
        .map(|r| {
            (
                r["email"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let reason = |email: &str| {
        let found = refused.iter().find(|(e, _)| e == email);
        found
            .unwrap_or_else(|| panic!("{email} not refused: {refused:?}"))
            .1
            .clone()
    };
    assert!(reason("nopass@example.com").contains("unusable password"));
    assert!(reason("PAT.PBKDF2@example.com").contains("same address as row 1"));
    assert!(reason("not an address").contains("not an address"));
    assert!(reason("old@example.com").contains("md5"));
    assert_eq!(refused.len(), 4);
}

#[test]
fn django_users_log_in_with_their_passwords_and_are_upgraded_once() {
    let mut server = TestServer::start();
    server.verified_user("someone@example.com", "pat");

    let dry = rows(&server.cli(&["import", "django", FIXTURE, "--dry-run", "--json"]));
    assert_eq!(dry.iter().filter(|r| r["state"] == "refused").count(), 4);
    assert_eq!(
        login(&server, "ari@example.com", "django argon2 password"),
        401,
        "dry run"
    );

    let listed = rows(&server.cli(&["import", "django", FIXTURE, "--json"]));
    assert_refused_with_reasons(&listed);
    // "pat" is taken by the native account above: renamed, and said so.
    let renamed = listed
        .iter()
        .find(|r| r["email"] == "Pat.Pbkdf2@Example.com")
        .unwrap();
    assert!(
        renamed["reason"].as_str().unwrap().contains("pat-2"),
        "{renamed}"
    );

    for (email, password) in [
        ("pat.pbkdf2@example.com", "django pbkdf2 password"),
        ("ari@example.com", "django argon2 password"),
        ("bea@example.com", "django bcrypt password"),
        ("pat2@example.com", "django pbkdf2 password"),
    ] {
        assert_eq!(login(&server, email, "not their password"), 401, "{email}");
        assert_eq!(login(&server, email, password), 200, "{email}");
    }
    // Django's is_active = false: the right password, then 403 as for any unverified account.
    let inactive = server.post_json(
        "/api/accounts/login",
        &json!({"email": "ina@example.com", "password": "django inactive password"}),
    );
    assert_eq!(
        (inactive.status, inactive.error()),
        (403, "account_inactive".into())
    );

    let shown = rows(&server.cli(&["user", "show", "ari@example.com", "--json"]));
    assert_eq!(
        shown[0]["created"], "2026-12-02T21:39:04Z",
        "date_joined kept"
    );
    let again = server.cli(&["import", "django", FIXTURE]);
    assert!(again.status.success(), "{again:?}");
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.contains("imported 0 account(s)") && said.contains("5 imported before"),
        "{said}"
    );
    let users = rows(&server.cli(&["user", "list", "--json"]));
    assert_eq!(users.len(), 6, "nothing imported twice");

    let audit = rows(&server.cli(&["audit", "list", "--json"]));
    let upgrades = audit
        .iter()
        .filter(|e| e["event"] == "password_upgrade")
        .count();
    assert_eq!(upgrades, 4);
    assert_eq!(
        audit
            .iter()
            .filter(|e| e["event"] == "admin.import_django")
            .count(),
        1
    );

    server.stop();
    for email in [
        "pat.pbkdf2@example.com",
        "ari@example.com",
        "bea@example.com",
    ] {
        let hash = stored_hash(&server, email);
        assert!(
            hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"),
            "{email}: {hash}"
        );
    }
    assert!(
        stored_hash(&server, "ina@example.com").starts_with("pbkdf2_sha256$"),
        "not logged in yet"
    );
    server.restart();
    assert_eq!(
        login(&server, "ari@example.com", "django argon2 password"),
        200,
        "the upgraded hash"
    );
}

#[test]
fn a_file_that_is_not_dumpdata_is_a_usage_error_and_imports_nothing() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"not\": \"a list\"}").unwrap();
    let out = server.cli(&["import", "django", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let missing = server.cli(&["import", "django", "/nonexistent/users.json"]);
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
    let users = server.cli(&["user", "list", "--json"]);
    assert!(users.stdout.is_empty());
}
