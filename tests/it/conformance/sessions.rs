//! Sessions: rotation with grace and reuse, parallel refreshes, the checked-password guard,
//! ending sessions.

use std::sync::Arc;

use latchkey::rules::{self, sessions::Rotation};
use latchkey::store::{Revocation, Store};

use super::{Fixture, HASH, T0, mail, ms, open_session, refresh, session, signup};

async fn rotate(store: &Arc<dyn Store>, jti: &str, next: &str, at_ms: u64) -> Rotation {
    let (jti, next) = (jti.to_owned(), refresh(next, T0 + 9000));
    store
        .write(move |tx, w| {
            rules::sessions::rotate(tx, w, ("s1", &jti), &next, (at_ms, 10_000), &|u| {
                mail(&u.email)
            })
        })
        .await
        .unwrap()
}

pub async fn rotation_grace_and_reuse(f: Fixture) {
    let store = f.store();
    open_session(store.as_ref(), &session("s1", "u1", "r1")).await;
    let queued = store.outbox_depth().await.unwrap();
    let Rotation::Rotated { session: s, .. } = rotate(&store, "r1", "r2", ms(T0 + 100)).await
    else {
        panic!("the current token rotates");
    };
    assert_eq!(s.refresh.jti, "r2");
    // The predecessor within the grace: the same successor, nothing changes.
    let Rotation::Grace { session: s, .. } = rotate(&store, "r1", "r3", ms(T0 + 110)).await else {
        panic!("the predecessor within the grace gets the successor");
    };
    assert_eq!(s.refresh.jti, "r2");
    assert_eq!(store.outbox_depth().await.unwrap(), queued);
    // Outside the grace, the predecessor is reuse: the session ends and the owner is warned.
    let reused = rotate(&store, "r1", "r3", ms(T0 + 110) + 1).await;
    let Rotation::Reused { user, ended } = reused else {
        panic!("a stale token is reuse, got {reused:?}");
    };
    assert_eq!(user.id, "u1");
    assert_eq!(
        ended,
        Revocation {
            sid: "s1".into(),
            refresh_exp: T0 + 9000
        }
    );
    assert_eq!(
        store.outbox_depth().await.unwrap(),
        queued + 1,
        "the warning is queued"
    );
    // Even the current token is dead now, and the grace never revives it.
    assert_eq!(
        rotate(&store, "r2", "r4", ms(T0 + 111)).await,
        Rotation::Gone
    );
    assert_eq!(
        rotate(&store, "r1", "r4", ms(T0 + 111)).await,
        Rotation::Gone
    );
    assert_eq!(store.revoked_sessions(T0 + 111).await.unwrap(), [ended]);
}

pub async fn parallel_refreshes_of_one_token_agree_on_one_successor(f: Fixture) {
    let store = f.store();
    open_session(store.as_ref(), &session("s1", "u1", "r1")).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            rotate(&store, "r1", &format!("next{i}"), ms(T0 + 100)).await
        }));
    }
    let mut successors = Vec::new();
    let mut rotated = 0;
    for task in tasks {
        match task.await.unwrap() {
            Rotation::Rotated { session, .. } => {
                rotated += 1;
                successors.push(session.refresh.jti);
            }
            Rotation::Grace { session, .. } => successors.push(session.refresh.jti),
            other => panic!("a racing tab must not end the session: {other:?}"),
        }
    }
    assert_eq!(rotated, 1, "exactly one rotation");
    successors.dedup();
    assert_eq!(successors.len(), 1, "every caller got the same successor");
    let stored = store.session("s1").await.unwrap().unwrap();
    assert_eq!(stored.refresh.jti, successors[0]);
}

pub async fn a_session_is_refused_when_the_password_changed_after_it_was_checked(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    let open = |s: latchkey::store::Session, checked: &'static str| {
        let store = store.clone();
        async move {
            store
                .write(move |tx, w| rules::sessions::open(tx, w, (&s, checked), ms(T0)))
                .await
                .unwrap()
        }
    };
    assert!(!open(session("s1", "u1", "r1"), "$argon2id$old").await);
    assert!(store.session("s1").await.unwrap().is_none());
    assert!(!open(session("s2", "nobody", "r1"), HASH).await);
    let mut user = store.user("u1").await.unwrap().unwrap();
    user.disabled = true;
    store
        .write(move |_, w| {
            w.put_user(user.clone());
            Ok(())
        })
        .await
        .unwrap();
    assert!(
        !open(session("s3", "u1", "r1"), HASH).await,
        "a deactivated account gets none"
    );
}

pub async fn ending_all_sessions_can_keep_one(f: Fixture) {
    let store = f.store();
    for sid in ["s1", "s2", "s3"] {
        open_session(store.as_ref(), &session(sid, "u1", "r")).await;
    }
    open_session(store.as_ref(), &session("other", "u2", "r")).await;
    let ended = store
        .write(|tx, w| rules::sessions::end_all(tx, w, "u1", Some("s2"), T0 + 200))
        .await
        .unwrap();
    let mut sids: Vec<_> = ended.into_iter().map(|e| e.sid).collect();
    sids.sort();
    assert_eq!(sids, ["s1", "s3"]);
    assert!(store.session("s2").await.unwrap().unwrap().is_live());
    assert!(store.session("other").await.unwrap().unwrap().is_live());
    let again = store
        .write(|tx, w| rules::sessions::end(tx, w, "s1", T0 + 300))
        .await
        .unwrap();
    assert_eq!(again, None, "already ended");
    let mut revoked: Vec<_> = store
        .revoked_sessions(T0 + 300)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.sid)
        .collect();
    revoked.sort();
    assert_eq!(revoked, ["s1", "s3"]);
}
