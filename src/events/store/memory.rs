//! The in-memory reference store: the contract with nothing in the way.
//!
//! It exists for two reasons. Fast tests of everything above the store (actors, projections,
//! HTTP) can run on it without a disk; and, run through the same conformance suite as the sled
//! store, it is the executable specification that the sled store is checked against. To keep it
//! honest it shares the validation, idempotency, version-check and hashing code with the sled
//! writer (`append.rs`, `envelope.rs`), stores the same [`RawEvent`]s, and publishes heads on the
//! same kind of watch channel. "Durable" here means "in this process", nothing more.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::watch;
use uuid::Uuid;

use super::append::{self, AppendState, ChainTip, DedupeEntry, Planned, StreamHead};
use super::contract::{check_checkpoint, validate_view_name};
use super::{
    AppendOutcome, EventData, EventStore, ExpectedVersion, RawEvent, RawLogEntry, RecordedEvent,
    StoreError, StoreLimits, StoreMetrics, StreamHeadEntry, StreamId, StreamIndexEntry, ViewRow,
    ViewStore, ViewTree, ViewWrite, ZERO_HASH,
};

/// Options of the memory store.
#[derive(Debug, Clone, Default)]
pub struct MemoryStoreOptions {
    /// Size limits, the same as the sled store's by default.
    pub limits: StoreLimits,
    /// Metrics to update, if any.
    pub metrics: Option<StoreMetrics>,
}

/// An [`EventStore`] kept entirely in memory.
pub struct MemoryEventStore {
    /// Everything an append touches, behind one lock (the memory store's "single writer").
    state: Mutex<State>,
    /// A receiver kept to hand out clones from `watch_head`, even after close.
    head_rx: watch::Receiver<u64>,
    /// The acknowledged head, shared with the views for their checkpoint check.
    committed: Arc<AtomicU64>,
    /// The projection trees.
    views: Arc<MemoryViews>,
    /// Limits and metrics.
    options: MemoryStoreOptions,
}

struct State {
    /// The log; `events[i].seq == i + 1`.
    events: Vec<RawEvent>,
    /// Stream index: the seqs of each stream's events, by version − 1.
    streams: BTreeMap<StreamId, Vec<u64>>,
    /// Idempotency index.
    dedupe: HashMap<Uuid, DedupeEntry>,
    /// End of the chain.
    tip: ChainTip,
    /// Head publisher; `None` once closed (which ends live subscriptions).
    head_tx: Option<watch::Sender<u64>>,
}

impl AppendState for State {
    fn stream_head(&mut self, stream: &StreamId) -> Result<Option<StreamHead>, StoreError> {
        Ok(self.streams.get(stream).and_then(|seqs| {
            seqs.last().map(|&last_seq| StreamHead {
                version: seqs.len() as u64,
                last_seq,
            })
        }))
    }

    fn dedupe(&mut self, event_id: &Uuid) -> Result<Option<DedupeEntry>, StoreError> {
        Ok(self.dedupe.get(event_id).cloned())
    }
}

impl Default for MemoryEventStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryEventStore {
    /// An empty store with default options.
    pub fn new() -> Self {
        Self::with_options(MemoryStoreOptions::default())
    }

    /// An empty store.
    pub fn with_options(options: MemoryStoreOptions) -> Self {
        let (head_tx, head_rx) = watch::channel(0);
        let committed = Arc::new(AtomicU64::new(0));
        Self {
            state: Mutex::new(State {
                events: Vec::new(),
                streams: BTreeMap::new(),
                dedupe: HashMap::new(),
                tip: ChainTip {
                    head: 0,
                    last_hash: ZERO_HASH,
                    last_recorded_at_micros: 0,
                },
                head_tx: Some(head_tx),
            }),
            head_rx,
            committed: Arc::clone(&committed),
            views: Arc::new(MemoryViews {
                views: Mutex::new(BTreeMap::new()),
                meta: Mutex::new(BTreeMap::new()),
                committed,
            }),
            options,
        }
    }

    fn append_locked(
        &self,
        req: &append::PreparedAppend,
    ) -> Result<(AppendOutcome, bool), StoreError> {
        let mut state = self.state.lock();
        let Some(head_tx) = state.head_tx.clone() else {
            return Err(StoreError::Closed);
        };
        let mut tip = state.tip;
        let now = tip.commit_time();
        match append::plan(&mut *state, &mut tip, now, req)? {
            Planned::AlreadyApplied(outcome) => Ok((outcome, true)),
            Planned::Write {
                records, outcome, ..
            } => {
                let seqs = state.streams.entry(req.stream.clone()).or_default();
                seqs.extend(records.iter().map(|r| r.seq));
                for r in &records {
                    let entry = DedupeEntry {
                        seq: r.seq,
                        stream: req.stream.clone(),
                        outcome,
                    };
                    state.dedupe.insert(r.event_id, entry);
                }
                let n = records.len() as u64;
                state.events.extend(records);
                state.tip = tip;
                self.committed.store(tip.head, Ordering::Release);
                head_tx.send_replace(tip.head);
                if let Some(m) = &self.options.metrics {
                    m.observe_commit(1, n, tip.head);
                }
                Ok((outcome, false))
            }
        }
    }
}

#[async_trait]
impl EventStore for MemoryEventStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<EventData>,
    ) -> Result<AppendOutcome, StoreError> {
        let started = Instant::now();
        let result = append::prepare(stream, expected, events, &self.options.limits)
            .and_then(|req| self.append_locked(&req));
        let replayed = matches!(result, Ok((_, true)));
        let result = result.map(|(outcome, _)| outcome);
        if let Some(m) = &self.options.metrics {
            m.observe_append(started, &result, replayed);
        }
        result
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let state = self.state.lock();
        let Some(seqs) = state.streams.get(stream) else {
            return Ok(Vec::new());
        };
        let skip = from_version.saturating_sub(1) as usize;
        seqs.iter()
            .skip(skip)
            .map(|&seq| state.events[(seq - 1) as usize].to_recorded())
            .collect()
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, StoreError> {
        let state = self.state.lock();
        Ok(state.streams.get(stream).map(|s| s.len() as u64))
    }

    async fn read_all(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let state = self.state.lock();
        let start = usize::try_from(after_seq).unwrap_or(usize::MAX);
        state
            .events
            .iter()
            .skip(start)
            .take(limit)
            .map(RawEvent::to_recorded)
            .collect()
    }

    fn head(&self) -> u64 {
        self.committed.load(Ordering::Acquire)
    }

    fn watch_head(&self) -> watch::Receiver<u64> {
        self.head_rx.clone()
    }

    fn views(&self) -> Arc<dyn ViewStore> {
        Arc::clone(&self.views) as Arc<dyn ViewStore>
    }

    async fn raw_events(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<RawLogEntry>, StoreError> {
        let state = self.state.lock();
        let start = usize::try_from(after_seq).unwrap_or(usize::MAX);
        Ok(state
            .events
            .iter()
            .skip(start)
            .take(limit)
            .map(|e| RawLogEntry {
                seq: e.seq,
                record: Ok(e.clone()),
            })
            .collect())
    }

    async fn raw_stream_index(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<StreamIndexEntry>, StoreError> {
        let state = self.state.lock();
        let mut out = Vec::new();
        let range = match &after {
            Some((stream, _)) => state.streams.range(stream.clone()..),
            None => state.streams.range(..),
        };
        'outer: for (stream, seqs) in range {
            let skip = match &after {
                Some((s, v)) if s == stream => *v as usize,
                _ => 0,
            };
            for (i, &seq) in seqs.iter().enumerate().skip(skip) {
                if out.len() >= limit {
                    break 'outer;
                }
                out.push(StreamIndexEntry {
                    stream: stream.clone(),
                    version: i as u64 + 1,
                    seq,
                });
            }
        }
        Ok(out)
    }

    async fn raw_stream_heads(
        &self,
        after: Option<StreamId>,
        limit: usize,
    ) -> Result<Vec<StreamHeadEntry>, StoreError> {
        use std::ops::Bound;
        let state = self.state.lock();
        let lower = match after {
            Some(s) => Bound::Excluded(s),
            None => Bound::Unbounded,
        };
        Ok(state
            .streams
            .range((lower, Bound::Unbounded))
            .filter_map(|(stream, seqs)| {
                seqs.last().map(|&last_seq| StreamHeadEntry {
                    stream: stream.clone(),
                    version: seqs.len() as u64,
                    last_seq,
                })
            })
            .take(limit)
            .collect())
    }

    async fn close(&self) -> Result<(), StoreError> {
        self.state.lock().head_tx = None;
        Ok(())
    }
}

/// The memory store's projection trees.
struct MemoryViews {
    views: Mutex<BTreeMap<String, Arc<MemoryView>>>,
    meta: Mutex<BTreeMap<String, Vec<u8>>>,
    committed: Arc<AtomicU64>,
}

impl ViewStore for MemoryViews {
    fn open_view(&self, name: &str) -> Result<Arc<dyn ViewTree>, StoreError> {
        validate_view_name(name)?;
        let mut views = self.views.lock();
        let view = views.entry(name.to_owned()).or_insert_with(|| {
            Arc::new(MemoryView {
                name: name.to_owned(),
                data: Mutex::new((BTreeMap::new(), 0)),
                committed: Arc::clone(&self.committed),
            })
        });
        Ok(Arc::clone(view) as Arc<dyn ViewTree>)
    }

    fn drop_view(&self, name: &str) -> Result<bool, StoreError> {
        validate_view_name(name)?;
        Ok(self.views.lock().remove(name).is_some())
    }

    fn list_views(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.views.lock().keys().cloned().collect())
    }

    fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.meta.lock().get(key).cloned())
    }

    fn set_meta(&self, key: &str, value: Option<Vec<u8>>) -> Result<(), StoreError> {
        let mut meta = self.meta.lock();
        match value {
            Some(v) => meta.insert(key.to_owned(), v),
            None => meta.remove(key),
        };
        Ok(())
    }
}

/// One in-memory view: rows and checkpoint under one lock, which makes commits atomic.
struct MemoryView {
    name: String,
    data: Mutex<ViewData>,
    committed: Arc<AtomicU64>,
}

/// Rows, then checkpoint.
type ViewData = (BTreeMap<Vec<u8>, Vec<u8>>, u64);

impl ViewTree for MemoryView {
    fn name(&self) -> &str {
        &self.name
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.data.lock().0.get(key).cloned())
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<ViewRow>, StoreError> {
        let data = self.data.lock();
        Ok(data
            .0
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn checkpoint(&self) -> Result<u64, StoreError> {
        Ok(self.data.lock().1)
    }

    fn commit(&self, writes: Vec<ViewWrite>, checkpoint: u64) -> Result<(), StoreError> {
        let mut data = self.data.lock();
        let head = self.committed.load(Ordering::Acquire);
        check_checkpoint(&self.name, data.1, checkpoint, head)?;
        for (k, v) in writes {
            match v {
                Some(v) => data.0.insert(k, v),
                None => data.0.remove(&k),
            };
        }
        data.1 = checkpoint;
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        let mut data = self.data.lock();
        data.0.clear();
        data.1 = 0;
        Ok(())
    }
}
