//! The startup invariant check: refuse to serve a log whose shape is wrong.
//!
//! sled 0.34 has corruption reports after abrupt stops (see the ADR), and everything downstream
//! (catch-up subscriptions, projection checkpoints, the hash chain) assumes the log is a gap-free
//! sequence whose indexes agree with it. Checking that once, before the first append, turns a
//! silent inconsistency into a clear refusal that names the runbook.
//!
//! What is checked, and what it costs:
//!
//! 1. The `E` keys are exactly `1..=head`: one ordered pass over the `E` keyspace that looks at
//!    keys only (values are not decoded, though sled still pages them in with their leaves).
//!    This is the one linear part: about 3 s for a million events on a 2-core machine with the
//!    default 64 MiB cache (`docs/benchmarks.md`), a few milliseconds for a typical deployment's
//!    tens of thousands.
//! 2. The last record decodes, carries its own seq and a valid hash: this is where the writer's
//!    chain resumes, so it must be sound. One decode.
//! 3. Every `H` head equals the highest `S` entry of its stream (version and seq), and points at
//!    or below the head: one point lookup per stream.
//! 4. Every view checkpoint is at or below the head: one lookup per view.
//!
//! The full proof (every hash, every index entry) is `audit::verify`, which is linear in the
//! whole log and meant to be run on demand.

use std::time::Instant;

use tracing::{error, info};

use super::{keys, views};
use crate::events::store::append::{ChainTip, StreamHead};
use crate::events::store::{RawEvent, StoreError, StreamId, ZERO_HASH};

/// What the check found on a sound log.
#[derive(Debug, Clone, Copy)]
pub(super) struct OpenSummary {
    /// Where the writer resumes.
    pub tip: ChainTip,
    /// Number of streams (head records).
    pub streams: u64,
    /// Number of views checked.
    pub views: u64,
}

fn violation(detail: String) -> StoreError {
    error!(%detail, "event store invariant violated");
    StoreError::InvariantViolation { detail }
}

fn storage(e: sled::Error) -> StoreError {
    StoreError::storage("checking invariants at open", e)
}

/// Runs every check; `Err(InvariantViolation)` names the first problem found.
pub(super) fn check(db: &sled::Db, log: &sled::Tree) -> Result<OpenSummary, StoreError> {
    let started = Instant::now();
    check_format(log)?;
    let head = contiguous_head(log)?;
    let tip = chain_tip(log, head)?;
    let streams = check_heads(log, head)?;
    let views = check_views(db, head)?;
    info!(
        head,
        streams,
        views,
        millis = started.elapsed().as_millis() as u64,
        "event store invariants hold"
    );
    Ok(OpenSummary {
        tip,
        streams,
        views,
    })
}

/// Check 1: the `E` keys are exactly `1..=head`, looking at keys only; returns the head.
fn contiguous_head(log: &sled::Tree) -> Result<u64, StoreError> {
    let mut head = 0u64;
    for key in log.scan_prefix([keys::EVENT]).keys() {
        let key = key.map_err(storage)?;
        match keys::decode_event_key(&key) {
            Some(seq) if seq == head + 1 => head = seq,
            Some(seq) => {
                return Err(violation(format!(
                    "event sequence is not contiguous: after seq {head} comes seq {seq}"
                )))
            }
            None => {
                return Err(violation(format!(
                    "malformed key in the event keyspace after seq {head}: {}",
                    hex::encode(&key)
                )))
            }
        }
    }
    Ok(head)
}

/// Check 2, the chain tip: the last record decodes, says it is `head` and matches its hash.
fn chain_tip(log: &sled::Tree, head: u64) -> Result<ChainTip, StoreError> {
    if head == 0 {
        return Ok(ChainTip {
            head: 0,
            last_hash: ZERO_HASH,
            last_recorded_at_micros: 0,
        });
    }
    let bytes = log
        .get(keys::event_key(head))
        .map_err(storage)?
        .ok_or_else(|| violation(format!("last event seq {head} vanished during the check")))?;
    let last =
        RawEvent::decode(&bytes).map_err(|e| violation(format!("last event seq {head}: {e}")))?;
    if last.seq != head {
        return Err(violation(format!(
            "event stored under seq {head} says it is seq {}",
            last.seq
        )));
    }
    if !last.hash_is_valid() {
        return Err(violation(format!(
            "last event seq {head} does not match its hash"
        )));
    }
    Ok(ChainTip {
        head,
        last_hash: last.hash,
        last_recorded_at_micros: last.recorded_at_micros,
    })
}

/// Check 3: every head agrees with its stream's last index entry and points at or below the log
/// head; returns the number of streams.
fn check_heads(log: &sled::Tree, head: u64) -> Result<u64, StoreError> {
    let mut streams = 0u64;
    for entry in log.scan_prefix([keys::HEAD]) {
        let (key, value) = entry.map_err(storage)?;
        let stream = keys::decode_head_key(&key)
            .ok_or_else(|| violation(format!("malformed head key {}", hex::encode(&key))))?;
        let recorded = StreamHead::decode(&value)
            .ok_or_else(|| violation(format!("undecodable head record for stream {stream}")))?;
        check_head(log, head, &stream, recorded)?;
        streams += 1;
    }
    Ok(streams)
}

/// One stream's head against the last entry of its index and the log head.
fn check_head(
    log: &sled::Tree,
    head: u64,
    stream: &StreamId,
    recorded: StreamHead,
) -> Result<(), StoreError> {
    let last_index = log
        .scan_prefix(keys::stream_prefix(stream))
        .next_back()
        .transpose()
        .map_err(storage)?;
    let Some((index_key, index_value)) = last_index else {
        return Err(violation(format!(
            "stream {stream} has a head (version {}) but no index entries",
            recorded.version
        )));
    };
    let indexed_version = keys::decode_stream_key(&index_key).map(|(_, v)| v);
    let indexed_seq = keys::decode_u64(&index_value);
    if indexed_version != Some(recorded.version) || indexed_seq != Some(recorded.last_seq) {
        return Err(violation(format!(
            "stream {stream}: head says version {} at seq {}, index says {:?} at {:?}",
            recorded.version, recorded.last_seq, indexed_version, indexed_seq
        )));
    }
    if recorded.last_seq > head {
        return Err(violation(format!(
            "stream {stream}: head points at seq {}, beyond the log head {head}",
            recorded.last_seq
        )));
    }
    Ok(())
}

/// Check 4: every view checkpoint is at or below the log head; returns the number of views.
fn check_views(db: &sled::Db, head: u64) -> Result<u64, StoreError> {
    let mut checked = 0u64;
    for (name, checkpoint) in views::all_checkpoints(db)? {
        if checkpoint > head {
            return Err(violation(format!(
                "view {name}: checkpoint {checkpoint} is beyond the log head {head}"
            )));
        }
        checked += 1;
    }
    Ok(checked)
}

/// Writes the format marker on a new store, checks it on an existing one.
fn check_format(log: &sled::Tree) -> Result<(), StoreError> {
    let key = keys::meta_key(keys::META_FORMAT);
    match log.get(&key).map_err(storage)? {
        Some(v) if v.as_ref() == [keys::FORMAT_VERSION] => Ok(()),
        Some(v) => Err(violation(format!(
            "unsupported store format {}",
            hex::encode(&v)
        ))),
        None => {
            if log.first().map_err(storage)?.is_some() {
                return Err(violation(
                    "the log has records but no format marker".to_owned(),
                ));
            }
            let mut batch = sled::Batch::default();
            batch.insert(key, &[keys::FORMAT_VERSION]);
            batch.insert(
                keys::meta_key(keys::META_CREATED_AT),
                chrono::Utc::now().to_rfc3339().as_bytes(),
            );
            log.apply_batch(batch).map_err(storage)?;
            log.flush().map_err(storage)?;
            Ok(())
        }
    }
}
