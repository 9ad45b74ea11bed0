//! `audit verify`: prove the log was not edited, and that its indexes tell the truth.
//!
//! The startup invariant check looks at the log's shape cheaply; this is the full proof, meant
//! for auditors and for after a recovery. It walks every stored record in sequence order and
//! checks, for each one:
//!
//! - the sequence is contiguous from 1 and the record says the seq it is stored under;
//! - `prev_hash` equals the stored hash of the previous record (zeros for seq 1);
//! - the stored hash equals the hash recomputed from the envelope (canonical encoding in
//!   `events::store::RawEvent`), so any edit of any field, payload bytes included, shows;
//! - stream versions go 1, 2, 3… within each stream, and `recorded_at` never goes back.
//!
//! It then walks the stream index and the stream heads and checks that each entry points where
//! the log says it should, and that nothing is missing. It works through the [`EventStore`]
//! trait, so it verifies the sled store and the memory store alike, and pages through the log so
//! memory stays bounded by the number of events (8 bytes each, for the index check) rather than
//! their size.
//!
//! Verification covers the log up to the head at the moment it starts; events appended while it
//! runs are ignored (and counted in [`VerifyReport::skipped_after_head`]).

use std::collections::{HashMap, HashSet};

use crate::events::store::{
    EventStore, RawEvent, RawLogEntry, StoreError, StreamId, StreamIndexEntry, ZERO_HASH,
};

/// Records fetched per page.
const PAGE: usize = 1000;
/// Problems kept in the report (all are counted).
const MAX_PROBLEMS_KEPT: usize = 100;

/// Why the log is broken at some sequence number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BreakReason {
    /// A sequence number is missing.
    #[error("sequence gap: expected seq {expected}, found seq {found}")]
    Gap {
        /// The missing seq.
        expected: u64,
        /// The next seq present.
        found: u64,
    },
    /// The log ends before the head.
    #[error("the log ends at seq {last}, before the head {head}")]
    Truncated {
        /// Last seq present.
        last: u64,
        /// The head.
        head: u64,
    },
    /// The stored bytes do not decode.
    #[error("record does not decode: {0}")]
    Undecodable(String),
    /// The record states another seq than its key.
    #[error("record stored under this seq says it is seq {stated}")]
    SeqMismatch {
        /// The seq written inside the record.
        stated: u64,
    },
    /// The envelope does not hash to its stored hash: it was edited.
    #[error(
        "stored hash {stored} does not match the recomputed hash {computed}: the record was edited"
    )]
    HashMismatch {
        /// Hash as stored (hex).
        stored: String,
        /// Hash recomputed from the fields (hex).
        computed: String,
    },
    /// `prev_hash` is not the previous record's hash: a record before it was replaced.
    #[error("prev_hash {found} does not match the hash {expected} of the previous record")]
    PrevHashMismatch {
        /// The previous record's stored hash (hex).
        expected: String,
        /// This record's prev_hash (hex).
        found: String,
    },
    /// A stream version out of order.
    #[error("stream {stream}: version {found}, expected version {expected}")]
    StreamVersion {
        /// The stream.
        stream: StreamId,
        /// The version it should have.
        expected: u64,
        /// The version it has.
        found: u64,
    },
    /// `recorded_at` earlier than the previous record's.
    #[error("recorded_at goes back in time ({micros} µs after {previous_micros} µs)")]
    TimeWentBack {
        /// This record's time.
        micros: i64,
        /// The previous record's time.
        previous_micros: i64,
    },
    /// An index entry that does not match the log.
    #[error(
        "stream index: {stream} version {version} points at seq {indexed}, the log has {actual:?}"
    )]
    IndexMismatch {
        /// The stream.
        stream: StreamId,
        /// The version.
        version: u64,
        /// Where the index points.
        indexed: u64,
        /// Where the log has that event, if anywhere.
        actual: Option<u64>,
    },
    /// An event with no index entry.
    #[error("stream index: {stream} version {version} is missing")]
    IndexMissing {
        /// The stream.
        stream: StreamId,
        /// The missing version.
        version: u64,
    },
    /// A head record that does not match the log.
    #[error(
        "stream head: {stream} says version {version} at seq {last_seq}, the log says {actual:?}"
    )]
    HeadMismatch {
        /// The stream.
        stream: StreamId,
        /// Version in the head record.
        version: u64,
        /// Last seq in the head record.
        last_seq: u64,
        /// (version, last seq) according to the log, if the stream exists there.
        actual: Option<(u64, u64)>,
    },
    /// A stream with events but no head record.
    #[error("stream head: {stream} has events but no head record")]
    HeadMissing {
        /// The stream.
        stream: StreamId,
    },
}

/// One problem: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenAt {
    /// The sequence number concerned (for index and head problems: the event they concern).
    pub seq: u64,
    /// What is wrong.
    pub reason: BreakReason,
}

impl std::fmt::Display for BrokenAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "seq {}: {}", self.seq, self.reason)
    }
}

/// The result of [`verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// The head verified up to.
    pub head: u64,
    /// Records walked.
    pub events: u64,
    /// Streams seen in the log.
    pub streams: u64,
    /// Stream index entries checked.
    pub index_entries: u64,
    /// Stream head records checked.
    pub heads: u64,
    /// Hash of the last record (hex), the value to publish or compare later.
    pub last_hash: Option<String>,
    /// Index and head entries beyond the head, written while verifying (not checked).
    pub skipped_after_head: u64,
    /// The problem at the lowest seq, if any.
    pub first_broken: Option<BrokenAt>,
    /// How many problems were found.
    pub problem_count: u64,
    /// The first problems found (at most 100), in the order found.
    pub problems: Vec<BrokenAt>,
}

impl VerifyReport {
    /// Whether the log verified without any problem.
    pub fn is_ok(&self) -> bool {
        self.problem_count == 0
    }

    fn problem(&mut self, seq: u64, reason: BreakReason) {
        let found = BrokenAt { seq, reason };
        if self.first_broken.as_ref().is_none_or(|b| seq < b.seq) {
            self.first_broken = Some(found.clone());
        }
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push(found);
        }
    }
}

/// Verifies the whole log of `store` (see the module documentation).
///
/// Errors only when the store cannot be read; everything wrong *in* the log is reported in
/// [`VerifyReport`].
pub async fn verify(store: &dyn EventStore) -> Result<VerifyReport, StoreError> {
    let head = store.head();
    let mut report = VerifyReport {
        head,
        ..VerifyReport::default()
    };
    let streams = walk_log(store, head, &mut report).await?;
    report.streams = streams.len() as u64;
    walk_index(store, head, &streams, &mut report).await?;
    walk_heads(store, head, &streams, &mut report).await?;
    if report.is_ok() {
        tracing::info!(head, events = report.events, "log verified");
    } else {
        tracing::warn!(
            head,
            problems = report.problem_count,
            first = %report.first_broken.as_ref().map(ToString::to_string).unwrap_or_default(),
            "log verification found problems"
        );
    }
    Ok(report)
}

/// Walks the records; returns each stream's seqs by version.
async fn walk_log(
    store: &dyn EventStore,
    head: u64,
    report: &mut VerifyReport,
) -> Result<HashMap<StreamId, Vec<u64>>, StoreError> {
    let mut walk = LogWalk::new();
    let mut position = 0u64;
    'pages: loop {
        let page = store.raw_events(position, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for entry in page {
            position = entry.seq;
            if entry.seq > head {
                break 'pages;
            }
            walk.step(entry, report);
        }
    }
    Ok(walk.finish(head, report))
}

/// What the walk over the log carries from one record to the next.
struct LogWalk {
    /// Each stream's seqs by version, so far.
    streams: HashMap<StreamId, Vec<u64>>,
    /// The seq the next record should be stored under.
    expected: u64,
    /// The previous record's hash; `None` after a gap or an undecodable record.
    prev_hash: Option<[u8; 32]>,
    /// The previous record's `recorded_at`.
    prev_time: i64,
    /// The last decodable record's hash.
    last_hash: Option<[u8; 32]>,
}

impl LogWalk {
    /// A walk about to read seq 1.
    fn new() -> Self {
        Self {
            streams: HashMap::new(),
            expected: 1,
            prev_hash: Some(ZERO_HASH),
            prev_time: i64::MIN,
            last_hash: None,
        }
    }

    /// Checks one stored record: its place in the sequence, then its envelope and its stream.
    fn step(&mut self, entry: RawLogEntry, report: &mut VerifyReport) {
        report.events += 1;
        if entry.seq != self.expected {
            report.problem(
                self.expected,
                BreakReason::Gap {
                    expected: self.expected,
                    found: entry.seq,
                },
            );
            self.prev_hash = None; // the chain cannot be followed across a gap
        }
        self.expected = entry.seq + 1;
        let record = match entry.record {
            Ok(r) => r,
            Err(e) => {
                report.problem(entry.seq, BreakReason::Undecodable(e.0));
                self.prev_hash = None;
                return;
            }
        };
        self.check_chain(entry.seq, &record, report);
        self.check_version(entry.seq, &record, report);
        self.prev_hash = Some(record.hash);
        self.last_hash = Some(record.hash);
    }

    /// The record's stated seq, its link to the previous record, its own hash and its time.
    fn check_chain(&mut self, seq: u64, record: &RawEvent, report: &mut VerifyReport) {
        if record.seq != seq {
            report.problem(seq, BreakReason::SeqMismatch { stated: record.seq });
        }
        if let Some(prev) = self.prev_hash {
            if record.prev_hash != prev {
                report.problem(
                    seq,
                    BreakReason::PrevHashMismatch {
                        expected: hex::encode(prev),
                        found: hex::encode(record.prev_hash),
                    },
                );
            }
        }
        let computed = record.compute_hash();
        if computed != record.hash {
            report.problem(
                seq,
                BreakReason::HashMismatch {
                    stored: hex::encode(record.hash),
                    computed: hex::encode(computed),
                },
            );
        }
        if record.recorded_at_micros < self.prev_time {
            report.problem(
                seq,
                BreakReason::TimeWentBack {
                    micros: record.recorded_at_micros,
                    previous_micros: self.prev_time,
                },
            );
        }
        self.prev_time = record.recorded_at_micros;
    }

    /// The record's stream version follows the stream's previous one; notes where it is.
    fn check_version(&mut self, seq: u64, record: &RawEvent, report: &mut VerifyReport) {
        // get_mut first: cloning the stream name for every event shows in a 1M-event walk.
        let seqs = match self.streams.get_mut(&record.stream) {
            Some(seqs) => seqs,
            None => self.streams.entry(record.stream.clone()).or_default(),
        };
        let want = seqs.len() as u64 + 1;
        if record.version != want {
            report.problem(
                seq,
                BreakReason::StreamVersion {
                    stream: record.stream.clone(),
                    expected: want,
                    found: record.version,
                },
            );
        }
        seqs.push(seq);
    }

    /// Ends the walk: the last hash, and a problem if the log stops before `head`. Returns
    /// each stream's seqs by version.
    fn finish(self, head: u64, report: &mut VerifyReport) -> HashMap<StreamId, Vec<u64>> {
        report.last_hash = self.last_hash.map(hex::encode);
        if self.expected <= head {
            report.problem(
                self.expected,
                BreakReason::Truncated {
                    last: self.expected - 1,
                    head,
                },
            );
        }
        self.streams
    }
}

/// Checks every index entry against the log, and that no event lacks one.
async fn walk_index(
    store: &dyn EventStore,
    head: u64,
    streams: &HashMap<StreamId, Vec<u64>>,
    report: &mut VerifyReport,
) -> Result<(), StoreError> {
    // Entries arrive by stream, then version: track the next version expected per stream.
    let mut current: Option<(StreamId, u64)> = None;
    let mut indexed = HashSet::new();
    let mut after = None;
    loop {
        let page = store.raw_stream_index(after.take(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.stream.clone(), last.version));
        for entry in page {
            if entry.seq > head {
                report.skipped_after_head += 1;
                continue;
            }
            report.index_entries += 1;
            let next = match current.take() {
                Some((s, next)) if s == entry.stream => next,
                previous => {
                    if let Some((s, next)) = previous {
                        report_missing_tail(report, streams, &s, next);
                    }
                    indexed.insert(entry.stream.clone());
                    1
                }
            };
            check_index_entry(report, streams, &entry, next);
            let next = next.max(entry.version + 1);
            current = Some((entry.stream, next));
        }
    }
    if let Some((s, next)) = current {
        report_missing_tail(report, streams, &s, next);
    }
    report_unindexed(report, streams, &indexed);
    Ok(())
}

/// Checks one index entry, `next` being the version its stream's index should come to next:
/// no version skipped before it, and it points where the log has that version.
fn check_index_entry(
    report: &mut VerifyReport,
    streams: &HashMap<StreamId, Vec<u64>>,
    entry: &StreamIndexEntry,
    next: u64,
) {
    let seqs = streams.get(&entry.stream);
    if entry.version > next {
        if let Some(&seq) = seqs.and_then(|s| s.get((next - 1) as usize)) {
            report.problem(
                seq,
                BreakReason::IndexMissing {
                    stream: entry.stream.clone(),
                    version: next,
                },
            );
        }
    }
    let actual = entry
        .version
        .checked_sub(1)
        .and_then(|i| seqs.and_then(|s| s.get(i as usize)))
        .copied();
    if actual != Some(entry.seq) {
        report.problem(
            entry.seq,
            BreakReason::IndexMismatch {
                stream: entry.stream.clone(),
                version: entry.version,
                indexed: entry.seq,
                actual,
            },
        );
    }
}

/// Reports the streams of the log that have no index entry at all.
fn report_unindexed(
    report: &mut VerifyReport,
    streams: &HashMap<StreamId, Vec<u64>>,
    indexed: &HashSet<StreamId>,
) {
    for (stream, seqs) in streams {
        if !indexed.contains(stream) {
            if let Some(&seq) = seqs.first() {
                report.problem(
                    seq,
                    BreakReason::IndexMissing {
                        stream: stream.clone(),
                        version: 1,
                    },
                );
            }
        }
    }
}

/// Reports the first version of `stream` from `next` on that has no index entry.
fn report_missing_tail(
    report: &mut VerifyReport,
    streams: &HashMap<StreamId, Vec<u64>>,
    stream: &StreamId,
    next: u64,
) {
    let seqs = streams.get(stream).map(Vec::as_slice).unwrap_or_default();
    if let Some(&seq) = seqs.get((next - 1) as usize) {
        report.problem(
            seq,
            BreakReason::IndexMissing {
                stream: stream.clone(),
                version: next,
            },
        );
    }
}

/// Checks every head record against the log, and that every stream has one.
async fn walk_heads(
    store: &dyn EventStore,
    head: u64,
    streams: &HashMap<StreamId, Vec<u64>>,
    report: &mut VerifyReport,
) -> Result<(), StoreError> {
    let mut seen = HashSet::new();
    let mut after = None;
    loop {
        let page = store.raw_stream_heads(after.take(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.stream.clone());
        for entry in page {
            seen.insert(entry.stream.clone());
            if entry.last_seq > head {
                report.skipped_after_head += 1;
                continue;
            }
            report.heads += 1;
            let actual = streams
                .get(&entry.stream)
                .and_then(|s| s.last().map(|&last| (s.len() as u64, last)));
            if actual != Some((entry.version, entry.last_seq)) {
                report.problem(
                    entry.last_seq,
                    BreakReason::HeadMismatch {
                        stream: entry.stream,
                        version: entry.version,
                        last_seq: entry.last_seq,
                        actual,
                    },
                );
            }
        }
    }
    for (stream, seqs) in streams {
        if !seen.contains(stream) {
            if let Some(&seq) = seqs.last() {
                report.problem(
                    seq,
                    BreakReason::HeadMissing {
                        stream: stream.clone(),
                    },
                );
            }
        }
    }
    Ok(())
}
