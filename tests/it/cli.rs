//! The command line, run as a user would run it.

use std::process::{Command, Output};

fn latchkey(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(args)
        .output()
        .expect("latchkey runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_lists_the_subcommands() {
    let out = latchkey(&["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("token"), "{text}");
    assert!(text.contains("--config"), "{text}");
}

#[test]
fn token_inspect_prints_header_and_claims_marked_unverified() {
    // Signed with some other key: inspect must show it all the same, and say it checked nothing.
    let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.\
                 eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.\
                 dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let out = latchkey(&["token", "inspect", token]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(text.starts_with("UNVERIFIED"), "{text}");
    assert!(text.contains("header (unverified)"), "{text}");
    assert!(text.contains(r#""alg": "HS256""#), "{text}");
    assert!(text.contains(r#""iss": "joe""#), "{text}");
    assert!(text.contains("signature: 32 bytes (not checked)"), "{text}");
}

#[test]
fn token_inspect_of_garbage_fails_with_a_reason() {
    let out = latchkey(&["token", "inspect", "not-a-token"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("latchkey: error: cannot decode the token"),
        "{err}"
    );
    assert!(
        !err.contains("not-a-token"),
        "the token is never echoed: {err}"
    );
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    let out = latchkey(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn init_writes_a_config_with_a_fresh_secret_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("config.toml");
    let path = out.to_str().unwrap();
    let first = latchkey(&["init", "--out", path]);
    assert!(first.status.success(), "{first:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let secret = table["tokens"]["secret"].as_str().unwrap();
    assert!(secret.len() >= 43, "{secret}");
    let again = latchkey(&["init", "--out", path]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert!(
        latchkey(&["init", "--out", path, "--force"])
            .status
            .success()
    );
    assert_ne!(
        std::fs::read_to_string(&out).unwrap(),
        text,
        "a new secret each time"
    );
    let check = latchkey(&["--config", path, "check-config"]);
    assert!(check.status.success(), "{check:?}");
}

#[test]
fn a_bad_configuration_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[tokens]\naccess_ttl = \"soon\"\n").unwrap();
    let out = latchkey(&["--config", file.to_str().unwrap(), "serve"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tokens.access_ttl"), "{err}");
    let env = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["check-config"])
        .current_dir(dir.path())
        .env("LATCHKEY_TOKENS__ACESS_TTL", "5m")
        .output()
        .unwrap();
    assert_eq!(env.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&env.stderr)
            .contains("LATCHKEY_TOKENS__ACESS_TTL: no such setting")
    );
}
