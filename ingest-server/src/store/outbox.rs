//! The outbox's types: messages to deliver to an importer's destinations, their attempts, and
//! why an import's data was deleted. A message names rows by position (batch and offset), never
//! holds them: its body is built from the sealed batches at each attempt, identically.

use serde::Serialize;

/// What a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// `import.rows`: a chunk of rows.
    Rows,
    /// `import.completed`: the import's counts, times and mapping, after its rows.
    Completed,
}

impl MessageKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            MessageKind::Rows => "rows",
            MessageKind::Completed => "completed",
        }
    }

    pub(super) fn parse(text: &str) -> Option<Self> {
        match text {
            "rows" => Some(MessageKind::Rows),
            "completed" => Some(MessageKind::Completed),
            _ => None,
        }
    }
}

/// Where a message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Acknowledged by the destination (with a 2xx, for HTTP).
    Delivered,
    /// Every attempt of the retry schedule failed; the operator may retry it.
    Dead,
    /// Its import's data was deleted before it was delivered.
    Cancelled,
}

impl MessageStatus {
    pub(super) fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(MessageStatus::Pending),
            "delivered" => Some(MessageStatus::Delivered),
            "dead" => Some(MessageStatus::Dead),
            "cancelled" => Some(MessageStatus::Cancelled),
            _ => None,
        }
    }
}

/// A message to add to the outbox when an import completes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    /// Its id, the same on every attempt (`msg_…`; a webhook's `webhook-id`).
    pub id: String,
    /// The destination's index in the importer's `destinations`.
    pub destination: u32,
    /// Its place among the import's messages to that destination, from 0.
    pub sequence: u32,
    /// What it carries.
    pub kind: MessageKind,
    /// The batch its first row is in.
    pub first_batch: u64,
    /// The first row's index in that batch.
    pub first_offset: u32,
    /// Rows it carries (0 for `Completed`).
    pub row_count: u32,
    /// How many `Rows` messages the import has for this destination.
    pub chunks: u32,
    /// When it is due first (Unix milliseconds).
    pub due_at: i64,
}

/// A message as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Its `webhook-id`.
    pub id: String,
    /// Its import.
    pub import_id: String,
    /// The importer's key.
    pub importer: String,
    /// The destination's index.
    pub destination: u32,
    /// Its place among the import's messages to that destination.
    pub sequence: u32,
    /// What it carries.
    pub kind: MessageKind,
    /// The batch its first row is in.
    #[serde(skip)]
    pub first_batch: u64,
    /// The first row's index in that batch.
    #[serde(skip)]
    pub first_offset: u32,
    /// Rows it carries.
    pub row_count: u32,
    /// How many `Rows` messages the import has for this destination.
    pub chunks: u32,
    /// Where it is.
    pub status: MessageStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due (Unix milliseconds).
    pub next_attempt_at: i64,
    /// When the last attempt was made (Unix milliseconds).
    pub last_attempt_at: Option<i64>,
    /// The status of the last attempt, when the destination answered with one (HTTP).
    pub last_status: Option<u16>,
    /// Why the last attempt failed, as its destination kind says: never a body, a secret or a
    /// URL.
    pub last_error: Option<String>,
    /// When it was delivered (Unix milliseconds).
    pub delivered_at: Option<i64>,
}

/// A lease: who holds it (an instance's id, `ins_…`) and until when (Unix milliseconds). Every
/// instance sharing a store takes outbox messages and jobs under leases, so that each message is
/// in flight on one instance at a time, and a dead instance's leases run out and are taken over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The instance holding it.
    pub holder: String,
    /// When it runs out unless renewed (Unix milliseconds).
    pub until_ms: i64,
}

/// What [`claim_message`](super::Store::claim_message) found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// A message, now leased to the caller: send it.
    Message(Message),
    /// Nothing to send before `until_ms` (Unix milliseconds): an ordered lane's oldest message
    /// is not due yet, or another instance holds its lease.
    Wait {
        /// When to look again at the latest.
        until_ms: i64,
    },
    /// No message is pending (or due, for an unordered lane).
    Empty,
}

/// The result of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The destination acknowledged it (a 2xx, for HTTP).
    Delivered {
        /// When (Unix milliseconds).
        at: i64,
        /// The status, when the destination speaks HTTP.
        status: Option<u16>,
    },
    /// It failed; `retry_at` says when to try again, or `None` to make it a dead letter.
    Failed {
        /// When (Unix milliseconds).
        at: i64,
        /// The HTTP status, when one arrived.
        status: Option<u16>,
        /// What went wrong, without any body.
        error: String,
        /// When to try again (Unix milliseconds).
        retry_at: Option<i64>,
    },
}

/// How an import's messages stand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverySummary {
    /// Waiting for an attempt.
    pub pending: u64,
    /// Delivered.
    pub delivered: u64,
    /// Dead letters.
    pub dead: u64,
    /// Cancelled by a deletion.
    pub cancelled: u64,
}

/// Why an import's data was deleted (kept in its record and log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteReason {
    /// Not completed in time.
    Expired,
    /// Its importer's `keep` period (or the longest wait for delivery) ran out.
    Retention,
    /// Every message was delivered (`delete_after_delivery`, `never_store`).
    Delivered,
    /// Delivery ended with dead letters (`never_store`).
    PassThrough,
    /// The operator asked (admin API).
    Operator,
    /// Finishing a deletion a crash cut short (recorded as started, not finished); the import
    /// keeps the reason it was started for.
    Resumed,
}

impl DeleteReason {
    /// The reason as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            DeleteReason::Expired => "expired",
            DeleteReason::Retention => "retention",
            DeleteReason::Delivered => "delivered",
            DeleteReason::PassThrough => "pass_through",
            DeleteReason::Operator => "operator",
            DeleteReason::Resumed => "resumed",
        }
    }
}
