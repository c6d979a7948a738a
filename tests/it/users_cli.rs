//! `latchkey user ...` (SPEC §8) against a running server (over the admin socket, taking
//! effect at once) and a stopped one (on the database).

use serde_json::Value;

use crate::client::Request;
use crate::harness::TestServer;

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn deactivation_ends_sessions_at_once_and_refuses_log_ins_until_activated() {
    let mut server = TestServer::start();
    let user = server.verified_user("a@example.com", "Anna");
    server.verified_user("b@example.com", "Bert");
    let token = server.login("a@example.com")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let listed = ok(&server.cli(&["user", "list", "--json"]));
    let emails: Vec<String> = listed
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["email"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(emails.len(), 2, "{listed}");
    assert!(emails.contains(&"a@example.com".to_owned()));
    let table = ok(&server.cli(&["user", "list"]));
    assert!(table.starts_with("ID"), "{table}");
    let sessions = ok(&server.cli(&["user", "sessions", "a@example.com", "--json"]));
    assert_eq!(sessions.lines().count(), 1, "{sessions}");

    let said = ok(&server.cli(&["user", "deactivate", "A@Example.com"]));
    assert!(said.contains("1 session(s) ended"), "{said}");
    let me = server.send(&Request::new("GET", "/api/accounts/me").bearer(&token));
    assert_eq!((me.status, me.error()), (401, "token_revoked".into()));
    let refused = server.post_json(
        "/api/accounts/login",
        &serde_json::json!({"email": "a@example.com", "password": crate::harness::PASSWORD}),
    );
    assert_eq!(
        (refused.status, refused.error()),
        (403, "account_inactive".into())
    );
    let shown = ok(&server.cli(&["user", "show", user["id"].as_str().unwrap(), "--json"]));
    assert_eq!(
        serde_json::from_str::<Value>(shown.trim()).unwrap()["disabled"],
        true
    );

    ok(&server.cli(&["user", "activate", "a@example.com"]));
    server.login("a@example.com");

    let missing = server.cli(&["user", "show", "nobody@example.com"]);
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");

    // With the server stopped the CLI opens the database itself.
    server.stop();
    let offline = ok(&server.cli(&["user", "deactivate", "b@example.com"]));
    assert!(offline.contains("deactivated b@example.com"), "{offline}");
    server.restart();
    let refused = server.post_json(
        "/api/accounts/login",
        &serde_json::json!({"email": "b@example.com", "password": crate::harness::PASSWORD}),
    );
    assert_eq!(refused.status, 403);
}
