//! `mail list [--parked] | retry ID | --parked | drop ID | --parked` (SPEC §8): what waits in
//! the outbox and what was given up on, never a body (it holds codes and links); a second
//! chance for parked mail once the relay is fixed, or its removal, code and all.

use serde_json::json;

use super::{Context, Error, Reply, Request, audit_event, row};
use crate::accounts::rfc3339;
use crate::rules;
use crate::store::{Changes, MailState, OutboxMail, Tx};

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
        .collect::<Vec<_>>();
    let message = rows.is_empty().then(|| {
        if parked_only {
            "no parked mail".to_owned()
        } else {
            "the outbox is empty".to_owned()
        }
    });
    Ok(Reply {
        rows,
        message,
        ..Reply::default()
    })
}

/// The ids `id` names: that one, or every parked mail.
async fn chosen(cx: &Context<'_>, id: Option<u64>) -> Result<Vec<u64>, Error> {
    Ok(match id {
        Some(id) => vec![id],
        None => all(cx)
            .await?
            .into_iter()
            .filter(|m| m.state == MailState::Parked)
            .map(|m| m.id)
            .collect(),
    })
}

/// Applies `rule` to each chosen parked mail in one transaction, audited as `request`; the ids
/// it applied to.
async fn each_parked(
    cx: &Context<'_>,
    request: &Request,
    id: Option<u64>,
    rule: fn(&mut dyn Tx, &mut Changes, u64, u64) -> Result<bool, crate::store::Error>,
) -> Result<Vec<u64>, Error> {
    let wanted = chosen(cx, id).await?;
    let event = audit_event(cx, request, None, None);
    let now_ms = cx.app.now_ms();
    let done: Vec<u64> = cx
        .app
        .write(move |tx, w| {
            let mut done = Vec::new();
            for &id in &wanted {
                if rule(tx, w, id, now_ms)? {
                    done.push(id);
                }
            }
            if !done.is_empty() {
                let mut event = event.clone();
                let list: Vec<String> = done.iter().map(u64::to_string).collect();
                event.detail = Some(format!("mail {}", list.join(", ")));
                w.audit(event);
            }
            Ok(done)
        })
        .await?;
    if let Some(id) = id.filter(|_| done.is_empty()) {
        return Err(Error::Usage(format!(
            "mail {id} is not parked (`mail list --parked` shows what is)"
        )));
    }
    Ok(done)
}

pub(super) async fn retry(cx: &Context<'_>, id: Option<u64>) -> Result<Reply, Error> {
    let retried = each_parked(cx, &Request::MailRetry { id }, id, rules::outbox::retry).await?;
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

pub(super) async fn drop(cx: &Context<'_>, id: Option<u64>) -> Result<Reply, Error> {
    let dropped = each_parked(cx, &Request::MailDrop { id }, id, |tx, w, id, _| {
        rules::outbox::drop_parked(tx, w, id)
    })
    .await?;
    Ok(Reply {
        rows: Vec::new(),
        message: Some(format!(
            "{} parked mail(s) dropped, bodies and codes with them",
            dropped.len()
        )),
        ..Reply::default()
    })
}
