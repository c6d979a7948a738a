//! Accounts: uniqueness of addresses and nicknames, also under parallel writes; password
//! changes; deletion and its cascade.

use latchkey::rules::{self, Conflict};
use latchkey::store::Purpose;

use super::{Fixture, HASH, T0, code, mail, ms, open_session, session, signup, user};

pub async fn email_and_nickname_stay_unique(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    let try_create = |u: latchkey::store::User| {
        let store = store.clone();
        async move {
            let c = code(&u.id, &u.email, Purpose::Signup, 2);
            let m = mail(&u.email);
            store
                .write(move |tx, w| rules::users::create(tx, w, &u, &c, &m, ms(T0)))
                .await
                .unwrap()
        }
    };
    let mut other = user("u2", "a@example.com");
    other.nickname = "fresh".into();
    assert_eq!(try_create(other.clone()).await, Err(Conflict::Email));
    other.email = "b@example.com".into();
    other.nickname = "NICK-U1".into();
    assert_eq!(
        try_create(other).await,
        Err(Conflict::Nickname),
        "nicknames compare lower-cased"
    );
    assert_eq!(
        store
            .user_by_email("a@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        "u1"
    );
    assert!(store.user("u2").await.unwrap().is_none());
    assert_eq!(
        store.outbox_depth().await.unwrap(),
        1,
        "a refused sign-up queues nothing"
    );
}

pub async fn parallel_signups_of_one_address_make_one_account(f: Fixture) {
    let store = f.store();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("u{i}");
            let (u, c, m) = (
                user(&id, "same@example.com"),
                code(&id, "same@example.com", Purpose::Signup, 1),
                mail("same@example.com"),
            );
            store
                .write(move |tx, w| rules::users::create(tx, w, &u, &c, &m, ms(T0)))
                .await
                .unwrap()
        }));
    }
    let mut made = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => made += 1,
            Err(conflict) => assert_eq!(conflict, Conflict::Email),
        }
    }
    assert_eq!(made, 1);
    assert_eq!(
        store.outbox_depth().await.unwrap(),
        1,
        "one mail for one account"
    );
}

pub async fn nickname_changes_keep_nicknames_unique(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    signup(store.as_ref(), "u2", "b@example.com", 2).await;
    let rename = |id: &'static str, nick: &'static str| {
        let store = store.clone();
        async move {
            store
                .write(move |tx, w| rules::users::set_nickname(tx, w, id, nick))
                .await
                .unwrap()
        }
    };
    assert_eq!(rename("u2", "Nick-U1").await, Some(Err(Conflict::Nickname)));
    let renamed = rename("u1", "Ada").await.unwrap().unwrap();
    assert_eq!(renamed.nickname, "Ada");
    assert_eq!(
        rename("u1", "ADA").await.unwrap().unwrap().nickname,
        "ADA",
        "one's own nickname in another case is no conflict"
    );
    assert!(
        rename("u2", "nick-u1").await.unwrap().is_ok(),
        "the old nickname is free again"
    );
    assert_eq!(rename("gone", "whoever").await, None);
}

pub async fn a_password_change_loses_to_a_newer_one_and_ends_other_sessions(f: Fixture) {
    let store = f.store();
    for sid in ["s1", "s2"] {
        open_session(store.as_ref(), &session(sid, "u1", "r")).await;
    }
    let change = |checked: &'static str, hash: &'static str| {
        let store = store.clone();
        async move {
            store
                .write(move |tx, w| {
                    rules::users::set_password(tx, w, ("u1", checked), hash, Some("s2"), T0 + 1)
                })
                .await
                .unwrap()
        }
    };
    let ended = change(HASH, "$argon2id$new").await.unwrap();
    assert_eq!(
        ended.iter().map(|e| e.sid.as_str()).collect::<Vec<_>>(),
        ["s1"]
    );
    assert_eq!(
        change(HASH, "$argon2id$other").await,
        None,
        "checked against the old password: refused"
    );
    assert_eq!(
        store.user("u1").await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    assert!(store.session("s2").await.unwrap().unwrap().is_live());
    assert!(!store.session("s1").await.unwrap().unwrap().is_live());
}

pub async fn deletion_takes_sessions_codes_and_mail_and_frees_the_address(f: Fixture) {
    let store = f.store();
    signup(store.as_ref(), "u1", "a@example.com", 1).await;
    open_session(store.as_ref(), &session("s1", "u1", "r")).await;
    let mut tied = mail("a@example.com");
    tied.user_id = Some("u1".into());
    store
        .write(move |_, w| {
            w.enqueue(tied.clone(), ms(T0));
            Ok(())
        })
        .await
        .unwrap();
    let delete = |checked: &'static str| {
        let store = store.clone();
        async move {
            store
                .write(move |tx, w| rules::users::delete(tx, w, ("u1", checked), T0 + 5))
                .await
                .unwrap()
        }
    };
    assert_eq!(
        delete("$argon2id$wrong").await,
        None,
        "a stale password deletes nothing"
    );
    let deleted = delete(HASH).await.unwrap();
    assert_eq!(deleted.ended.len(), 1);
    assert_eq!(
        deleted.codes,
        [(Purpose::Signup, "a@example.com".to_owned())]
    );
    assert!(store.user("u1").await.unwrap().is_none());
    assert!(
        store
            .user_by_email("a@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.pending_codes().await.unwrap().is_empty());
    assert_eq!(
        store.outbox_depth().await.unwrap(),
        1,
        "only the mail not tied to the account is left"
    );
    assert_eq!(
        store.revoked_sessions(T0 + 5).await.unwrap().len(),
        1,
        "its tokens stay refused until they expire"
    );
    // Address and nickname are free again.
    signup(store.as_ref(), "u9", "a@example.com", 3).await;
    let mut again = user("u10", "z@example.com");
    again.nickname = "nick-u1".into();
    let c = code("u10", "z@example.com", Purpose::Signup, 4);
    let m = mail("z@example.com");
    let created = store
        .write(move |tx, w| rules::users::create(tx, w, &again, &c, &m, ms(T0)))
        .await
        .unwrap();
    assert_eq!(created, Ok(()));
}
