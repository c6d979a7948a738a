//! Who caused a write, for its audit entries: the HTTP layer runs each request inside
//! [`Origin::scope`] with the client's address and request id, the admin socket and the
//! offline CLI with actor `cli`. Work done outside any scope (the sweeper, the outbox) is the
//! `system`'s.

use std::future::Future;

use crate::store::AuditEvent;

tokio::task_local! {
    static ORIGIN: Origin;
}

/// The actor, client address and request id of the work in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// `user`, `cli` or `system`.
    pub actor: &'static str,
    /// The client's address.
    pub ip: Option<String>,
    /// The request's id.
    pub request_id: Option<String>,
}

impl Origin {
    /// A request from a client.
    #[must_use]
    pub fn request(ip: std::net::IpAddr, request_id: &str) -> Self {
        Self {
            actor: "user",
            ip: Some(ip.to_string()),
            request_id: Some(request_id.to_owned()),
        }
    }

    /// An operator's command.
    #[must_use]
    pub fn cli() -> Self {
        Self {
            actor: "cli",
            ip: None,
            request_id: None,
        }
    }

    /// The origin of the task this runs in (`system` outside every scope).
    #[must_use]
    pub fn current() -> Self {
        ORIGIN.try_with(Clone::clone).unwrap_or(Self {
            actor: "system",
            ip: None,
            request_id: None,
        })
    }

    /// Runs `work` with this origin.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        ORIGIN.scope(self, work).await
    }

    /// Fills in what `event` leaves open.
    pub fn stamp(&self, event: &mut AuditEvent) {
        if event.actor.is_empty() {
            self.actor.clone_into(&mut event.actor);
        }
        if event.ip.is_none() {
            event.ip.clone_from(&self.ip);
        }
        if event.request_id.is_none() {
            event.request_id.clone_from(&self.request_id);
        }
    }
}
