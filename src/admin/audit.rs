//! `audit list [--user ID] [--since DURATION] | verify` (SPEC §8).

use serde_json::json;

use super::{Context, Error, Reply, row};
use crate::accounts::rfc3339;
use crate::rules::audit::Verifier;
use crate::store::AuditEntry;

/// Reading page size.
const PAGE: usize = 2000;

fn entry_row(e: &AuditEntry) -> serde_json::Map<String, serde_json::Value> {
    let ev = &e.event;
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ev.at_ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| rfc3339(ev.at_ms / 1000));
    row([
        ("seq", json!(e.seq)),
        ("time", json!(time)),
        ("event", json!(ev.event)),
        ("actor", json!(ev.actor)),
        ("user", json!(ev.user_id)),
        ("session", json!(ev.session_id)),
        ("ip", json!(ev.ip)),
        ("request", json!(ev.request_id)),
        ("detail", json!(ev.detail)),
    ])
}

pub(super) async fn list(
    cx: &Context<'_>,
    user: Option<&str>,
    since: Option<u64>,
) -> Result<Reply, Error> {
    let from_ms = since.map_or(0, |s| {
        cx.app.now_ms().saturating_sub(s.saturating_mul(1000))
    });
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = cx.store.audit(after, PAGE).await?;
        let full = page.len() == PAGE;
        after = page.last().map_or(after, |e| e.seq);
        rows.extend(
            page.iter()
                .filter(|e| e.event.at_ms >= from_ms)
                .filter(|e| user.is_none_or(|u| e.event.user_id.as_deref() == Some(u)))
                .map(entry_row),
        );
        if !full {
            break;
        }
    }
    Ok(Reply {
        rows,
        message: None,
        ..Reply::default()
    })
}

pub(super) async fn verify(cx: &Context<'_>) -> Result<Reply, Error> {
    // The anchor and the first page must agree: retention may trim the front between the
    // two reads, and then the walk starts again from the new anchor.
    for _ in 0..3 {
        let anchor = cx.store.audit_anchor().await?;
        let mut first = cx.store.audit(anchor.seq, PAGE).await?;
        if first.first().is_some_and(|e| e.seq != anchor.seq + 1)
            && cx.store.audit_anchor().await? != anchor
        {
            continue;
        }
        let mut verifier = Verifier::new(anchor);
        loop {
            for entry in &first {
                verifier.next(entry).map_err(|broken| {
                    Error::Failed(format!(
                        "the audit log is broken: {broken}; entries from there on cannot be trusted"
                    ))
                })?;
            }
            if first.len() < PAGE {
                break;
            }
            let (head, _) = verifier.head();
            first = cx.store.audit(head.seq, PAGE).await?;
        }
        let (head, checked) = verifier.head();
        return Ok(Reply {
            rows: Vec::new(),
            message: Some(format!(
                "ok: {checked} entries intact, from anchor {} to entry {}; head hash {} \
                 (note it somewhere else: if a later verify's chain does not pass through it, \
                 the log was rewritten as a whole)",
                anchor.seq,
                head.seq,
                crate::hex::encode(&head.hash)
            )),
            ..Reply::default()
        });
    }
    Err(Error::Failed(
        "the audit log kept being trimmed while it was read; try again".into(),
    ))
}
