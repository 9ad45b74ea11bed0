//! Optimistic concurrency under contention: 32 tasks race for every version of one stream.
//!
//! Each round, all 32 tasks append to the same stream with the same expected version, released
//! together by a barrier. Exactly one must win; every other one must get a `Conflict` naming the
//! version the winner produced; and the global log must stay gap-free with every event accounted
//! for. Run on a multi-threaded runtime against both stores.

use std::sync::Arc;

use serde_json::json;
use sfjira::audit::verify::verify;
use sfjira::events::store::{
    EventData, EventStore, ExpectedVersion, MemoryEventStore, SledEventStore, SledStoreOptions,
    StoreError, StreamId,
};
use tokio::sync::Barrier;

const TASKS: usize = 32;
const ROUNDS: u64 = 25;

async fn race_for_every_version(store: Arc<dyn EventStore>) {
    let s = StreamId::parse("link-contended").expect("valid");
    let barrier = Arc::new(Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        let s = s.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut wins = Vec::new();
            for round in 0..ROUNDS {
                barrier.wait().await;
                let expected = if round == 0 {
                    ExpectedVersion::NoStream
                } else {
                    ExpectedVersion::Exact(round)
                };
                let event = EventData::new("test.raced", json!({ "task": t, "round": round }));
                match store.append(&s, expected, vec![event]).await {
                    Ok(out) => {
                        assert_eq!(out.version, round + 1);
                        wins.push(round);
                    }
                    Err(StoreError::Conflict {
                        expected: e,
                        actual,
                        ..
                    }) => {
                        assert_eq!(e, expected);
                        assert_eq!(
                            actual,
                            Some(round + 1),
                            "conflict names the winner's version"
                        );
                    }
                    Err(other) => panic!("unexpected error: {other}"),
                }
                // Nobody starts the next round before everyone has an answer for this one.
                barrier.wait().await;
            }
            wins
        }));
    }
    let mut winners_per_round = vec![0usize; ROUNDS as usize];
    for task in tasks {
        for round in task.await.expect("task") {
            winners_per_round[round as usize] += 1;
        }
    }
    assert!(
        winners_per_round.iter().all(|&w| w == 1),
        "exactly one winner per version: {winners_per_round:?}"
    );
    assert_eq!(store.head(), ROUNDS);
    assert_eq!(
        store.stream_version(&s).await.expect("version"),
        Some(ROUNDS)
    );
    let all = store.read_all(0, 1000).await.expect("read");
    let seqs: Vec<u64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=ROUNDS).collect::<Vec<_>>(), "gap-free log");
    let versions: Vec<u64> = all.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=ROUNDS).collect::<Vec<_>>());
    let report = verify(store.as_ref()).await.expect("verify");
    assert!(report.is_ok(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sled_one_winner_per_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledEventStore::open(dir.path(), SledStoreOptions::default()).expect("open");
    let store: Arc<dyn EventStore> = Arc::new(store);
    race_for_every_version(store.clone()).await;
    store.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_one_winner_per_version() {
    race_for_every_version(Arc::new(MemoryEventStore::new())).await;
}
