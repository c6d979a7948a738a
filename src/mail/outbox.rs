//! The outbox worker: sends queued mail in the background, so a request never waits for SMTP.
//!
//! It claims due mail through the store (`rules::outbox`: each claimed mail is held for a lease,
//! so several senders never send one mail twice, and one that dies leaves its mail to another),
//! sends each on its own task (a slow or dead recipient holds up nothing else), and records the
//! outcome: delivered mail leaves the outbox, a failure is retried with back-off or parked. Its
//! `Message-ID` was fixed when it was queued. When the store fails, the worker backs off instead
//! of retrying in a tight loop.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::transport::Transport;
use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::rules::outbox::{self as rules, AfterFailure};
use crate::store::{OutboxMail, Store};

/// Mails in flight at once.
const MAX_IN_FLIGHT: usize = 32;
/// Longest sleep between looks at the queue when nothing wakes the worker.
const IDLE_POLL: Duration = Duration::from_secs(30);
/// The shortest lease on a claimed mail.
const MIN_LEASE: Duration = Duration::from_secs(60);
/// Longest pause after the store failed, doubling from one second.
const MAX_STORE_BACKOFF: Duration = Duration::from_secs(30);

/// The outbox worker's shared state.
pub struct Outbox {
    store: Arc<dyn Store>,
    transport: Transport,
    from: Mailbox,
    wake: Notify,
    /// Bounds one delivery, connection included.
    send_timeout: Duration,
    metrics: Arc<Metrics>,
    clock: Clock,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// Consecutive storage failures, and the pause they call for.
#[derive(Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn failed(&mut self, error: &crate::store::Error) -> Duration {
        self.failures += 1;
        if self.failures == 1 {
            tracing::error!(%error, "outbox: storage failed; backing off");
        } else {
            tracing::debug!(%error, failures = self.failures, "outbox: storage still failing");
        }
        Duration::from_secs(1)
            .saturating_mul(1 << self.failures.min(5))
            .min(MAX_STORE_BACKOFF)
    }

    fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "outbox: storage works again");
        }
        self.failures = 0;
    }
}

impl Outbox {
    /// A worker sending through `transport` as `from`.
    #[must_use]
    pub fn new(
        store: Arc<dyn Store>,
        transport: Transport,
        from: Mailbox,
        send_timeout: Duration,
        metrics: Arc<Metrics>,
        clock: Clock,
    ) -> Self {
        Self {
            store,
            transport,
            from,
            wake: Notify::new(),
            send_timeout,
            metrics,
            clock,
        }
    }

    /// Where mail goes, in words.
    #[must_use]
    pub fn describe(&self) -> String {
        self.transport.describe()
    }

    /// The transport this worker sends through (for `doctor --send-to`).
    #[must_use]
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Tells the worker that a mail was just queued.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// How long a claimed mail is held: well past the longest a delivery may take.
    fn lease(&self) -> Duration {
        (self.attempt_timeout() * 2).max(MIN_LEASE)
    }

    fn attempt_timeout(&self) -> Duration {
        self.send_timeout + Duration::from_secs(5)
    }

    /// Claims up to `room` due mails; returns them and how long to sleep if nothing else
    /// happens.
    async fn claim(&self, room: usize) -> Result<(Vec<OutboxMail>, Duration), crate::store::Error> {
        let (now_ms, lease_ms) = (self.clock.now_ms(), self.lease().as_millis() as u64);
        let claimed = self
            .store
            .write(move |tx, w| rules::claim(tx, w, now_ms, lease_ms, room))
            .await?;
        let sleep = if claimed.len() == room {
            IDLE_POLL
        } else {
            let next = self.store.next_mail_due().await?;
            next.map_or(IDLE_POLL, |due| {
                Duration::from_millis(due.saturating_sub(self.clock.now_ms())).min(IDLE_POLL)
            })
        };
        Ok((claimed, sleep))
    }

    /// Sends until `shutdown`, then waits up to `grace` for mails already in flight.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken, grace: Duration) {
        let mut tasks = JoinSet::new();
        let mut backoff = Backoff::default();
        loop {
            while tasks.try_join_next().is_some() {}
            let room = MAX_IN_FLIGHT.saturating_sub(tasks.len());
            let mut sleep = IDLE_POLL;
            let mut failing = false;
            if room > 0 {
                match self.claim(room).await {
                    Ok((claimed, next)) => {
                        backoff.succeeded();
                        sleep = next;
                        for mail in claimed {
                            let worker = self.clone();
                            tasks.spawn(async move { worker.deliver(mail).await });
                        }
                    }
                    Err(e) => {
                        sleep = backoff.failed(&e);
                        failing = true;
                    }
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.wake.notified(), if !failing => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() && room == 0 => {}
                () = tokio::time::sleep(sleep) => {}
            }
        }
        let drained =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(
                in_flight = tasks.len(),
                "outbox: shutdown with mail still in flight; it is sent after restart"
            );
        }
    }

    /// One delivery attempt and its bookkeeping.
    async fn deliver(&self, mail: OutboxMail) {
        let attempt = tokio::time::timeout(
            self.attempt_timeout(),
            self.transport.send(&self.from, &mail),
        )
        .await;
        let id = mail.id;
        let failure = match attempt {
            Ok(Ok(())) => {
                self.metrics.mail("sent");
                let recorded = self
                    .store
                    .write(move |_, w| {
                        rules::delivered(w, id);
                        Ok(())
                    })
                    .await;
                if let Err(e) = recorded {
                    // The claim lapses and the mail goes again: at least once, never lost.
                    tracing::error!(id, error = %e, "outbox: a sent mail could not be recorded");
                }
                return;
            }
            Ok(Err(e)) => e,
            Err(_) => super::SendError {
                permanent: false,
                message: "timed out".to_owned(),
            },
        };
        let (permanent, message) = (failure.permanent, failure.message);
        let now_ms = self.clock.now_ms();
        let error = message.clone();
        let after = self
            .store
            .write(move |tx, w| rules::failed(tx, w, id, (permanent, &error), now_ms))
            .await;
        let attempts = mail.attempts + 1;
        match after {
            Ok(AfterFailure::Parked) => {
                self.metrics.mail("parked");
                tracing::warn!(id, to = %mail.mail.to, attempts, error = %message, "outbox: mail parked");
            }
            Ok(AfterFailure::Retry(at_ms)) => {
                self.metrics.mail("retry");
                let retry_in_ms = at_ms.saturating_sub(now_ms);
                tracing::info!(id, attempts, retry_in_ms, error = %message, "outbox: will retry");
                // The worker may be asleep until a later mail: have it look at the queue again.
                self.wake();
            }
            Ok(AfterFailure::Gone) => {}
            Err(e) => {
                tracing::error!(id, error = %e, "outbox: a failed attempt could not be recorded");
            }
        }
    }
}
