//! The audit log's chain: sealing a transaction's events into entries that each carry the
//! SHA-256 of the one before, checking a chain, and dropping its front past the retention
//! while keeping an anchor. The backend stores entries; it never computes a hash.

use ring::digest::{Context, SHA256};

use crate::audit::Origin;
use crate::store::{AuditAnchor, AuditEntry, AuditEvent, Changes, Error, Tx};

/// Turns the events a work recorded into chained entries, after the head read in this same
/// transaction; events without an origin of their own get `origin`'s.
pub fn seal(tx: &mut dyn Tx, w: &mut Changes, origin: &Origin) -> Result<(), Error> {
    let events = w.take_audit();
    if events.is_empty() {
        return Ok(());
    }
    let mut head = tx.audit_head()?;
    for mut event in events {
        origin.stamp(&mut event);
        let seq = head.seq + 1;
        let hash = digest(seq, &event, &head.hash);
        w.append_audit(AuditEntry {
            seq,
            event,
            prev: head.hash,
            hash,
        });
        head = AuditAnchor { seq, hash };
    }
    Ok(())
}

/// An event at `at_ms`, about `user_id` and `session_id`; the origin is stamped when sealed.
#[must_use]
pub fn event(
    name: &str,
    at_ms: u64,
    user_id: Option<&str>,
    session_id: Option<&str>,
) -> AuditEvent {
    AuditEvent {
        at_ms,
        event: name.to_owned(),
        actor: String::new(),
        user_id: user_id.map(str::to_owned),
        session_id: session_id.map(str::to_owned),
        ip: None,
        request_id: None,
        detail: None,
    }
}

/// SHA-256 over the entry's position, its event and the previous hash, each field length-
/// prefixed so that no two different entries hash the same bytes.
#[must_use]
pub fn digest(seq: u64, event: &AuditEvent, prev: &[u8; 32]) -> [u8; 32] {
    let mut h = Context::new(&SHA256);
    h.update(b"latchkey audit v1\0");
    h.update(&seq.to_be_bytes());
    h.update(prev);
    h.update(&event.at_ms.to_be_bytes());
    for field in [Some(&event.event), Some(&event.actor)].into_iter().chain([
        event.user_id.as_ref(),
        event.session_id.as_ref(),
        event.ip.as_ref(),
        event.request_id.as_ref(),
        event.detail.as_ref(),
    ]) {
        match field {
            None => h.update(&[0]),
            Some(text) => {
                h.update(&[1]);
                h.update(&(text.len() as u64).to_be_bytes());
                h.update(text.as_bytes());
            }
        }
    }
    let mut out = [0; 32];
    out.copy_from_slice(h.finish().as_ref());
    out
}

/// Where a chain breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// An entry is missing: the one found has another position.
    #[error("entry {expected} is missing (found {found} next)")]
    Missing {
        /// The position that should come next.
        expected: u64,
        /// The position found instead.
        found: u64,
    },
    /// The entry does not name the hash of the one before it: an entry before it was changed
    /// or removed.
    #[error("entry {seq} does not follow the entry before it (changed or removed before it)")]
    Unlinked {
        /// Its position.
        seq: u64,
    },
    /// The entry's content does not match its hash: it was changed.
    #[error("entry {seq} was changed after it was written")]
    Altered {
        /// Its position.
        seq: u64,
    },
}

/// Follows a chain from its anchor, one entry at a time.
#[derive(Clone, Copy, Debug)]
pub struct Verifier {
    head: AuditAnchor,
    checked: u64,
}

impl Verifier {
    /// Starts at `anchor`.
    #[must_use]
    pub fn new(anchor: AuditAnchor) -> Self {
        Self {
            head: anchor,
            checked: 0,
        }
    }

    /// Checks the next entry.
    ///
    /// # Errors
    /// The first broken link.
    pub fn next(&mut self, entry: &AuditEntry) -> Result<(), Broken> {
        let expected = self.head.seq + 1;
        if entry.seq != expected {
            return Err(Broken::Missing {
                expected,
                found: entry.seq,
            });
        }
        if entry.prev != self.head.hash {
            return Err(Broken::Unlinked { seq: entry.seq });
        }
        if digest(entry.seq, &entry.event, &entry.prev) != entry.hash {
            return Err(Broken::Altered { seq: entry.seq });
        }
        self.head = AuditAnchor {
            seq: entry.seq,
            hash: entry.hash,
        };
        self.checked += 1;
        Ok(())
    }

    /// The last entry checked (or the anchor), and how many were checked.
    #[must_use]
    pub fn head(&self) -> (AuditAnchor, u64) {
        (self.head, self.checked)
    }
}

/// Drops up to `limit` entries older than `before_ms` from the front; the last one dropped
/// becomes the anchor. Returns how many were dropped.
pub fn trim(
    tx: &mut dyn Tx,
    w: &mut Changes,
    before_ms: u64,
    limit: usize,
) -> Result<usize, Error> {
    let old: Vec<AuditEntry> = tx
        .audit_front(limit)?
        .into_iter()
        .take_while(|e| e.event.at_ms < before_ms)
        .collect();
    if let Some(last) = old.last() {
        w.trim_audit(AuditAnchor {
            seq: last.seq,
            hash: last.hash,
        });
    }
    Ok(old.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut head = AuditAnchor::default();
        (1..=n)
            .map(|seq| {
                let e = event("login", seq * 1000, Some("u1"), Some("s1"));
                let hash = digest(seq, &e, &head.hash);
                let entry = AuditEntry {
                    seq,
                    event: e,
                    prev: head.hash,
                    hash,
                };
                head = AuditAnchor { seq, hash };
                entry
            })
            .collect()
    }

    fn verify(anchor: AuditAnchor, entries: &[AuditEntry]) -> Result<u64, Broken> {
        let mut v = Verifier::new(anchor);
        for e in entries {
            v.next(e)?;
        }
        Ok(v.head().1)
    }

    #[test]
    fn an_intact_chain_verifies_and_each_kind_of_tampering_is_named() {
        let entries = chain(5);
        assert_eq!(verify(AuditAnchor::default(), &entries), Ok(5));

        let mut changed = entries.clone();
        changed[2].event.ip = Some("10.0.0.1".into());
        assert_eq!(
            verify(AuditAnchor::default(), &changed),
            Err(Broken::Altered { seq: 3 })
        );

        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(
            verify(AuditAnchor::default(), &removed),
            Err(Broken::Missing {
                expected: 2,
                found: 3
            })
        );

        // Removed and renumbered: the next entry's `prev` gives it away.
        let mut renumbered = entries.clone();
        renumbered.remove(1);
        for (i, e) in renumbered.iter_mut().enumerate() {
            e.seq = i as u64 + 1;
        }
        assert!(verify(AuditAnchor::default(), &renumbered).is_err());
    }

    #[test]
    fn a_trimmed_chain_verifies_from_its_anchor() {
        let entries = chain(5);
        let anchor = AuditAnchor {
            seq: 2,
            hash: entries[1].hash,
        };
        assert_eq!(verify(anchor, &entries[2..]), Ok(3));
        assert_eq!(
            verify(AuditAnchor::default(), &entries[2..]),
            Err(Broken::Missing {
                expected: 1,
                found: 3
            })
        );
    }

    #[test]
    fn no_field_can_move_into_its_neighbour_unnoticed() {
        let mut a = event("x", 1, Some("ab"), None);
        let mut b = event("x", 1, Some("a"), Some("b"));
        let zero = [0; 32];
        assert_ne!(digest(1, &a, &zero), digest(1, &b, &zero));
        a.detail = Some(String::new());
        b.detail = None;
        assert_ne!(digest(1, &a, &zero), digest(1, &b, &zero));
    }
}
