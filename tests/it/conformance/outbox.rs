//! The outbox: order, claims with a lease, retries, parking, delivery; parallel claims.

use std::collections::HashSet;

use latchkey::rules::outbox::{self, AfterFailure};
use latchkey::store::MailState;

use super::{Fixture, T0, mail, ms};

const LEASE_MS: u64 = 60_000;

pub async fn the_outbox_claims_retries_parks_and_delivers(f: Fixture) {
    let store = f.store();
    store
        .write(|_, w| {
            w.enqueue(mail("one@example.com"), ms(T0));
            w.enqueue(mail("two@example.com"), ms(T0) + 1);
            w.enqueue(mail("later@example.com"), ms(T0 + 50));
            Ok(())
        })
        .await
        .unwrap();
    let claim = |at: u64| {
        let store = store.clone();
        async move {
            store
                .write(move |tx, w| outbox::claim(tx, w, at, LEASE_MS, 10))
                .await
                .unwrap()
        }
    };
    let due = claim(ms(T0 + 1)).await;
    assert_eq!(
        due.iter().map(|m| m.mail.to.as_str()).collect::<Vec<_>>(),
        ["one@example.com", "two@example.com"],
        "due mail, oldest first; the later one waits"
    );
    assert!(claim(ms(T0 + 2)).await.is_empty(), "claimed mail is held");
    let (one, two) = (due[0].id, due[1].id);
    let fail = |id: u64, permanent: bool, at: u64| {
        let store = store.clone();
        async move {
            store
                .write(move |tx, w| outbox::failed(tx, w, id, (permanent, "421 busy"), at))
                .await
                .unwrap()
        }
    };
    let AfterFailure::Retry(next) = fail(one, false, ms(T0 + 3)).await else {
        panic!("a transient failure is retried");
    };
    assert!(
        (ms(T0 + 3) + 1600..=ms(T0 + 3) + 2400).contains(&next),
        "{next}"
    );
    assert_eq!(fail(two, true, ms(T0 + 3)).await, AfterFailure::Parked);
    assert_eq!(
        store.outbox_depth().await.unwrap(),
        2,
        "parked mail is not queued"
    );
    let retried = claim(next).await;
    assert_eq!(retried.len(), 1);
    assert_eq!((retried[0].id, retried[0].attempts), (one, 1));
    assert_eq!(retried[0].last_error.as_deref(), Some("421 busy"));
    store
        .write(move |_, w| {
            outbox::delivered(w, one);
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(store.outbox_depth().await.unwrap(), 1);
    assert_eq!(store.next_mail_due().await.unwrap(), Some(ms(T0 + 50)));
    let gone = fail(one, false, ms(T0 + 60)).await;
    assert_eq!(gone, AfterFailure::Gone, "a delivered mail is gone");
    // A claim that lapses (its sender died) hands the mail to the next claimer.
    let held = claim(ms(T0 + 60)).await;
    assert_eq!(held.len(), 1);
    let retaken = claim(ms(T0 + 60) + LEASE_MS).await;
    assert_eq!(
        retaken.iter().map(|m| m.id).collect::<Vec<_>>(),
        [held[0].id]
    );
    assert_eq!(retaken[0].state, MailState::Queued);
}

pub async fn parallel_claims_never_hand_out_one_mail_twice(f: Fixture) {
    let store = f.store();
    store
        .write(|_, w| {
            for i in 0..100 {
                w.enqueue(mail(&format!("m{i}@example.com")), ms(T0));
            }
            Ok(())
        })
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .write(|tx, w| outbox::claim(tx, w, ms(T0 + 1), LEASE_MS, 7))
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut seen = HashSet::new();
    for task in tasks {
        for id in task.await.unwrap() {
            assert!(seen.insert(id), "mail {id} was claimed twice");
        }
    }
    assert_eq!(seen.len(), 100);
}
