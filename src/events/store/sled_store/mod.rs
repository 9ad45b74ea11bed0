//! The durable event store on sled 0.34.7: the only module in the crate that imports sled.
//!
//! Everything an append touches lives in one tree, `log`, in keyspaces told apart by their
//! first byte ([`keys`]), so one `apply_batch` writes an append atomically without sled's
//! multi-tree transactions (which the 1.0 line drops). One writer thread owns all appends and
//! flushes before it acknowledges. Opening takes an exclusive lock file (one process per data
//! directory: sled is not multi-process) and runs the invariant check before anything is
//! served. Projection trees live beside `log` and are derived data.
//!
//! # Files
//!
//! - `mod.rs`: [`SledEventStore`] (open, lock file, reads) and [`SledStoreOptions`].
//! - `keys.rs`: the key layout of the `log` tree.
//! - `writer.rs`: the single writer thread and its group commit.
//! - `disk_sync.rs`: the `fsync` that sled 0.34.7's `flush()` leaves out on Linux.
//! - `invariants.rs`: the check run at open, and what it costs.
//! - `views.rs`: projection trees, rows and checkpoint in one batch.
//! - `salvage.rs`: offline repair ([`salvage`], [`reset_views`]).
//!
//! # Data directory
//!
//! ```text
//! <dir>/sfjira-store.lock   exclusive lock (flock), holds the owner's pid
//! <dir>/sled/               the sled database: trees `log`, `view-meta`, `view:<name>`…
//! ```

mod disk_sync;
mod invariants;
pub mod keys;
mod salvage;
mod views;
mod writer;

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::{oneshot, watch};
use tracing::{info, warn};

use self::views::SledViews;
use self::writer::{Command, Writer};
use super::append::{self, StreamHead};
use super::{
    AppendOutcome, EventData, EventStore, ExpectedVersion, RawEvent, RawLogEntry, RecordedEvent,
    StoreError, StoreLimits, StoreMetrics, StreamHeadEntry, StreamId, StreamIndexEntry, ViewStore,
    WriteFault, WriterHealth,
};

pub use self::salvage::{reset_views, salvage, SalvageReport};
pub use self::views::{VIEW_META_TREE, VIEW_TREE_PREFIX};

/// File name of the lock file in the data directory.
pub const LOCK_FILE: &str = "sfjira-store.lock";
/// Sub-directory of the data directory holding the sled database.
pub const SLED_DIR: &str = "sled";
/// Name of the source-of-truth tree.
pub const LOG_TREE: &str = "log";

/// Options of the sled store.
#[derive(Debug, Clone)]
pub struct SledStoreOptions {
    /// sled's page cache size in bytes (default 64 MiB; the service sets
    /// `store.cache_capacity_bytes`, 8 MiB). sled counts a page by its size on disk, which
    /// compression makes a fraction of its size in memory: the cache's resident memory is
    /// several times this figure.
    pub cache_capacity: u64,
    /// sled's background flush interval, a safety net only: every append is flushed explicitly
    /// before it is acknowledged (default `Some(500)`, sled's own default).
    pub flush_every_ms: Option<u64>,
    /// Size limits of appends.
    pub limits: StoreLimits,
    /// Most append requests the writer takes into one group commit (default 512).
    pub max_group_commit: usize,
    /// Payload bytes after which the writer stops adding requests to a group commit
    /// (default 16 MiB).
    pub max_group_commit_bytes: usize,
    /// Follow every flush with an `fsync` of sled's files (default `true`). sled 0.34.7's
    /// flush alone survives a killed process but, on Linux, not a power cut (it uses
    /// `sync_file_range` and leaves blob files unsynced; see the ADR). Only benchmarks and
    /// throwaway stores should turn this off.
    pub fsync_after_flush: bool,
    /// Metrics to update, if any.
    pub metrics: Option<StoreMetrics>,
    /// A switch that makes group commits fail on demand (tests and failure drills).
    pub write_fault: Option<WriteFault>,
}

impl Default for SledStoreOptions {
    fn default() -> Self {
        Self {
            cache_capacity: 64 * 1024 * 1024,
            flush_every_ms: Some(500),
            limits: StoreLimits::default(),
            max_group_commit: 512,
            max_group_commit_bytes: 16 * 1024 * 1024,
            fsync_after_flush: true,
            metrics: None,
            write_fault: None,
        }
    }
}

/// The exclusive lock on a data directory, released when the last handle using it is dropped.
pub(crate) struct LockFile {
    /// Held open: closing it releases the lock.
    _file: File,
    path: PathBuf,
}

impl LockFile {
    fn acquire(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::io("creating the data directory", e))?;
        let path = dir.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io("opening the lock file", e))?;
        match fs4::fs_std::FileExt::try_lock_exclusive(&file) {
            Ok(true) => {}
            Ok(false) => return Err(StoreError::Locked { path }),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return Err(StoreError::Locked { path })
            }
            Err(e) => return Err(StoreError::io("locking the data directory", e)),
        }
        // The pid is for people reading the file; the lock itself is the flock.
        let pid = std::process::id().to_string();
        let written = file
            .set_len(0)
            .and_then(|()| file.write_all(pid.as_bytes()))
            .and_then(|()| file.sync_all());
        if let Err(e) = written {
            warn!(error = %e, path = %path.display(), "could not write the pid into the lock file");
        }
        Ok(Self { _file: file, path })
    }
}

/// What readers share (cheap to clone into blocking tasks).
struct Shared {
    log: sled::Tree,
    /// The acknowledged head: reads never show anything beyond it.
    committed: Arc<AtomicU64>,
    /// Keeps the data directory locked while any reader lives.
    lock: Arc<LockFile>,
}

/// The [`EventStore`] on sled. See the module documentation.
pub struct SledEventStore {
    shared: Arc<Shared>,
    /// Requests to the writer; `None` only while dropping.
    tx: Option<mpsc::Sender<Command>>,
    /// Joined on drop so that the database is released when the store is gone.
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    head_rx: watch::Receiver<u64>,
    views: Arc<SledViews>,
    options: SledStoreOptions,
    dir: PathBuf,
    health: WriterHealth,
}

impl std::fmt::Debug for SledEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledEventStore")
            .field("dir", &self.dir)
            .field("head", &self.head())
            .finish()
    }
}

impl SledEventStore {
    /// Opens (creating if needed) the store in `dir`: takes the lock, opens sled, runs the
    /// invariant check, starts the writer.
    ///
    /// Blocking (file I/O and a pass over the event keys): call it at startup or from
    /// `spawn_blocking`. Fails with [`StoreError::Locked`] if another process holds `dir`, and
    /// with [`StoreError::InvariantViolation`] if the log is inconsistent.
    pub fn open(dir: impl AsRef<Path>, options: SledStoreOptions) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        let lock = Arc::new(LockFile::acquire(&dir)?);
        let config = sled_config(&dir.join(SLED_DIR))
            .cache_capacity(options.cache_capacity)
            .flush_every_ms(options.flush_every_ms);
        let db = open_sled(&config)?;
        if db.was_recovered() {
            info!(dir = %dir.display(), "opening existing event store");
        }
        let log = db
            .open_tree(LOG_TREE)
            .map_err(|e| StoreError::storage("opening the log tree", e))?;
        let summary = invariants::check(&db, &log)?;
        let disk_sync = if options.fsync_after_flush {
            Some(
                disk_sync::DiskSync::open(&dir.join(SLED_DIR))
                    .map_err(|e| StoreError::io("syncing the database files", e))?,
            )
        } else {
            None
        };
        let head = summary.tip.head;

        let committed = Arc::new(AtomicU64::new(head));
        let (head_tx, head_rx) = watch::channel(head);
        let views = Arc::new(SledViews::new(
            db.clone(),
            Arc::clone(&committed),
            Arc::clone(&lock),
        )?);
        let (tx, rx) = mpsc::channel();
        let health = WriterHealth::default();
        let thread = Writer {
            log: log.clone(),
            tip: summary.tip,
            committed: Arc::clone(&committed),
            head_tx,
            max_group: options.max_group_commit.max(1),
            max_group_bytes: options.max_group_commit_bytes.max(1),
            metrics: options.metrics.clone(),
            disk_sync,
            health: health.clone(),
            fault: options.write_fault.clone(),
        }
        .spawn(rx)?;
        if let Some(m) = &options.metrics {
            m.head.set(i64::try_from(head).unwrap_or(i64::MAX));
        }
        info!(
            dir = %dir.display(),
            head,
            streams = summary.streams,
            views = summary.views,
            "event store open"
        );
        Ok(Self {
            shared: Arc::new(Shared {
                log,
                committed,
                lock,
            }),
            tx: Some(tx),
            writer: Mutex::new(Some(thread)),
            head_rx,
            views,
            options,
            dir,
            health,
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The lock file's path.
    pub fn lock_path(&self) -> &Path {
        &self.shared.lock.path
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Shared) -> Result<T, StoreError> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || f(&shared))
            .await
            .map_err(|e| StoreError::storage("running a read task", e))?
    }

    async fn send_append(&self, req: append::PreparedAppend) -> writer::AppendReply {
        let (reply, rx) = oneshot::channel();
        self.tx
            .as_ref()
            .ok_or(StoreError::Closed)?
            .send(Command::Append { req, reply })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

impl Drop for SledEventStore {
    fn drop(&mut self) {
        // Closing the channel makes the writer finish, flush and release its handles.
        self.tx = None;
        if let Some(thread) = self.writer.lock().take() {
            if thread.join().is_err() {
                warn!("event store writer thread panicked");
            }
        }
    }
}

/// sled's configuration for the database in `sled_dir`: new databases compress their pages
/// with zstd (the log and views are JSON and uuids, which shrink to about a third); a database
/// written without compression keeps it, because sled refuses to change the setting of an
/// existing database (`sfjira store salvage` copies one into a compressed directory).
pub fn sled_config(sled_dir: &Path) -> sled::Config {
    sled::Config::new()
        .path(sled_dir)
        .mode(sled::Mode::LowSpace)
        .use_compression(persisted_compression(sled_dir).unwrap_or(true))
}

/// The compression setting sled recorded in the `conf` file of an existing database.
fn persisted_compression(sled_dir: &Path) -> Option<bool> {
    let conf = std::fs::read(sled_dir.join("conf")).ok()?;
    String::from_utf8_lossy(&conf)
        .lines()
        .find_map(|line| line.strip_prefix("use_compression:"))
        .and_then(|value| value.trim().parse().ok())
}

/// Opens sled, waiting briefly if its own file lock is still held.
///
/// We hold the directory lock, so no other well-behaved process can hold sled's lock on `db`;
/// but a store of this process that was just dropped can: sled finishes writing on background
/// threads that keep the file open for a few milliseconds after the last handle goes. Waiting up
/// to two seconds covers that without hiding a real conflict for long.
pub(crate) fn open_sled(config: &sled::Config) -> Result<sled::Db, StoreError> {
    let deadline = Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => return Err(StoreError::storage("opening sled", e)),
        }
    }
}

fn read_err(e: sled::Error) -> StoreError {
    StoreError::storage("reading the log", e)
}

impl Shared {
    fn event(&self, seq: u64) -> Result<RawEvent, StoreError> {
        let bytes = self
            .log
            .get(keys::event_key(seq))
            .map_err(read_err)?
            .ok_or_else(|| StoreError::Corrupt {
                detail: format!("indexed event seq {seq} is missing"),
            })?;
        decode_at(seq, &bytes)
    }

    fn read_stream(&self, stream: &StreamId, from: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        let head = self.committed.load(Ordering::Acquire);
        let prefix = keys::stream_prefix(stream);
        let mut out = Vec::new();
        for item in self.log.range(keys::stream_key(stream, from.max(1))..) {
            let (key, value) = item.map_err(read_err)?;
            if !key.starts_with(&prefix) {
                break;
            }
            let seq = index_seq(&value)?;
            if seq > head {
                break;
            }
            out.push(self.event(seq)?.into_recorded()?);
        }
        Ok(out)
    }

    fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, StoreError> {
        let head = self.committed.load(Ordering::Acquire);
        let Some(bytes) = self.log.get(keys::head_key(stream)).map_err(read_err)? else {
            return Ok(None);
        };
        let recorded = StreamHead::decode(&bytes).ok_or_else(|| StoreError::Corrupt {
            detail: format!("undecodable head record for stream {stream}"),
        })?;
        if recorded.last_seq <= head {
            return Ok(Some(recorded.version));
        }
        // A commit is between apply and acknowledgement: find the last acknowledged version.
        for item in self.log.scan_prefix(keys::stream_prefix(stream)).rev() {
            let (key, value) = item.map_err(read_err)?;
            if index_seq(&value)? <= head {
                return Ok(keys::decode_stream_key(&key).map(|(_, v)| v));
            }
        }
        Ok(None)
    }

    fn raw_range(
        &self,
        after: u64,
        limit: usize,
    ) -> impl Iterator<Item = Result<(u64, sled::IVec), StoreError>> {
        let head = self.committed.load(Ordering::Acquire);
        let start = after.saturating_add(1);
        let range = if start > head {
            // An empty range.
            self.log.range(keys::event_key(1)..keys::event_key(1))
        } else {
            self.log
                .range(keys::event_key(start)..=keys::event_key(head))
        };
        range.take(limit).map(|item| {
            let (key, value) = item.map_err(read_err)?;
            let seq = keys::decode_event_key(&key).ok_or_else(|| StoreError::Corrupt {
                detail: format!("malformed event key {}", hex::encode(&key)),
            })?;
            Ok((seq, value))
        })
    }

    fn read_all(&self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let available = self.committed.load(Ordering::Acquire).saturating_sub(after);
        let mut out = Vec::with_capacity(limit.min(usize::try_from(available).unwrap_or(limit)));
        for item in self.raw_range(after, limit) {
            let (seq, value) = item?;
            out.push(decode_at(seq, &value)?.into_recorded()?);
        }
        Ok(out)
    }

    fn raw_events(&self, after: u64, limit: usize) -> Result<Vec<RawLogEntry>, StoreError> {
        self.raw_range(after, limit)
            .map(|item| {
                let (seq, value) = item?;
                Ok(RawLogEntry {
                    seq,
                    record: RawEvent::decode(&value),
                })
            })
            .collect()
    }

    fn stream_index(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<StreamIndexEntry>, StoreError> {
        let start = match &after {
            Some((stream, version)) => keys::stream_key(stream, *version),
            None => vec![keys::STREAM],
        };
        let mut out = Vec::new();
        for item in self.log.range(start.clone()..) {
            let (key, value) = item.map_err(read_err)?;
            if key.first() != Some(&keys::STREAM) || out.len() >= limit {
                break;
            }
            if after.is_some() && key.as_ref() == start.as_slice() {
                continue;
            }
            let (stream, version) =
                keys::decode_stream_key(&key).ok_or_else(|| StoreError::Corrupt {
                    detail: format!("malformed stream index key {}", hex::encode(&key)),
                })?;
            out.push(StreamIndexEntry {
                stream,
                version,
                seq: index_seq(&value)?,
            });
        }
        Ok(out)
    }

    fn stream_heads(
        &self,
        after: Option<StreamId>,
        limit: usize,
    ) -> Result<Vec<StreamHeadEntry>, StoreError> {
        let start = match &after {
            Some(stream) => keys::head_key(stream),
            None => vec![keys::HEAD],
        };
        let mut out = Vec::new();
        for item in self.log.range(start.clone()..) {
            let (key, value) = item.map_err(read_err)?;
            if key.first() != Some(&keys::HEAD) || out.len() >= limit {
                break;
            }
            if after.is_some() && key.as_ref() == start.as_slice() {
                continue;
            }
            let corrupt = || StoreError::Corrupt {
                detail: format!("malformed head record under {}", hex::encode(&key)),
            };
            let stream = keys::decode_head_key(&key).ok_or_else(corrupt)?;
            let head = StreamHead::decode(&value).ok_or_else(corrupt)?;
            out.push(StreamHeadEntry {
                stream,
                version: head.version,
                last_seq: head.last_seq,
            });
        }
        Ok(out)
    }
}

fn index_seq(value: &[u8]) -> Result<u64, StoreError> {
    keys::decode_u64(value).ok_or_else(|| StoreError::Corrupt {
        detail: "undecodable stream index value".to_owned(),
    })
}

fn decode_at(seq: u64, bytes: &[u8]) -> Result<RawEvent, StoreError> {
    let event = RawEvent::decode(bytes).map_err(|e| StoreError::Corrupt {
        detail: format!("event seq {seq}: {e}"),
    })?;
    if event.seq != seq {
        return Err(StoreError::Corrupt {
            detail: format!("event stored under seq {seq} says it is seq {}", event.seq),
        });
    }
    Ok(event)
}

#[async_trait]
impl EventStore for SledEventStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<EventData>,
    ) -> Result<AppendOutcome, StoreError> {
        let started = Instant::now();
        let result = match append::prepare(stream, expected, events, &self.options.limits) {
            Ok(req) => self.send_append(req).await,
            Err(e) => Err(e),
        };
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
        let stream = stream.clone();
        self.blocking(move |s| s.read_stream(&stream, from_version))
            .await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, StoreError> {
        self.shared.stream_version(stream)
    }

    async fn read_all(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.blocking(move |s| s.read_all(after_seq, limit)).await
    }

    fn head(&self) -> u64 {
        self.shared.committed.load(Ordering::Acquire)
    }

    fn write_failure(&self) -> Option<String> {
        self.health.failure()
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
        self.blocking(move |s| s.raw_events(after_seq, limit)).await
    }

    async fn raw_stream_index(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<StreamIndexEntry>, StoreError> {
        self.blocking(move |s| s.stream_index(after, limit)).await
    }

    async fn raw_stream_heads(
        &self,
        after: Option<StreamId>,
        limit: usize,
    ) -> Result<Vec<StreamHeadEntry>, StoreError> {
        self.blocking(move |s| s.stream_heads(after, limit)).await
    }

    async fn close(&self) -> Result<(), StoreError> {
        let Some(tx) = self.tx.as_ref() else {
            return Ok(());
        };
        let (reply, rx) = oneshot::channel();
        if tx.send(Command::Close { reply }).is_err() {
            return Ok(()); // already closed
        }
        // A dropped reply means the writer already stopped (an earlier close).
        rx.await.unwrap_or(Ok(()))
    }
}
