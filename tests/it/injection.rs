//! Header injection and input hardening, read off the raw message the SMTP listener received:
//! an address that could smuggle a second recipient or header is refused before any mail is
//! queued, user text never reaches a header and is escaped in HTML, and IDN domains are mailed
//! in their ASCII form.

use std::time::Duration;

use serde_json::{Value, json};

use crate::client::Reply;
use crate::harness::{PASSWORD, TestServer};
use crate::smtp::Delivered;

fn signup(server: &TestServer, email: &Value, nickname: &str) -> Reply {
    server.post_json(
        "/api/accounts/signup",
        &json!({"email": email, "password": PASSWORD, "nickname": nickname}),
    )
}

/// The top-level header names of a message, lower-cased, one per header (folded lines joined).
fn header_names(mail: &Delivered) -> Vec<String> {
    mail.head()
        .split("\r\n")
        .filter(|l| !l.starts_with([' ', '\t']))
        .filter_map(|l| l.split_once(':'))
        .map(|(name, _)| name.trim().to_ascii_lowercase())
        .collect()
}

#[test]
fn addresses_that_could_smuggle_a_recipient_or_header_are_refused_and_mail_nothing() {
    let server = TestServer::start();
    let bad = [
        json!("a@example.com\r\nBcc: evil@example.com"),
        json!("a@example.com\nBcc: evil@example.com"),
        json!("a@example.com\rBcc: evil@example.com"),
        json!("a@example.com\r\n\r\nbody"),
        json!("Bcc: evil@example.com"),
        json!("a@example.com, evil@example.com"),
        json!("a@example.com,evil@example.com"),
        json!("a@example.com;evil@example.com"),
        json!("a@example.com evil@example.com"),
        json!("Anna <a@example.com>"),
        json!("<evil@example.com>"),
        json!("a@evil@example.com"),
        json!("\"a,evil\"@example.com"),
        json!("a@example.com\u{0}"),
        json!("a\u{85}@example.com"),
        json!(["a@example.com", "evil@example.com"]),
        json!(["a@example.com"]),
        json!({"address": "a@example.com"}),
        json!(42),
        json!(null),
    ];
    for email in &bad {
        let reply = signup(&server, email, "Anna");
        assert_eq!(
            (reply.status, reply.error()),
            (400, "validation_failed".into()),
            "{email}"
        );
        assert!(reply.json()["fields"]["email"].is_string(), "{email}");
    }

    // A good sign-up afterwards is the first and only mail the relay ever sees.
    signup(&server, &json!("ok@example.com"), "Okay");
    let mail = server.mail_to("ok@example.com");
    std::thread::sleep(Duration::from_millis(200));
    let all = server.smtp.all();
    assert_eq!(
        all.len(),
        1,
        "{:?}",
        all.iter().map(|m| &m.recipients).collect::<Vec<_>>()
    );
    assert_eq!(mail.recipients, ["ok@example.com"]);
}

/// Nicknames are trimmed before they are checked (`input::Nickname`), so the bad characters
/// here sit inside the name.
#[test]
fn nicknames_with_line_breaks_or_control_characters_are_refused() {
    let server = TestServer::start();
    for (i, nickname) in [
        "Anna\r\nBcc: evil@example.com",
        "Anna\nBcc: evil@example.com",
        "An\rna",
        "An\u{7}na",
        "Anna\u{0}",
        "An\u{1b}[31mna",
        "An\tna",
        "Anna\u{2028}Bcc: x",
        "An\u{85}na",
        "\u{2066}Anna\u{2069}",
    ]
    .into_iter()
    .enumerate()
    {
        let reply = signup(&server, &json!(format!("user{i}@example.com")), nickname);
        assert_eq!(
            (reply.status, reply.error()),
            (400, "validation_failed".into()),
            "{nickname:?}"
        );
        assert!(
            reply.json()["fields"]["nickname"].is_string(),
            "{nickname:?}"
        );
    }
    server.signup("marker@example.com", "Marker");
    server.mail_to("marker@example.com");
    assert_eq!(server.smtp.all().len(), 1, "only the marker was mailed");
}

#[test]
fn the_raw_message_has_one_recipient_no_extra_headers_and_escaped_user_text() {
    let server = TestServer::start();
    let nickname = "<script>alert(1)</script>";
    let created = signup(&server, &json!("a@example.com"), nickname);
    assert_eq!(created.status, 201, "{}", created.text());
    let mail = server.mail_to("a@example.com");

    assert_eq!(mail.recipients, ["a@example.com"]);
    let mut names = header_names(&mail);
    assert_eq!(
        names.iter().filter(|n| *n == "to").count(),
        1,
        "{}",
        mail.head()
    );
    for forbidden in ["bcc", "cc", "reply-to"] {
        assert!(
            !names.iter().any(|n| n == forbidden),
            "{forbidden}: {}",
            mail.head()
        );
    }
    names.sort();
    assert_eq!(
        names,
        [
            "content-type",
            "date",
            "from",
            "message-id",
            "mime-version",
            "subject",
            "to"
        ],
        "exactly the headers the server writes: {}",
        mail.head()
    );
    let to = mail
        .head()
        .split("\r\n")
        .find(|l| l.to_ascii_lowercase().starts_with("to:"))
        .unwrap();
    assert!(to.contains("a@example.com") && !to.contains(','), "{to}");
    assert!(
        !mail.head().contains("script") && !mail.head().contains("alert"),
        "user text in a header: {}",
        mail.head()
    );

    let html = mail.html();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    assert!(
        mail.text().contains(nickname),
        "the text part shows it as typed"
    );
}

#[test]
fn idn_domains_sign_up_and_are_mailed_in_ascii() {
    let server = TestServer::start();
    let created = signup(&server, &json!("user@BÜCHER.de"), "Bücherwurm");
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["user"]["email"], "user@xn--bcher-kva.de");

    let mail = server.mail_to("user@xn--bcher-kva.de");
    assert_eq!(mail.recipients, ["user@xn--bcher-kva.de"]);
    assert!(
        mail.head().contains("user@xn--bcher-kva.de"),
        "{}",
        mail.head()
    );

    let verified = server.post_json(
        "/api/accounts/verify-email",
        &json!({"email": "user@bücher.de", "code": mail.code()}),
    );
    assert_eq!(verified.status, 200, "{}", verified.text());
    let again = signup(&server, &json!("USER@xn--BCHER-kva.de"), "Other");
    assert_eq!(
        (again.status, again.error()),
        (409, "email_taken".into()),
        "the Unicode and ASCII forms are one address"
    );
}
