//! The outbox worker: sends queued mail in the background, so a request never waits for SMTP.
//!
//! Each due mail is sent on its own task (a slow or dead recipient holds up nothing else), with
//! its `Message-ID` fixed at queueing time. A transient failure is retried after 2 s, doubling
//! up to 5 minutes, ±20 % jitter; a permanent one (5xx), or 24 hours of failures, parks the
//! mail, which stays in the store for the operator.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lettre::message::Mailbox;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::transport::Transport;
use crate::metrics::Metrics;
use crate::random;
use crate::store::{OutboxMail, Store};

/// First retry delay.
const FIRST_RETRY: Duration = Duration::from_secs(2);
/// Longest retry delay.
const MAX_RETRY: Duration = Duration::from_secs(300);
/// How long a mail is tried before it is parked.
const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Mails in flight at once.
const MAX_IN_FLIGHT: usize = 16;
/// Longest sleep between looks at the queue when nothing wakes the worker.
const IDLE_POLL: Duration = Duration::from_secs(30);

/// The outbox worker's shared state.
pub struct Outbox {
    store: Arc<dyn Store>,
    transport: Transport,
    from: Mailbox,
    wake: Notify,
    /// Bounds one delivery, connection included.
    send_timeout: Duration,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Delay before attempt `attempts + 1`, jittered ±20 %.
fn backoff(attempts: u32) -> Duration {
    let doubled = FIRST_RETRY.saturating_mul(1 << attempts.min(16));
    let base = doubled.min(MAX_RETRY);
    let jitter = f64::from(u16::from_be_bytes(random::bytes::<2>())) / f64::from(u16::MAX);
    base.mul_f64(0.8 + 0.4 * jitter)
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
    ) -> Self {
        Self {
            store,
            transport,
            from,
            wake: Notify::new(),
            send_timeout,
            metrics,
        }
    }

    /// Where mail goes, in words.
    #[must_use]
    pub fn describe(&self) -> String {
        self.transport.describe()
    }

    /// Tells the worker that a mail was just queued.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    async fn store<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Store) -> Result<T, crate::store::Error> + Send + 'static,
    ) -> Option<T> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || op(store.as_ref())).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "outbox: storage failed");
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "outbox: storage task failed");
                None
            }
        }
    }

    /// Sends until `shutdown`, then waits up to `grace` for mails already in flight.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken, grace: Duration) {
        let mut in_flight = HashSet::new();
        let mut tasks = JoinSet::new();
        loop {
            let wanted = MAX_IN_FLIGHT.saturating_sub(in_flight.len());
            let look = in_flight.len() + wanted.max(1);
            let due = self
                .store(move |s| s.due_mail(u64::MAX, look))
                .await
                .unwrap_or_default();
            let now = now_ms();
            let mut next_due = None;
            for mail in due {
                if in_flight.contains(&mail.id) {
                    continue;
                }
                if mail.next_attempt_ms > now || in_flight.len() >= MAX_IN_FLIGHT {
                    next_due = Some(
                        next_due.map_or(mail.next_attempt_ms, |n: u64| n.min(mail.next_attempt_ms)),
                    );
                    break;
                }
                in_flight.insert(mail.id);
                let worker = self.clone();
                tasks.spawn(async move {
                    let id = mail.id;
                    worker.deliver(mail).await;
                    id
                });
            }
            let sleep = next_due.map_or(IDLE_POLL, |due| {
                Duration::from_millis(due.saturating_sub(now)).min(IDLE_POLL)
            });
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.wake.notified() => {}
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok(id) = done {
                        in_flight.remove(&id);
                    }
                }
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
            self.send_timeout + Duration::from_secs(5),
            self.transport.send(&self.from, &mail),
        )
        .await;
        let failure = match attempt {
            Ok(Ok(())) => {
                self.metrics.mail("sent");
                let id = mail.id;
                self.store(move |s| s.mail_sent(id)).await;
                return;
            }
            Ok(Err(e)) => e,
            Err(_) => super::SendError {
                permanent: false,
                message: "timed out".to_owned(),
            },
        };
        let id = mail.id;
        let age = Duration::from_secs(now_ms() / 1000 - mail.queued_at.min(now_ms() / 1000));
        let message = failure.message.clone();
        if failure.permanent || age >= GIVE_UP_AFTER {
            self.metrics.mail("parked");
            tracing::warn!(id, to = %mail.mail.to, attempts = mail.attempts + 1, error = %message, "outbox: mail parked");
            self.store(move |s| s.mail_park(id, &message)).await;
        } else {
            self.metrics.mail("retry");
            let delay = backoff(mail.attempts);
            tracing::info!(id, attempts = mail.attempts + 1, retry_in_ms = delay.as_millis() as u64, error = %message, "outbox: will retry");
            let next = now_ms() + delay.as_millis() as u64;
            self.store(move |s| s.mail_retry(id, next, &message)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_to_five_minutes_with_jitter() {
        for (attempts, base) in [
            (0, 2.0),
            (1, 4.0),
            (2, 8.0),
            (7, 256.0),
            (8, 300.0),
            (40, 300.0),
        ] {
            for _ in 0..50 {
                let d = backoff(attempts).as_secs_f64();
                assert!(
                    (base * 0.8..=base * 1.2).contains(&d),
                    "attempt {attempts}: {d}"
                );
            }
        }
    }
}
