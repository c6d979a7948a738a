//! `mail list [--parked] | retry ID | --parked` (SPEC §8): what waits in the outbox and what
//! was given up on, never a body (it holds codes and links), and a second chance for parked
//! mail once the relay is fixed.

use serde_json::json;

use super::{Context, Error, Reply, Request, audit_event, row};
use crate::accounts::rfc3339;
use crate::rules;
use crate::store::{MailState, OutboxMail};

/// Listing page size.
const PAGE: usize = 1000;

async fn all(cx: &Context<'_>) -> Result<Vec<OutboxMail>, Error> {
    let mut mails = Vec::new();
    let mut after = 0;
    loop {
        let page = cx.store.mails(after, PAGE).await?;
        let full = page.len() == PAGE;
        after = page.last().map_or(after, |m| m.id);
        mails.extend(page);
        if !full {
            return Ok(mails);
        }
    }
}

pub(super) async fn list(cx: &Context<'_>, parked_only: bool) -> Result<Reply, Error> {
    let rows = all(cx)
        .await?
        .into_iter()
        .filter(|m| !parked_only || m.state == MailState::Parked)
        .map(|m| {
            let state = match m.state {
                MailState::Queued => "queued",
                MailState::Parked => "parked",
            };
            row([
                ("id", json!(m.id)),
                ("state", json!(state)),
                ("to", json!(m.mail.to)),
                ("subject", json!(m.mail.subject)),
                ("tries", json!(m.attempts)),
                ("queued", json!(rfc3339(m.queued_at))),
                ("last_error", json!(m.last_error)),
            ])
        })
        .collect();
    Ok(Reply {
        rows,
        message: None,
        ..Reply::default()
    })
}

pub(super) async fn retry(cx: &Context<'_>, id: Option<u64>) -> Result<Reply, Error> {
    let ids: Vec<u64> = match id {
        Some(id) => vec![id],
        None => all(cx)
            .await?
            .into_iter()
            .filter(|m| m.state == MailState::Parked)
            .map(|m| m.id)
            .collect(),
    };
    let event = audit_event(cx, &Request::MailRetry { id }, None, None);
    let (now_ms, wanted) = (cx.app.now_ms(), ids.clone());
    let retried: Vec<u64> = cx
        .app
        .write(move |tx, w| {
            let mut retried = Vec::new();
            for &id in &wanted {
                if rules::outbox::retry(tx, w, id, now_ms)? {
                    retried.push(id);
                }
            }
            if !retried.is_empty() {
                let mut event = event.clone();
                let list: Vec<String> = retried.iter().map(u64::to_string).collect();
                event.detail = Some(format!("mail {}", list.join(", ")));
                w.audit(event);
            }
            Ok(retried)
        })
        .await?;
    if let Some(id) = id.filter(|_| retried.is_empty()) {
        return Err(Error::Usage(format!(
            "mail {id} is not parked (`mail list --parked` shows what is)"
        )));
    }
    cx.app.outbox.wake();
    Ok(Reply {
        rows: Vec::new(),
        message: Some(format!(
            "{} parked mail(s) queued again; they go out now",
            retried.len()
        )),
        ..Reply::default()
    })
}
