//! The audit log: one unbroken chain under parallel writers, nothing from a work that failed,
//! trimming from the front with an anchor, and the chain kept across a reopen.

use latchkey::rules::{self, audit::Verifier};
use latchkey::store::{AuditEntry, Error, Store};

use super::{Fixture, T0, ms};

async fn record(store: &dyn Store, name: &'static str, at_ms: u64) {
    store
        .write(move |_, w| {
            w.audit(rules::audit::event(name, at_ms, Some("u1"), None));
            Ok(())
        })
        .await
        .unwrap();
}

async fn entries(store: &dyn Store) -> Vec<AuditEntry> {
    store.audit(0, usize::MAX).await.unwrap()
}

async fn verify(store: &dyn Store) -> u64 {
    let mut verifier = Verifier::new(store.audit_anchor().await.unwrap());
    for entry in entries(store).await {
        verifier.next(&entry).unwrap();
    }
    verifier.head().1
}

pub async fn parallel_audited_writes_form_one_unbroken_chain(f: Fixture) {
    let store = f.store();
    let writers: Vec<_> = (0..64u64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .write(move |_, w| {
                        // Two events in one work are chained one after the other.
                        w.audit(rules::audit::event("a", ms(T0) + i, None, None));
                        w.audit(rules::audit::event("b", ms(T0) + i, None, None));
                        Ok(())
                    })
                    .await
                    .unwrap();
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let all = entries(store.as_ref()).await;
    assert_eq!(all.len(), 128);
    let seqs: Vec<u64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=128).collect::<Vec<_>>(), "no gaps, no repeats");
    assert_eq!(verify(store.as_ref()).await, 128);
    // Origin: outside any scope the service itself is the actor.
    assert!(all.iter().all(|e| e.event.actor == "system"));
}

pub async fn a_failing_work_leaves_no_audit_entry(f: Fixture) {
    let store = f.store();
    record(store.as_ref(), "before", ms(T0)).await;
    let failed = store
        .write(|_, w| -> Result<(), Error> {
            w.audit(rules::audit::event("never", ms(T0), None, None));
            Err(Error::Constraint("refused on purpose"))
        })
        .await;
    assert!(failed.is_err());
    record(store.as_ref(), "after", ms(T0)).await;
    let names: Vec<String> = entries(store.as_ref())
        .await
        .into_iter()
        .map(|e| e.event.event)
        .collect();
    assert_eq!(names, ["before", "after"]);
    assert_eq!(verify(store.as_ref()).await, 2);
}

pub async fn retention_trims_the_front_and_keeps_an_anchor(mut f: Fixture) {
    let store = f.store();
    for i in 0..10 {
        record(store.as_ref(), "login", ms(T0 + i * 100)).await;
    }
    drop(store);
    // Older than T0 + 450 s: the first five go, in steps of two.
    let mut dropped = 0;
    loop {
        let store = f.store();
        let n = store
            .write(|tx, w| rules::audit::trim(tx, w, ms(T0 + 450), 2))
            .await
            .unwrap();
        dropped += n;
        if n < 2 {
            break;
        }
    }
    assert_eq!(dropped, 5);
    f.reopen();
    let store = f.store();
    let kept = entries(store.as_ref()).await;
    assert_eq!(kept.first().map(|e| e.seq), Some(6));
    let anchor = store.audit_anchor().await.unwrap();
    assert_eq!(anchor.seq, 5);
    assert_eq!(verify(store.as_ref()).await, 5, "verifies from the anchor");
    // The chain goes on from where it was, across the reopen.
    record(store.as_ref(), "logout", ms(T0 + 2000)).await;
    assert_eq!(verify(store.as_ref()).await, 6);
    // Everything trimmed: the anchor alone carries the chain on.
    store
        .write(|tx, w| rules::audit::trim(tx, w, u64::MAX, 100))
        .await
        .unwrap();
    assert!(entries(store.as_ref()).await.is_empty());
    record(store.as_ref(), "login", ms(T0 + 3000)).await;
    let last = entries(store.as_ref()).await;
    assert_eq!(last[0].seq, 12);
    assert_eq!(verify(store.as_ref()).await, 1);
}
