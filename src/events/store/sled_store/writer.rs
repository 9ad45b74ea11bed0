//! The single writer: one OS thread that owns every append to the `log` tree.
//!
//! Serialising appends in one place replaces read-check-write transactions with plain program
//! order: the writer reads a stream head, checks the expected version and assigns sequence
//! numbers with nobody else writing, so the global sequence is gap-free and in commit order by
//! construction. It runs on its own thread because sled blocks on I/O (the flush above all) and
//! must not stall the async runtime.
//!
//! Each turn of the loop is one *group commit*: take every request waiting in the channel (up to
//! a limit), plan them in arrival order (later requests see the heads left by earlier ones in
//! the same turn, through [`Overlay`]), write all of them with one atomic `apply_batch`, make
//! them durable with one `flush`, and only then answer every caller and publish the new head.
//! Under load, many appends share one fsync; alone, an append costs one. The flush is followed
//! by the fsync sled 0.34.7 leaves out on Linux (see `disk_sync.rs`).
//!
//! If a write or flush fails, the writer answers the affected callers with the error and then
//! refuses every later append ([`StoreError::Poisoned`]): after an engine error, the only safe
//! way forward is to reopen, which reruns the invariant check.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use tokio::sync::{oneshot, watch};
use tracing::{debug, error, info};
use uuid::Uuid;

use super::disk_sync::DiskSync;
use super::keys;
use crate::events::store::append::{
    self, AppendState, ChainTip, DedupeEntry, Planned, PreparedAppend, StreamHead,
};
use crate::events::store::{
    AppendOutcome, RawEvent, StoreError, StoreMetrics, StreamId, WriteFault, WriterHealth,
};

/// What a caller gets back: the outcome, and whether it was an idempotent replay.
pub(super) type AppendReply = Result<(AppendOutcome, bool), StoreError>;

/// A caller's reply channel and the answer it gets once its group commit settles.
type Answer = (oneshot::Sender<AppendReply>, AppendReply);

/// A request to the writer.
pub(super) enum Command {
    /// Append, then answer on `reply` once durable.
    Append {
        req: PreparedAppend,
        reply: oneshot::Sender<AppendReply>,
    },
    /// Finish what is queued before this, flush, answer, and stop.
    Close {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// The writer's state; lives on the writer thread.
pub(super) struct Writer {
    /// The source-of-truth tree.
    pub log: sled::Tree,
    /// End of the durable chain.
    pub tip: ChainTip,
    /// The acknowledged head, read by readers to cap what they show.
    pub committed: Arc<AtomicU64>,
    /// Head publisher for subscriptions (dropped with the writer, which ends them).
    pub head_tx: watch::Sender<u64>,
    /// Most append requests in one group commit.
    pub max_group: usize,
    /// Most payload bytes in one group commit (a request is never split).
    pub max_group_bytes: usize,
    /// Metrics, if configured.
    pub metrics: Option<StoreMetrics>,
    /// The fsync after sled's flush (`None`: trust sled's flush alone).
    pub disk_sync: Option<DiskSync>,
    /// Where the cause goes when the writer stops accepting appends.
    pub health: WriterHealth,
    /// The injected failure switch, if any.
    pub fault: Option<WriteFault>,
}

impl Writer {
    /// Starts the writer thread.
    pub fn spawn(
        self,
        rx: mpsc::Receiver<Command>,
    ) -> Result<std::thread::JoinHandle<()>, StoreError> {
        std::thread::Builder::new()
            .name("sfjira-store-writer".into())
            .spawn(move || self.run(rx))
            .map_err(|e| StoreError::io("starting the writer thread", e))
    }

    fn run(mut self, rx: mpsc::Receiver<Command>) {
        let mut poisoned = false;
        let mut closing = None;
        while closing.is_none() {
            // Block for the first request, then take whatever else is already waiting.
            let Ok(first) = rx.recv() else { break };
            let mut appends = Vec::new();
            let mut bytes = 0;
            let mut next = Some(first);
            while let Some(cmd) = next.take() {
                match cmd {
                    Command::Append { req, reply } => {
                        bytes += req.payload_bytes();
                        appends.push((req, reply));
                    }
                    Command::Close { reply } => {
                        closing = Some(reply);
                        break;
                    }
                }
                if appends.len() < self.max_group && bytes < self.max_group_bytes {
                    next = rx.try_recv().ok();
                }
            }
            if poisoned {
                for (_, reply) in appends {
                    let _ = reply.send(Err(StoreError::Poisoned));
                }
            } else {
                poisoned = !self.commit(appends);
            }
        }
        // Stop: refuse what is still queued, flush whatever sled may hold, answer the closer.
        while let Ok(cmd) = rx.try_recv() {
            match cmd {
                Command::Append { reply, .. } => {
                    let _ = reply.send(Err(StoreError::Closed));
                }
                Command::Close { reply } => {
                    let _ = reply.send(Ok(()));
                }
            }
        }
        let flushed = self
            .log
            .flush()
            .map_err(|e| StoreError::storage("flushing at close", e))
            .and_then(|_| match &mut self.disk_sync {
                Some(sync) => sync
                    .sync()
                    .map_err(|e| StoreError::io("syncing to disk at close", e)),
                None => Ok(()),
            });
        if let Err(e) = &flushed {
            error!(error = %e, "event store final flush failed");
        }
        info!(head = self.tip.head, "event store writer stopped");
        if let Some(reply) = closing {
            let _ = reply.send(flushed);
        }
    }

    /// Plans, writes, flushes and answers one group commit. Returns `false` if the storage
    /// failed (the writer is then poisoned).
    fn commit(&mut self, appends: Vec<(PreparedAppend, oneshot::Sender<AppendReply>)>) -> bool {
        let requests = appends.len();
        let mut tip = self.tip;
        let (batch, mut replies) = self.plan_group(appends, &mut tip);
        let mut healthy = true;
        if tip.head != self.tip.head {
            let started = Instant::now();
            match self.write_durably(batch) {
                Ok(bytes) => self.publish(tip, requests, bytes, started),
                Err(e) => {
                    self.fail_group(e, &mut replies);
                    healthy = false;
                }
            }
        }
        for (reply, result) in replies {
            // A caller that gave up waiting is not an error: its append is durable regardless.
            let _ = reply.send(result);
        }
        healthy
    }

    /// Plans the group's appends in arrival order into one batch, advancing `tip`; returns the
    /// batch and each caller's answer for when it is durable.
    fn plan_group(
        &self,
        appends: Vec<(PreparedAppend, oneshot::Sender<AppendReply>)>,
        tip: &mut ChainTip,
    ) -> (sled::Batch, Vec<Answer>) {
        let mut overlay = Overlay {
            log: &self.log,
            heads: HashMap::new(),
            dedupe: HashMap::new(),
        };
        let now = tip.commit_time();
        let mut batch = sled::Batch::default();
        let mut replies = Vec::with_capacity(appends.len());
        for (req, reply) in appends {
            let result = match append::plan(&mut overlay, tip, now, &req) {
                Ok(Planned::Write {
                    records,
                    outcome,
                    head,
                }) => {
                    overlay.stage(&mut batch, &req.stream, &records, outcome, head);
                    Ok((outcome, false))
                }
                Ok(Planned::AlreadyApplied(outcome)) => Ok((outcome, true)),
                Err(e) => Err(e),
            };
            replies.push((reply, result));
        }
        (batch, replies)
    }

    /// Writes the batch atomically, flushes it and syncs it to disk (unless a write fault is
    /// injected); returns the bytes sled flushed.
    fn write_durably(&mut self, batch: sled::Batch) -> Result<usize, StoreError> {
        let injected = self.fault.as_ref().and_then(WriteFault::armed);
        match injected {
            Some(cause) => Err(StoreError::io(
                "applying a group commit",
                std::io::Error::other(cause),
            )),
            None => Ok(()),
        }
        .and_then(|()| {
            self.log
                .apply_batch(batch)
                .map_err(|e| StoreError::storage("applying a group commit", e))
        })
        .and_then(|()| {
            self.log
                .flush()
                .map_err(|e| StoreError::storage("flushing a group commit", e))
        })
        .and_then(|bytes| match &mut self.disk_sync {
            Some(sync) => sync
                .sync()
                .map(|()| bytes)
                .map_err(|e| StoreError::io("syncing a group commit to disk", e)),
            None => Ok(bytes),
        })
    }

    /// Moves the durable tip to `tip` and publishes the new head to readers and subscribers.
    fn publish(&mut self, tip: ChainTip, requests: usize, bytes: usize, started: Instant) {
        let events = tip.head - self.tip.head;
        self.tip = tip;
        self.committed.store(tip.head, Ordering::Release);
        self.head_tx.send_replace(tip.head);
        if let Some(m) = &self.metrics {
            m.observe_commit(requests, events, tip.head);
        }
        debug!(
            requests,
            events,
            head = tip.head,
            flushed_bytes = bytes,
            micros = started.elapsed().as_micros() as u64,
            "group commit"
        );
    }

    /// Records why the group could not be made durable and fails the answers that relied on it.
    fn fail_group(&self, e: StoreError, replies: &mut [Answer]) {
        let committed_before = self.tip.head;
        error!(error = %e, head = committed_before, "group commit failed; writer stops accepting appends");
        self.health.fail(e.to_string());
        // Anything that relied on this batch (including replays of ids first seen in it) shares
        // its fate; conflicts and replays of older appends stand.
        for (_, result) in replies {
            if matches!(result, Ok((o, _)) if o.last_seq > committed_before) {
                *result = Err(e.clone());
            }
        }
    }
}

/// Committed state (read from the tree) plus what this group commit has planned so far.
struct Overlay<'a> {
    log: &'a sled::Tree,
    heads: HashMap<StreamId, StreamHead>,
    dedupe: HashMap<Uuid, DedupeEntry>,
}

impl Overlay<'_> {
    /// Adds one planned append to the batch: its records, index and idempotency entries and
    /// the stream's new head, which later requests of the group then see.
    fn stage(
        &mut self,
        batch: &mut sled::Batch,
        stream: &StreamId,
        records: &[RawEvent],
        outcome: AppendOutcome,
        head: StreamHead,
    ) {
        for record in records {
            let dedupe = DedupeEntry {
                seq: record.seq,
                stream: stream.clone(),
                outcome,
            };
            batch.insert(&keys::event_key(record.seq), record.encode());
            batch.insert(
                keys::stream_key(stream, record.version),
                &record.seq.to_be_bytes(),
            );
            batch.insert(&keys::dedupe_key(&record.event_id), dedupe.encode());
            self.dedupe.insert(record.event_id, dedupe);
        }
        batch.insert(keys::head_key(stream), &head.encode());
        self.heads.insert(stream.clone(), head);
    }
}

impl AppendState for Overlay<'_> {
    fn stream_head(&mut self, stream: &StreamId) -> Result<Option<StreamHead>, StoreError> {
        if let Some(head) = self.heads.get(stream) {
            return Ok(Some(*head));
        }
        let Some(bytes) = self
            .log
            .get(keys::head_key(stream))
            .map_err(|e| StoreError::storage("reading a stream head", e))?
        else {
            return Ok(None);
        };
        StreamHead::decode(&bytes)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt {
                detail: format!("undecodable head record for stream {stream}"),
            })
    }

    fn dedupe(&mut self, event_id: &Uuid) -> Result<Option<DedupeEntry>, StoreError> {
        if let Some(entry) = self.dedupe.get(event_id) {
            return Ok(Some(entry.clone()));
        }
        let Some(bytes) = self
            .log
            .get(keys::dedupe_key(event_id))
            .map_err(|e| StoreError::storage("reading the idempotency index", e))?
        else {
            return Ok(None);
        };
        DedupeEntry::decode(&bytes)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt {
                detail: format!("undecodable idempotency record for event {event_id}"),
            })
    }
}
