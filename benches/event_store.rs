//! Event store benchmarks: the sled store against a SQLite baseline doing the same work.
//!
//! Run with `cargo bench --bench event_store` (results and the command are kept in
//! `docs/benchmarks.md`). Criterion measures durable appends (one event, ten events, 32
//! concurrent writers), `read_all` paging and the replay of a 1,000-event stream; then a load
//! run (printing figures, not sampling) fills a log with 1,000,000 events and times a
//! projection-style rebuild of it, plus the open-time invariant check and a full `verify`.
//!
//! The SQLite baseline is made to do what the sled store does: same envelopes (built and hashed
//! with the store's own `RawEvent`), same payload bytes, an expected-version check, a table
//! keyed by seq with unique indexes standing for the stream index and the idempotency keys, WAL
//! mode with `synchronous=FULL`, and an append acknowledged only after its transaction
//! committed. It runs behind a writer thread like the sled store's, in two modes: one
//! transaction per append (what a straightforward SQLite store does) and group commit (the
//! sled writer's design, to show what the design rather than the engine is worth).
//!
//! Environment: `SFJIRA_BENCH_REBUILD_EVENTS` (default 1,000,000; 0 skips the load run).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;
use sfjira::audit::verify::verify;
use sfjira::events::store::{
    EventData, EventStore, ExpectedVersion, RawEvent, RecordedEvent, SledEventStore,
    SledStoreOptions, StreamId, Subscription, ViewWrite, ZERO_HASH,
};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

// ---- workload ---------------------------------------------------------------------------------

/// A typical link event: a field pulled from Salesforce (about 200 bytes of JSON).
fn event(n: u64) -> EventData {
    EventData::new(
        "link.field_pulled",
        json!({
            "field": "Status",
            "from": "Open",
            "to": "In Progress",
            "salesforce_modstamp": "2024-05-01T10:15:00.000Z",
            "jira_updated": "2024-05-01T10:14:58.123Z",
            "n": n,
        }),
    )
}

fn stream(i: u64) -> StreamId {
    StreamId::parse(format!("link-{i:08}")).expect("valid stream id")
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn sled_store(dir: &std::path::Path, fsync: bool) -> Arc<dyn EventStore> {
    let options = SledStoreOptions {
        fsync_after_flush: fsync,
        ..SledStoreOptions::default()
    };
    Arc::new(SledEventStore::open(dir, options).expect("open sled store"))
}

/// Per-stream versions, so every append states an exact expectation as real callers do.
struct Versions(Vec<AtomicU64>);

impl Versions {
    fn new(n: usize) -> Self {
        Self((0..n).map(|_| AtomicU64::new(0)).collect())
    }
    fn expected(&self, i: usize) -> ExpectedVersion {
        ExpectedVersion::Exact(self.0[i].load(Ordering::Relaxed))
    }
    fn set(&self, i: usize, v: u64) {
        self.0[i].store(v, Ordering::Relaxed);
    }
}

// ---- SQLite baseline --------------------------------------------------------------------------

/// One append for the SQLite writer thread.
struct SqlAppend {
    stream: String,
    expected: Option<u64>,
    events: Vec<EventData>,
    reply: oneshot::Sender<Result<u64, String>>,
}

/// The SQLite log: the same envelopes as the sled store, one table plus unique indexes.
struct SqliteLog {
    conn: Connection,
    head: u64,
    last_hash: [u8; 32],
}

impl SqliteLog {
    fn open(path: &std::path::Path) -> Self {
        let conn = Connection::open(path).expect("open sqlite");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        conn.pragma_update(None, "synchronous", "FULL")
            .expect("synchronous");
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS events (
                 seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL,
                 event_id BLOB NOT NULL UNIQUE, record BLOB NOT NULL, UNIQUE (stream, version));
             CREATE TABLE IF NOT EXISTS view (key BLOB PRIMARY KEY, value BLOB NOT NULL);",
        )
        .expect("schema");
        let last: Option<(u64, Vec<u8>)> = conn
            .query_row(
                "SELECT seq, record FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .expect("tip");
        let (head, last_hash) = match last {
            Some((seq, record)) => (seq, RawEvent::decode(&record).expect("decode").hash),
            None => (0, ZERO_HASH),
        };
        Self {
            conn,
            head,
            last_hash,
        }
    }

    /// Writes `batch` in one transaction; answers each request after the commit.
    fn commit(&mut self, batch: Vec<SqlAppend>) {
        let tx = self.conn.transaction().expect("begin");
        let mut head = self.head;
        let mut last_hash = self.last_hash;
        let now = chrono::Utc::now().timestamp_micros();
        let mut replies = Vec::with_capacity(batch.len());
        {
            let mut version_of = tx
                .prepare_cached("SELECT max(version) FROM events WHERE stream = ?1")
                .expect("prepare");
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (seq, stream, version, event_id, record)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .expect("prepare");
            for req in batch {
                let actual: Option<u64> = version_of
                    .query_row([&req.stream], |r| r.get(0))
                    .expect("version");
                let base = actual.unwrap_or(0);
                if req.expected.is_some_and(|e| e != base) {
                    replies.push((req.reply, Err("conflict".to_owned())));
                    continue;
                }
                let stream = StreamId::parse(req.stream.clone()).expect("valid");
                for (i, e) in req.events.iter().enumerate() {
                    let mut raw = RawEvent {
                        seq: head + 1,
                        stream: stream.clone(),
                        version: base + 1 + i as u64,
                        event_id: e.event_id,
                        event_type: e.event_type.clone(),
                        schema_version: e.schema_version,
                        recorded_at_micros: now,
                        causation_id: e.causation_id,
                        correlation_id: e.correlation_id,
                        payload: serde_json::to_vec(&e.payload).expect("json"),
                        prev_hash: last_hash,
                        hash: [0; 32],
                    };
                    raw.hash = raw.compute_hash();
                    insert
                        .execute(params![
                            raw.seq,
                            req.stream,
                            raw.version,
                            e.event_id.as_bytes().as_slice(),
                            raw.encode()
                        ])
                        .expect("insert");
                    head += 1;
                    last_hash = raw.hash;
                }
                replies.push((req.reply, Ok(base + req.events.len() as u64)));
            }
        }
        tx.commit().expect("commit");
        self.head = head;
        self.last_hash = last_hash;
        for (reply, result) in replies {
            let _ = reply.send(result);
        }
    }

    fn read_all(&self, after: u64, limit: usize) -> Vec<RecordedEvent> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT record FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .expect("prepare");
        let rows = stmt
            .query_map(params![after, limit as u64], |r| r.get::<_, Vec<u8>>(0))
            .expect("query");
        rows.map(|r| decode(&r.expect("row"))).collect()
    }

    fn read_stream(&self, stream: &str) -> Vec<RecordedEvent> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT record FROM events WHERE stream = ?1 ORDER BY version")
            .expect("prepare");
        let rows = stmt
            .query_map([stream], |r| r.get::<_, Vec<u8>>(0))
            .expect("query");
        rows.map(|r| decode(&r.expect("row"))).collect()
    }
}

fn decode(record: &[u8]) -> RecordedEvent {
    RawEvent::decode(record)
        .expect("decode")
        .to_recorded()
        .expect("recorded")
}

/// A SQLite log behind a writer thread; `max_group` 1 means one transaction per append.
#[derive(Clone)]
struct SqliteWriter {
    tx: mpsc::Sender<SqlAppend>,
}

impl SqliteWriter {
    fn start(path: &std::path::Path, max_group: usize) -> Self {
        let mut log = SqliteLog::open(path);
        let (tx, rx) = mpsc::channel::<SqlAppend>();
        std::thread::spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while batch.len() < max_group {
                    match rx.try_recv() {
                        Ok(req) => batch.push(req),
                        Err(_) => break,
                    }
                }
                log.commit(batch);
            }
        });
        Self { tx }
    }

    async fn append(&self, stream: String, expected: Option<u64>, events: Vec<EventData>) -> u64 {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(SqlAppend {
                stream,
                expected,
                events,
                reply,
            })
            .expect("writer alive");
        rx.await.expect("reply").expect("append")
    }
}

// ---- criterion: appends -----------------------------------------------------------------------

fn appends(c: &mut Criterion) {
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("temp dir");
    for (label, events_per_append) in [("append_1_event", 1usize), ("append_10_events", 10)] {
        let mut group = c.benchmark_group(label);
        group.throughput(Throughput::Elements(events_per_append as u64));
        for (name, fsync) in [("sled", true), ("sled_flush_only", false)] {
            let store = sled_store(&tmp.path().join(format!("{label}-{name}")), fsync);
            let s = stream(0);
            let version = AtomicU64::new(0);
            group.bench_function(name, |b| {
                b.to_async(&rt).iter(|| async {
                    let batch = (0..events_per_append as u64).map(event).collect();
                    let expected = ExpectedVersion::Exact(version.load(Ordering::Relaxed));
                    let out = store.append(&s, expected, batch).await.expect("append");
                    version.store(out.version, Ordering::Relaxed);
                })
            });
        }
        let sqlite = SqliteWriter::start(&tmp.path().join(format!("{label}.sqlite")), 1);
        let version = AtomicU64::new(0);
        group.bench_function("sqlite", |b| {
            b.to_async(&rt).iter(|| async {
                let batch = (0..events_per_append as u64).map(event).collect();
                let expected = Some(version.load(Ordering::Relaxed));
                let v = sqlite.append("link-00000000".into(), expected, batch).await;
                version.store(v, Ordering::Relaxed);
            })
        });
        group.finish();
    }

    // 32 writers, each on its own stream, all appending at once; one element = one append.
    const WRITERS: usize = 32;
    let mut group = c.benchmark_group("append_32_concurrent_writers");
    group.throughput(Throughput::Elements(WRITERS as u64));
    for (name, fsync) in [("sled", true), ("sled_flush_only", false)] {
        let store = sled_store(&tmp.path().join(format!("concurrent-{name}")), fsync);
        let versions = Arc::new(Versions::new(WRITERS));
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let tasks: Vec<_> = (0..WRITERS)
                    .map(|w| {
                        let store = store.clone();
                        let versions = versions.clone();
                        tokio::spawn(async move {
                            let out = store
                                .append(&stream(w as u64), versions.expected(w), vec![event(0)])
                                .await
                                .expect("append");
                            versions.set(w, out.version);
                        })
                    })
                    .collect();
                async move {
                    for t in tasks {
                        t.await.expect("task");
                    }
                }
            })
        });
    }
    for (name, max_group) in [("sqlite_txn_per_append", 1), ("sqlite_group_commit", 512)] {
        let sqlite = SqliteWriter::start(
            &tmp.path().join(format!("concurrent-{name}.sqlite")),
            max_group,
        );
        let versions = Arc::new(Versions::new(WRITERS));
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let tasks: Vec<_> = (0..WRITERS)
                    .map(|w| {
                        let sqlite = sqlite.clone();
                        let versions = versions.clone();
                        tokio::spawn(async move {
                            let expected = versions.0[w].load(Ordering::Relaxed);
                            let v = sqlite
                                .append(
                                    stream(w as u64).to_string(),
                                    Some(expected),
                                    vec![event(0)],
                                )
                                .await;
                            versions.set(w, v);
                        })
                    })
                    .collect();
                async move {
                    for t in tasks {
                        t.await.expect("task");
                    }
                }
            })
        });
    }
    group.finish();
}

// ---- criterion: reads -------------------------------------------------------------------------

/// Ten streams of 1,000 events, interleaved as links write them.
const READ_STREAMS: u64 = 10;
const READ_PER_STREAM: u64 = 1000;

async fn fill_sled(store: &Arc<dyn EventStore>) {
    for round in 0..READ_PER_STREAM / 10 {
        for s in 0..READ_STREAMS {
            let batch = (0..10).map(|i| event(round * 10 + i)).collect();
            store
                .append(&stream(s), ExpectedVersion::Exact(round * 10), batch)
                .await
                .expect("fill");
        }
    }
}

async fn fill_sqlite(sqlite: &SqliteWriter) {
    for round in 0..READ_PER_STREAM / 10 {
        for s in 0..READ_STREAMS {
            let batch = (0..10).map(|i| event(round * 10 + i)).collect();
            sqlite
                .append(stream(s).to_string(), Some(round * 10), batch)
                .await;
        }
    }
}

fn reads(c: &mut Criterion) {
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("temp dir");
    let store = sled_store(&tmp.path().join("reads"), true);
    rt.block_on(fill_sled(&store));
    let sqlite_path = tmp.path().join("reads.sqlite");
    let sqlite = SqliteWriter::start(&sqlite_path, 512);
    rt.block_on(fill_sqlite(&sqlite));
    drop(sqlite);
    let reader = SqliteLog::open(&sqlite_path);
    let total = READ_STREAMS * READ_PER_STREAM;

    let mut group = c.benchmark_group("read_all_10k_in_pages_of_500");
    group.throughput(Throughput::Elements(total));
    group.bench_function("sled", |b| {
        b.to_async(&rt).iter(|| async {
            let mut after = 0;
            loop {
                let page = store.read_all(after, 500).await.expect("page");
                match page.last() {
                    Some(e) => after = e.seq,
                    None => break,
                }
            }
            assert_eq!(after, total);
        })
    });
    group.bench_function("sqlite", |b| {
        b.iter(|| {
            let mut after = 0;
            loop {
                let page = reader.read_all(after, 500);
                match page.last() {
                    Some(e) => after = e.seq,
                    None => break,
                }
            }
            assert_eq!(after, total);
        })
    });
    group.finish();

    let mut group = c.benchmark_group("replay_1000_event_stream");
    group.throughput(Throughput::Elements(READ_PER_STREAM));
    let s = stream(3);
    group.bench_function("sled", |b| {
        b.to_async(&rt).iter(|| async {
            let events = store.read_stream(&s, 1).await.expect("replay");
            assert_eq!(events.len() as u64, READ_PER_STREAM);
        })
    });
    group.bench_function("sqlite", |b| {
        b.iter(|| {
            let events = reader.read_stream(s.as_str());
            assert_eq!(events.len() as u64, READ_PER_STREAM);
        })
    });
    group.finish();
}

// ---- load run: 1M-event projection rebuild ----------------------------------------------------

const REBUILD_STREAMS: u64 = 10_000;
const REBUILD_PAGE: usize = 1000;

/// The projection: per stream, its version, last type and event count; one row per stream
/// touched in a page, written together with the checkpoint.
fn fold_page(page: &[RecordedEvent]) -> Vec<ViewWrite> {
    let mut rows: std::collections::HashMap<&str, (u64, &str, u64, &str)> = Default::default();
    for e in page {
        let row = rows.entry(e.stream.as_str()).or_insert((0, "", 0, ""));
        // Read the payload as a real projection would.
        let status = e.payload.get("to").and_then(|v| v.as_str()).unwrap_or("");
        *row = (e.version, e.event_type.as_str(), row.2 + 1, status);
    }
    rows.into_iter()
        .map(|(k, (version, kind, count, status))| {
            let value =
                json!({ "version": version, "last": kind, "count": count, "status": status });
            (k.as_bytes().to_vec(), Some(value.to_string().into_bytes()))
        })
        .collect()
}

fn rebuild_load_run(events: u64) {
    if events == 0 {
        return;
    }
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("temp dir");
    let per_stream = events / REBUILD_STREAMS;
    let batch = 100.min(per_stream.max(1));
    println!(
        "\n== load run: {events} events, {REBUILD_STREAMS} streams, pages of {REBUILD_PAGE} =="
    );

    // Fill the sled log: appends of `batch` events, eight in flight (group commit at work).
    let dir = tmp.path().join("rebuild");
    let store = sled_store(&dir, true);
    let started = Instant::now();
    rt.block_on(async {
        let next = Arc::new(AtomicU64::new(0));
        let rounds = per_stream / batch;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let next = next.clone();
                tokio::spawn(async move {
                    loop {
                        let job = next.fetch_add(1, Ordering::Relaxed);
                        if job >= rounds * REBUILD_STREAMS {
                            break;
                        }
                        let (round, s) = (job / REBUILD_STREAMS, job % REBUILD_STREAMS);
                        let events = (0..batch).map(|i| event(round * batch + i)).collect();
                        store
                            .append(&stream(s), ExpectedVersion::Exact(round * batch), events)
                            .await
                            .expect("fill");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
    let head = store.head();
    report("sled: durable load", head, started.elapsed());
    rt.block_on(store.close()).expect("close");
    drop(store);

    // Each measurement starts from a freshly opened store, as a rebuild at startup would.
    let started = Instant::now();
    let reopened = SledEventStore::open(&dir, SledStoreOptions::default()).expect("reopen");
    report("sled: open incl. invariant check", head, started.elapsed());
    let store: Arc<dyn EventStore> = Arc::new(reopened);
    let started = Instant::now();
    let checked = rt.block_on(verify(store.as_ref())).expect("verify");
    assert!(checked.is_ok());
    report(
        "sled: audit verify (full hash chain)",
        head,
        started.elapsed(),
    );
    drop(store);
    let mut sled_rebuild = Duration::ZERO;
    for (mib, view) in [
        (64u64, "rebuild:v1"),
        (256, "rebuild:v2"),
        (1024, "rebuild:v3"),
    ] {
        let options = SledStoreOptions {
            cache_capacity: mib * 1024 * 1024,
            ..SledStoreOptions::default()
        };
        let store: Arc<dyn EventStore> =
            Arc::new(SledEventStore::open(&dir, options).expect("reopen"));
        let took = rebuild_sled(&rt, &store, view);
        report(
            &format!("sled: projection rebuild ({mib} MiB cache)"),
            head,
            took,
        );
        if mib == 64 {
            sled_rebuild = took;
        }
    }

    // The same on SQLite: load with group commit (its best case), rebuild into a view table
    // with one transaction per page (synchronous=NORMAL, lazy like the sled view commits).
    let path = tmp.path().join("rebuild.sqlite");
    let sqlite = SqliteWriter::start(&path, 512);
    let started = Instant::now();
    rt.block_on(async {
        let next = Arc::new(AtomicU64::new(0));
        let rounds = per_stream / batch;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let sqlite = sqlite.clone();
                let next = next.clone();
                tokio::spawn(async move {
                    loop {
                        let job = next.fetch_add(1, Ordering::Relaxed);
                        if job >= rounds * REBUILD_STREAMS {
                            break;
                        }
                        let (round, s) = (job / REBUILD_STREAMS, job % REBUILD_STREAMS);
                        let events = (0..batch).map(|i| event(round * batch + i)).collect();
                        sqlite
                            .append(stream(s).to_string(), Some(round * batch), events)
                            .await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
    report(
        "sqlite: durable load (group commit)",
        head,
        started.elapsed(),
    );
    drop(sqlite);

    let mut log = SqliteLog::open(&path);
    log.conn
        .pragma_update(None, "synchronous", "NORMAL")
        .expect("synchronous");
    let started = Instant::now();
    let mut after = 0;
    loop {
        let page = log.read_all(after, REBUILD_PAGE);
        let Some(last) = page.last() else { break };
        after = last.seq;
        let rows = fold_page(&page);
        let tx = log.conn.transaction().expect("begin");
        {
            let mut upsert = tx
                .prepare_cached("INSERT OR REPLACE INTO view (key, value) VALUES (?1, ?2)")
                .expect("prepare");
            for (k, v) in rows {
                upsert.execute(params![k, v]).expect("upsert");
            }
            upsert
                .execute(params![
                    b"\x00checkpoint".to_vec(),
                    after.to_be_bytes().to_vec()
                ])
                .expect("checkpoint");
        }
        tx.commit().expect("commit");
    }
    let sqlite_rebuild = started.elapsed();
    report("sqlite: projection rebuild", head, sqlite_rebuild);
    println!(
        "rebuild ratio (sqlite time / sled time): {:.2}",
        sqlite_rebuild.as_secs_f64() / sled_rebuild.as_secs_f64()
    );
}

/// Folds the whole log into a fresh view, committing rows and checkpoint once per page.
fn rebuild_sled(rt: &Runtime, store: &Arc<dyn EventStore>, view: &str) -> Duration {
    let started = Instant::now();
    rt.block_on(async {
        let view = store.views().open_view(view).expect("view");
        view.clear().expect("clear");
        // As a projection runner would: a subscription from the checkpoint, one commit of rows
        // and checkpoint per batch (pages are read ahead concurrently).
        let head = store.head();
        let mut sub = Subscription::with_page_size(store.clone(), 0, REBUILD_PAGE);
        while sub.position() < head {
            let page = sub.next_batch(REBUILD_PAGE).await.expect("batch");
            view.commit(fold_page(&page), sub.position())
                .expect("commit");
        }
        assert_eq!(view.checkpoint().expect("checkpoint"), head);
    });
    started.elapsed()
}

fn report(what: &str, events: u64, took: Duration) {
    println!(
        "{what:<42} {events:>9} events in {:>7.2} s = {:>9.0} events/s",
        took.as_secs_f64(),
        events as f64 / took.as_secs_f64()
    );
}

// ---- main -------------------------------------------------------------------------------------

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = appends, reads
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let events = std::env::var("SFJIRA_BENCH_REBUILD_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    rebuild_load_run(events);
}
