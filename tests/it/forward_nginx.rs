//! Forward authentication through a real nginx (Debian's package; `.ci/run` installs it):
//! `auth_request` to `/api/accounts/authz` in front of an upstream that records who nginx
//! says is calling. The configuration is the README's.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::Request;
use crate::harness::TestServer;

/// The `http` block the README shows, with the addresses filled in.
fn site(listen: SocketAddr, latchkey: SocketAddr, upstream: SocketAddr) -> String {
    format!(
        r#"
    server {{
        listen {listen};
        location = /_latchkey_authz {{
            internal;
            proxy_pass http://{latchkey}/api/accounts/authz;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Forwarded-Method $request_method;
        }}
        location / {{
            auth_request /_latchkey_authz;
            auth_request_set $auth_user_id $upstream_http_x_auth_user_id;
            auth_request_set $auth_email $upstream_http_x_auth_email;
            proxy_set_header X-Auth-User-Id $auth_user_id;
            proxy_set_header X-Auth-Email $auth_email;
            proxy_pass http://{upstream};
        }}
    }}"#
    )
}

struct Nginx {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn nginx_binary() -> &'static str {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("this test needs nginx: `apt-get install nginx` (.ci/run installs it)")
}

fn start_nginx(dir: &Path, latchkey: SocketAddr, upstream: SocketAddr) -> Nginx {
    let addr = free_addr();
    let d = dir.display();
    // One process in the foreground, everything it writes inside `dir`: nothing of the
    // machine's own nginx is used or touched.
    let config = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log info;\nevents {{ worker_connections 64; }}\n\
         http {{\n    access_log off;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n\
         \x20   fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n{}\n}}\n",
        site(addr, latchkey, upstream)
    );
    std::fs::write(dir.join("nginx.conf"), config).unwrap();
    let child = Command::new(nginx_binary())
        .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while TcpStream::connect(addr).is_err() {
        let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nginx did not start:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Nginx { child, addr }
}

/// An upstream that answers every request with the `X-Auth-User-Id` it received, or `-`.
fn upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve_one(stream));
        }
    });
    addr
}

fn serve_one(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut user = "-".to_owned();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("x-auth-user-id")
        {
            value.trim().clone_into(&mut user);
        }
    }
    let body = format!("upstream saw {user}");
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

#[test]
fn nginx_auth_request_guards_an_upstream_and_ends_access_at_logout() {
    let server = TestServer::start();
    let user = server.verified_user("a@example.com", "Anna");
    let id = user["id"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let nginx = start_nginx(dir.path(), server.addr, upstream());

    let anonymous = Request::new("GET", "/app/dashboard").send(nginx.addr);
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    // A client cannot claim to be somebody by sending the header itself.
    let forged = Request::new("GET", "/app")
        .header("X-Auth-User-Id", id)
        .send(nginx.addr);
    assert_eq!(forged.status, 401);

    let token = server.login("a@example.com")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let through = Request::new("POST", "/app/orders")
        .bearer(&token)
        .header("X-Auth-User-Id", "somebody-else")
        .send(nginx.addr);
    assert_eq!(through.status, 200, "{}", through.text());
    assert_eq!(through.text(), format!("upstream saw {id}"));

    let out = server.bearer("POST", "/api/accounts/logout", &token, Some(&json!({})));
    assert!(out.status < 300, "{}", out.text());
    let ended = Instant::now();
    let mut status = 200;
    while status == 200 && ended.elapsed() < Duration::from_secs(2) {
        status = Request::new("GET", "/app")
            .bearer(&token)
            .send(nginx.addr)
            .status;
    }
    assert_eq!(status, 401);
    assert!(
        ended.elapsed() < Duration::from_secs(1),
        "{:?}",
        ended.elapsed()
    );
}
