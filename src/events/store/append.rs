//! Append semantics, written once: validation, idempotency, the version check and chaining.
//!
//! The sled writer and the in-memory store both call [`prepare`] on the caller's side (cheap
//! checks and JSON serialization, so refusals never reach the writer) and [`plan`] inside their
//! critical section. Keeping the rules here, behind the small [`AppendState`] lookup trait, is
//! what makes "identical semantics" a property of the code rather than of two careful authors.

use chrono::Utc;
use uuid::Uuid;

use super::envelope::RawEvent;
use super::{AppendOutcome, EventData, ExpectedVersion, StoreError, StreamId};

/// Longest accepted event type, in bytes.
pub const MAX_EVENT_TYPE_LEN: usize = 200;

/// Size limits enforced on every append, identical for every implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// Largest serialized JSON payload accepted for one event, in bytes (default 1 MiB; values
    /// above 256 MiB are clamped, the storage codec length field being 32 bits).
    pub max_event_bytes: usize,
    /// Most events accepted in one append (default 1,000).
    pub max_events_per_append: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            max_event_bytes: 1024 * 1024,
            max_events_per_append: 1000,
        }
    }
}

impl StoreLimits {
    fn event_bytes(&self) -> usize {
        self.max_event_bytes.min(256 * 1024 * 1024)
    }
}

/// An event that passed validation, its payload already serialized.
#[derive(Debug, Clone)]
pub(crate) struct PreparedEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u16,
    pub payload: Vec<u8>,
    pub causation_id: Option<Uuid>,
    pub correlation_id: Option<Uuid>,
}

/// An append that passed validation.
#[derive(Debug, Clone)]
pub(crate) struct PreparedAppend {
    pub stream: StreamId,
    pub expected: ExpectedVersion,
    pub events: Vec<PreparedEvent>,
}

impl PreparedAppend {
    /// Total payload bytes, for sizing group commits.
    pub fn payload_bytes(&self) -> usize {
        self.events.iter().map(|e| e.payload.len()).sum()
    }
}

/// Validates an append and serializes its payloads. Runs outside any lock.
pub(crate) fn prepare(
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<EventData>,
    limits: &StoreLimits,
) -> Result<PreparedAppend, StoreError> {
    if events.is_empty() {
        return Err(StoreError::EmptyAppend {
            stream: stream.clone(),
        });
    }
    if events.len() > limits.max_events_per_append {
        return Err(StoreError::TooManyEvents {
            stream: stream.clone(),
            count: events.len(),
            limit: limits.max_events_per_append,
        });
    }
    let mut seen = std::collections::HashSet::with_capacity(events.len());
    let mut prepared = Vec::with_capacity(events.len());
    for e in events {
        if !seen.insert(e.event_id) {
            return Err(StoreError::DuplicateEventId {
                event_id: e.event_id,
            });
        }
        if e.event_type.is_empty() || e.event_type.len() > MAX_EVENT_TYPE_LEN {
            return Err(StoreError::InvalidEvent {
                event_id: e.event_id,
                reason: format!("event type must be 1..={MAX_EVENT_TYPE_LEN} bytes"),
            });
        }
        let payload = serde_json::to_vec(&e.payload).map_err(|err| StoreError::InvalidEvent {
            event_id: e.event_id,
            reason: format!("payload does not serialize: {err}"),
        })?;
        if payload.len() > limits.event_bytes() {
            return Err(StoreError::PayloadTooLarge {
                event_id: e.event_id,
                size: payload.len(),
                limit: limits.event_bytes(),
            });
        }
        prepared.push(PreparedEvent {
            event_id: e.event_id,
            event_type: e.event_type,
            schema_version: e.schema_version,
            payload,
            causation_id: e.causation_id,
            correlation_id: e.correlation_id,
        });
    }
    Ok(PreparedAppend {
        stream: stream.clone(),
        expected,
        events: prepared,
    })
}

/// A stream's head: its current version and where its last event sits in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamHead {
    pub version: u64,
    pub last_seq: u64,
}

impl StreamHead {
    /// Fixed 16-byte encoding (version, last_seq; big-endian), used by the sled `H` keyspace.
    pub fn encode(&self) -> [u8; 16] {
        let mut out = [0; 16];
        out[..8].copy_from_slice(&self.version.to_be_bytes());
        out[8..].copy_from_slice(&self.last_seq.to_be_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let version = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let last_seq = u64::from_be_bytes(bytes.get(8..16)?.try_into().ok()?);
        (bytes.len() == 16).then_some(Self { version, last_seq })
    }
}

/// What the log remembers about an event id, to answer retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DedupeEntry {
    /// Where this event landed.
    pub seq: u64,
    /// The stream it was appended to.
    pub stream: StreamId,
    /// The outcome of the whole append it was part of.
    pub outcome: AppendOutcome,
}

impl DedupeEntry {
    /// `seq | first_seq | last_seq | version | stream bytes` (u64s big-endian).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.stream.as_str().len());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.outcome.first_seq.to_be_bytes());
        out.extend_from_slice(&self.outcome.last_seq.to_be_bytes());
        out.extend_from_slice(&self.outcome.version.to_be_bytes());
        out.extend_from_slice(self.stream.as_str().as_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let u = |i: usize| -> Option<u64> {
            Some(u64::from_be_bytes(
                bytes.get(i * 8..i * 8 + 8)?.try_into().ok()?,
            ))
        };
        let stream = std::str::from_utf8(bytes.get(32..)?).ok()?;
        Some(Self {
            seq: u(0)?,
            stream: StreamId::parse(stream).ok()?,
            outcome: AppendOutcome {
                first_seq: u(1)?,
                last_seq: u(2)?,
                version: u(3)?,
            },
        })
    }
}

/// The lookups [`plan`] needs; implementations answer from committed state plus whatever the
/// current group commit has already planned.
pub(crate) trait AppendState {
    fn stream_head(&mut self, stream: &StreamId) -> Result<Option<StreamHead>, StoreError>;
    fn dedupe(&mut self, event_id: &Uuid) -> Result<Option<DedupeEntry>, StoreError>;
}

/// The end of the chain: where the next event goes and what it links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChainTip {
    /// Sequence number of the last event (0 for an empty log).
    pub head: u64,
    /// Hash of the last event ([`super::ZERO_HASH`] for an empty log).
    pub last_hash: [u8; 32],
    /// Commit time of the last event, µs (0 for an empty log).
    pub last_recorded_at_micros: i64,
}

impl ChainTip {
    /// The commit time for a new group commit: now, but never before the previous event, so
    /// `recorded_at` is monotonic along the log even if the wall clock steps back.
    pub fn commit_time(&self) -> i64 {
        Utc::now()
            .timestamp_micros()
            .max(self.last_recorded_at_micros)
    }
}

/// What [`plan`] decided.
#[derive(Debug)]
pub(crate) enum Planned {
    /// Every id was already stored by an identical append: answer with its outcome.
    AlreadyApplied(AppendOutcome),
    /// New events to write; `tip` has been advanced past them.
    Write {
        records: Vec<RawEvent>,
        outcome: AppendOutcome,
        head: StreamHead,
    },
}

/// Decides one append against `state`, advancing `tip` if it writes.
pub(crate) fn plan(
    state: &mut impl AppendState,
    tip: &mut ChainTip,
    recorded_at_micros: i64,
    req: &PreparedAppend,
) -> Result<Planned, StoreError> {
    if let Some(outcome) = check_idempotency(state, req)? {
        return Ok(Planned::AlreadyApplied(outcome));
    }
    let current = state.stream_head(&req.stream)?;
    let actual = current.map(|h| h.version);
    let ok = match req.expected {
        ExpectedVersion::Any => true,
        ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => actual.is_none(),
        ExpectedVersion::Exact(v) => actual == Some(v),
    };
    if !ok {
        return Err(StoreError::Conflict {
            stream: req.stream.clone(),
            expected: req.expected,
            actual,
        });
    }
    let base_version = actual.unwrap_or(0);
    let mut records = Vec::with_capacity(req.events.len());
    let mut prev_hash = tip.last_hash;
    for (i, e) in req.events.iter().enumerate() {
        let i = i as u64;
        let mut record = RawEvent {
            seq: tip.head + 1 + i,
            stream: req.stream.clone(),
            version: base_version + 1 + i,
            event_id: e.event_id,
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            recorded_at_micros,
            causation_id: e.causation_id,
            correlation_id: e.correlation_id,
            payload: e.payload.clone(),
            prev_hash,
            hash: [0; 32],
        };
        record.hash = record.compute_hash();
        prev_hash = record.hash;
        records.push(record);
    }
    let n = records.len() as u64;
    let outcome = AppendOutcome {
        first_seq: tip.head + 1,
        last_seq: tip.head + n,
        version: base_version + n,
    };
    *tip = ChainTip {
        head: outcome.last_seq,
        last_hash: prev_hash,
        last_recorded_at_micros: recorded_at_micros,
    };
    Ok(Planned::Write {
        records,
        outcome,
        head: StreamHead {
            version: outcome.version,
            last_seq: outcome.last_seq,
        },
    })
}

/// `Some(outcome)` if the append is an exact retry, `None` if all ids are new, an error if the
/// ids are partly known or known from a different append.
fn check_idempotency(
    state: &mut impl AppendState,
    req: &PreparedAppend,
) -> Result<Option<AppendOutcome>, StoreError> {
    let mut known = Vec::new();
    let mut entries = Vec::new();
    for e in &req.events {
        if let Some(entry) = state.dedupe(&e.event_id)? {
            known.push(e.event_id);
            entries.push(entry);
        }
    }
    if known.is_empty() {
        return Ok(None);
    }
    if known.len() != req.events.len() {
        return Err(StoreError::PartialDuplicate {
            stream: req.stream.clone(),
            unknown: req.events.len() - known.len(),
            known,
        });
    }
    let outcome = entries[0].outcome;
    let expected_len = outcome.last_seq - outcome.first_seq + 1;
    for (i, (entry, id)) in entries.iter().zip(&known).enumerate() {
        let mismatch = |reason: String| StoreError::IdempotencyMismatch {
            stream: req.stream.clone(),
            event_id: *id,
            reason,
        };
        if entry.stream != req.stream {
            return Err(mismatch(format!("it belongs to stream {}", entry.stream)));
        }
        if entry.outcome != outcome || entry.seq != outcome.first_seq + i as u64 {
            return Err(mismatch(
                "the ids were stored by different appends or in another order".into(),
            ));
        }
    }
    if expected_len != req.events.len() as u64 {
        return Err(StoreError::IdempotencyMismatch {
            stream: req.stream.clone(),
            event_id: known[0],
            reason: format!(
                "the original append wrote {expected_len} events, the retry has {}",
                req.events.len()
            ),
        });
    }
    Ok(Some(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_and_dedupe_encodings_round_trip() {
        let h = StreamHead {
            version: 3,
            last_seq: 99,
        };
        assert_eq!(StreamHead::decode(&h.encode()), Some(h));
        let d = DedupeEntry {
            seq: 5,
            stream: StreamId::parse("link-x").expect("valid"),
            outcome: AppendOutcome {
                first_seq: 4,
                last_seq: 6,
                version: 3,
            },
        };
        assert_eq!(DedupeEntry::decode(&d.encode()), Some(d));
        assert_eq!(StreamHead::decode(&[0; 15]), None);
    }
}
