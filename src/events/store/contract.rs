//! The traits every event store implements: the log ([`EventStore`]) and the projection trees
//! beside it ([`ViewStore`], [`ViewTree`]).
//!
//! They are object safe, so the rest of the service holds an `Arc<dyn EventStore>` and never
//! names a backend: the sled store in production, the memory store in fast tests, and whatever
//! replaces sled one day (the ADR names the exit criteria). Everything that is the same for all
//! backends (subscriptions, verification) is written once against these traits.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use super::{
    AppendOutcome, CodecError, EventData, ExpectedVersion, RawEvent, RecordedEvent, StoreError,
    StreamId,
};

/// The append-only, hash-chained event log.
///
/// All methods that return events only return acknowledged (durable) ones: reads are capped at
/// [`EventStore::head`].
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream` atomically, if the stream is at `expected`.
    ///
    /// Returns once the events are durable. Fails with [`StoreError::Conflict`] on a version
    /// mismatch; returns the original outcome for an exact retry of already stored event ids;
    /// refuses empty batches, oversize payloads and batches mixing stored and new ids.
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<EventData>,
    ) -> Result<AppendOutcome, StoreError>;

    /// Events of `stream` with `version >= from_version`, in version order (0 and 1 both mean
    /// "from the start"). An unknown stream gives an empty list.
    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The stream's current version, `None` if it has no events.
    async fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, StoreError>;

    /// Up to `limit` events with `seq > after_seq`, in sequence order.
    async fn read_all(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The sequence number of the last acknowledged event (0 for an empty log).
    fn head(&self) -> u64;

    /// Why the store stopped accepting appends (a failed write or flush), if it did; `None`
    /// while appends are accepted.
    fn write_failure(&self) -> Option<String> {
        None
    }

    /// A receiver that sees every new head as it is published (after the flush).
    fn watch_head(&self) -> watch::Receiver<u64>;

    /// The projection trees stored beside the log.
    fn views(&self) -> Arc<dyn ViewStore>;

    /// Up to `limit` stored records with `seq > after_seq`, undecoded payloads included, for
    /// auditing. A record that cannot be decoded is returned as an error entry, not skipped.
    async fn raw_events(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<RawLogEntry>, StoreError>;

    /// Up to `limit` entries of the stream index (stream, version → seq) after `after`
    /// (exclusive), ordered by stream name bytes then version.
    async fn raw_stream_index(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<StreamIndexEntry>, StoreError>;

    /// Up to `limit` stream heads after `after` (exclusive), ordered by stream name bytes.
    async fn raw_stream_heads(
        &self,
        after: Option<StreamId>,
        limit: usize,
    ) -> Result<Vec<StreamHeadEntry>, StoreError>;

    /// Stops accepting appends, finishes the ones already queued, and flushes. Idempotent.
    /// Later appends fail with [`StoreError::Closed`]; reads keep working until the store is
    /// dropped.
    async fn close(&self) -> Result<(), StoreError>;
}

/// One slot of the log as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLogEntry {
    /// The sequence number the record is stored under (its key).
    pub seq: u64,
    /// The decoded envelope, or why it could not be decoded.
    pub record: Result<RawEvent, CodecError>,
}

/// One entry of the stream index: event `version` of `stream` is at `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamIndexEntry {
    /// The stream.
    pub stream: StreamId,
    /// The version within the stream.
    pub version: u64,
    /// The global sequence number it points to.
    pub seq: u64,
}

/// A stream head record: the stream's version and where its last event is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHeadEntry {
    /// The stream.
    pub stream: StreamId,
    /// Its current version.
    pub version: u64,
    /// Sequence number of its last event.
    pub last_seq: u64,
}

/// A row write for [`ViewTree::commit`]: `Some(value)` upserts, `None` deletes.
pub type ViewWrite = (Vec<u8>, Option<Vec<u8>>);

/// A row read from a view: key and value.
pub type ViewRow = (Vec<u8>, Vec<u8>);

/// The projection trees: derived data, each in its own tree, always safe to delete.
///
/// View names are `[a-z0-9_.:-]{1,100}`, typically `panel:v3`. The meta entries are small
/// values outside any view, meant for pointers such as "the active version of the panel view
/// is 3", flipped once a rebuilt view has caught up.
pub trait ViewStore: Send + Sync {
    /// Opens (creating if needed) the view called `name`.
    fn open_view(&self, name: &str) -> Result<Arc<dyn ViewTree>, StoreError>;
    /// Deletes the view and its checkpoint; `false` if it did not exist. Handles of the dropped
    /// view must not be used afterwards; open it again to start a fresh one.
    fn drop_view(&self, name: &str) -> Result<bool, StoreError>;
    /// Names of the existing views, sorted.
    fn list_views(&self) -> Result<Vec<String>, StoreError>;
    /// Reads a meta entry.
    fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes (`Some`) or deletes (`None`) a meta entry.
    fn set_meta(&self, key: &str, value: Option<Vec<u8>>) -> Result<(), StoreError>;
}

/// One projection's rows plus its checkpoint (the last log sequence folded into the rows).
///
/// Rows and checkpoint change together in [`ViewTree::commit`], so after a crash the view is
/// exactly the fold of the log up to its checkpoint and the runner resumes from there. Commits
/// are not flushed on their own (a lost view commit only costs replay time); they become durable
/// with the next log flush.
pub trait ViewTree: Send + Sync {
    /// The view's name.
    fn name(&self) -> &str;
    /// Reads a row.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// All rows whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<ViewRow>, StoreError>;
    /// The last log sequence folded into the rows (0 for a new or cleared view).
    fn checkpoint(&self) -> Result<u64, StoreError>;
    /// Applies `writes` and sets the checkpoint, atomically. The checkpoint may not exceed the
    /// log head ([`StoreError::CheckpointAhead`]) nor go below the stored one
    /// ([`StoreError::CheckpointRegressed`]).
    fn commit(&self, writes: Vec<ViewWrite>, checkpoint: u64) -> Result<(), StoreError>;
    /// Removes every row and resets the checkpoint to 0, atomically.
    fn clear(&self) -> Result<(), StoreError>;
}

/// Checks a view name (shared by both implementations).
pub(crate) fn validate_view_name(name: &str) -> Result<(), StoreError> {
    let invalid = |reason| StoreError::InvalidViewName {
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() || name.len() > 100 {
        return Err(invalid("must be 1..=100 bytes"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.:-".contains(&b))
    {
        return Err(invalid("allowed characters are a-z 0-9 _ . : -"));
    }
    Ok(())
}

/// Checks a view checkpoint move (shared by both implementations).
pub(crate) fn check_checkpoint(
    view: &str,
    current: u64,
    next: u64,
    head: u64,
) -> Result<(), StoreError> {
    if next > head {
        return Err(StoreError::CheckpointAhead {
            view: view.to_owned(),
            checkpoint: next,
            head,
        });
    }
    if next < current {
        return Err(StoreError::CheckpointRegressed {
            view: view.to_owned(),
            checkpoint: next,
            current,
        });
    }
    Ok(())
}
