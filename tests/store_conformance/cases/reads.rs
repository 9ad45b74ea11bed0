//! The global log: paging, catch-up then live subscriptions, the watched head, the hash
//! chain, and a gap-free sequence under concurrent streams.

use crate::*;

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

    // Draining without waiting: batches up to the head, then an empty one.
    let mut drained = Subscription::with_page_size(store.clone(), 5, 4);
    let mut seqs = Vec::new();
    loop {
        let batch = drained.try_next_batch(3).await.expect("batch");
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 3);
        seqs.extend(batch.iter().map(|e| e.seq));
    }
    assert_eq!(seqs, (6..=15).collect::<Vec<_>>());
    assert_eq!(drained.position(), 15);

    // Closing the store ends a caught-up subscription instead of hanging.
    store.close().await.expect("close");
    let mut sub = store.subscribe(store.head());
    let end = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("ends in time");
    assert!(matches!(end, Err(StoreError::Closed)), "{end:?}");
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
