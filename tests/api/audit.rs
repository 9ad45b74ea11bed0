//! The audit routes: the raw log as NDJSON and one link's history.

use sfjira::domain::ids::ItemId;
use sfjira::domain::link::events::LinkOrigin;
use sfjira::events::store::RecordedEvent;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn audit_events_stream_the_hash_chained_log_as_ndjson() {
    let app = spawn_app().await;
    let item = ItemId::new();
    app.link(item, "SUP-1", "500xx000000bQ2L", LinkOrigin::Manual)
        .await;
    app.link(item, "SUP-2", "500xx000000bQ3L", LinkOrigin::Auto)
        .await;
    let response = app.get("/api/audit/events?after=0&limit=100").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    assert_eq!(response.headers()["x-log-head"], "2");
    let text = response.text().await.expect("body");
    let events: Vec<RecordedEvent> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is an envelope"))
        .collect();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(events[0].prev_hash, "0".repeat(64));
    assert_eq!(
        events[1].prev_hash, events[0].hash,
        "the chain links envelope 2 to 1"
    );
    let after_first = app
        .get("/api/audit/events?after=1")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(after_first.lines().count(), 1);
}

#[actix_web::test]
async fn audit_events_refuse_a_bad_limit_or_query() {
    let app = spawn_app().await;
    let response = app.get("/api/audit/events?limit=0").await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_limit");
    let response = app.get("/api/audit/events?after=minus-one").await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_query");
}

#[actix_web::test]
async fn a_link_history_tells_what_happened_up_to_a_point() {
    let app = spawn_app().await;
    let item = ItemId::new();
    let link = app
        .link(item, "SUP-7", "500xx000000bQ2L", LinkOrigin::Manual)
        .await;
    app.state
        .registry
        .run(
            link,
            sfjira::actors::link::Execute(sfjira::domain::link::LinkCommand::Unlink {
                trigger: sfjira::domain::link::events::Trigger::Panel,
                reason: Some("wrong case".into()),
            }),
            sfjira::events::Meta::default(),
        )
        .await
        .expect("unlink");
    let body: serde_json::Value = app
        .get(&format!("/api/audit/links/{link}"))
        .await
        .json()
        .await
        .expect("json");
    let events = body["events"].as_array().expect("events");
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0]["summary"],
        "Linked SUP-7 to Case 500xx000000bQ2LAAU (manual, from the issue panel)"
    );
    assert_eq!(events[1]["why"], "wrong case");
    assert_eq!(body["linked"], false);

    let until: serde_json::Value = app
        .get(&format!("/api/audit/links/{link}?until=1"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(until["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(until["linked"], true, "at seq 1 the link was live");
}

#[actix_web::test]
async fn a_link_history_answers_404_or_400_for_unknown_or_bad_ids() {
    let app = spawn_app().await;
    let missing = app
        .get("/api/audit/links/0193a000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.expect("json");
    assert_eq!(body["error"], "link_not_found");
    let bad = app.get("/api/audit/links/not-a-uuid").await;
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.expect("json");
    assert_eq!(body["error"], "invalid_link_id");
    let bad_until = app
        .get("/api/audit/links/0193a000-0000-7000-8000-000000000000?until=yesterday")
        .await;
    assert_eq!(bad_until.status(), 400);
}
