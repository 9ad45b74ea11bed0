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

mod load_run;
mod sqlite;

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

use load_run::rebuild_load_run;
use sqlite::{SqliteLog, SqliteWriter};

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
