//! Every redb table, in one place, and the schema version they make up.
//!
//! Records are postcard-encoded (`codec`). Keys that combine a purpose and an address are
//! written `purpose:address`. The `*_BY_*` tables are indexes the backend keeps in step with
//! their records, so that the sweeper and the outbox find what they need in key order instead
//! of scanning.

use redb::{MultimapTableDefinition, TableDefinition};

/// Version of the layout below. Bump it, and add a step to `migrate`, whenever a table or a
/// record changes shape.
pub const SCHEMA_VERSION: u64 = 3;

/// `schema_version` (u64, big-endian), `code_key` (32 bytes), `outbox_seq` (u64, big-endian),
/// `probe` (the write the backend makes to learn whether writes work again), `audit_anchor`
/// (an `AuditAnchor`: where the kept audit log starts).
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// User id → `User`.
pub const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
/// Normalized email → user id.
pub const EMAILS: TableDefinition<&str, &str> = TableDefinition::new("emails");
/// Lower-cased nickname → user id.
pub const NICKNAMES: TableDefinition<&str, &str> = TableDefinition::new("nicknames");
/// Session id → `Session`.
pub const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
/// (refresh token expiry, session id): sessions in the order they can be forgotten.
pub const SESSIONS_BY_EXPIRY: TableDefinition<(u64, &str), ()> =
    TableDefinition::new("sessions_by_expiry");
/// Ended session id → expiry of its refresh token: what the in-memory revoked set reloads.
pub const REVOKED: TableDefinition<&str, u64> = TableDefinition::new("revoked");
/// User id → its session ids.
pub const USER_SESSIONS: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("user_sessions");
/// `purpose:email` → `PendingCode`.
pub const CODES: TableDefinition<&str, &[u8]> = TableDefinition::new("codes");
/// (expiry, `purpose:email`): codes in the order they die.
pub const CODES_BY_EXPIRY: TableDefinition<(u64, &str), ()> =
    TableDefinition::new("codes_by_expiry");
/// HMAC of a link token → `purpose:email` of its code.
pub const LINKS: TableDefinition<&[u8], &str> = TableDefinition::new("links");
/// `purpose:email` → Unix seconds of the last mail sent for it (the resend interval).
pub const SENDS: TableDefinition<&str, u64> = TableDefinition::new("sends");
/// (Unix seconds sent, `purpose:email`): send records, oldest first.
pub const SENDS_BY_TIME: TableDefinition<(u64, &str), ()> = TableDefinition::new("sends_by_time");
/// Outbox id → `OutboxMail`.
pub const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// (next attempt in Unix ms, outbox id) for queued mails: the due order.
pub const OUTBOX_DUE: TableDefinition<(u64, u64), ()> = TableDefinition::new("outbox_due");
/// User id → ids of outbox entries concerning the account.
pub const OUTBOX_BY_USER: MultimapTableDefinition<&str, u64> =
    MultimapTableDefinition::new("outbox_by_user");
/// Key id → `StoredKey`.
pub const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys");
/// Audit sequence number → `AuditEntry`.
pub const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// The key of a code, a send record and a link target.
pub fn code_key(purpose: crate::store::Purpose, email: &str) -> String {
    format!("{}:{email}", purpose.as_str())
}

/// The (purpose, address) a [`code_key`] was made from.
pub fn split_code_key(key: &str) -> Option<(crate::store::Purpose, &str)> {
    let (purpose, email) = key.split_once(':')?;
    Some((crate::store::Purpose::from_name(purpose)?, email))
}
