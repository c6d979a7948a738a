//! Codes and links (SPEC §4): the resend gate, the check of a guess (expiry, attempts, the
//! constant-time compare), and what a right code does to its account.

use subtle::ConstantTimeEq as _;

use super::{Conflict, TooSoon, audit, secs, sessions};
use crate::store::{Changes, Error, NewMail, PendingCode, Purpose, Revocation, Tx, User};

/// Which pending code a guess is for.
#[derive(Clone, Debug)]
pub enum Guess {
    /// A typed code for (purpose, address), as the HMAC of the normalized code.
    Code {
        /// What the code confirms.
        purpose: Purpose,
        /// The address it was sent to.
        email: String,
        /// HMAC of the guess.
        mac: [u8; 32],
    },
    /// A link token, as its HMAC. Links exist for sign-up only.
    Link {
        /// HMAC of the token.
        mac: [u8; 32],
    },
}

/// What a redeemed code does, inside the same transaction.
#[derive(Clone, Debug)]
pub enum Effect {
    /// Mark the account verified.
    Activate,
    /// Set a new password hash, mark the account verified (the code proved the address), and
    /// end every session: a password set by whoever registered the address first stops working.
    ResetPassword {
        /// The new PHC string.
        hash: String,
    },
    /// Move the account to the code's target address, if it is still free.
    ChangeEmail,
}

/// The limits a code check applies.
#[derive(Clone, Copy, Debug)]
pub struct CodeRules {
    /// Wrong guesses that void the code.
    pub max_attempts: u32,
    /// Seconds between two sends to one address and purpose.
    pub resend_interval: u64,
}

/// What checking a code found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// Right code: consumed, the effect applied.
    Accepted {
        /// The account as it is now.
        user: User,
        /// Sessions the effect ended.
        ended: Vec<Revocation>,
    },
    /// Right code, but the change would break a uniqueness rule (an email change whose new
    /// address was taken meanwhile). The code is used up; nothing else changed.
    Conflict(Conflict),
    /// Wrong code; the count includes this guess. At `max_attempts` the code is void.
    Wrong {
        /// Wrong guesses so far.
        attempts: u32,
    },
    /// Voided by too many wrong guesses; even the right code is refused now.
    Exhausted {
        /// Seconds until a new code may be requested.
        retry_after: u64,
    },
    /// No such code: never sent, expired, used, or replaced.
    Unknown,
}

/// Whether a mail for (purpose, address) may go out at `now`, given the last one sent.
pub fn may_send(
    tx: &mut dyn Tx,
    purpose: Purpose,
    email: &str,
    now: u64,
    interval: u64,
) -> Result<Result<(), TooSoon>, Error> {
    match tx
        .last_send(purpose, email)?
        .map(|last| last.saturating_add(interval))
    {
        Some(allowed_at) if allowed_at > now => Ok(Err(TooSoon {
            retry_after: allowed_at - now,
        })),
        _ => Ok(Ok(())),
    }
}

/// Stores `code` (replacing any other for its purpose and address) and queues the mails that
/// carry it, unless the resend interval has not passed. It counts as a send.
pub fn send(
    tx: &mut dyn Tx,
    w: &mut Changes,
    code: &PendingCode,
    mails: &[NewMail],
    interval: u64,
    now_ms: u64,
) -> Result<Result<(), TooSoon>, Error> {
    if let Err(too_soon) = may_send(tx, code.purpose, &code.email, code.issued_at, interval)? {
        return Ok(Err(too_soon));
    }
    put(w, code, mails, now_ms);
    Ok(Ok(()))
}

/// Stores `code` and queues its mails with no gate: the first code of a new account.
pub fn put(w: &mut Changes, code: &PendingCode, mails: &[NewMail], now_ms: u64) {
    w.put_code(code.clone());
    w.put_send(code.purpose, &code.email, code.issued_at);
    for mail in mails {
        w.enqueue(mail.clone(), now_ms);
    }
}

/// Queues mails that count as a send for (purpose, address), unless the resend interval has
/// not passed: a notice that must not become a mail bomb.
pub fn notify(
    tx: &mut dyn Tx,
    w: &mut Changes,
    (purpose, email): (Purpose, &str),
    mails: &[NewMail],
    interval: u64,
    now_ms: u64,
) -> Result<Result<(), TooSoon>, Error> {
    let now = secs(now_ms);
    if let Err(too_soon) = may_send(tx, purpose, email, now, interval)? {
        return Ok(Err(too_soon));
    }
    w.put_send(purpose, email, now);
    for mail in mails {
        w.enqueue(mail.clone(), now_ms);
    }
    Ok(Ok(()))
}

/// Checks a guess, counts it if wrong, and applies `effect` if right.
pub fn redeem(
    tx: &mut dyn Tx,
    w: &mut Changes,
    guess: &Guess,
    effect: &Effect,
    rules: CodeRules,
    now_ms: u64,
) -> Result<Redeemed, Error> {
    let now = secs(now_ms);
    let code = match guess {
        Guess::Code { purpose, email, .. } => tx.code(*purpose, email)?,
        Guess::Link { mac } => tx.code_by_link(mac)?,
    };
    let Some(mut code) = code.filter(|c| c.expires_at > now) else {
        return Ok(Redeemed::Unknown);
    };
    if code.attempts >= rules.max_attempts {
        let last = tx.last_send(code.purpose, &code.email)?;
        let retry_after = last
            .unwrap_or(code.issued_at)
            .saturating_add(rules.resend_interval)
            .saturating_sub(now)
            .max(1);
        return Ok(Redeemed::Exhausted { retry_after });
    }
    let right = match guess {
        Guess::Code { mac, .. } => bool::from(code.code_mac.ct_eq(mac)),
        Guess::Link { mac } => {
            code.purpose == Purpose::Signup
                && code.link_mac.is_some_and(|m| bool::from(m.ct_eq(mac)))
        }
    };
    if !right {
        code.attempts += 1;
        let attempts = code.attempts;
        if attempts >= rules.max_attempts {
            let mut locked = audit::event("code_locked", now_ms, Some(&code.user_id), None);
            locked.detail = Some(format!(
                "{} code voided after {attempts} wrong attempts",
                code.purpose.as_str()
            ));
            w.audit(locked);
        }
        w.put_code(code);
        return Ok(Redeemed::Wrong { attempts });
    }
    w.delete_code(code.purpose, &code.email);
    apply(tx, w, &code, effect, now)
}

/// What a right code does to its account.
fn apply(
    tx: &mut dyn Tx,
    w: &mut Changes,
    code: &PendingCode,
    effect: &Effect,
    now: u64,
) -> Result<Redeemed, Error> {
    let Some(mut user) = tx.user(&code.user_id)? else {
        return Ok(Redeemed::Unknown);
    };
    let mut ended = Vec::new();
    match effect {
        Effect::Activate => user.is_active = true,
        Effect::ResetPassword { hash } => {
            user.password_hash.clone_from(hash);
            user.is_active = true;
            ended = sessions::end_all(tx, w, &user.id, None, now)?;
            drop_codes_of(tx, w, &user.email, &user.id, Some(code.purpose))?;
        }
        Effect::ChangeEmail => {
            let Some(target) = code.target.as_deref() else {
                return Ok(Redeemed::Unknown);
            };
            if tx.email_owner(target)?.is_some() {
                return Ok(Redeemed::Conflict(Conflict::Email));
            }
            drop_codes_of(tx, w, &user.email, &user.id, Some(code.purpose))?;
            target.clone_into(&mut user.email);
        }
    }
    w.put_user(user.clone());
    let name = match effect {
        Effect::Activate => "verify",
        Effect::ResetPassword { .. } => "password_reset",
        Effect::ChangeEmail => "email_change",
    };
    let mut done = audit::event(name, now.saturating_mul(1000), Some(&user.id), None);
    if !ended.is_empty() {
        done.detail = Some(format!("{} session(s) ended", ended.len()));
    }
    w.audit(done);
    Ok(Redeemed::Accepted { user, ended })
}

/// Drops the pending codes of `user_id` filed under `email` (but the one for `except`, which
/// the caller has dealt with); returns their keys.
pub fn drop_codes_of(
    tx: &mut dyn Tx,
    w: &mut Changes,
    email: &str,
    user_id: &str,
    except: Option<Purpose>,
) -> Result<Vec<(Purpose, String)>, Error> {
    let mut dropped = Vec::new();
    for purpose in Purpose::ALL.into_iter().filter(|p| Some(*p) != except) {
        if tx
            .code(purpose, email)?
            .is_some_and(|c| c.user_id == user_id)
        {
            w.delete_code(purpose, email);
            dropped.push((purpose, email.to_owned()));
        }
    }
    Ok(dropped)
}
