//! The outbox's rules (SPEC §6): a sender claims due mail for a lease, so that several senders
//! (replicas) never send one mail twice and a sender that dies leaves its mail to another once
//! the lease runs out; a failure is retried with exponential back-off, and parked when it is
//! permanent or has lasted a day.

use std::time::Duration;

use crate::random;
use crate::store::{Changes, Error, MailState, OutboxMail, Tx};

/// First retry delay.
pub const FIRST_RETRY: Duration = Duration::from_secs(2);
/// Longest retry delay.
pub const MAX_RETRY: Duration = Duration::from_secs(300);
/// How long a mail is tried before it is parked.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Delay before attempt `attempts + 1`: doubling from [`FIRST_RETRY`] up to [`MAX_RETRY`],
/// `jitter` (0 to 1) spreading it ±20 %.
#[must_use]
pub fn backoff(attempts: u32, jitter: f64) -> Duration {
    let doubled = FIRST_RETRY.saturating_mul(1 << attempts.min(16));
    doubled
        .min(MAX_RETRY)
        .mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0))
}

/// Takes up to `limit` due mails for delivery: each is held, due again only after `lease_ms`,
/// and returned as it was before the claim.
pub fn claim(
    tx: &mut dyn Tx,
    w: &mut Changes,
    now_ms: u64,
    lease_ms: u64,
    limit: usize,
) -> Result<Vec<OutboxMail>, Error> {
    let due = tx.due_mails(now_ms, limit)?;
    for mail in &due {
        let mut held = mail.clone();
        held.next_attempt_ms = now_ms.saturating_add(lease_ms);
        w.put_mail(held);
    }
    Ok(due)
}

/// A mail was delivered: it leaves the outbox, body and all.
pub fn delivered(w: &mut Changes, id: u64) {
    w.delete_mail(id);
}

/// What a failed attempt led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Tried again at this Unix millisecond.
    Retry(u64),
    /// Given up on; kept for the operator.
    Parked,
    /// The mail was no longer there (its account was deleted meanwhile).
    Gone,
}

/// Records a failed attempt: park it if the failure is permanent or the mail has been tried
/// for [`GIVE_UP_AFTER`], else schedule the next attempt.
pub fn failed(
    tx: &mut dyn Tx,
    w: &mut Changes,
    id: u64,
    (permanent, error): (bool, &str),
    now_ms: u64,
) -> Result<AfterFailure, Error> {
    let Some(mut mail) = tx.mail(id)? else {
        return Ok(AfterFailure::Gone);
    };
    let age = Duration::from_secs((now_ms / 1000).saturating_sub(mail.queued_at));
    let jitter = f64::from(u16::from_be_bytes(random::bytes::<2>())) / f64::from(u16::MAX);
    let after = if permanent || age >= GIVE_UP_AFTER {
        mail.state = MailState::Parked;
        AfterFailure::Parked
    } else {
        let delay = backoff(mail.attempts, jitter).as_millis() as u64;
        mail.next_attempt_ms = now_ms.saturating_add(delay);
        AfterFailure::Retry(mail.next_attempt_ms)
    };
    mail.attempts += 1;
    mail.last_error = Some(error.to_owned());
    w.put_mail(mail);
    Ok(after)
}

/// Puts a parked mail back in the queue, due at once, with a fresh day of tries; `false` if
/// it is not parked (gone, or queued already).
pub fn retry(tx: &mut dyn Tx, w: &mut Changes, id: u64, now_ms: u64) -> Result<bool, Error> {
    let Some(mut mail) = tx.mail(id)?.filter(|m| m.state == MailState::Parked) else {
        return Ok(false);
    };
    mail.state = MailState::Queued;
    mail.next_attempt_ms = now_ms;
    mail.queued_at = now_ms / 1000;
    w.put_mail(mail);
    Ok(true)
}

/// Removes a parked mail, body and all; `false` if it is not parked.
pub fn drop_parked(tx: &mut dyn Tx, w: &mut Changes, id: u64) -> Result<bool, Error> {
    if tx.mail(id)?.is_none_or(|m| m.state != MailState::Parked) {
        return Ok(false);
    }
    w.delete_mail(id);
    Ok(true)
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
            assert!((backoff(attempts, 0.0).as_secs_f64() - base * 0.8).abs() < 1e-6);
            assert!((backoff(attempts, 1.0).as_secs_f64() - base * 1.2).abs() < 1e-6);
            assert!((backoff(attempts, 0.5).as_secs_f64() - base).abs() < 1e-6);
        }
    }
}
