//! Codes: attempts (also under parallel guesses), expiry, purposes, links, the resend gate,
//! and the effects of a right code.

use std::sync::Arc;

use latchkey::rules::codes::{CodeRules, Effect, Guess, Redeemed};
use latchkey::rules::{self, Conflict, TooSoon};
use latchkey::store::{Purpose, Store};

use super::{Fixture, T0, code, mail, ms, open_session, session, signup};

const RULES: CodeRules = CodeRules {
    max_attempts: 3,
    resend_interval: 60,
};

fn typed(purpose: Purpose, email: &str, mac: u8) -> Guess {
    Guess::Code {
        purpose,
        email: email.into(),
        mac: [mac; 32],
    }
}

async fn redeem(store: &Arc<dyn Store>, guess: Guess, effect: Effect, at: u64) -> Redeemed {
    store
        .write(move |tx, w| rules::codes::redeem(tx, w, &guess, &effect, RULES, ms(at)))
        .await
        .unwrap()
}

pub async fn the_right_code_activates_once(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    let guess = typed(Purpose::Signup, "a@example.com", 1);
    let done = redeem(&store, guess.clone(), Effect::Activate, T0 + 10).await;
    assert!(matches!(done, Redeemed::Accepted { ref user, .. } if user.is_active));
    assert!(store.user("u1").await.unwrap().unwrap().is_active);
    assert_eq!(
        redeem(&store, guess, Effect::Activate, T0 + 11).await,
        Redeemed::Unknown,
        "used up"
    );
}

pub async fn wrong_guesses_count_and_void_the_code(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    for attempts in 1..=3 {
        let wrong = redeem(
            &store,
            typed(Purpose::Signup, "a@example.com", 9),
            Effect::Activate,
            T0 + 10,
        );
        assert_eq!(wrong.await, Redeemed::Wrong { attempts });
    }
    // Sent at T0 with a 60 s interval: at T0 + 10 a new code may be asked for in 50 s.
    let right = redeem(
        &store,
        typed(Purpose::Signup, "a@example.com", 1),
        Effect::Activate,
        T0 + 10,
    );
    assert_eq!(right.await, Redeemed::Exhausted { retry_after: 50 });
    assert!(!store.user("u1").await.unwrap().unwrap().is_active);
}

pub async fn parallel_wrong_guesses_never_exceed_the_limit(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    let mut tasks = Vec::new();
    for i in 0..24u8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            redeem(
                &store,
                typed(Purpose::Signup, "a@example.com", 100 + i),
                Effect::Activate,
                T0 + 10,
            )
            .await
        }));
    }
    let mut wrong = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Redeemed::Wrong { attempts } => wrong.push(attempts),
            Redeemed::Exhausted { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    wrong.sort_unstable();
    assert_eq!(
        wrong,
        [1, 2, 3],
        "each count seen once, none past the limit"
    );
    let right = redeem(
        &store,
        typed(Purpose::Signup, "a@example.com", 1),
        Effect::Activate,
        T0 + 10,
    );
    assert!(matches!(right.await, Redeemed::Exhausted { .. }));
}

pub async fn expired_codes_and_other_purposes_are_unknown(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    let reset = typed(Purpose::Reset, "a@example.com", 1);
    assert_eq!(
        redeem(&store, reset, Effect::Activate, T0 + 10).await,
        Redeemed::Unknown
    );
    let expired = typed(Purpose::Signup, "a@example.com", 1);
    assert_eq!(
        redeem(&store, expired, Effect::Activate, T0 + 3600).await,
        Redeemed::Unknown,
        "dead at its expiry instant"
    );
}

pub async fn links_redeem_and_a_replaced_code_takes_its_link_along(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    let old_link = [1 ^ 0xff; 32];
    let mut fresh = code("u1", "a@example.com", Purpose::Signup, 5);
    fresh.issued_at = T0 + 60;
    let m = mail("a@example.com");
    let sent = store
        .write(move |tx, w| {
            rules::codes::send(tx, w, &fresh, std::slice::from_ref(&m), 60, ms(T0 + 60))
        })
        .await
        .unwrap();
    assert_eq!(sent, Ok(()));
    let stale = Guess::Link { mac: old_link };
    assert_eq!(
        redeem(&store, stale, Effect::Activate, T0 + 70).await,
        Redeemed::Unknown
    );
    let link = Guess::Link {
        mac: [5 ^ 0xff; 32],
    };
    assert!(matches!(
        redeem(&store, link, Effect::Activate, T0 + 70).await,
        Redeemed::Accepted { .. }
    ));
}

pub async fn the_resend_gate_holds_per_address_and_purpose(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    let send = |purpose: Purpose, at: u64| {
        let store = store.clone();
        async move {
            let mut c = code("u1", "a@example.com", purpose, 6);
            c.issued_at = at;
            let m = mail("a@example.com");
            store
                .write(move |tx, w| {
                    rules::codes::send(tx, w, &c, std::slice::from_ref(&m), 60, ms(at))
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(
        send(Purpose::Signup, T0 + 30).await,
        Err(TooSoon { retry_after: 30 })
    );
    assert_eq!(
        send(Purpose::Reset, T0 + 30).await,
        Ok(()),
        "another purpose has its own gate"
    );
    assert_eq!(send(Purpose::Signup, T0 + 60).await, Ok(()));
    let notify = |at: u64| {
        let store = store.clone();
        async move {
            let m = mail("a@example.com");
            store
                .write(move |tx, w| {
                    rules::codes::notify(
                        tx,
                        w,
                        (Purpose::Signup, "a@example.com"),
                        std::slice::from_ref(&m),
                        60,
                        ms(at),
                    )
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(notify(T0 + 61).await, Err(TooSoon { retry_after: 59 }));
    assert_eq!(
        store.outbox_depth().await.unwrap(),
        3,
        "sign-up, reset, resend; no notice"
    );
}

pub async fn an_email_change_to_a_taken_address_uses_the_code_and_changes_nothing(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    signup(store.as_ref(), "u2", "b@example.com", 2).await;
    let mut change = code("u1", "a@example.com", Purpose::EmailChange, 3);
    change.target = Some("b@example.com".into());
    let sent = store
        .write(move |tx, w| rules::codes::send(tx, w, &change, &[], 60, ms(T0)))
        .await
        .unwrap();
    assert_eq!(sent, Ok(()));
    let guess = typed(Purpose::EmailChange, "a@example.com", 3);
    assert_eq!(
        redeem(&store, guess.clone(), Effect::ChangeEmail, T0 + 5).await,
        Redeemed::Conflict(Conflict::Email)
    );
    assert_eq!(
        store.user("u1").await.unwrap().unwrap().email,
        "a@example.com"
    );
    assert_eq!(
        redeem(&store, guess, Effect::ChangeEmail, T0 + 6).await,
        Redeemed::Unknown
    );
}

pub async fn a_reset_ends_every_session_and_drops_other_codes(f: Fixture) {
    let store = f.store();
    open_session(store.as_ref(), &session("s1", "u1", "r")).await;
    let reset = code("u1", "u1@example.com", Purpose::Reset, 4);
    let sent = store
        .write(move |tx, w| rules::codes::send(tx, w, &reset, &[], 60, ms(T0)))
        .await
        .unwrap();
    assert_eq!(sent, Ok(()));
    let effect = Effect::ResetPassword {
        hash: "$argon2id$reset".into(),
    };
    let Redeemed::Accepted { user, ended } = redeem(
        &store,
        typed(Purpose::Reset, "u1@example.com", 4),
        effect,
        T0 + 5,
    )
    .await
    else {
        panic!("the right reset code is accepted");
    };
    assert!(user.is_active, "the code proved the address");
    assert_eq!(user.password_hash, "$argon2id$reset");
    assert_eq!(
        ended.iter().map(|e| e.sid.as_str()).collect::<Vec<_>>(),
        ["s1"]
    );
    assert!(
        store.pending_codes().await.unwrap().is_empty(),
        "the sign-up code went too"
    );
}
