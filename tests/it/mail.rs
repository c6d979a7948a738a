//! Mail over real SMTP: what arrives, in both languages; an outage delays mail without failing
//! the request; a permanent refusal parks it.

use std::time::Duration;

use crate::harness::TestServer;
use crate::smtp::Smtp;

#[test]
fn the_signup_mail_has_one_recipient_both_parts_and_the_exact_lines() {
    let server = TestServer::start();
    server.signup("a@example.com", "<b>Anna</b>");
    let mail = server.mail_to("a@example.com");
    assert_eq!(mail.recipients, ["a@example.com"]);
    let code = mail.code();
    assert!(
        code.len() == 6
            && code
                .bytes()
                .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)),
        "{code}"
    );
    assert!(mail.link().starts_with(&format!(
        "http://{}/api/accounts/verify-email?token=",
        server.addr
    )));
    assert!(
        mail.html().contains("&lt;b&gt;Anna&lt;/b&gt;"),
        "user text escaped in HTML"
    );
    assert!(mail.text().contains("1 hour"));
    let head = mail.head();
    assert!(head.contains("Message-ID: <"), "{head}");
    assert!(
        head.lines().filter(|l| l.starts_with("To:")).count() == 1,
        "{head}"
    );
}

#[test]
fn korean_mail_has_the_korean_code_line() {
    let server = TestServer::start_with(|c| {
        c.set("mail.language", "ko");
    });
    server.signup("a@example.com", "김민수");
    let mail = server.mail_to("a@example.com");
    let code = mail.line_after("인증 코드: ").expect("a Korean code line");
    assert_eq!(code.len(), 6);
    assert!(mail.text().contains("1시간"), "{}", mail.text());
}

#[test]
fn an_smtp_outage_delays_mail_but_not_the_request() {
    let server = TestServer::start_full(Smtp::reserve(), |_| {});
    let started = std::time::Instant::now();
    server.signup("a@example.com", "Anna");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the request did not wait for SMTP"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.smtp.all().is_empty());
    server.smtp.listen();
    // The first retry comes after about 2 s, the second after about 4 s more.
    let mail = server
        .smtp
        .wait_for_nth("a@example.com", 1, Duration::from_secs(15));
    assert_eq!(mail.code().len(), 6);
}

#[test]
fn a_permanent_refusal_parks_the_mail() {
    let smtp = Smtp::start();
    smtp.reject_with(550);
    let server = TestServer::start_full(smtp, |_| {});
    server.signup("a@example.com", "Anna");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = server.get("/metrics").text();
        if metrics.contains("latchkey_mail_total{state=\"parked\"} 1") {
            assert!(metrics.contains("latchkey_outbox_depth 0"), "{metrics}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not parked:\n{metrics}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(server.log().contains("parked"));
    assert!(server.smtp.all().is_empty());
}

#[test]
fn the_file_transport_writes_eml_files_with_the_code_line() {
    let server = TestServer::start_with(|c| {
        c.set("mail.transport", "file");
    });
    server.signup("a@example.com", "Anna");
    let dir = server.data_dir().join("mail");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        let files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        let eml = files
            .iter()
            .find(|f| f.path().extension().is_some_and(|e| e == "eml"));
        if let Some(eml) = eml {
            break std::fs::read_to_string(eml.path()).unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no .eml in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(text.contains("To: a@example.com"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("Code: ")), "{text}");
    assert!(server.smtp.all().is_empty(), "nothing went over SMTP");
    assert!(server.log().contains("mail written"));
}

/// The `Message-ID` header of a raw message.
fn message_id(mail: &crate::smtp::Delivered) -> String {
    mail.head()
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap_or_else(|| panic!("no Message-ID in {}", mail.head()))
        .trim()
        .to_owned()
}

#[test]
fn a_mail_deferred_by_a_4xx_is_delivered_later_with_the_same_message_id() {
    let server = TestServer::start();
    server.smtp.defer_data_with(451);
    server.signup("d@example.com", "Dana");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.smtp.deferred_mails().is_empty() {
        assert!(std::time::Instant::now() < deadline, "{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let first = server.smtp.deferred_mails().remove(0);
    assert!(
        server.smtp.all().is_empty(),
        "refused for now, not delivered"
    );
    server.smtp.defer_data_with(0);
    // The first retry comes about 2 s later.
    let delivered = server
        .smtp
        .wait_for_nth("d@example.com", 1, Duration::from_secs(15));
    assert_eq!(message_id(&delivered), message_id(&first));
    assert_eq!(
        delivered.code(),
        first.code(),
        "the same mail, not a new code"
    );
    assert_eq!(server.smtp.to("d@example.com").len(), 1, "delivered once");
}
