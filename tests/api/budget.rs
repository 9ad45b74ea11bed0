//! The Salesforce API budget: calls per cycle grow with changes, never with links, and
//! scheduled work pauses near the daily limit.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sfjira::actors::link::Execute;
use sfjira::domain::ids::{ItemId, JiraIssueKey, LinkId, SalesforceId};
use sfjira::domain::link::events::{LinkOrigin, Trigger};
use sfjira::domain::link::LinkCommand;
use sfjira::events::Meta;

use crate::world::{connected_world, World};

async fn preview_item(world: &World) -> String {
    let issue_type = world.support_request_type().await;
    let (status, body) = world
        .post(
            "/api/admin/items",
            json!({"name": "Cases", "mode": "one_way", "jira_projects": ["SUP"], "issue_type_id": issue_type,
                   "object": "Case", "preview_fields": ["CaseNumber", "Subject"],
                   "options": {"comments_sync": true, "attachments_sync": true}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_string()
}

/// Salesforce calls sfjira made since the log was reset, token requests aside.
async fn calls(world: &World) -> u64 {
    let log = world.requests(world.sf.base_url()).await;
    log["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| !r["path"].as_str().is_some_and(|p| p.contains("oauth2")))
        .count() as u64
}

/// (calls of a quiet cycle, calls of a cycle with 20 changes) with `links` linked Cases.
async fn cycle_calls(links: usize) -> (u64, u64, Value) {
    let world = connected_world().await;
    let item = preview_item(&world).await;
    let records: Vec<Value> = (0..links)
        .map(|i| json!({"Subject": format!("Case {i}")}))
        .collect();
    let ids = world.sf_load("Case", Value::Array(records)).await;
    let item_id = ItemId::parse(&item).expect("item");
    let registry = world.app.state.registry.clone();
    for chunk in ids.chunks(250) {
        let links = chunk.iter().enumerate().map(|(i, id)| {
            let registry = registry.clone();
            let record = SalesforceId::parse(id).expect("id");
            let key = JiraIssueKey::parse(&format!("SUP-{}", 1000 + i)).expect("key");
            async move {
                registry
                    .run(
                        LinkId::for_record(item_id, &record),
                        Execute(LinkCommand::Link {
                            item_id,
                            issue_key: key,
                            issue_id: None,
                            record_id: record,
                            object: "Case".into(),
                            origin: LinkOrigin::Manual,
                            trigger: Trigger::Admin,
                        }),
                        Meta::default(),
                    )
                    .await
                    .expect("linked")
            }
        });
        futures::future::join_all(links).await;
    }
    world.sync(&item).await;
    // Five minutes later (Salesforce's clock): the window has settled.
    world
        .sf_control(
            reqwest::Method::POST,
            "clock/advance",
            Some(json!({"seconds": 300})),
        )
        .await;
    world.sync(&item).await;
    world.reset_requests().await;
    let quiet = world.sync(&item).await;
    let quiet_calls = calls(&world).await;
    assert_eq!(
        quiet["item"]["salesforce_calls"].as_u64(),
        Some(quiet_calls),
        "the run counts its own calls"
    );
    for id in ids.iter().take(20) {
        let (status, _) = world
            .sf_rest(
                reqwest::Method::PATCH,
                &format!("sobjects/Case/{id}"),
                Some(json!({"Subject": "Changed"})),
            )
            .await;
        assert_eq!(status, 204);
    }
    world.reset_requests().await;
    let changed = world.sync(&item).await;
    assert_eq!(changed["item"]["counts"]["records_seen"], 20, "{changed}");
    let change_calls = calls(&world).await;
    let per_endpoint: BTreeMap<String, u64> =
        serde_json::from_value(world.requests(world.sf.base_url()).await["counts"].clone())
            .unwrap_or_default();
    (quiet_calls, change_calls, json!(per_endpoint))
}

#[actix_web::test]
async fn salesforce_calls_per_cycle_grow_with_changes_not_with_links() {
    let (quiet_small, changes_small, small) = cycle_calls(50).await;
    let (quiet_large, changes_large, large) = cycle_calls(5_000).await;
    assert!(
        quiet_small <= 6 && quiet_large <= 6,
        "quiet cycles: {quiet_small}, {quiet_large}"
    );
    assert!(
        changes_small.abs_diff(changes_large) <= 2,
        "20 changes cost {changes_small} calls with 50 links and {changes_large} with 5,000:\n{small}\n{large}"
    );
}

#[actix_web::test]
async fn scheduled_work_pauses_near_the_daily_limit_and_says_so() {
    let world = connected_world().await;
    let item = preview_item(&world).await;
    world
        .sf_control(
            reqwest::Method::PATCH,
            "settings",
            Some(json!({"daily_api_limit": 1000, "api_usage": 900})),
        )
        .await;
    world.sync(&item).await;
    world.reset_requests().await;
    let paused = world.sync(&item).await;
    assert_eq!(paused["item"]["outcome"]["kind"], "paused", "{paused}");
    assert_eq!(calls(&world).await, 0, "a paused run calls nothing");
    let (_, items) = world.get("/api/admin/items").await;
    let latest = &items["items"][0]["latest_sync"];
    assert_eq!(latest["state"], "paused");
    assert!(
        latest["reason"].as_str().is_some_and(|r| r.contains("80%")),
        "{latest}"
    );
}
