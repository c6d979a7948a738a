//! [`Changes`]: the writes a transaction decided on, as plain data. The rules fill it; the
//! backend applies it as a whole or not at all, keeping its own indexes in step.

use super::model::{
    AuditAnchor, AuditEntry, AuditEvent, NewMail, OutboxMail, PendingCode, Purpose, Session,
    StoredKey, User,
};

/// One write. Each names a whole record, so a backend can apply it without knowing why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Inserts or replaces an account. Its email and nickname (lower-cased) must not belong to
    /// another account: the rules check that inside the same transaction.
    PutUser(User),
    /// Removes an account; its address and nickname are free again.
    DeleteUser(String),
    /// Inserts or replaces the pending code for its (purpose, address), with its link.
    PutCode(PendingCode),
    /// Removes the pending code for (purpose, address), with its link.
    DeleteCode(Purpose, String),
    /// Records that a mail for (purpose, address) went out at this Unix second.
    PutSend(Purpose, String, u64),
    /// Forgets the last send for (purpose, address).
    DeleteSend(Purpose, String),
    /// Inserts or replaces a session.
    PutSession(Session),
    /// Removes a session for good (its tokens have expired).
    DeleteSession(String),
    /// Adds a mail to the outbox, due at this Unix millisecond; the backend numbers it.
    Enqueue(NewMail, u64),
    /// Replaces an outbox entry (its attempts, due time or state changed).
    PutMail(OutboxMail),
    /// Removes an outbox entry.
    DeleteMail(u64),
    /// Inserts or replaces a signing key.
    PutKey(StoredKey),
    /// Appends a sealed audit entry (its `seq` follows the last one).
    AppendAudit(AuditEntry),
    /// Drops audit entries up to and including `anchor.seq`, and keeps the anchor.
    TrimAudit(AuditAnchor),
}

/// The writes of one transaction, in the order they were decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    ops: Vec<Op>,
    audit: Vec<AuditEvent>,
}

impl Changes {
    /// The writes, in order.
    #[must_use]
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// Takes the writes out.
    #[must_use]
    pub fn into_ops(self) -> Vec<Op> {
        self.ops
    }

    /// Whether nothing was written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.audit.is_empty()
    }

    /// Records a security event, to be sealed into the audit chain in this same transaction.
    pub fn audit(&mut self, event: AuditEvent) {
        self.audit.push(event);
    }

    /// Takes out the events not yet sealed.
    pub fn take_audit(&mut self) -> Vec<AuditEvent> {
        std::mem::take(&mut self.audit)
    }

    /// Adds a write.
    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    /// [`Op::PutUser`].
    pub fn put_user(&mut self, user: User) {
        self.push(Op::PutUser(user));
    }

    /// [`Op::DeleteUser`].
    pub fn delete_user(&mut self, id: &str) {
        self.push(Op::DeleteUser(id.to_owned()));
    }

    /// [`Op::PutCode`].
    pub fn put_code(&mut self, code: PendingCode) {
        self.push(Op::PutCode(code));
    }

    /// [`Op::DeleteCode`].
    pub fn delete_code(&mut self, purpose: Purpose, email: &str) {
        self.push(Op::DeleteCode(purpose, email.to_owned()));
    }

    /// [`Op::PutSend`].
    pub fn put_send(&mut self, purpose: Purpose, email: &str, at: u64) {
        self.push(Op::PutSend(purpose, email.to_owned(), at));
    }

    /// [`Op::DeleteSend`].
    pub fn delete_send(&mut self, purpose: Purpose, email: &str) {
        self.push(Op::DeleteSend(purpose, email.to_owned()));
    }

    /// [`Op::PutSession`].
    pub fn put_session(&mut self, session: Session) {
        self.push(Op::PutSession(session));
    }

    /// [`Op::DeleteSession`].
    pub fn delete_session(&mut self, sid: &str) {
        self.push(Op::DeleteSession(sid.to_owned()));
    }

    /// [`Op::Enqueue`].
    pub fn enqueue(&mut self, mail: NewMail, due_ms: u64) {
        self.push(Op::Enqueue(mail, due_ms));
    }

    /// [`Op::PutMail`].
    pub fn put_mail(&mut self, mail: OutboxMail) {
        self.push(Op::PutMail(mail));
    }

    /// [`Op::DeleteMail`].
    pub fn delete_mail(&mut self, id: u64) {
        self.push(Op::DeleteMail(id));
    }

    /// [`Op::PutKey`].
    pub fn put_key(&mut self, key: StoredKey) {
        self.push(Op::PutKey(key));
    }

    /// [`Op::AppendAudit`].
    pub fn append_audit(&mut self, entry: AuditEntry) {
        self.push(Op::AppendAudit(entry));
    }

    /// [`Op::TrimAudit`].
    pub fn trim_audit(&mut self, anchor: AuditAnchor) {
        self.push(Op::TrimAudit(anchor));
    }
}
