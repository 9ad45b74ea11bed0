//! A two-way field edited on both sides before sfjira saw either edit: the later change ends
//! up on both sides, the other side's value is not lost to a crossover, the decision is in the
//! link's history with its reason, and the next run writes nothing.
//!
//! No Jira webhook is registered here, so both edits wait for the next run, as they would
//! while sfjira was down. Salesforce stamps records to the second, so the edits are more than
//! a second apart.

use std::time::Duration;

use serde_json::{json, Value};

use crate::world::{connected_world, World};

const SECOND_AND_A_BIT: Duration = Duration::from_millis(1_100);

/// A two-way Case item and a Case linked to SUP-1, without a webhook; returns the item, the
/// record and the link id.
async fn linked_without_webhook(world: &World) -> (String, String, String) {
    let item = world.case_item(false).await;
    let record = world.case("Start").await;
    let (status, card) = world
        .post(
            &format!("/api/issues/SUP-1/items/{item}/link"),
            json!({"record_id": record}),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    let link = card["link"]["link_id"]
        .as_str()
        .expect("the card names its link")
        .to_string();
    (item, record, link)
}

async fn both_sides(world: &World, record: &str) -> (Value, Value) {
    let (_, sf) = world
        .sf_rest(
            reqwest::Method::GET,
            &format!("sobjects/Case/{record}?fields=Subject"),
            None,
        )
        .await;
    let (_, jira) = world
        .jira_rest(reqwest::Method::GET, "issue/SUP-1?fields=summary", None)
        .await;
    (sf["Subject"].clone(), jira["fields"]["summary"].clone())
}

async fn edit_subject(world: &World, record: &str, subject: &str) {
    let (status, body) = world
        .sf_rest(
            reqwest::Method::PATCH,
            &format!("sobjects/Case/{record}"),
            Some(json!({ "Subject": subject })),
        )
        .await;
    assert_eq!(status, 204, "{body}");
}

/// The link's history lines of one event type.
async fn history_of(world: &World, link: &str, event_type: &str) -> Vec<Value> {
    let (status, body) = world.get(&format!("/api/audit/links/{link}")).await;
    assert_eq!(status, 200, "{body}");
    body["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["event_type"] == event_type)
        .cloned()
        .collect()
}

async fn quiet_run_writes_nothing(world: &World, item: &str) {
    world.reset_requests().await;
    world.sync(item).await;
    assert_eq!(world.writes().await, Vec::<Value>::new());
}

#[actix_web::test]
async fn a_later_salesforce_edit_beats_an_earlier_jira_edit_on_both_sides() {
    let world = connected_world().await;
    let (item, record, link) = linked_without_webhook(&world).await;
    world.jira_summary("SUP-1", "Edited in Jira first").await;
    tokio::time::sleep(SECOND_AND_A_BIT).await;
    edit_subject(&world, &record, "Edited in Salesforce later").await;

    let run = world.sync(&item).await;
    assert_eq!(run["item"]["counts"]["fields_pulled"], 1, "{run}");
    assert_eq!(run["item"]["counts"]["fields_pushed"], 0, "{run}");
    let (sf, jira) = both_sides(&world, &record).await;
    assert_eq!(sf, "Edited in Salesforce later");
    assert_eq!(
        jira, "Edited in Salesforce later",
        "Jira takes the later value"
    );

    let pulled = history_of(&world, &link, "link.field_pulled").await;
    let last = pulled.last().expect("the pull is in the history");
    assert!(
        last["why"]
            .as_str()
            .is_some_and(|w| w.contains("Salesforce's change is the later one")),
        "{last}"
    );
    assert!(
        history_of(&world, &link, "link.field_pushed")
            .await
            .is_empty(),
        "Jira's earlier value was never written to Salesforce"
    );
    quiet_run_writes_nothing(&world, &item).await;
}

#[actix_web::test]
async fn a_later_jira_edit_beats_an_earlier_salesforce_edit_on_both_sides() {
    let world = connected_world().await;
    let (item, record, link) = linked_without_webhook(&world).await;
    edit_subject(&world, &record, "Edited in Salesforce first").await;
    tokio::time::sleep(SECOND_AND_A_BIT).await;
    world.jira_summary("SUP-1", "Edited in Jira later").await;

    let run = world.sync(&item).await;
    assert_eq!(run["item"]["counts"]["fields_pushed"], 1, "{run}");
    assert_eq!(run["item"]["counts"]["fields_pulled"], 0, "{run}");
    let (sf, jira) = both_sides(&world, &record).await;
    assert_eq!(
        jira, "Edited in Jira later",
        "the pull left Jira's later value alone"
    );
    assert_eq!(sf, "Edited in Jira later", "the Jira sweep pushed it");

    let pushed = history_of(&world, &link, "link.field_pushed").await;
    let last = pushed.last().expect("the push is in the history");
    assert!(
        last["why"]
            .as_str()
            .is_some_and(|w| w.contains("Jira's change is the later one")),
        "{last}"
    );
    quiet_run_writes_nothing(&world, &item).await;
}

#[actix_web::test]
async fn the_same_value_typed_on_both_sides_is_remembered_and_written_nowhere() {
    let world = connected_world().await;
    let (item, record, link) = linked_without_webhook(&world).await;
    world.sync(&item).await;
    world.jira_summary("SUP-1", "Same words").await;
    edit_subject(&world, &record, "Same words").await;
    world.reset_requests().await;
    world.sync(&item).await;
    assert_eq!(world.writes().await, Vec::<Value>::new());
    assert_eq!(
        history_of(&world, &link, "link.field_in_step").await.len(),
        1,
        "the agreement is remembered once"
    );
    quiet_run_writes_nothing(&world, &item).await;
}
