//! One conformance suite for every `EventStore`: each case is a plain async function over
//! `Arc<dyn EventStore>`, and the `conformance!` macro instantiates every case once per backend
//! (the in-memory reference store and the sled store in a temporary directory). A behaviour that
//! differs between the two fails here first.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sfjira::audit::verify::verify;
use sfjira::events::store::{
    EventData, EventStore, ExpectedVersion, MemoryEventStore, SledEventStore, SledStoreOptions,
    StoreError, StreamId, SubscribeExt, Subscription, ZERO_HASH,
};
use uuid::Uuid;

/// A store under test, plus whatever must outlive it.
struct Fixture {
    store: Arc<dyn EventStore>,
    _dir: Option<tempfile::TempDir>,
}

fn memory() -> Fixture {
    Fixture {
        store: Arc::new(MemoryEventStore::new()),
        _dir: None,
    }
}

fn sled() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledEventStore::open(dir.path(), SledStoreOptions::default()).expect("open");
    Fixture {
        store: Arc::new(store),
        _dir: Some(dir),
    }
}

fn stream(name: &str) -> StreamId {
    StreamId::parse(name).expect("valid stream id")
}

fn ev(kind: &str, n: u64) -> EventData {
    EventData::new(kind, json!({ "n": n }))
}

fn evs(n: u64) -> Vec<EventData> {
    (0..n).map(|i| ev("test.happened", i)).collect()
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod memory_store {
            $(
                #[tokio::test]
                async fn $case() {
                    let f = super::memory();
                    super::cases::$case(f.store.clone()).await;
                }
            )*
        }
        mod sled_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let f = super::sled();
                    super::cases::$case(f.store.clone()).await;
                    f.store.close().await.expect("close");
                }
            )*
        }
    };
}

conformance!(
    append_then_read,
    expected_version_semantics,
    conflict_has_typed_shape,
    idempotent_retry_returns_first_outcome,
    refuses_bad_input_with_typed_errors,
    failing_multi_event_append_writes_nothing,
    read_all_pages_in_order,
    subscribe_catches_up_then_follows_live,
    views_commit_rows_and_checkpoint_together,
    view_meta_and_lifecycle,
    hash_chain_is_continuous,
    watch_head_sees_every_commit,
    concurrent_streams_stay_gap_free,
    close_refuses_appends_but_keeps_reads,
);

mod cases {
    use super::*;

    pub async fn append_then_read(store: Arc<dyn EventStore>) {
        let s = stream("link-1");
        assert_eq!(store.head(), 0);
        assert_eq!(store.stream_version(&s).await.expect("version"), None);
        assert!(store.read_stream(&s, 0).await.expect("read").is_empty());

        let cause = Uuid::now_v7();
        let mut batch = evs(3);
        batch[1].causation_id = Some(cause);
        batch[2].correlation_id = Some(cause);
        batch[2].schema_version = 4;
        let ids: Vec<_> = batch.iter().map(|e| e.event_id).collect();
        let out = store
            .append(&s, ExpectedVersion::NoStream, batch)
            .await
            .expect("append");
        assert_eq!((out.first_seq, out.last_seq, out.version), (1, 3, 3));
        assert_eq!(store.head(), 3);
        assert_eq!(store.stream_version(&s).await.expect("version"), Some(3));

        let read = store.read_stream(&s, 1).await.expect("read");
        assert_eq!(read.len(), 3);
        for (i, e) in read.iter().enumerate() {
            assert_eq!(e.seq, i as u64 + 1);
            assert_eq!(e.version, i as u64 + 1);
            assert_eq!(e.stream, s);
            assert_eq!(e.event_id, ids[i]);
            assert_eq!(e.event_type, "test.happened");
            assert_eq!(e.payload, json!({ "n": i }));
        }
        assert_eq!(read[1].causation_id, Some(cause));
        assert_eq!(read[2].correlation_id, Some(cause));
        assert_eq!(read[2].schema_version, 4);
        assert_eq!(read[0].schema_version, 1);

        // from_version is inclusive; 0 and 1 both mean the whole stream.
        assert_eq!(store.read_stream(&s, 0).await.expect("read"), read);
        let tail = store.read_stream(&s, 3).await.expect("read");
        assert_eq!(tail.len(), 1);
        assert_eq!(tail[0].version, 3);
        assert!(store.read_stream(&s, 4).await.expect("read").is_empty());

        // Another stream: versions restart, seqs continue; recorded_at never goes back.
        let t = stream("link-1-other");
        let out = store
            .append(&t, ExpectedVersion::NoStream, evs(1))
            .await
            .expect("append");
        assert_eq!((out.first_seq, out.last_seq, out.version), (4, 4, 1));
        let all = store.read_all(0, 100).await.expect("read all");
        assert_eq!(all.len(), 4);
        assert!(all.windows(2).all(|w| w[0].recorded_at <= w[1].recorded_at));
        // A stream whose name extends another's is a different stream.
        assert_eq!(store.read_stream(&s, 0).await.expect("read").len(), 3);
    }

    pub async fn expected_version_semantics(store: Arc<dyn EventStore>) {
        let s = stream("item-1");
        // Exact(0) on a new stream means "no stream yet".
        let out = store
            .append(&s, ExpectedVersion::Exact(0), evs(1))
            .await
            .expect("exact 0 on new stream");
        assert_eq!(out.version, 1);
        let err = store
            .append(&s, ExpectedVersion::NoStream, evs(1))
            .await
            .expect_err("no stream on existing");
        assert!(err.is_conflict());
        let out = store
            .append(&s, ExpectedVersion::Exact(1), evs(2))
            .await
            .expect("exact");
        assert_eq!(out.version, 3);
        let err = store
            .append(&s, ExpectedVersion::Exact(1), evs(1))
            .await
            .expect_err("stale exact");
        assert!(err.is_conflict());
        let out = store
            .append(&s, ExpectedVersion::Any, evs(1))
            .await
            .expect("any on existing");
        assert_eq!(out.version, 4);
        let out = store
            .append(&stream("item-2"), ExpectedVersion::Any, evs(1))
            .await
            .expect("any on new");
        assert_eq!(out.version, 1);
        let err = store
            .append(&stream("item-3"), ExpectedVersion::Exact(2), evs(1))
            .await
            .expect_err("exact on missing stream");
        assert!(err.is_conflict());
        assert_eq!(store.head(), 5);
    }

    pub async fn conflict_has_typed_shape(store: Arc<dyn EventStore>) {
        let s = stream("link-c");
        store
            .append(&s, ExpectedVersion::NoStream, evs(2))
            .await
            .expect("append");
        match store.append(&s, ExpectedVersion::Exact(5), evs(1)).await {
            Err(StoreError::Conflict {
                stream: got,
                expected,
                actual,
            }) => {
                assert_eq!(got, s);
                assert_eq!(expected, ExpectedVersion::Exact(5));
                assert_eq!(actual, Some(2));
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        match store
            .append(&stream("link-none"), ExpectedVersion::Exact(1), evs(1))
            .await
        {
            Err(StoreError::Conflict { actual, .. }) => assert_eq!(actual, None),
            other => panic!("expected a conflict, got {other:?}"),
        }
        let err = store
            .append(&s, ExpectedVersion::NoStream, evs(1))
            .await
            .expect_err("conflict");
        let text = err.to_string();
        assert!(
            text.contains("link-c") && text.contains("version 2"),
            "{text}"
        );
    }

    pub async fn idempotent_retry_returns_first_outcome(store: Arc<dyn EventStore>) {
        let s = stream("link-idem");
        store
            .append(&s, ExpectedVersion::NoStream, evs(1))
            .await
            .expect("first");
        let batch = evs(2);
        let first = store
            .append(&s, ExpectedVersion::Exact(1), batch.clone())
            .await
            .expect("append");
        store
            .append(&s, ExpectedVersion::Exact(3), evs(1))
            .await
            .expect("later");
        let head = store.head();
        // The retry carries a stale expectation, as a caller who lost the ack would.
        let again = store
            .append(&s, ExpectedVersion::Exact(1), batch.clone())
            .await
            .expect("retry");
        assert_eq!(again, first);
        assert_eq!(store.head(), head, "a retry writes nothing");

        let mixed = vec![batch[0].clone(), ev("test.new", 9)];
        match store.append(&s, ExpectedVersion::Any, mixed).await {
            Err(StoreError::PartialDuplicate { known, unknown, .. }) => {
                assert_eq!(known, vec![batch[0].event_id]);
                assert_eq!(unknown, 1);
            }
            other => panic!("expected PartialDuplicate, got {other:?}"),
        }
        let subset = vec![batch[1].clone()];
        assert!(matches!(
            store.append(&s, ExpectedVersion::Any, subset).await,
            Err(StoreError::IdempotencyMismatch { .. })
        ));
        let reversed = vec![batch[1].clone(), batch[0].clone()];
        assert!(matches!(
            store.append(&s, ExpectedVersion::Any, reversed).await,
            Err(StoreError::IdempotencyMismatch { .. })
        ));
        assert!(matches!(
            store
                .append(&stream("link-elsewhere"), ExpectedVersion::Any, batch)
                .await,
            Err(StoreError::IdempotencyMismatch { .. })
        ));
        assert_eq!(store.head(), head);
    }

    pub async fn refuses_bad_input_with_typed_errors(store: Arc<dyn EventStore>) {
        let s = stream("link-bad");
        assert!(matches!(
            store.append(&s, ExpectedVersion::Any, vec![]).await,
            Err(StoreError::EmptyAppend { .. })
        ));
        let big = EventData::new("test.big", json!({ "blob": "x".repeat(1024 * 1024) }));
        let big_id = big.event_id;
        match store.append(&s, ExpectedVersion::Any, vec![big]).await {
            Err(StoreError::PayloadTooLarge {
                event_id,
                size,
                limit,
            }) => {
                assert_eq!(event_id, big_id);
                assert!(size > limit);
            }
            other => panic!("expected PayloadTooLarge, got {other:?}"),
        }
        let e = ev("test.twice", 1);
        assert!(matches!(
            store
                .append(&s, ExpectedVersion::Any, vec![e.clone(), e])
                .await,
            Err(StoreError::DuplicateEventId { .. })
        ));
        assert!(matches!(
            store
                .append(&s, ExpectedVersion::Any, vec![ev("", 1)])
                .await,
            Err(StoreError::InvalidEvent { .. })
        ));
        assert!(matches!(
            store.append(&s, ExpectedVersion::Any, evs(1001)).await,
            Err(StoreError::TooManyEvents { .. })
        ));
        assert_eq!(store.head(), 0);
        assert_eq!(store.stream_version(&s).await.expect("version"), None);
    }

    pub async fn failing_multi_event_append_writes_nothing(store: Arc<dyn EventStore>) {
        let s = stream("link-atomic");
        store
            .append(&s, ExpectedVersion::NoStream, evs(1))
            .await
            .expect("seed");
        // The third event is too large: the first two must not be written either.
        let mut batch = evs(2);
        batch.push(EventData::new(
            "test.big",
            json!({ "blob": "x".repeat(2 * 1024 * 1024) }),
        ));
        assert!(store
            .append(&s, ExpectedVersion::Exact(1), batch.clone())
            .await
            .is_err());
        // A conflicting batch: nothing written either.
        let conflicting = evs(3);
        assert!(store
            .append(&s, ExpectedVersion::Exact(7), conflicting.clone())
            .await
            .is_err());
        assert_eq!(store.head(), 1);
        assert_eq!(store.read_stream(&s, 0).await.expect("read").len(), 1);
        assert_eq!(store.read_all(0, 10).await.expect("read").len(), 1);
        // The ids of the failed appends were not remembered: they can be appended now.
        let out = store
            .append(&s, ExpectedVersion::Exact(1), conflicting)
            .await
            .expect("append after failures");
        assert_eq!((out.first_seq, out.last_seq, out.version), (2, 4, 4));
        let out = store
            .append(&s, ExpectedVersion::Exact(4), batch[..2].to_vec())
            .await
            .expect("the valid part alone");
        assert_eq!(out.version, 6);
    }

    pub async fn read_all_pages_in_order(store: Arc<dyn EventStore>) {
        for i in 0..25u64 {
            let s = stream(&format!("link-{}", i % 3));
            store
                .append(&s, ExpectedVersion::Any, vec![ev("test.page", i)])
                .await
                .expect("append");
        }
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = store.read_all(after, 7).await.expect("page");
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 7);
            after = page.last().map(|e| e.seq).expect("non-empty");
            seen.extend(page);
        }
        let seqs: Vec<u64> = seen.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=25).collect::<Vec<_>>());
        let payloads: Vec<u64> = seen
            .iter()
            .map(|e| e.payload["n"].as_u64().expect("n"))
            .collect();
        assert_eq!(payloads, (0..25).collect::<Vec<_>>());
        assert!(store.read_all(25, 10).await.expect("read").is_empty());
        assert!(store.read_all(1000, 10).await.expect("read").is_empty());
        assert!(store.read_all(0, 0).await.expect("read").is_empty());
        let raw = store.raw_events(20, 100).await.expect("raw");
        assert_eq!(
            raw.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![21, 22, 23, 24, 25]
        );
    }

    pub async fn subscribe_catches_up_then_follows_live(store: Arc<dyn EventStore>) {
        let s = stream("link-sub");
        for i in 0..10 {
            store
                .append(&s, ExpectedVersion::Any, vec![ev("test.sub", i)])
                .await
                .expect("append");
        }
        // Small pages, to exercise paging during catch-up.
        let mut sub = Subscription::with_page_size(store.clone(), 3, 3);
        for want in 4..=10 {
            let e = sub.next().await.expect("catch-up");
            assert_eq!(e.seq, want);
        }
        assert_eq!(sub.position(), 10);
        assert!(sub.try_next().await.expect("try").is_none());

        let writer = {
            let store = store.clone();
            let s = s.clone();
            tokio::spawn(async move {
                for i in 10..15 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    store
                        .append(&s, ExpectedVersion::Any, vec![ev("test.sub", i)])
                        .await
                        .expect("live append");
                }
            })
        };
        for want in 11..=15 {
            let e = tokio::time::timeout(Duration::from_secs(10), sub.next())
                .await
                .expect("live event in time")
                .expect("live event");
            assert_eq!(e.seq, want);
            assert_eq!(e.payload["n"], json!(want - 1));
        }
        writer.await.expect("writer task");

        // The extension method subscribes from any position; batches come in order, read ahead
        // in small pages here so that several reads are in flight at once.
        let mut from_start = store.subscribe(0);
        assert_eq!(from_start.next().await.expect("first").seq, 1);
        let mut batched = Subscription::with_page_size(store.clone(), 0, 2).read_ahead(4);
        let mut seqs = Vec::new();
        while batched.position() < 15 {
            let batch = batched.next_batch(3).await.expect("batch");
            assert!(!batch.is_empty() && batch.len() <= 3);
            seqs.extend(batch.iter().map(|e| e.seq));
        }
        assert_eq!(seqs, (1..=15).collect::<Vec<_>>());
        assert!(batched.try_next().await.expect("try").is_none());

        // Closing the store ends a caught-up subscription instead of hanging.
        store.close().await.expect("close");
        let mut sub = store.subscribe(store.head());
        let end = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("ends in time");
        assert!(matches!(end, Err(StoreError::Closed)), "{end:?}");
    }

    pub async fn views_commit_rows_and_checkpoint_together(store: Arc<dyn EventStore>) {
        let views = store.views();
        let view = views.open_view("panel:v1").expect("open view");
        assert_eq!(view.name(), "panel:v1");
        assert_eq!(view.checkpoint().expect("checkpoint"), 0);
        store
            .append(&stream("link-v"), ExpectedVersion::NoStream, evs(5))
            .await
            .expect("append");

        view.commit(
            vec![
                (b"a/1".to_vec(), Some(b"one".to_vec())),
                (b"a/2".to_vec(), Some(b"two".to_vec())),
                (b"b/1".to_vec(), Some(b"other".to_vec())),
            ],
            3,
        )
        .expect("commit");
        assert_eq!(view.checkpoint().expect("checkpoint"), 3);
        assert_eq!(view.get(b"a/1").expect("get"), Some(b"one".to_vec()));
        assert_eq!(view.get(b"zzz").expect("get"), None);
        let rows = view.scan_prefix(b"a/").expect("scan");
        assert_eq!(
            rows,
            vec![
                (b"a/1".to_vec(), b"one".to_vec()),
                (b"a/2".to_vec(), b"two".to_vec())
            ]
        );
        // The checkpoint is not a row.
        assert_eq!(view.scan_prefix(b"").expect("scan").len(), 3);

        view.commit(vec![(b"a/1".to_vec(), None)], 5)
            .expect("delete");
        assert_eq!(view.get(b"a/1").expect("get"), None);
        assert_eq!(view.checkpoint().expect("checkpoint"), 5);

        // A checkpoint beyond the log head, or going back, is refused and changes nothing.
        assert!(matches!(
            view.commit(vec![(b"c".to_vec(), Some(vec![1]))], 6),
            Err(StoreError::CheckpointAhead {
                checkpoint: 6,
                head: 5,
                ..
            })
        ));
        assert!(matches!(
            view.commit(vec![(b"c".to_vec(), Some(vec![1]))], 4),
            Err(StoreError::CheckpointRegressed { current: 5, .. })
        ));
        assert_eq!(view.get(b"c").expect("get"), None);
        assert_eq!(view.checkpoint().expect("checkpoint"), 5);

        // The same view opened again shares its data.
        let again = views.open_view("panel:v1").expect("reopen view");
        assert_eq!(again.get(b"a/2").expect("get"), Some(b"two".to_vec()));

        view.clear().expect("clear");
        assert_eq!(view.checkpoint().expect("checkpoint"), 0);
        assert!(view.scan_prefix(b"").expect("scan").is_empty());
        view.commit(vec![], 2).expect("rebuild from scratch");
    }

    pub async fn view_meta_and_lifecycle(store: Arc<dyn EventStore>) {
        let views = store.views();
        assert!(matches!(
            views.open_view("Bad Name"),
            Err(StoreError::InvalidViewName { .. })
        ));
        assert!(matches!(
            views.open_view(""),
            Err(StoreError::InvalidViewName { .. })
        ));
        views.open_view("panel:v1").expect("open");
        views.open_view("admin:v1").expect("open");
        assert_eq!(
            views.list_views().expect("list"),
            vec!["admin:v1".to_owned(), "panel:v1".to_owned()]
        );
        assert!(views.drop_view("panel:v1").expect("drop"));
        assert!(!views.drop_view("panel:v1").expect("drop again"));
        assert_eq!(
            views.list_views().expect("list"),
            vec!["admin:v1".to_owned()]
        );
        let fresh = views.open_view("panel:v1").expect("recreate");
        assert_eq!(fresh.checkpoint().expect("checkpoint"), 0);
        assert!(fresh.scan_prefix(b"").expect("scan").is_empty());

        assert_eq!(views.get_meta("panel.active").expect("meta"), None);
        views
            .set_meta("panel.active", Some(b"2".to_vec()))
            .expect("set meta");
        assert_eq!(
            views.get_meta("panel.active").expect("meta"),
            Some(b"2".to_vec())
        );
        views.set_meta("panel.active", None).expect("unset meta");
        assert_eq!(views.get_meta("panel.active").expect("meta"), None);
    }

    pub async fn hash_chain_is_continuous(store: Arc<dyn EventStore>) {
        // Sequential appends and concurrent ones (which group commit may batch together).
        for i in 0..5 {
            store
                .append(&stream("link-h"), ExpectedVersion::Any, evs(i % 3 + 1))
                .await
                .expect("append");
        }
        let mut tasks = Vec::new();
        for t in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let s = stream(&format!("link-h{t}"));
                for _ in 0..5 {
                    store
                        .append(&s, ExpectedVersion::Any, evs(2))
                        .await
                        .expect("append");
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let all = store.read_all(0, 10_000).await.expect("read");
        assert_eq!(all.len() as u64, store.head());
        assert_eq!(all[0].prev_hash, hex::encode(ZERO_HASH));
        for pair in all.windows(2) {
            assert_eq!(
                pair[1].prev_hash, pair[0].hash,
                "chain breaks at {}",
                pair[1].seq
            );
        }
        let raw = store.raw_events(0, 10_000).await.expect("raw");
        for entry in &raw {
            let record = entry.record.as_ref().expect("decodes");
            assert!(record.hash_is_valid(), "seq {} hash", entry.seq);
        }
        let report = verify(store.as_ref()).await.expect("verify");
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(report.events, store.head());
        assert_eq!(report.streams, 9);
        assert_eq!(report.index_entries, store.head());
        assert_eq!(report.heads, 9);
        assert_eq!(
            report.last_hash.as_deref(),
            all.last().map(|e| e.hash.as_str())
        );
    }

    pub async fn watch_head_sees_every_commit(store: Arc<dyn EventStore>) {
        let mut rx = store.watch_head();
        assert_eq!(*rx.borrow_and_update(), 0);
        store
            .append(&stream("link-w"), ExpectedVersion::Any, evs(2))
            .await
            .expect("append");
        tokio::time::timeout(Duration::from_secs(5), rx.changed())
            .await
            .expect("in time")
            .expect("changed");
        assert_eq!(*rx.borrow_and_update(), 2);
        // Refused appends publish nothing.
        let _ = store
            .append(&stream("link-w"), ExpectedVersion::NoStream, evs(1))
            .await;
        assert!(!rx.has_changed().expect("open"));
    }

    pub async fn concurrent_streams_stay_gap_free(store: Arc<dyn EventStore>) {
        let mut tasks = Vec::new();
        for t in 0..16u64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let s = stream(&format!("item-{t}"));
                let mut version = 0;
                for i in 0..10u64 {
                    let out = store
                        .append(&s, ExpectedVersion::Exact(version), evs(i % 2 + 1))
                        .await
                        .expect("append");
                    assert_eq!(out.version, version + i % 2 + 1);
                    version = out.version;
                }
                version
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.expect("task");
        }
        assert_eq!(store.head(), total);
        let all = store.read_all(0, 100_000).await.expect("read");
        assert!(all.iter().enumerate().all(|(i, e)| e.seq == i as u64 + 1));
        assert!(verify(store.as_ref()).await.expect("verify").is_ok());
    }

    pub async fn close_refuses_appends_but_keeps_reads(store: Arc<dyn EventStore>) {
        let s = stream("link-close");
        store
            .append(&s, ExpectedVersion::NoStream, evs(2))
            .await
            .expect("append");
        store.close().await.expect("close");
        store.close().await.expect("close is idempotent");
        assert!(matches!(
            store.append(&s, ExpectedVersion::Exact(2), evs(1)).await,
            Err(StoreError::Closed)
        ));
        assert_eq!(store.read_stream(&s, 0).await.expect("read").len(), 2);
        assert_eq!(store.head(), 2);
    }
}
