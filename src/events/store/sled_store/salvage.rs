//! Offline repair: salvage the sound prefix of a damaged log; reset the derived views.
//!
//! When the invariant check refuses a log (a gap, a head that disagrees with its index, a
//! corrupt tip), the events before the damage are usually intact, and every one of them can be
//! proven so by the hash chain. This copies exactly those — contiguous from seq 1, each
//! decoding, each hashing to its stored hash, each linking to the one before, stream versions in
//! order — into a new data directory, with their original hashes and timestamps, and rebuilds
//! the stream index, the heads and the idempotency keys from them. Views are not copied: they
//! are derived and rebuild from the log. The source is only read, never changed.
//!
//! [`reset_views`] drops every projection tree of a closed store without opening it as a store,
//! for the one invariant failure that concerns derived data only (a view checkpoint beyond the
//! head) and after restoring a backup. The runbook (`docs/runbooks/sled-recovery.md`) says when
//! to use which.

use std::collections::HashMap;
use std::path::Path;

use tracing::{info, warn};

use super::views::{VIEW_META_TREE, VIEW_TREE_PREFIX};
use super::{
    keys, open_sled, sled_config, LockFile, SledEventStore, SledStoreOptions, LOG_TREE, SLED_DIR,
};
use crate::events::store::append::{DedupeEntry, StreamHead};
use crate::events::store::{AppendOutcome, RawEvent, StoreError, StreamId, ZERO_HASH};

/// Events written to the new store per batch.
const BATCH: usize = 10_000;

/// What [`salvage`] copied, and where it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalvageReport {
    /// Events copied (seqs `1..=copied`).
    pub copied: u64,
    /// Streams in the copy.
    pub streams: u64,
    /// The first seq that was not copied and why, if the copy stopped before the end.
    pub stopped_at: Option<(u64, String)>,
    /// Events present in the source after the stop point (not copied).
    pub left_behind: u64,
}

fn storage(context: &'static str) -> impl FnOnce(sled::Error) -> StoreError {
    move |e| StoreError::storage(context, e)
}

/// Copies the sound prefix of the store in `src_dir` into a new store in `dst_dir` (which must
/// not hold a store yet), then opens the copy once to run the invariant check on it.
///
/// Blocking. Fails if either directory is locked, if sled cannot open the source at all (then
/// only a backup helps), or if `dst_dir` already holds a store.
pub fn salvage(src_dir: &Path, dst_dir: &Path) -> Result<SalvageReport, StoreError> {
    let _src_lock = LockFile::acquire(src_dir)?;
    if dst_dir.join(SLED_DIR).exists() {
        return Err(StoreError::io(
            "salvaging",
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} already holds a store", dst_dir.display()),
            ),
        ));
    }
    let src = open_sled(&sled_config(&src_dir.join(SLED_DIR)))?;
    let src_log = src
        .open_tree(LOG_TREE)
        .map_err(storage("opening the source log"))?;

    let report = {
        let _dst_lock = LockFile::acquire(dst_dir)?;
        let dst = open_sled(&sled_config(&dst_dir.join(SLED_DIR)))?;
        let dst_log = dst
            .open_tree(LOG_TREE)
            .map_err(storage("opening the target log"))?;
        let report = copy_prefix(&src_log, &dst_log)?;
        // Our format marker, and the original creation time if it is still readable.
        let created_key = keys::meta_key(keys::META_CREATED_AT);
        let created = src_log.get(&created_key).ok().flatten().map(|v| v.to_vec());
        let mut meta = sled::Batch::default();
        meta.insert(keys::meta_key(keys::META_FORMAT), &[keys::FORMAT_VERSION]);
        meta.insert(
            created_key,
            created.unwrap_or_else(|| chrono::Utc::now().to_rfc3339().into_bytes()),
        );
        dst_log
            .apply_batch(meta)
            .map_err(storage("writing the target meta"))?;
        dst_log.flush().map_err(storage("flushing the target"))?;
        report
    };
    drop(src_log);
    drop(src);
    // Opening runs the invariant check on the copy and writes the format marker.
    drop(SledEventStore::open(dst_dir, SledStoreOptions::default())?);
    match &report.stopped_at {
        Some((seq, why)) => warn!(
            copied = report.copied,
            left_behind = report.left_behind,
            stopped_at = seq,
            reason = %why,
            "salvage stopped before the end of the log"
        ),
        None => info!(copied = report.copied, "salvage copied the whole log"),
    }
    Ok(report)
}

/// Drops every view tree and the view meta tree of the closed store in `dir`, without running
/// the invariant check; returns the names of the trees dropped. Always safe: views are derived
/// and rebuild from the log. Blocking; fails if the store is open elsewhere.
pub fn reset_views(dir: &Path) -> Result<Vec<String>, StoreError> {
    let _lock = LockFile::acquire(dir)?;
    let sled_dir = dir.join(SLED_DIR);
    if !sled_dir.exists() {
        return Err(StoreError::io(
            "resetting views",
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} holds no store", dir.display()),
            ),
        ));
    }
    let db = open_sled(&sled_config(&sled_dir))?;
    let mut dropped = Vec::new();
    for raw in db.tree_names() {
        let name = String::from_utf8_lossy(&raw).into_owned();
        if name.starts_with(VIEW_TREE_PREFIX) || name == VIEW_META_TREE {
            db.drop_tree(&raw).map_err(storage("dropping a view"))?;
            dropped.push(name);
        }
    }
    db.flush().map_err(storage("flushing"))?;
    info!(?dropped, "views reset");
    Ok(dropped)
}

/// Copies records from seq 1 for as long as each one checks out, whole appends only.
fn copy_prefix(src: &sled::Tree, dst: &sled::Tree) -> Result<SalvageReport, StoreError> {
    let mut copy = Copy {
        dst,
        heads: HashMap::new(),
        batch: sled::Batch::default(),
        in_batch: 0,
        copied: 0,
        pending: Vec::new(),
    };
    // Checking state runs ahead of `copy` by at most one append.
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    let mut expected = 1u64;
    let mut prev_hash = ZERO_HASH;
    let mut prev_time = i64::MIN;
    let mut stopped_at = None;
    let mut left_behind = 0u64;
    for item in src.scan_prefix([keys::EVENT]) {
        let (key, value) = item.map_err(storage("reading the source log"))?;
        if stopped_at.is_some() {
            left_behind += 1;
            continue;
        }
        let record = match check_record(&key, &value, expected, &prev_hash, prev_time, &versions) {
            Ok(record) => record,
            Err(why) => {
                stopped_at = Some((expected, why));
                left_behind += 1;
                continue;
            }
        };
        let outcome = original_outcome(src, &record);
        versions.insert(record.stream.clone(), record.version);
        prev_hash = record.hash;
        prev_time = record.recorded_at_micros;
        expected += 1;
        let complete = record.seq == outcome.last_seq;
        copy.pending.push((record, value.to_vec(), outcome));
        if complete {
            copy.commit_pending()?;
        }
    }
    if let Some((first, dropped)) = copy.drop_incomplete() {
        left_behind += dropped;
        let why = format!(
            "the append starting at seq {first} is incomplete ({})",
            stopped_at
                .as_ref()
                .map_or("the log ends".to_owned(), |(seq, why)| format!(
                    "seq {seq}: {why}"
                ))
        );
        stopped_at = Some((first, why));
    }
    copy.finish()?;
    Ok(SalvageReport {
        copied: copy.copied,
        streams: copy.heads.len() as u64,
        stopped_at,
        left_behind,
    })
}

/// The original append's outcome, from the source's idempotency record if it is sound;
/// otherwise the event alone (a retry of that append will then be refused, not doubled).
fn original_outcome(src: &sled::Tree, record: &RawEvent) -> AppendOutcome {
    src.get(keys::dedupe_key(&record.event_id))
        .ok()
        .flatten()
        .and_then(|v| DedupeEntry::decode(&v))
        .filter(|d| {
            d.seq == record.seq
                && d.stream == record.stream
                && (d.outcome.first_seq..=d.outcome.last_seq).contains(&record.seq)
        })
        .map(|d| d.outcome)
        .unwrap_or(AppendOutcome {
            first_seq: record.seq,
            last_seq: record.seq,
            version: record.version,
        })
}

/// The target side of the copy: whole appends only.
struct Copy<'a> {
    dst: &'a sled::Tree,
    heads: HashMap<StreamId, StreamHead>,
    batch: sled::Batch,
    in_batch: usize,
    copied: u64,
    /// The events of the append being read, not yet known to be complete.
    pending: Vec<(RawEvent, Vec<u8>, AppendOutcome)>,
}

impl Copy<'_> {
    /// Adds the completed append to the batch, writing the batch once it is full.
    fn commit_pending(&mut self) -> Result<(), StoreError> {
        for (record, value, outcome) in self.pending.drain(..) {
            self.batch.insert(&keys::event_key(record.seq), value);
            self.batch.insert(
                keys::stream_key(&record.stream, record.version),
                &record.seq.to_be_bytes(),
            );
            let dedupe = DedupeEntry {
                seq: record.seq,
                stream: record.stream.clone(),
                outcome,
            };
            self.batch
                .insert(&keys::dedupe_key(&record.event_id), dedupe.encode());
            self.heads.insert(
                record.stream,
                StreamHead {
                    version: record.version,
                    last_seq: record.seq,
                },
            );
            self.copied = record.seq;
            self.in_batch += 1;
        }
        if self.in_batch >= BATCH {
            self.dst
                .apply_batch(std::mem::take(&mut self.batch))
                .map_err(storage("writing the target log"))?;
            self.in_batch = 0;
        }
        Ok(())
    }

    /// Leaves out an append cut by the damage, whole: a salvaged log keeps all-or-nothing.
    /// Returns its first seq and how many of its events were dropped, if there was one.
    fn drop_incomplete(&mut self) -> Option<(u64, u64)> {
        let first = self.pending.first()?.0.seq;
        let dropped = self.pending.len() as u64;
        self.pending.clear();
        Some((first, dropped))
    }

    /// Writes the stream heads and whatever is left in the batch.
    fn finish(&mut self) -> Result<(), StoreError> {
        for (stream, head) in &self.heads {
            self.batch.insert(keys::head_key(stream), &head.encode());
        }
        self.dst
            .apply_batch(std::mem::take(&mut self.batch))
            .map_err(storage("writing the target log"))
    }
}

/// Checks one source record against everything before it; `Err` says why the copy stops.
fn check_record(
    key: &[u8],
    value: &[u8],
    expected: u64,
    prev_hash: &[u8; 32],
    prev_time: i64,
    versions: &HashMap<StreamId, u64>,
) -> Result<RawEvent, String> {
    match keys::decode_event_key(key) {
        Some(seq) if seq == expected => {}
        Some(seq) => {
            return Err(format!(
                "sequence gap: seq {seq} follows seq {}",
                expected - 1
            ))
        }
        None => return Err(format!("malformed event key {}", hex::encode(key))),
    }
    let record = RawEvent::decode(value).map_err(|e| e.to_string())?;
    if record.seq != expected {
        return Err(format!("record says it is seq {}", record.seq));
    }
    if &record.prev_hash != prev_hash {
        return Err("prev_hash does not match the previous record".to_owned());
    }
    if !record.hash_is_valid() {
        return Err("hash does not match the record".to_owned());
    }
    if record.recorded_at_micros < prev_time {
        return Err("recorded_at goes back in time".to_owned());
    }
    let want = versions.get(&record.stream).map_or(1, |v| v + 1);
    if record.version != want {
        return Err(format!(
            "stream {} version {} where {want} was due",
            record.stream, record.version
        ));
    }
    Ok(record)
}
