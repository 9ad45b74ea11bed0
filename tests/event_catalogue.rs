//! The event catalogue against its golden fixtures and its documentation.
//!
//! Every event type has a fixture at its current schema version that must decode and re-encode
//! to exactly the same payload (the fixture *is* the wire shape), every historical fixture must
//! still decode (upcasting), and `docs/events.md` must describe every type.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde_json::Value;
use sfjira::domain::link::events::{LinkEvent, LinkOrigin, Trigger};
use sfjira::events::store::{RecordedEvent, StreamId};
use sfjira::events::{upcast, AnyEvent, EVENT_TYPES};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events")
}

fn recorded(fixture: &Value) -> RecordedEvent {
    RecordedEvent {
        seq: 1,
        stream: StreamId::parse("fixture").expect("valid stream"),
        version: 1,
        event_id: uuid::Uuid::now_v7(),
        event_type: fixture["event_type"]
            .as_str()
            .expect("event_type")
            .to_string(),
        schema_version: fixture["schema_version"].as_u64().expect("schema_version") as u16,
        recorded_at: Utc::now(),
        causation_id: None,
        correlation_id: None,
        payload: fixture["payload"].clone(),
        prev_hash: "0".repeat(64),
        hash: "0".repeat(64),
    }
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn reencode(event: &AnyEvent) -> sfjira::events::store::EventData {
    use sfjira::events::{encode, Meta};
    match event {
        AnyEvent::Link(e) => encode(e, Meta::default()),
        AnyEvent::Item(e) => encode(e, Meta::default()),
        AnyEvent::Connection(e) => encode(e, Meta::default()),
        AnyEvent::Scheduler(e) => encode(e, Meta::default()),
        AnyEvent::Webhook(e) => encode(e, Meta::default()),
    }
}

#[test]
fn every_event_type_has_a_current_fixture_that_round_trips_exactly() {
    for event_type in EVENT_TYPES {
        let version = upcast::current_version(event_type);
        let path = fixtures_dir()
            .join(event_type)
            .join(format!("v{version}.json"));
        assert!(path.exists(), "missing fixture {}", path.display());
        let fixture = load(&path);
        let event = AnyEvent::decode(&recorded(&fixture))
            .unwrap_or_else(|e| panic!("{event_type} fixture does not decode: {e}"));
        let data = reencode(&event);
        assert_eq!(data.event_type, *event_type);
        assert_eq!(data.schema_version, version);
        assert_eq!(
            data.payload, fixture["payload"],
            "{event_type}: the fixture is not the shape this release writes"
        );
    }
}

#[test]
fn every_historical_fixture_still_decodes() {
    for entry in std::fs::read_dir(fixtures_dir()).expect("fixtures dir") {
        let dir = entry.expect("entry").path();
        for file in std::fs::read_dir(&dir).expect("type dir") {
            let path = file.expect("file").path();
            let fixture = load(&path);
            AnyEvent::decode(&recorded(&fixture))
                .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()));
        }
    }
}

#[test]
fn a_v1_linked_event_reads_as_the_current_version() {
    let fixture = load(&fixtures_dir().join("link.linked/v1.json"));
    let AnyEvent::Link(LinkEvent::Linked(linked)) =
        AnyEvent::decode(&recorded(&fixture)).expect("v1 decodes")
    else {
        panic!("not a link.linked event");
    };
    assert_eq!(
        linked.origin,
        LinkOrigin::Manual,
        "v1 links were all manual"
    );
    assert_eq!(linked.trigger, Trigger::Panel);
    assert_eq!(linked.issue_id, None);
    assert_eq!(linked.issue_key.to_string(), "SUP-7");
    assert_eq!(
        linked.record_id.as_str(),
        "500xx000000bQ2LAAU",
        "the 15-character id of v1 reads in its 18-character form"
    );
}

#[test]
fn the_event_catalogue_document_shows_every_type_with_its_current_fixture() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/events.md"))
        .expect("docs/events.md exists");
    for event_type in EVENT_TYPES {
        let version = upcast::current_version(event_type);
        assert!(
            doc.contains(&format!("### `{event_type}` (v{version})")),
            "docs/events.md does not describe {event_type} v{version}"
        );
        let fixture = load(
            &fixtures_dir()
                .join(event_type)
                .join(format!("v{version}.json")),
        );
        let shown = serde_json::to_string_pretty(&fixture["payload"]).expect("json");
        assert!(
            doc.contains(&shown),
            "docs/events.md shows an outdated example of {event_type}; run scripts/events-doc.py"
        );
    }
}
