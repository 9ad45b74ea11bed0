//! Tamper detection: edit the stored log behind the store's back and make `audit::verify` name
//! the sequence number that was touched.
//!
//! Each test writes a small log through the store, closes it, edits the sled `log` tree
//! directly (as someone with access to the data directory could), reopens, and verifies.

use std::path::Path;

use serde_json::json;
use sfjira::audit::verify::{verify, BreakReason};
use sfjira::events::store::sled_store::{keys, sled_config, LOG_TREE, SLED_DIR};
use sfjira::events::store::{
    EventData, EventStore, ExpectedVersion, RawEvent, SledEventStore, SledStoreOptions, StoreError,
    StreamId, RUNBOOK,
};

fn open(dir: &Path) -> Result<SledEventStore, StoreError> {
    SledEventStore::open(dir, SledStoreOptions::default())
}

/// Ten events over two streams; returns the hash of the last one.
async fn write_log(dir: &Path) -> String {
    let store = open(dir).expect("open");
    for i in 0..10u64 {
        let s = StreamId::parse(format!("link-{}", i % 2)).expect("valid");
        store
            .append(
                &s,
                ExpectedVersion::Any,
                vec![EventData::new(
                    "link.field_pulled",
                    json!({ "field": "Status", "value": format!("v{i}") }),
                )],
            )
            .await
            .expect("append");
    }
    let report = verify(&store).await.expect("verify");
    assert!(report.is_ok());
    report.last_hash.expect("non-empty log")
}

/// Runs `edit` on the raw `log` tree of a closed store.
fn edit_log(dir: &Path, edit: impl FnOnce(&sled::Tree)) {
    let db = open_sled_directly(&dir.join(SLED_DIR));
    let log = db.open_tree(LOG_TREE).expect("log tree");
    edit(&log);
    log.flush().expect("flush");
}

fn stored(log: &sled::Tree, seq: u64) -> RawEvent {
    let bytes = log
        .get(keys::event_key(seq))
        .expect("get")
        .expect("present");
    RawEvent::decode(&bytes).expect("decodes")
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
async fn an_edited_payload_is_named_by_its_seq() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_log(dir.path()).await;
    edit_log(dir.path(), |log| {
        let mut event = stored(log, 5);
        event.payload = br#"{"field":"Status","value":"forged"}"#.to_vec();
        log.insert(keys::event_key(5), event.encode())
            .expect("insert");
    });
    let store = open(dir.path()).expect("the shape is intact, so it opens");
    let report = verify(&store).await.expect("verify");
    let broken = report.first_broken.expect("tampering detected");
    assert_eq!(broken.seq, 5);
    assert!(
        matches!(broken.reason, BreakReason::HashMismatch { .. }),
        "{broken}"
    );
    assert_eq!(report.problem_count, 1, "{:?}", report.problems);
    assert!(broken.to_string().starts_with("seq 5:"));
}

#[tokio::test]
async fn a_rehashed_forgery_breaks_the_link_to_the_next_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    let published = write_log(dir.path()).await;
    edit_log(dir.path(), |log| {
        // A forger who knows the algorithm fixes the record's own hash...
        let mut event = stored(log, 5);
        event.payload = br#"{"field":"Status","value":"forged"}"#.to_vec();
        event.hash = event.compute_hash();
        log.insert(keys::event_key(5), event.encode())
            .expect("insert");
    });
    let store = open(dir.path()).expect("open");
    let report = verify(&store).await.expect("verify");
    // ...but seq 6 still links to the original.
    let broken = report.first_broken.expect("tampering detected");
    assert_eq!(broken.seq, 6);
    assert!(
        matches!(broken.reason, BreakReason::PrevHashMismatch { .. }),
        "{broken}"
    );
    // Rewriting the whole tail would fix the links, but not the last hash published earlier.
    assert_eq!(report.last_hash.as_deref(), Some(published.as_str()));
}

#[tokio::test]
async fn an_edited_last_event_refuses_to_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_log(dir.path()).await;
    edit_log(dir.path(), |log| {
        let mut event = stored(log, 10);
        event.event_type = "link.unlinked".into();
        log.insert(keys::event_key(10), event.encode())
            .expect("insert");
    });
    let err = open(dir.path()).expect_err("the chain tip must be sound to append after it");
    let text = err.to_string();
    assert!(text.contains("seq 10") && text.contains(RUNBOOK), "{text}");
}

#[tokio::test]
async fn undecodable_bytes_and_a_lying_index_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_log(dir.path()).await;
    edit_log(dir.path(), |log| {
        let bytes = log.get(keys::event_key(3)).expect("get").expect("present");
        log.insert(keys::event_key(3), &bytes[..bytes.len() - 4])
            .expect("truncate");
        // link-1 version 2 is seq 4; point its index entry at seq 6 instead.
        let s = StreamId::parse("link-1").expect("valid");
        log.insert(keys::stream_key(&s, 2), &6u64.to_be_bytes())
            .expect("insert");
    });
    let store = open(dir.path()).expect("open");
    let report = verify(&store).await.expect("verify");
    let broken = report.first_broken.clone().expect("detected");
    assert_eq!(broken.seq, 3);
    assert!(
        matches!(broken.reason, BreakReason::Undecodable(_)),
        "{broken}"
    );
    assert!(
        report.problems.iter().any(|p| p.seq == 6
            && matches!(
                &p.reason,
                BreakReason::IndexMismatch {
                    version: 2,
                    actual: Some(4),
                    ..
                }
            )),
        "{:?}",
        report.problems
    );
    // Reading through the store reports corruption instead of returning garbage.
    assert!(matches!(
        store.read_all(0, 100).await,
        Err(StoreError::Corrupt { .. })
    ));
}
