//! What only the durable store has to prove: reopening preserves everything, one process per
//! data directory, the invariant check refuses a damaged log, and metrics count what happens.

use std::sync::Arc;

use serde_json::json;
use sfjira::audit::verify::verify;
use sfjira::events::store::sled_store::{
    keys, reset_views, salvage, sled_config, LOG_TREE, SLED_DIR, VIEW_TREE_PREFIX,
};
use sfjira::events::store::{
    EventData, EventStore, ExpectedVersion, SledEventStore, SledStoreOptions, StoreError,
    StoreMetrics, StreamId, RUNBOOK,
};

fn stream(name: &str) -> StreamId {
    StreamId::parse(name).expect("valid")
}

fn open(dir: &std::path::Path) -> Result<SledEventStore, StoreError> {
    SledEventStore::open(dir, SledStoreOptions::default())
}

async fn seed(store: &SledEventStore) {
    for i in 0..5u64 {
        let s = stream(&format!("link-{}", i % 2));
        store
            .append(
                &s,
                ExpectedVersion::Any,
                vec![
                    EventData::new("test.seeded", json!({ "i": i })),
                    EventData::new("test.seeded", json!({ "i": i, "second": true })),
                ],
            )
            .await
            .expect("append");
    }
}

/// Opens the sled database directly, as the tests that damage it must.
fn raw_log(dir: &std::path::Path) -> (sled::Db, sled::Tree) {
    let db = open_sled_directly(&dir.join(SLED_DIR));
    let log = db.open_tree(LOG_TREE).expect("log tree");
    (db, log)
}

/// Opens the sled database directly, retrying while a just-dropped store's background threads
/// still hold sled's file lock (they release it within milliseconds).
fn open_sled_directly(path: &std::path::Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match sled_config(path).open() {
            Ok(db) => return db,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("open sled directly: {e}"),
        }
    }
}

#[tokio::test]
async fn reopen_preserves_events_views_and_chain() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (before, view_rows, head) = {
        let store = open(dir.path()).expect("open");
        seed(&store).await;
        let view = store.views().open_view("panel:v1").expect("view");
        view.commit(vec![(b"k".to_vec(), Some(b"v".to_vec()))], 7)
            .expect("commit");
        store
            .views()
            .set_meta("panel.active", Some(b"1".to_vec()))
            .expect("meta");
        let before = store.read_all(0, 100).await.expect("read");
        let rows = view.scan_prefix(b"").expect("rows");
        store.close().await.expect("close");
        (before, rows, store.head())
    };
    let store = open(dir.path()).expect("reopen");
    assert_eq!(store.head(), head);
    assert_eq!(store.read_all(0, 100).await.expect("read"), before);
    let views = store.views();
    assert_eq!(
        views.list_views().expect("list"),
        vec!["panel:v1".to_owned()]
    );
    let view = views.open_view("panel:v1").expect("view");
    assert_eq!(view.checkpoint().expect("checkpoint"), 7);
    assert_eq!(view.scan_prefix(b"").expect("rows"), view_rows);
    assert_eq!(
        views.get_meta("panel.active").expect("meta"),
        Some(b"1".to_vec())
    );
    // The chain continues across the restart, and versions pick up where they were.
    let out = store
        .append(
            &stream("link-0"),
            ExpectedVersion::Exact(6),
            vec![EventData::new("test.after", json!({}))],
        )
        .await
        .expect("append after reopen");
    assert_eq!((out.first_seq, out.version), (head + 1, 7));
    let after = store.read_all(head, 10).await.expect("read");
    assert_eq!(after[0].prev_hash, before.last().expect("events").hash);
    assert!(verify(&store).await.expect("verify").is_ok());
    // Idempotency survives the restart too.
    let first = before[0].clone();
    let retry = EventData {
        event_id: first.event_id,
        event_type: first.event_type,
        schema_version: first.schema_version,
        payload: first.payload,
        causation_id: None,
        correlation_id: None,
    };
    let second = EventData {
        event_id: before[1].event_id,
        ..retry.clone()
    };
    let again = store
        .append(
            &stream("link-0"),
            ExpectedVersion::NoStream,
            vec![retry, second],
        )
        .await
        .expect("retry after reopen");
    assert_eq!((again.first_seq, again.last_seq, again.version), (1, 2, 2));
}

#[tokio::test]
async fn lock_file_refuses_a_second_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path()).expect("open");
    match open(dir.path()) {
        Err(StoreError::Locked { path }) => assert_eq!(path, store.lock_path()),
        other => panic!("expected Locked, got {other:?}"),
    }
    // A view handle keeps the directory locked even after the store is dropped: the database
    // is still open through it.
    let view = store.views().open_view("panel:v1").expect("view");
    drop(store);
    assert!(matches!(open(dir.path()), Err(StoreError::Locked { .. })));
    drop(view);
    let again = open(dir.path()).expect("open after every handle is gone");
    drop(again);
}

#[tokio::test]
async fn a_gap_in_the_sequence_refuses_to_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = open(dir.path()).expect("open");
        seed(&store).await;
    }
    {
        let (_db, log) = raw_log(dir.path());
        log.remove(keys::event_key(4)).expect("remove");
        log.flush().expect("flush");
    }
    let err = open(dir.path()).expect_err("must refuse");
    assert!(
        matches!(err, StoreError::InvariantViolation { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains(RUNBOOK), "{text}");
    assert!(text.contains("after seq 3 comes seq 5"), "{text}");
}

#[tokio::test]
async fn a_head_disagreeing_with_its_index_refuses_to_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = open(dir.path()).expect("open");
        seed(&store).await;
    }
    {
        let (_db, log) = raw_log(dir.path());
        let mut head = [0u8; 16];
        head[..8].copy_from_slice(&9u64.to_be_bytes());
        head[8..].copy_from_slice(&10u64.to_be_bytes());
        log.insert(keys::head_key(&stream("link-1")), &head)
            .expect("insert");
        log.flush().expect("flush");
    }
    let err = open(dir.path()).expect_err("must refuse");
    let text = err.to_string();
    assert!(text.contains("link-1") && text.contains(RUNBOOK), "{text}");
}

#[tokio::test]
async fn a_view_checkpoint_beyond_the_head_refuses_to_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = open(dir.path()).expect("open");
        seed(&store).await;
        store.views().open_view("panel:v1").expect("view");
    }
    {
        let db = open_sled_directly(&dir.path().join(SLED_DIR));
        let view = db
            .open_tree(format!("{VIEW_TREE_PREFIX}panel:v1"))
            .expect("view tree");
        view.insert(b"c", &99u64.to_be_bytes()).expect("insert");
        db.flush().expect("flush");
    }
    let err = open(dir.path()).expect_err("must refuse");
    let text = err.to_string();
    assert!(text.contains("panel:v1") && text.contains("99"), "{text}");
    // Views are derived data: resetting them offline is the documented fix.
    let dropped = reset_views(dir.path()).expect("reset views");
    assert!(
        dropped.contains(&format!("{VIEW_TREE_PREFIX}panel:v1")),
        "{dropped:?}"
    );
    let store = open(dir.path()).expect("opens once the view is gone");
    assert!(store.views().list_views().expect("list").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_appends_flushes_and_outcomes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let registry = prometheus::Registry::new();
    let metrics = StoreMetrics::register(&registry).expect("register");
    let store = SledEventStore::open(
        dir.path(),
        SledStoreOptions {
            metrics: Some(metrics.clone()),
            ..SledStoreOptions::default()
        },
    )
    .expect("open");
    let store: Arc<dyn EventStore> = Arc::new(store);
    let s = stream("link-m");
    let batch = vec![
        EventData::new("test.m", json!(1)),
        EventData::new("test.m", json!(2)),
    ];
    store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .expect("append");
    store
        .append(&s, ExpectedVersion::NoStream, batch)
        .await
        .expect("replay");
    let _ = store
        .append(
            &s,
            ExpectedVersion::NoStream,
            vec![EventData::new("test.m", json!(3))],
        )
        .await;
    assert_eq!(metrics.events_appended.get(), 2);
    assert_eq!(metrics.flushes.get(), 1);
    assert_eq!(metrics.appends.with_label_values(&["ok"]).get(), 1);
    assert_eq!(metrics.appends.with_label_values(&["replayed"]).get(), 1);
    assert_eq!(metrics.appends.with_label_values(&["conflict"]).get(), 1);
    assert_eq!(metrics.head.get(), 2);
    assert_eq!(metrics.append_latency.get_sample_count(), 2);
    let names: Vec<String> = registry
        .gather()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    assert!(names.contains(&"sfjira_store_append_latency_seconds".to_owned()));
}

#[tokio::test]
async fn salvage_copies_the_sound_prefix_in_whole_appends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("broken");
    let dst = dir.path().join("salvaged");
    let ids = {
        let store = open(&src).expect("open");
        seed(&store).await; // five appends of two events: seqs 1-2, 3-4, 5-6, 7-8, 9-10
        store.read_all(0, 100).await.expect("read")
    };
    {
        let (_db, log) = raw_log(&src);
        log.remove(keys::event_key(6)).expect("remove");
        log.flush().expect("flush");
    }
    assert!(open(&src).is_err(), "the damaged store refuses to open");

    let report = salvage(&src, &dst).expect("salvage");
    assert_eq!(report.copied, 4, "{report:?}");
    assert_eq!(
        report.left_behind, 5,
        "seq 5 (its append lost seq 6) and 7..=10"
    );
    let (stopped, why) = report.stopped_at.clone().expect("stopped");
    assert_eq!(stopped, 5, "{why}");

    let store = open(&dst).expect("the copy opens");
    assert_eq!(store.head(), 4);
    let copied = store.read_all(0, 100).await.expect("read");
    assert_eq!(copied[..], ids[..4], "same events, same hashes, same times");
    assert!(verify(&store).await.expect("verify").is_ok());
    // Idempotency keys came along: retrying the first append answers its original outcome.
    let retry: Vec<EventData> = ids[..2]
        .iter()
        .map(|e| EventData {
            event_id: e.event_id,
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            payload: e.payload.clone(),
            causation_id: e.causation_id,
            correlation_id: e.correlation_id,
        })
        .collect();
    let out = store
        .append(&ids[0].stream, ExpectedVersion::Any, retry)
        .await
        .expect("retry");
    assert_eq!((out.first_seq, out.last_seq), (1, 2));
    drop(store);
    // The source was only read, and a second salvage into the same target is refused.
    assert!(salvage(&src, &dst).is_err());
}

/// The text part of sled's `conf` file (it ends with a binary checksum).
fn sled_conf(dir: &std::path::Path) -> String {
    let bytes = std::fs::read(dir.join(SLED_DIR).join("conf")).expect("conf");
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn new_stores_compress_and_stores_written_without_compression_still_open() {
    let fresh = tempfile::tempdir().expect("tempdir");
    seed(&open(fresh.path()).expect("open")).await;
    let conf = sled_conf(fresh.path());
    assert!(conf.contains("use_compression: true"), "{conf}");

    let older = tempfile::tempdir().expect("tempdir");
    let plain = sled::Config::new()
        .path(older.path().join(SLED_DIR))
        .use_compression(false)
        .open()
        .expect("an uncompressed database, as earlier versions wrote");
    plain.flush().expect("flush");
    drop(plain);
    let store = open(older.path()).expect("an uncompressed store opens");
    seed(&store).await;
    assert_eq!(store.head(), 10);
    drop(store);
    let store = open(older.path()).expect("and reopens");
    assert_eq!(store.head(), 10);
    let conf = sled_conf(older.path());
    assert!(conf.contains("use_compression: false"), "{conf}");
}
