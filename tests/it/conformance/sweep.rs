//! Sweeping: expired codes, sessions (ended or not) and old send records go; nothing live does;
//! a large backlog goes in bounded steps.

use latchkey::rules::{self, sweep::Purged};
use latchkey::store::{Purpose, Store};

use super::{Fixture, HASH, T0, code, open_session, session, signup};

async fn step(store: &dyn Store, now: u64, limit: usize) -> Purged {
    store
        .write(move |tx, w| rules::sweep::step(tx, w, now, (60, u64::MAX), limit))
        .await
        .unwrap()
}

pub async fn sweeping_forgets_what_expired_and_nothing_else(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    open_session(store.as_ref(), &session("s1", "u1", "r1")).await;
    let mut long = session("s2", "u1", "r2");
    long.refresh.exp = T0 + 100_000;
    open_session(store.as_ref(), &long).await;
    store
        .write(|tx, w| rules::sessions::end(tx, w, "s1", T0 + 10))
        .await
        .unwrap();
    let nothing = step(store.as_ref(), T0 + 59, 100).await;
    assert_eq!(nothing, Purged::default(), "the send record still gates");
    let sends = step(store.as_ref(), T0 + 60, 100).await;
    assert_eq!(
        sends,
        Purged {
            codes: 0,
            sessions: 0,
            sends: 1,
            audit: 0,
        }
    );
    let codes = step(store.as_ref(), T0 + 3600, 100).await;
    assert_eq!(codes.codes, 1);
    assert!(store.pending_codes().await.unwrap().is_empty());
    let sessions = step(store.as_ref(), T0 + 8000, 100).await;
    assert_eq!(sessions.sessions, 1, "the ended one, at its refresh expiry");
    assert!(store.session("s1").await.unwrap().is_none());
    assert!(store.revoked_sessions(0).await.unwrap().is_empty());
    assert!(
        store.session("s2").await.unwrap().is_some(),
        "a live session stays"
    );
    // Revocations of a deleted account are swept once its tokens have expired.
    let deleted = store
        .write(|tx, w| rules::users::delete(tx, w, ("u1", HASH), T0 + 8001))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deleted.ended.len(), 1);
    assert_eq!(store.revoked_sessions(T0 + 8001).await.unwrap().len(), 1);
    step(store.as_ref(), T0 + 100_000, 100).await;
    assert!(store.revoked_sessions(0).await.unwrap().is_empty());
}

pub async fn a_big_backlog_is_swept_in_bounded_steps(f: Fixture) {
    let store = f.store();
    store
        .write(|_, w| {
            for i in 0..1000 {
                let email = format!("u{i}@example.com");
                w.put_code(code(&format!("u{i}"), &email, Purpose::Reset, 1));
                w.put_send(Purpose::Reset, &email, T0);
            }
            Ok(())
        })
        .await
        .unwrap();
    let mut steps = 0;
    let mut total = 0;
    loop {
        let purged = step(store.as_ref(), T0 + 3600, 256).await;
        assert!(purged.codes <= 256 && purged.sends <= 256);
        total += purged.codes;
        steps += 1;
        if !purged.more(256) {
            break;
        }
    }
    assert_eq!(total, 1000);
    assert_eq!(steps, 4, "1000 records in steps of 256");
    assert!(store.pending_codes().await.unwrap().is_empty());
}
