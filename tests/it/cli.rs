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
