//! Every redb table, in one place, and the schema version they make up.
//!
//! Records are postcard-encoded (`codec`). Keys that combine a purpose and an address are
//! written `purpose:address`.

use redb::{MultimapTableDefinition, TableDefinition};

/// Version of the layout below. Bump it, and add a step to `RedbStore::migrate`, whenever a
/// table or a record changes shape.
pub const SCHEMA_VERSION: u64 = 1;

/// `schema_version` (u64, big-endian) and `code_key` (32 bytes).
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// User id → `User`.
pub const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
/// Normalized email → user id.
pub const EMAILS: TableDefinition<&str, &str> = TableDefinition::new("emails");
/// Lower-cased nickname → user id.
pub const NICKNAMES: TableDefinition<&str, &str> = TableDefinition::new("nicknames");
/// Session id → `Session`.
pub const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
/// Ended session id → expiry of its refresh token: what the in-memory revoked set reloads.
pub const REVOKED: TableDefinition<&str, u64> = TableDefinition::new("revoked");
/// User id → its session ids.
pub const USER_SESSIONS: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("user_sessions");
/// `purpose:email` → `PendingCode`.
pub const CODES: TableDefinition<&str, &[u8]> = TableDefinition::new("codes");
/// HMAC of a link token → `purpose:email` of its code.
pub const LINKS: TableDefinition<&[u8], &str> = TableDefinition::new("links");
/// `purpose:email` → Unix seconds of the last mail sent for it (the resend interval).
pub const SENDS: TableDefinition<&str, u64> = TableDefinition::new("sends");
/// Outbox id → `OutboxMail`.
pub const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// (next attempt in Unix ms, outbox id) for queued mails: the due order.
pub const OUTBOX_DUE: TableDefinition<(u64, u64), ()> = TableDefinition::new("outbox_due");
/// Key id → `StoredKey`.
pub const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys");

/// The key of a code, a send record and a link target.
pub fn code_key(purpose: super::Purpose, email: &str) -> String {
    format!("{}:{email}", purpose.as_str())
}
