//! Appends: reads back what was written, expected versions, typed conflicts, idempotent
//! retries, refusals of bad input, all-or-nothing batches, and a closed store.

use crate::*;

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
