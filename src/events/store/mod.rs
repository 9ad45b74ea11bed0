//! The `EventStore` contract: one global, gap-free, hash-chained log of streams.
//!
//! A *stream* is the history of one aggregate (`link-{uuid}`, `item-{uuid}`, `connection`,
//! `scheduler`). Appends state what version they expect the stream to be at, are atomic and
//! durable before they return, and get consecutive global sequence numbers in commit order, so a
//! reader can treat any gap as corruption. Two implementations honour this contract and pass the
//! same conformance suite: the sled store (the only module that imports sled) and an in-memory
//! reference store.
//!
//! CONTRACT (owned by the event-store work; refine freely, keep the shape):
//! - `append(stream, expected, events)`: all-or-nothing; `Conflict { expected, actual }` on a
//!   version mismatch; idempotent on event ids (a retried append with the same ids returns the
//!   first outcome); acknowledged only after flush.
//! - `read_stream`, `read_all`, `head`, `watch_head` and `subscribe` (catch-up, then live).
//! - `views()`: key-value trees for projections, each committing rows and checkpoint together.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The name of a stream: non-empty, at most 200 bytes, no NUL byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamId(String);

/// What an append expects the stream's current version to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have exactly this version (versions start at 1).
    Exact(u64),
    /// No check. Only for tooling and migrations, never on a workflow path.
    Any,
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventData {
    /// Unique id (uuid v7); a retried append with the same ids is a no-op.
    pub event_id: Uuid,
    /// Stable type string, e.g. `link.linked`; never a Rust type name.
    pub event_type: String,
    /// Schema version of `payload`.
    pub schema_version: u16,
    /// The event's JSON body.
    pub payload: serde_json::Value,
    /// The event or command that caused this one.
    pub causation_id: Option<Uuid>,
    /// The run or request this belongs to.
    pub correlation_id: Option<Uuid>,
}

/// An event as stored: its envelope plus its place in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// Global sequence number: 1, 2, 3… in commit order, no gaps.
    pub seq: u64,
    /// The stream it belongs to.
    pub stream: StreamId,
    /// Its version within the stream (1-based).
    pub version: u64,
    /// See [`EventData::event_id`].
    pub event_id: Uuid,
    /// See [`EventData::event_type`].
    pub event_type: String,
    /// Schema version as stored (upcasting happens above the store).
    pub schema_version: u16,
    /// When the writer committed it.
    pub recorded_at: DateTime<Utc>,
    /// See [`EventData::causation_id`].
    pub causation_id: Option<Uuid>,
    /// See [`EventData::correlation_id`].
    pub correlation_id: Option<Uuid>,
    /// The JSON body as stored.
    pub payload: serde_json::Value,
    /// SHA-256 of the previous envelope (all zeros for seq 1), hex.
    pub prev_hash: String,
    /// SHA-256 of this envelope including `prev_hash`, hex.
    pub hash: String,
}

/// Why a stream name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid stream id {0:?}: must be 1..=200 bytes without NUL")]
pub struct InvalidStreamId(pub String);

impl StreamId {
    /// Parses a stream name.
    pub fn parse(s: impl Into<String>) -> Result<Self, InvalidStreamId> {
        let s = s.into();
        if s.is_empty() || s.len() > 200 || s.contains('\0') {
            return Err(InvalidStreamId(s));
        }
        Ok(Self(s))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for StreamId {
    type Error = InvalidStreamId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl From<StreamId> for String {
    fn from(s: StreamId) -> Self {
        s.0
    }
}
