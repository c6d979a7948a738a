//! The write path itself: works committed alongside one another stay independent, and what is
//! acknowledged survives closing and opening the store.

use latchkey::rules;
use latchkey::store::{Error, Purpose, StoredKey};

use super::{Fixture, T0, mail, open_session, session, signup};

pub async fn a_failing_work_leaves_no_trace_and_fails_nothing_else(f: Fixture) {
    let store = f.store();
    let mut tasks = Vec::new();
    for i in 0..64u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(move |_, w| {
                    w.enqueue(mail(&format!("m{i}@example.com")), T0);
                    if i % 2 == 0 {
                        Err(Error::Constraint("this work fails on purpose"))
                    } else {
                        Ok(i)
                    }
                })
                .await
        }));
    }
    let mut ok = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(n) => {
                assert_eq!(n as usize, i);
                ok += 1;
            }
            Err(Error::Constraint(_)) => assert_eq!(i % 2, 0),
            Err(e) => panic!("work {i}: {e}"),
        }
    }
    assert_eq!(ok, 32);
    assert_eq!(
        store.outbox_depth().await.unwrap(),
        32,
        "only the works that succeeded left mail"
    );
    let stats = store.commit_stats();
    assert!(stats.writes >= 32 && stats.commits >= 1, "{stats:?}");
}

pub async fn everything_survives_a_reopen(mut f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    open_session(store.as_ref(), &session("s1", "u1", "r1")).await;
    store
        .write(|tx, w| rules::sessions::end(tx, w, "s1", T0 + 1))
        .await
        .unwrap();
    for (kid, at) in [("k1", 1), ("k2", 2)] {
        let key = StoredKey {
            kid: kid.into(),
            algorithm: "HS256".into(),
            secret: vec![at as u8; 32],
            created_at: at,
            signs_from: at,
            retired_at: (kid == "k1").then_some(2),
        };
        store
            .write(move |_, w| {
                w.put_key(key.clone());
                Ok(())
            })
            .await
            .unwrap();
    }
    let code_key = store.code_key().await.unwrap();
    drop(store);
    f.reopen();
    let store = f.store();
    assert!(store.user("u1").await.unwrap().is_some());
    assert!(
        store
            .user_by_email("a@example.com")
            .await
            .unwrap()
            .is_some()
    );
    assert!(!store.session("s1").await.unwrap().unwrap().is_live());
    assert_eq!(store.revoked_sessions(T0 + 1).await.unwrap().len(), 1);
    let codes = store.pending_codes().await.unwrap();
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].purpose, Purpose::Signup);
    assert_eq!(store.code_key().await.unwrap(), code_key);
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.kid.as_str(), k.retired_at))
            .collect::<Vec<_>>(),
        [("k2", None), ("k1", Some(2))]
    );
    assert_eq!(store.outbox_depth().await.unwrap(), 1);
}
