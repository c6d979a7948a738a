//! Configuration loading: the example file, precedence, and messages that name the culprit.

use std::path::Path;
use std::time::Duration;

use super::*;

fn load(file: Option<&str>, env: &[(&str, &str)], flags: &Flags) -> Result<Config, Error> {
    let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    Config::from_sources(
        file.map(|text| (Path::new("config.toml"), text)),
        env,
        flags,
    )
}

fn message(result: Result<Config, Error>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn the_example_file_lists_every_key_with_its_default() {
    let example: toml::Table = toml::from_str(EXAMPLE).unwrap();
    let defaults = toml::Table::try_from(FileConfig::default()).unwrap();
    assert_eq!(example, defaults);
    let parsed: FileConfig = toml::from_str(EXAMPLE).unwrap();
    assert_eq!(parsed, FileConfig::default());
}

#[test]
fn no_configuration_at_all_gives_the_documented_defaults() {
    let config = load(None, &[], &Flags::default()).unwrap();
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.server.public_url, "http://127.0.0.1:8080");
    assert_eq!(config.data_dir, Path::new("./latchkey-data"));
    assert_eq!(config.tokens.access_ttl, Duration::from_secs(600));
    assert_eq!(config.tokens.refresh_ttl, Duration::from_secs(7 * 86_400));
    assert_eq!(config.codes.max_attempts, 5);
    assert_eq!(config.mail.transport, MailTransport::File);
    assert!(config.tokens.secret.is_none());
    assert_eq!(
        config.rate_limits.signup,
        Some(Rate {
            count: 20,
            per: Duration::from_secs(3600)
        })
    );
}

#[test]
fn environment_variables_override_the_file_with_their_own_types() {
    let file = "[mail.smtp]\nport = 25\n[tokens]\naccess_ttl = \"1m\"\n";
    let env = [
        ("LATCHKEY_MAIL__SMTP__PORT", "2525"),
        ("LATCHKEY_TOKENS__ACCESS_TTL", "5m"),
        ("LATCHKEY_CODES__TTL", "90"),
        ("LATCHKEY_SERVER__INSECURE_COOKIES", "true"),
        (
            "LATCHKEY_SERVER__CORS_ORIGINS",
            "https://a.example, https://b.example",
        ),
        ("PATH", "/usr/bin"),
    ];
    let config = load(Some(file), &env, &Flags::default()).unwrap();
    assert_eq!(config.mail.smtp.port, 2525);
    assert_eq!(config.tokens.access_ttl, Duration::from_secs(300));
    assert_eq!(config.codes.ttl, Duration::from_secs(90));
    assert!(config.server.insecure_cookies);
    assert_eq!(
        config.server.cors_origins,
        ["https://a.example", "https://b.example"]
    );
}

#[test]
fn flags_beat_the_environment_and_the_file() {
    let file = "[server]\nlisten = \"127.0.0.1:1\"\n[storage]\ndata_dir = \"/from/file\"\n";
    let env = [
        ("LATCHKEY_STORAGE__DATA_DIR", "/from/env"),
        ("LATCHKEY_SERVER__LISTEN", "127.0.0.1:2"),
    ];
    let flags = Flags {
        data_dir: Some("/from/flag".into()),
        listen: Some("127.0.0.1:3".into()),
    };
    let config = load(Some(file), &env, &flags).unwrap();
    assert_eq!(config.data_dir, Path::new("/from/flag"));
    assert_eq!(config.server.listen.port(), 3);
    let config = load(Some(file), &env, &Flags::default()).unwrap();
    assert_eq!(config.data_dir, Path::new("/from/env"));
}

#[test]
fn unknown_keys_and_variables_are_named() {
    let err = message(load(
        Some("[tokens]\nsecrett = \"x\"\n"),
        &[],
        &Flags::default(),
    ));
    assert!(
        err.starts_with("config.toml: tokens.secrett: unknown field `secrett`"),
        "{err}"
    );
    let err = message(load(Some("[token]\n"), &[], &Flags::default()));
    assert!(err.contains("unknown field `token`"), "{err}");
    let err = message(load(
        None,
        &[("LATCHKEY_TOKENS__SECRETT", "x")],
        &Flags::default(),
    ));
    assert_eq!(err, "LATCHKEY_TOKENS__SECRETT: no such setting");
    let err = message(load(None, &[("LATCHKEY_TOKENS", "x")], &Flags::default()));
    assert_eq!(err, "LATCHKEY_TOKENS: no such setting");
}

#[test]
fn bad_values_name_their_source_and_key() {
    let short = encode_secret(b"twelve bytes");
    let err = message(load(
        Some(&format!("[tokens]\nsecret = \"{short}\"\n")),
        &[],
        &Flags::default(),
    ));
    assert_eq!(
        err,
        "config.toml: tokens.secret: must be at least 32 bytes (got 12)"
    );
    let err = message(load(
        None,
        &[("LATCHKEY_MAIL__SMTP__PORT", "lots")],
        &Flags::default(),
    ));
    assert_eq!(
        err,
        "LATCHKEY_MAIL__SMTP__PORT: mail.smtp.port: expected a whole number, got \"lots\""
    );
    let err = message(load(
        Some("[mail.smtp]\nport = \"25\"\n"),
        &[],
        &Flags::default(),
    ));
    assert!(
        err.starts_with("config.toml: mail.smtp.port: invalid type"),
        "{err}"
    );
    let flags = Flags {
        listen: Some("nowhere".into()),
        ..Flags::default()
    };
    let err = message(load(None, &[], &flags));
    assert_eq!(
        err,
        "--listen: server.listen: expected IP:port, got \"nowhere\""
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let file = "[codes]\nttl = \"soon\"\nmax_attempts = 0\n[mail]\ntransport = \"pigeon\"\n";
    let err = message(load(
        Some(file),
        &[("LATCHKEY_RATE_LIMITS__LOGIN", "lots/m")],
        &Flags::default(),
    ));
    let lines: Vec<_> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("config.toml: codes.ttl: expected a duration")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("config.toml: codes.max_attempts: must be between 1")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("config.toml: mail.transport: must be one of file, smtp, log")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("LATCHKEY_RATE_LIMITS__LOGIN: rate_limits.login: expected N/s")),
        "{err}"
    );
}

#[test]
fn a_configured_secret_is_kept_as_bytes() {
    let secret = encode_secret(&[7; 32]);
    let config = load(
        None,
        &[("LATCHKEY_TOKENS__SECRET", &secret)],
        &Flags::default(),
    )
    .unwrap();
    assert_eq!(config.tokens.secret.unwrap().expose(), [7; 32]);
}

#[test]
fn a_syntax_error_names_the_file_and_line() {
    let err = message(load(Some("[server\n"), &[], &Flags::default()));
    assert!(err.starts_with("config.toml: "), "{err}");
    assert!(err.contains("line 1"), "{err}");
}
