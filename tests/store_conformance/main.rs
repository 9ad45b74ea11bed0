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

mod cases;
