//! `TestServer`: the real `latchkey` binary on an ephemeral port with a temporary data
//! directory, a config written for it, and a real SMTP listener. Killed on drop; on a failing
//! test it prints its config and everything the server logged.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::client::{Reply, Request};
use crate::smtp::{Delivered, Smtp};

/// Test settings: fast password hashing, the SMTP listener as relay, limits out of the way.
fn base_config(smtp_port: u16) -> toml::Table {
    let text = format!(
        r#"
[passwords]
argon2_memory_kib = 256
argon2_iterations = 1
[mail]
transport = "smtp"
[mail.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
timeout = "5s"
[rate_limits]
signup = "off"
login = "off"
verify = "off"
resend = "off"
reset = "off"
failed_logins_per_email = "off"
[codes]
resend_interval = "0s"
[server]
shutdown_grace = "5s"
"#
    );
    toml::from_str(&text).unwrap()
}

/// A configuration being adjusted before start.
pub struct Conf(toml::Table);

impl Conf {
    /// Sets a dotted key (`codes.ttl`) to a value.
    pub fn set(&mut self, key: &str, value: impl Into<toml::Value>) -> &mut Self {
        let parts: Vec<&str> = key.split('.').collect();
        let (last, sections) = parts.split_last().unwrap();
        let mut table = &mut self.0;
        for section in sections {
            table = table
                .entry((*section).to_owned())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .unwrap();
        }
        table.insert((*last).to_owned(), value.into());
        self
    }
}

/// The running server and its SMTP listener.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The SMTP relay it sends to.
    pub smtp: Smtp,
    dir: tempfile::TempDir,
    child: Option<Child>,
    stderr: PathBuf,
}

/// What a test can pick: a password good enough for any check.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestServer {
    /// Starts with the test settings.
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// Starts with the test settings, adjusted.
    pub fn start_with(adjust: impl FnOnce(&mut Conf)) -> Self {
        Self::start_full(Smtp::start(), adjust)
    }

    /// Starts with a given SMTP listener (perhaps not listening yet).
    pub fn start_full(smtp: Smtp, adjust: impl FnOnce(&mut Conf)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut conf = Conf(base_config(smtp.port()));
        conf.set(
            "storage.data_dir",
            dir.path().join("data").display().to_string(),
        );
        adjust(&mut conf);
        std::fs::write(
            dir.path().join("config.toml"),
            toml::to_string(&conf.0).unwrap(),
        )
        .unwrap();
        let stderr = dir.path().join("stderr.log");
        let mut server = Self {
            addr: "127.0.0.1:0".parse().unwrap(),
            smtp,
            dir,
            child: None,
            stderr,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr)
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
        command
            .args([
                "--config",
                "config.toml",
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        for (name, _) in std::env::vars() {
            if name.starts_with("LATCHKEY_") {
                command.env_remove(name);
            }
        }
        let mut child = command.spawn().expect("the latchkey binary starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        self.child = Some(child);
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(30)) else {
            panic!("the server did not start:\n{}", self.log());
        };
        self.addr = addr.parse().unwrap();
    }

    /// Runs `latchkey --config config.toml ARGS` beside the server, as an operator would.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_with_input(args, "")
    }

    /// [`TestServer::cli`] with `input` on its standard input.
    pub fn cli_with_input(&self, args: &[&str], input: &str) -> std::process::Output {
        use std::io::Write as _;
        let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
        command
            .args(["--config", "config.toml"])
            .args(args)
            .current_dir(self.dir.path());
        for (name, _) in std::env::vars() {
            if name.starts_with("LATCHKEY_") {
                command.env_remove(name);
            }
        }
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the latchkey binary runs");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Everything the server wrote to stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for a clean exit; returns the exit code.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no exit after SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process with SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again on the same data directory and config (a new port).
    pub fn restart(&mut self) {
        self.spawn();
    }

    /// Sends a request.
    pub fn send(&self, request: &Request) -> Reply {
        request.send(self.addr)
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Reply {
        self.send(&Request::new("GET", path))
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(&Request::new("POST", path).json(body))
    }

    /// `method path` with a bearer token and an optional JSON body.
    pub fn bearer(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Reply {
        let request = Request::new(method, path).bearer(token);
        self.send(&match body {
            Some(body) => request.json(body),
            None => request,
        })
    }

    /// Signs up `email` with [`PASSWORD`]; asserts `201`.
    pub fn signup(&self, email: &str, nickname: &str) -> Value {
        let reply = self.post_json(
            "/api/accounts/signup",
            &json!({"email": email, "password": PASSWORD, "nickname": nickname}),
        );
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()
    }

    /// The newest mail to `email` (waiting for one if there is none yet).
    pub fn mail_to(&self, email: &str) -> Delivered {
        self.smtp.last_mail_to(email)
    }

    /// Signs up and verifies with the mailed code; returns the user.
    pub fn verified_user(&self, email: &str, nickname: &str) -> Value {
        self.signup(email, nickname);
        let code = self.mail_to(email).code();
        let reply = self.post_json(
            "/api/accounts/verify-email",
            &json!({"email": email, "code": code}),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()["user"].clone()
    }

    /// Logs in with [`PASSWORD`]; asserts `200` and returns the body.
    pub fn login(&self, email: &str) -> Value {
        let reply = self.post_json(
            "/api/accounts/login",
            &json!({"email": email, "password": PASSWORD}),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let config =
                std::fs::read_to_string(self.dir.path().join("config.toml")).unwrap_or_default();
            eprintln!(
                "--- config.toml ---\n{config}\n--- server stderr ---\n{}",
                self.log()
            );
        }
    }
}
