//! What is acknowledged survives: a SIGKILL in the middle of concurrent refreshes and sign-ups
//! loses no write a client was told about.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::client::{Request, raw};
use crate::harness::{PASSWORD, TestServer};

/// What the clients were told had happened.
#[derive(Default)]
struct Acknowledged {
    /// Addresses whose sign-up answered 201.
    signups: Vec<String>,
    /// The last refresh token each chain was handed.
    chains: Vec<String>,
}

fn post(
    addr: std::net::SocketAddr,
    path: &str,
    body: &serde_json::Value,
) -> Option<(u16, serde_json::Value)> {
    let request = Request::new("POST", path).json(body);
    let reply = raw(addr, &request.bytes(addr)).ok()?;
    let value = serde_json::from_slice(&reply.body).unwrap_or_default();
    Some((reply.status, value))
}

#[test]
fn sigkill_under_concurrent_refreshes_and_signups_loses_nothing_acknowledged() {
    let mut server = TestServer::start();
    let addr = server.addr;
    let chains = 8;
    let mut first_tokens = Vec::new();
    for i in 0..chains {
        let email = format!("chain{i}@example.com");
        server.verified_user(&email, &format!("chain {i}"));
        first_tokens.push(
            server.login(&email)["refresh_token"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let acked = Arc::new(Mutex::new(Acknowledged {
        signups: Vec::new(),
        chains: first_tokens.clone(),
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for (i, first) in first_tokens.into_iter().enumerate() {
        let (acked, stop) = (acked.clone(), stop.clone());
        clients.push(std::thread::spawn(move || {
            let mut token = first;
            while !stop.load(Ordering::SeqCst) {
                let body = json!({"refresh_token": token});
                let Some((200, reply)) = post(addr, "/api/accounts/token/refresh", &body) else {
                    return;
                };
                token = reply["refresh_token"].as_str().unwrap().to_owned();
                acked.lock().unwrap().chains[i].clone_from(&token);
            }
        }));
    }
    for t in 0..8 {
        let (acked, stop) = (acked.clone(), stop.clone());
        clients.push(std::thread::spawn(move || {
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let email = format!("new{t}-{n}@example.com");
                let body = json!({"email": email, "password": PASSWORD, "nickname": format!("new {t} {n}")});
                match post(addr, "/api/accounts/signup", &body) {
                    Some((201, _)) => acked.lock().unwrap().signups.push(email),
                    Some((status, reply)) => panic!("sign-up answered {status}: {reply}"),
                    None => return,
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(1500));
    server.kill();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    server.restart();
    let acked = acked.lock().unwrap();
    assert!(
        acked.signups.len() > 20,
        "the load ran: {} sign-ups",
        acked.signups.len()
    );
    for email in &acked.signups {
        let body =
            json!({"email": email, "password": PASSWORD, "nickname": format!("again {email}")});
        let reply = server.post_json("/api/accounts/signup", &body);
        assert_eq!(
            (reply.status, reply.error()),
            (409, "email_taken".to_owned()),
            "the acknowledged sign-up of {email} was lost"
        );
    }
    for token in &acked.chains {
        // The last token handed out is current, or, if one more rotation committed unanswered,
        // the predecessor within the grace window: either way it still refreshes.
        let reply = server.post_json(
            "/api/accounts/token/refresh",
            &json!({"refresh_token": token}),
        );
        assert_eq!(
            reply.status,
            200,
            "an acknowledged rotation was lost: {}",
            reply.text()
        );
    }
}
