//! A real SMTP listener on 127.0.0.1 that speaks enough of RFC 5321 for lettre: the server
//! under test delivers to it over TCP, and tests read what arrived.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use mail_parser::MessageParser;

/// One delivered message.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// `RCPT TO` addresses.
    pub recipients: Vec<String>,
    /// The message exactly as received (dot-unstuffed).
    pub raw: String,
}

impl Delivered {
    /// The decoded plain-text part.
    pub fn text(&self) -> String {
        let message = MessageParser::default()
            .parse(self.raw.as_bytes())
            .expect("a parseable message");
        message.body_text(0).expect("a text part").into_owned()
    }

    /// The decoded HTML part.
    pub fn html(&self) -> String {
        let message = MessageParser::default()
            .parse(self.raw.as_bytes())
            .expect("a parseable message");
        message.body_html(0).expect("an HTML part").into_owned()
    }

    /// The header block (before the first empty line).
    pub fn head(&self) -> &str {
        self.raw.split("\r\n\r\n").next().unwrap_or_default()
    }

    /// The `Subject` header, decoded.
    pub fn subject(&self) -> String {
        let message = MessageParser::default()
            .parse(self.raw.as_bytes())
            .expect("a parseable message");
        message.subject().unwrap_or_default().to_owned()
    }

    /// The value after `prefix` on a line of its own in the text part (`Code: ` gives the code).
    pub fn line_after(&self, prefix: &str) -> Option<String> {
        self.text()
            .lines()
            .find_map(|l| l.strip_prefix(prefix).map(str::to_owned))
    }

    /// The sign-up code.
    pub fn code(&self) -> String {
        self.line_after("Code: ")
            .unwrap_or_else(|| panic!("no code line in:\n{}", self.text()))
    }

    /// The verification link.
    pub fn link(&self) -> String {
        self.text()
            .lines()
            .find(|l| l.contains("/api/accounts/verify-email?token="))
            .map_or_else(|| panic!("no link in:\n{}", self.text()), str::to_owned)
    }
}

#[derive(Default)]
struct Inbox {
    mails: Mutex<Vec<Delivered>>,
    arrived: Condvar,
    /// Messages received in full but answered with a 4xx after their data.
    deferred: Mutex<Vec<Delivered>>,
}

/// The listener. Dropping it stops accepting.
pub struct Smtp {
    addr: SocketAddr,
    inbox: Arc<Inbox>,
    /// A 5xx code to answer `RCPT TO` with, or 0 for accepting everything.
    reject: Arc<AtomicU16>,
    /// A 4xx code to answer `RCPT TO` with (a transient failure), or 0 for none.
    defer: Arc<AtomicU16>,
    /// How many `RCPT TO` were answered with the `defer` code.
    deferred: Arc<AtomicUsize>,
    /// A 4xx code to answer the end of `DATA` with (the message was seen, then refused for
    /// now), or 0 for none.
    defer_data: Arc<AtomicU16>,
    running: Arc<AtomicBool>,
}

impl Smtp {
    /// A listener on a free port, accepting at once.
    pub fn start() -> Self {
        let smtp = Self::reserve();
        smtp.listen();
        smtp
    }

    /// A free port with nothing listening yet: deliveries fail until [`Smtp::listen`].
    pub fn reserve() -> Self {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        Self {
            addr,
            inbox: Arc::default(),
            reject: Arc::default(),
            defer: Arc::default(),
            defer_data: Arc::default(),
            deferred: Arc::default(),
            running: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts accepting on the reserved port.
    pub fn listen(&self) {
        let listener = TcpListener::bind(self.addr).expect("the reserved SMTP port is still free");
        self.running.store(true, Ordering::SeqCst);
        let (inbox, reject, running) = (
            self.inbox.clone(),
            self.reject.clone(),
            self.running.clone(),
        );
        let (defer, deferred) = (self.defer.clone(), self.deferred.clone());
        let defer_data = self.defer_data.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                if !running.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (inbox, reject) = (inbox.clone(), reject.clone());
                let transient = Transient {
                    code: defer.clone(),
                    count: deferred.clone(),
                    after_data: defer_data.clone(),
                };
                thread::spawn(move || {
                    let _ = session(stream, &inbox, &reject, &transient);
                });
            }
        });
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Answer every `RCPT TO` with this permanent-failure code from now on.
    pub fn reject_with(&self, code: u16) {
        self.reject.store(code, Ordering::SeqCst);
    }

    /// Answer every `RCPT TO` with this transient-failure (4xx) code from now on; 0 accepts
    /// again. The sender keeps such mail queued and retries it later.
    pub fn defer_with(&self, code: u16) {
        self.defer.store(code, Ordering::SeqCst);
    }

    /// Answer the end of every message's data with this 4xx code from now on; 0 accepts
    /// again. Unlike [`Smtp::defer_with`], the message is seen first ([`Smtp::deferred_mails`]).
    pub fn defer_data_with(&self, code: u16) {
        self.defer_data.store(code, Ordering::SeqCst);
    }

    /// The messages answered with the [`Smtp::defer_data_with`] code so far.
    pub fn deferred_mails(&self) -> Vec<Delivered> {
        self.inbox.deferred.lock().unwrap().clone()
    }

    /// How many recipients have been refused with the [`Smtp::defer_with`] code so far.
    pub fn deferred(&self) -> usize {
        self.deferred.load(Ordering::SeqCst)
    }

    /// Every message so far.
    pub fn all(&self) -> Vec<Delivered> {
        self.inbox.mails.lock().unwrap().clone()
    }

    /// Messages to `to` so far.
    pub fn to(&self, to: &str) -> Vec<Delivered> {
        self.all()
            .into_iter()
            .filter(|m| m.recipients.iter().any(|r| r == to))
            .collect()
    }

    /// Waits until `count` messages to `to` have arrived, and returns the last.
    pub fn wait_for_nth(&self, to: &str, count: usize, timeout: Duration) -> Delivered {
        let deadline = Instant::now() + timeout;
        let mut mails = self.inbox.mails.lock().unwrap();
        loop {
            let matching: Vec<_> = mails
                .iter()
                .filter(|m| m.recipients.iter().any(|r| r == to))
                .cloned()
                .collect();
            if matching.len() >= count {
                return matching[count - 1].clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no mail #{count} to {to} within {timeout:?}; got {} in all",
                mails.len()
            );
            mails = self.inbox.arrived.wait_timeout(mails, left).unwrap().0;
        }
    }

    /// Waits for the first message to `to`.
    pub fn last_mail_to(&self, to: &str) -> Delivered {
        let count = self.to(to).len().max(1);
        self.wait_for_nth(to, count, Duration::from_secs(10))
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.running.store(false, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// The transient refusal shared with every session: read at each `RCPT TO`.
struct Transient {
    code: Arc<AtomicU16>,
    count: Arc<AtomicUsize>,
    /// A 4xx code to answer the end of `DATA` with, or 0 for none.
    after_data: Arc<AtomicU16>,
}

fn session(
    stream: TcpStream,
    inbox: &Inbox,
    reject: &AtomicU16,
    transient: &Transient,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    out.write_all(b"220 latchkey-test ESMTP\r\n")?;
    let mut recipients = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") {
            out.write_all(b"250-latchkey-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?;
        } else if command.starts_with("HELO") || command.starts_with("NOOP") {
            out.write_all(b"250 ok\r\n")?;
        } else if command.starts_with("MAIL FROM") {
            recipients.clear();
            out.write_all(b"250 ok\r\n")?;
        } else if command.starts_with("RCPT TO") {
            // Read at each recipient: the sender reuses connections across mails.
            let reject = reject.load(Ordering::SeqCst);
            if reject >= 500 {
                out.write_all(format!("{reject} 5.1.1 no such mailbox\r\n").as_bytes())?;
                continue;
            }
            let defer = transient.code.load(Ordering::SeqCst);
            if (400..500).contains(&defer) {
                transient.count.fetch_add(1, Ordering::SeqCst);
                out.write_all(format!("{defer} 4.3.0 try again later\r\n").as_bytes())?;
                continue;
            }
            let addr = line.trim_end()[8..]
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned();
            recipients.push(addr);
            out.write_all(b"250 ok\r\n")?;
        } else if command == "DATA" {
            out.write_all(b"354 go ahead\r\n")?;
            let mut raw = String::new();
            loop {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                raw.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let after_data = transient.after_data.load(Ordering::SeqCst);
            if (400..500).contains(&after_data) {
                inbox.deferred.lock().unwrap().push(Delivered {
                    recipients: recipients.clone(),
                    raw,
                });
                out.write_all(format!("{after_data} 4.3.0 try again later\r\n").as_bytes())?;
                continue;
            }
            let mut mails = inbox.mails.lock().unwrap();
            mails.push(Delivered {
                recipients: recipients.clone(),
                raw,
            });
            inbox.arrived.notify_all();
            drop(mails);
            out.write_all(b"250 queued\r\n")?;
        } else if command.starts_with("RSET") {
            recipients.clear();
            out.write_all(b"250 ok\r\n")?;
        } else if command.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 not implemented\r\n")?;
        }
    }
}
