//! The `EventStore` contract: one global, gap-free, hash-chained log of streams.
//!
//! A *stream* is the history of one aggregate (`link-{uuid}`, `item-{uuid}`, `connection`,
//! `scheduler`). Appends state what version they expect the stream to be at, are atomic and
//! durable before they return, and get consecutive global sequence numbers in commit order, so a
//! reader can treat any gap as corruption. Two implementations honour this contract and pass the
//! same conformance suite: the sled store (the only module that imports sled) and an in-memory
//! reference store.
//!
//! # The contract in one screen
//!
//! - [`EventStore::append`]`(stream, expected, events)`: all-or-nothing;
//!   [`StoreError::Conflict`] on a version mismatch; idempotent on event ids (a retried append
//!   with the same ids returns the first [`AppendOutcome`]); acknowledged only after flush.
//! - [`EventStore::read_stream`], [`EventStore::read_all`], [`EventStore::head`],
//!   [`EventStore::watch_head`] and [`Subscription`] (catch-up in pages, then live).
//! - [`EventStore::views`]: key-value trees for projections, each committing rows and its
//!   checkpoint together ([`ViewTree::commit`]).
//! - [`EventStore::raw_events`] and the index scans: what `audit::verify` needs to prove the log
//!   was not edited.
//!
//! Reads never show an event before the append that wrote it was acknowledged: every read is
//! capped at the published head, so a projection can never get ahead of what survives a crash.
//!
//! # Files
//!
//! - `error.rs`: [`StoreError`], the one error type of the store.
//! - `envelope.rs`: [`RawEvent`] (the envelope as stored), its binary codec and the canonical hash
//!   encoding of the chain.
//! - `append.rs`: validation and planning of appends, shared by both implementations so their
//!   semantics cannot drift.
//! - `contract.rs`: the [`EventStore`], [`ViewStore`] and [`ViewTree`] traits.
//! - `subscription.rs`: the catch-up-then-live [`Subscription`], written once for any store.
//! - `metrics.rs`: [`StoreMetrics`] (Prometheus).
//! - `memory.rs`: [`MemoryEventStore`], the reference implementation.
//! - `sled_store/`: [`SledEventStore`], the durable implementation.

mod append;
mod contract;
mod envelope;
mod error;
mod health;
mod memory;
mod metrics;
pub mod sled_store;
mod subscription;

pub use append::StoreLimits;
pub use contract::{
    EventStore, RawLogEntry, StreamHeadEntry, StreamIndexEntry, ViewRow, ViewStore, ViewTree,
    ViewWrite,
};
pub use envelope::{CodecError, RawEvent, HASH_DOMAIN, ZERO_HASH};
pub use error::{StoreError, RUNBOOK};
pub use health::{WriteFault, WriterHealth};
pub use memory::{MemoryEventStore, MemoryStoreOptions};
pub use metrics::StoreMetrics;
pub use sled_store::{SledEventStore, SledStoreOptions};
pub use subscription::{SubscribeExt, Subscription, DEFAULT_PAGE_SIZE, DEFAULT_READ_AHEAD};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest accepted stream name, in bytes.
pub const MAX_STREAM_ID_LEN: usize = 200;

/// The name of a stream: non-empty, at most 200 bytes, no NUL byte.
///
/// NUL is refused because the sled key encoding terminates stream names with it, which is what
/// keeps prefix scans unambiguous (`link-a` is not a prefix of `link-ab` once terminated).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamId(String);

/// What an append expects the stream's current version to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have exactly this version (versions start at 1).
    /// `Exact(0)` means the same as [`ExpectedVersion::NoStream`], for callers that keep the
    /// version they loaded as a plain `u64` with 0 for "nothing yet".
    Exact(u64),
    /// No check. Only for tooling and migrations, never on a workflow path.
    Any,
}

impl std::fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoStream => f.write_str("no stream"),
            Self::Exact(v) => write!(f, "version {v}"),
            Self::Any => f.write_str("any version"),
        }
    }
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

impl EventData {
    /// An event with a fresh uuid v7 id, schema version 1 and no causation or correlation.
    pub fn new(event_type: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version: 1,
            payload,
            causation_id: None,
            correlation_id: None,
        }
    }
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
    /// When the writer committed it (microsecond precision, never earlier than the previous
    /// event's).
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

/// What a successful append did: where its events landed.
///
/// A retried append of the same event ids returns the outcome of the append that first wrote
/// them, so a caller that lost an acknowledgement can simply try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AppendOutcome {
    /// Global sequence number of the first event written.
    pub first_seq: u64,
    /// Global sequence number of the last event written.
    pub last_seq: u64,
    /// The stream's version after the append (the version of its last event).
    pub version: u64,
}

/// Why a stream name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid stream id {0:?}: must be 1..=200 bytes without NUL")]
pub struct InvalidStreamId(pub String);

impl StreamId {
    /// Parses a stream name.
    pub fn parse(s: impl Into<String>) -> Result<Self, InvalidStreamId> {
        let s = s.into();
        if s.is_empty() || s.len() > MAX_STREAM_ID_LEN || s.contains('\0') {
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

impl std::str::FromStr for StreamId {
    type Err = InvalidStreamId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_are_checked() {
        assert!(StreamId::parse("link-1").is_ok());
        assert!(StreamId::parse("").is_err());
        assert!(StreamId::parse("a\0b").is_err());
        assert!(StreamId::parse("x".repeat(201)).is_err());
        assert!(StreamId::parse("x".repeat(200)).is_ok());
    }
}
