//! The one error type of the event store.
//!
//! Callers need to tell three kinds of failure apart: a *refusal* of their input (empty batch,
//! oversize payload, mixed idempotency keys), a *conflict* they can resolve by reloading and
//! retrying ([`StoreError::Conflict`]), and an *infrastructure* failure (storage, lock, corruption)
//! that no retry of the same call will fix. The variants are grouped in that order. Storage
//! errors keep their source behind an `Arc` so the writer can hand the same failure to every
//! caller of a group commit, and so no backend type (sled) leaks into the public API.

use std::path::PathBuf;
use std::sync::Arc;

use uuid::Uuid;

use super::{ExpectedVersion, StreamId};

/// Where operators find what to do when the store refuses to open or verification fails.
pub const RUNBOOK: &str = "docs/runbooks/sled-recovery.md";

/// Everything that can go wrong in the event store.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    // ---- refusals of the caller's input -------------------------------------------------------
    /// An append with no events.
    #[error("empty append to stream {stream}: an append needs at least one event")]
    EmptyAppend {
        /// The stream named in the append.
        stream: StreamId,
    },
    /// More events in one append than [`super::StoreLimits::max_events_per_append`].
    #[error("append of {count} events to {stream} exceeds the limit of {limit} per append")]
    TooManyEvents {
        /// The stream named in the append.
        stream: StreamId,
        /// Events in the append.
        count: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A payload larger than [`super::StoreLimits::max_event_bytes`] once serialized.
    #[error("event {event_id} payload is {size} bytes, over the limit of {limit}")]
    PayloadTooLarge {
        /// The offending event.
        event_id: Uuid,
        /// Serialized payload size in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// An event whose envelope fields are not acceptable (e.g. an empty type).
    #[error("event {event_id} refused: {reason}")]
    InvalidEvent {
        /// The offending event.
        event_id: Uuid,
        /// What is wrong with it.
        reason: String,
    },
    /// The same event id twice in one append.
    #[error("event id {event_id} appears more than once in the same append")]
    DuplicateEventId {
        /// The repeated id.
        event_id: Uuid,
    },
    /// Some of the append's event ids were already stored, others not: this is neither a retry
    /// nor a new append, so it is refused rather than half-applied.
    #[error(
        "append to {stream} mixes {} already stored event id(s) (first: {}) with {unknown} new one(s)",
        known.len(),
        known.first().map(|id| id.to_string()).unwrap_or_default()
    )]
    PartialDuplicate {
        /// The stream named in the append.
        stream: StreamId,
        /// Ids already in the log.
        known: Vec<Uuid>,
        /// How many ids are new.
        unknown: usize,
    },
    /// All ids were already stored, but not as exactly this append (another stream, another
    /// order, or a subset of the original batch).
    #[error("event id {event_id} was already stored, but not by an identical append to {stream}: {reason}")]
    IdempotencyMismatch {
        /// The stream named in the retried append.
        stream: StreamId,
        /// The first id that does not line up.
        event_id: Uuid,
        /// What differs.
        reason: String,
    },
    /// A view name outside `[a-z0-9_.:-]{1,100}`.
    #[error("invalid view name {name:?}: {reason}")]
    InvalidViewName {
        /// The refused name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A view commit whose checkpoint is beyond the acknowledged head of the log.
    #[error("view {view}: checkpoint {checkpoint} is ahead of the log head {head}")]
    CheckpointAhead {
        /// The view.
        view: String,
        /// The checkpoint asked for.
        checkpoint: u64,
        /// The log head at the time.
        head: u64,
    },
    /// A view commit whose checkpoint is lower than the stored one (two runners on one view?).
    #[error("view {view}: checkpoint {checkpoint} is behind the stored checkpoint {current}")]
    CheckpointRegressed {
        /// The view.
        view: String,
        /// The checkpoint asked for.
        checkpoint: u64,
        /// The stored checkpoint.
        current: u64,
    },

    // ---- conflicts -----------------------------------------------------------------------------
    /// The stream is not at the expected version. Reload the stream and decide again.
    #[error("conflict on {stream}: expected {expected}, stream is at {}", display_actual(*actual))]
    Conflict {
        /// The stream.
        stream: StreamId,
        /// What the caller expected.
        expected: ExpectedVersion,
        /// The stream's actual version (`None`: the stream does not exist).
        actual: Option<u64>,
    },

    // ---- infrastructure ------------------------------------------------------------------------
    /// Another process (or another open store in this process) holds the data directory.
    #[error("event store at {path} is locked by another process (one process per data directory)")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// The startup invariant check failed; the store refuses to serve.
    #[error("event store invariant violated: {detail}; the store will not start, see {RUNBOOK}")]
    InvariantViolation {
        /// What was found.
        detail: String,
    },
    /// A stored record could not be decoded or breaks the log's shape during a read.
    #[error("corrupt event log: {detail}; see {RUNBOOK}")]
    Corrupt {
        /// What was found.
        detail: String,
    },
    /// The storage engine failed.
    #[error("storage error while {context}: {source}")]
    Storage {
        /// What the store was doing.
        context: &'static str,
        /// The engine's error.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// A file-system operation failed (lock file, data directory).
    #[error("i/o error while {context}: {source}")]
    Io {
        /// What the store was doing.
        context: &'static str,
        /// The error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// An earlier write failed, so the writer stopped accepting appends; reopen the store (the
    /// invariant check will tell whether anything needs recovery).
    #[error(
        "event store writer stopped after a storage failure; restart to recover (see {RUNBOOK})"
    )]
    Poisoned,
    /// The store was closed.
    #[error("event store is closed")]
    Closed,
}

fn display_actual(actual: Option<u64>) -> String {
    match actual {
        Some(v) => format!("version {v}"),
        None => "no stream".to_owned(),
    }
}

impl StoreError {
    /// Wraps an engine error.
    pub(crate) fn storage<E>(context: &'static str, source: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Self::Storage {
            context,
            source: Arc::new(source),
        }
    }

    /// Wraps an i/o error.
    pub(crate) fn io(context: &'static str, source: std::io::Error) -> Self {
        Self::Io {
            context,
            source: Arc::new(source),
        }
    }

    /// Whether retrying after reloading the stream may succeed (only conflicts).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }
}
