//! The redb backend on a temporary file: every atomic operation and what survives a reopen.

use super::txn::record;
use super::*;
use crate::store::SCHEMA_VERSION;
use crate::store::tables::{CODES, LINKS, REVOKED};

impl RedbStore {
    /// The pending code a link token's HMAC leads to, read straight from the tables.
    fn code_by_link(&self, link_mac: &[u8; 32]) -> Result<Option<PendingCode>, Error> {
        let txn = self.read()?;
        let key = txn
            .open_table(LINKS)?
            .get(link_mac.as_slice())?
            .map(|g| g.value().to_owned());
        key.map_or(Ok(None), |key| {
            record(&txn.open_table(CODES)?, "codes", &key)
        })
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: RedbStore,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latchkey.redb");
    let store = RedbStore::open(&path).unwrap();
    Fixture {
        _dir: dir,
        path,
        store,
    }
}

fn user(id: &str, email: &str) -> User {
    User {
        id: id.into(),
        email: email.into(),
        nickname: format!("nick-{id}"),
        password_hash: "$argon2id$stub".into(),
        is_active: false,
        created_at: 100,
    }
}

fn code(user_id: &str, email: &str, purpose: Purpose, mac: u8) -> PendingCode {
    PendingCode {
        purpose,
        email: email.into(),
        user_id: user_id.into(),
        target: None,
        code_mac: [mac; 32],
        link_mac: (purpose == Purpose::Signup).then_some([mac ^ 0xff; 32]),
        issued_at: 1000,
        expires_at: 4600,
        attempts: 0,
    }
}

fn mail(to: &str) -> NewMail {
    NewMail {
        to: to.into(),
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
        message_id: format!("<{to}>"),
        user_id: None,
    }
}

fn rules(now: u64) -> CodeRules {
    CodeRules {
        now,
        max_attempts: 3,
        resend_interval: 60,
    }
}

fn signup(f: &Fixture, id: &str, email: &str) {
    let u = user(id, email);
    let c = code(id, email, Purpose::Signup, 1);
    f.store
        .create_user(&u, &u.nickname.to_lowercase(), &c, &mail(email))
        .unwrap()
        .unwrap();
}

#[test]
fn a_fresh_database_has_a_code_key_and_keeps_it() {
    let f = fixture();
    let key = f.store.code_key().unwrap();
    drop(f.store);
    assert_eq!(RedbStore::open(&f.path).unwrap().code_key().unwrap(), key);
}

#[test]
fn a_newer_schema_is_refused() {
    let f = fixture();
    f.store
        .write(|txn| {
            txn.open_table(META)?
                .insert("schema_version", 99u64.to_be_bytes().as_slice())?;
            Ok(())
        })
        .unwrap();
    drop(f.store);
    let err = RedbStore::open(&f.path).unwrap_err();
    assert!(
        matches!(
            err,
            Error::SchemaTooNew {
                found: 99,
                supported: SCHEMA_VERSION
            }
        ),
        "{err}"
    );
}

#[test]
fn email_and_nickname_stay_unique() {
    let f = fixture();
    signup(&f, "u1", "a@example.com");
    let mut other = user("u2", "a@example.com");
    let c = code("u2", "a@example.com", Purpose::Signup, 2);
    assert_eq!(
        f.store
            .create_user(&other, "fresh", &c, &mail("x"))
            .unwrap(),
        Err(Conflict::Email)
    );
    other.email = "b@example.com".into();
    assert_eq!(
        f.store
            .create_user(&other, "nick-u1", &c, &mail("x"))
            .unwrap(),
        Err(Conflict::Nickname)
    );
    assert_eq!(
        f.store.user_by_email("a@example.com").unwrap().unwrap().id,
        "u1"
    );
    assert!(f.store.user("u2").unwrap().is_none());
    assert_eq!(
        f.store.outbox_depth().unwrap(),
        1,
        "a refused sign-up queues nothing"
    );
}

#[test]
fn the_right_code_activates_once() {
    let f = fixture();
    signup(&f, "u1", "a@example.com");
    let guess = |mac| Guess::Code {
        purpose: Purpose::Signup,
        email: "a@example.com",
        mac: [mac; 32],
    };
    let done = f
        .store
        .redeem(guess(1), &Effect::Activate, rules(2000))
        .unwrap();
    assert!(matches!(done, Redeemed::Accepted { ref user, .. } if user.is_active));
    assert!(f.store.user("u1").unwrap().unwrap().is_active);
    assert_eq!(
        f.store
            .redeem(guess(1), &Effect::Activate, rules(2000))
            .unwrap(),
        Redeemed::Unknown
    );
}

#[test]
fn wrong_guesses_count_and_void_the_code() {
    let f = fixture();
    signup(&f, "u1", "a@example.com");
    let guess = |mac| Guess::Code {
        purpose: Purpose::Signup,
        email: "a@example.com",
        mac: [mac; 32],
    };
    for attempts in 1..=3 {
        assert_eq!(
            f.store
                .redeem(guess(9), &Effect::Activate, rules(1010))
                .unwrap(),
            Redeemed::Wrong { attempts }
        );
    }
    // Sent at 1000 with a 60 s interval: at 1010 a new code may be asked for in 50 s.
    let exhausted = f
        .store
        .redeem(guess(1), &Effect::Activate, rules(1010))
        .unwrap();
    assert_eq!(exhausted, Redeemed::Exhausted { retry_after: 50 });
    assert!(!f.store.user("u1").unwrap().unwrap().is_active);
}

#[test]
fn an_expired_code_is_unknown() {
    let f = fixture();
    signup(&f, "u1", "a@example.com");
    let guess = Guess::Code {
        purpose: Purpose::Signup,
        email: "a@example.com",
        mac: [1; 32],
    };
    assert_eq!(
        f.store
            .redeem(guess, &Effect::Activate, rules(4600))
            .unwrap(),
        Redeemed::Unknown
    );
}

#[test]
fn purposes_are_kept_apart() {
    let f = fixture();
    signup(&f, "u1", "a@example.com");
    let guess = Guess::Code {
        purpose: Purpose::Reset,
        email: "a@example.com",
        mac: [1; 32],
    };
    assert_eq!(
        f.store
            .redeem(guess, &Effect::Activate, rules(2000))
            .unwrap(),
        Redeemed::Unknown
    );
}

#[test]
fn links_redeem_and_a_replaced_code_takes_its_link_along() {
    let f = fixture();
    signup(&f, "u1", "a@example.com");
    let old_link = [1 ^ 0xff; 32];
    assert!(f.store.code_by_link(&old_link).unwrap().is_some());
    let mut fresh = code("u1", "a@example.com", Purpose::Signup, 5);
    fresh.issued_at = 1030;
    assert_eq!(
        f.store
            .replace_code(&fresh, &[mail("a@example.com")], 60)
            .unwrap(),
        Err(TooSoon { retry_after: 30 })
    );
    fresh.issued_at = 1060;
    f.store
        .replace_code(&fresh, &[mail("a@example.com")], 60)
        .unwrap()
        .unwrap();
    assert!(f.store.code_by_link(&old_link).unwrap().is_none());
    let stale = Guess::Link { mac: old_link };
    assert_eq!(
        f.store
            .redeem(stale, &Effect::Activate, rules(2000))
            .unwrap(),
        Redeemed::Unknown
    );
    let link = Guess::Link {
        mac: [5 ^ 0xff; 32],
    };
    assert!(matches!(
        f.store
            .redeem(link, &Effect::Activate, rules(2000))
            .unwrap(),
        Redeemed::Accepted { .. }
    ));
}

fn session(sid: &str, user_id: &str, jti: &str) -> Session {
    Session {
        id: sid.into(),
        user_id: user_id.into(),
        created_at: 1000,
        refresh: RefreshState {
            jti: jti.into(),
            iat: 1000,
            exp: 9000,
            kid: "k".into(),
        },
        previous: None,
        revoked_at: None,
    }
}

/// Saves a session, creating its account first if the test has not.
fn add_session(f: &Fixture, s: &Session) {
    if f.store.user(&s.user_id).unwrap().is_none() {
        let owner = user(&s.user_id, &format!("{}@example.com", s.user_id));
        f.store.import(&[owner], &[]).unwrap();
    }
    assert!(f.store.create_session(s, "$argon2id$stub").unwrap());
}

fn next(jti: &str) -> RefreshState {
    RefreshState {
        jti: jti.into(),
        iat: 1100,
        exp: 9100,
        kid: "k".into(),
    }
}

#[test]
fn rotation_grace_and_reuse() {
    let f = fixture();
    add_session(&f, &session("s1", "u1", "r1"));
    let warn = mail("a@example.com");
    let Rotation::Rotated(s) = f
        .store
        .rotate("s1", "r1", &next("r2"), 1100, 10, &warn)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(s.refresh.jti, "r2");
    // The predecessor within the grace: the same successor, nothing changes.
    let Rotation::Grace(s) = f
        .store
        .rotate("s1", "r1", &next("r3"), 1110, 10, &warn)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(s.refresh.jti, "r2");
    assert_eq!(f.store.outbox_depth().unwrap(), 0);
    // Outside the grace, the predecessor is reuse: the session ends and the owner is warned.
    let reused = f
        .store
        .rotate("s1", "r1", &next("r3"), 1111, 10, &warn)
        .unwrap();
    assert_eq!(
        reused,
        Rotation::Reused {
            user_id: "u1".into(),
            refresh_exp: 9100
        }
    );
    assert_eq!(f.store.outbox_depth().unwrap(), 1);
    // Even the current token is dead now, and the grace never revives it.
    assert_eq!(
        f.store
            .rotate("s1", "r2", &next("r4"), 1112, 10, &warn)
            .unwrap(),
        Rotation::Ended
    );
    assert_eq!(
        f.store.revoked_sessions(1112).unwrap(),
        [Ended {
            sid: "s1".into(),
            refresh_exp: 9100
        }]
    );
}

#[test]
fn a_session_is_refused_when_the_password_changed_after_it_was_checked() {
    let f = fixture();
    signup(&f, "u1", "a@example.com");
    assert!(
        !f.store
            .create_session(&session("s1", "u1", "r1"), "$argon2id$old")
            .unwrap()
    );
    assert!(f.store.session("s1").unwrap().is_none());
    assert!(
        !f.store
            .create_session(&session("s2", "nobody", "r1"), "$argon2id$stub")
            .unwrap()
    );
    let changed = f
        .store
        .set_password("u1", "$argon2id$stub", "$argon2id$new", None, 1)
        .unwrap();
    assert_eq!(changed, Some(Vec::new()));
    let stale = f
        .store
        .set_password("u1", "$argon2id$stub", "$argon2id$other", None, 1)
        .unwrap();
    assert_eq!(
        stale, None,
        "a change checked against the old password loses to the newer one"
    );
    assert_eq!(
        f.store.delete_user("u1", "$argon2id$stub", 1).unwrap(),
        None
    );
    assert!(
        f.store
            .delete_user("u1", "$argon2id$new", 1)
            .unwrap()
            .is_some()
    );
}

#[test]
fn revoking_all_sessions_can_keep_one() {
    let f = fixture();
    for sid in ["s1", "s2", "s3"] {
        add_session(&f, &session(sid, "u1", "r"));
    }
    add_session(&f, &session("other", "u2", "r"));
    let ended = f
        .store
        .revoke_user_sessions("u1", Some("s2"), 1200)
        .unwrap();
    let mut sids: Vec<_> = ended.into_iter().map(|e| e.sid).collect();
    sids.sort();
    assert_eq!(sids, ["s1", "s3"]);
    assert!(f.store.session("s2").unwrap().unwrap().revoked_at.is_none());
    assert!(
        f.store
            .session("other")
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none()
    );
    assert_eq!(
        f.store.revoke_session("s1", 1300).unwrap(),
        None,
        "already ended"
    );
}

#[test]
fn the_outbox_keeps_order_retries_and_parks() {
    let f = fixture();
    f.store.queue_mail(&mail("one@example.com")).unwrap();
    f.store.queue_mail(&mail("two@example.com")).unwrap();
    let due = f.store.due_mail(u64::MAX, 10).unwrap();
    assert_eq!(
        due.iter().map(|m| m.mail.to.as_str()).collect::<Vec<_>>(),
        ["one@example.com", "two@example.com"]
    );
    let (one, two) = (due[0].id, due[1].id);
    f.store.mail_retry(one, u64::MAX - 1, "421 busy").unwrap();
    assert_eq!(f.store.due_mail(u64::MAX - 2, 10).unwrap().len(), 1);
    assert_eq!(
        f.store.next_mail_due().unwrap(),
        Some(due[1].next_attempt_ms)
    );
    f.store.mail_park(two, "550 no such user").unwrap();
    assert_eq!(f.store.outbox_depth().unwrap(), 1);
    f.store.mail_sent(one).unwrap();
    assert_eq!(f.store.outbox_depth().unwrap(), 0);
    assert_eq!(f.store.next_mail_due().unwrap(), None);
}

#[test]
fn purge_drops_expired_codes_and_sessions() {
    let f = fixture();
    signup(&f, "u1", "a@example.com");
    add_session(&f, &session("s1", "u1", "r1"));
    f.store.revoke_session("s1", 2000).unwrap();
    assert_eq!(
        f.store.purge(4599, 60).unwrap(),
        Purged {
            codes: 0,
            sessions: 0
        }
    );
    assert_eq!(
        f.store.purge(9000, 60).unwrap(),
        Purged {
            codes: 1,
            sessions: 1
        }
    );
    assert!(f.store.pending_codes().unwrap().is_empty());
    assert!(f.store.code_by_link(&[1 ^ 0xff; 32]).unwrap().is_none());
    assert!(f.store.revoked_sessions(0).unwrap().is_empty());
}

#[test]
fn purge_forgets_revocations_of_deleted_accounts_once_expired() {
    let f = fixture();
    signup(&f, "u1", "a@example.com");
    add_session(&f, &session("s1", "u1", "r1"));
    let deleted = f
        .store
        .delete_user("u1", "$argon2id$stub", 2000)
        .unwrap()
        .unwrap();
    assert_eq!(deleted.ended.len(), 1);
    assert_eq!(
        f.store.revoked_sessions(2000).unwrap().len(),
        1,
        "its tokens stay refused"
    );
    f.store.purge(9000, 60).unwrap();
    let left = f.store.read_table(REVOKED).unwrap().len().unwrap();
    assert_eq!(left, 0);
}

#[test]
fn everything_survives_a_reopen() {
    let f = fixture();
    signup(&f, "u1", "a@example.com");
    add_session(&f, &session("s1", "u1", "r1"));
    f.store
        .add_signing_key(&StoredKey {
            kid: "k1".into(),
            secret: vec![1; 32],
            created_at: 1,
            retired_at: None,
        })
        .unwrap();
    f.store
        .add_signing_key(&StoredKey {
            kid: "k2".into(),
            secret: vec![2; 32],
            created_at: 2,
            retired_at: None,
        })
        .unwrap();
    drop(f.store);
    let store = RedbStore::open(&f.path).unwrap();
    assert!(store.user("u1").unwrap().is_some());
    assert!(store.session("s1").unwrap().is_some());
    assert_eq!(store.pending_codes().unwrap().len(), 1);
    let keys = store.signing_keys().unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.kid.as_str(), k.retired_at))
            .collect::<Vec<_>>(),
        [("k2", None), ("k1", Some(2))]
    );
}
