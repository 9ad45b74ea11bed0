//! Admin webhooks of the Jira emulator: registration, signed delivery to a local receiver,
//! retries with a stable identifier, JQL filters, and the delivery log.

use crate::support;

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use support::{adf, expect_json, Jira, Receiver};

async fn register(jira: &Jira, body: Value) -> Value {
    expect_json(jira.post("/rest/webhooks/1.0/webhook", &body).await, 201).await
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn issue_creation_is_delivered_with_a_valid_signature() {
    let jira = Jira::start().await;
    let receiver = Receiver::start(vec![]).await;
    let hook = register(
        &jira,
        json!({"name": "sf-sync", "url": receiver.url, "events": ["jira:issue_created"],
               "filters": {"issue-related-events-section": "project = SUP"}, "excludeBody": false,
               "secret": "s3cret"}),
    )
    .await;
    assert!(hook["self"]
        .as_str()
        .is_some_and(|s| s.ends_with("/rest/webhooks/1.0/webhook/1")));
    assert!(hook.get("secret").is_none(), "the secret is never echoed");
    let listed = expect_json(jira.get("/rest/webhooks/1.0/webhook").await, 200).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    jira.post("/rest/api/3/issue", &json!({"fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "Hooked"}})).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1);
    let delivery = &got[0];
    assert_eq!(
        delivery.header("x-hub-signature"),
        Some(hmac_hex("s3cret", &delivery.body).as_str())
    );
    assert_eq!(delivery.header("x-atlassian-webhook-flow"), Some("Primary"));
    assert!(delivery.header("x-atlassian-webhook-identifier").is_some());
    assert!(delivery.header("x-atlassian-webhook-retry").is_none());
    let body = delivery.json();
    assert_eq!(body["webhookEvent"], "jira:issue_created");
    assert_eq!(body["issue_event_type_name"], "issue_created");
    assert_eq!(body["issue"]["key"], "SUP-4");
    assert_eq!(body["user"]["accountId"], jira.info.account_id.as_str());
    assert_eq!(body["matchedWebhookIds"], json!([1]));
    assert!(body["timestamp"].is_i64());
    receiver.stop().await;
    jira.stop().await;
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_identifier() {
    let jira = Jira::start().await;
    let receiver = Receiver::start(vec![503, 503]).await;
    register(
        &jira,
        json!({"name": "retry", "url": receiver.url, "events": ["comment_created"]}),
    )
    .await;
    jira.post(
        "/rest/api/3/issue/SUP-1/comment",
        &json!({"body": adf("retry me")}),
    )
    .await;
    let got = receiver.wait_for(3).await;
    assert_eq!(got.len(), 3);
    let ids: Vec<_> = got
        .iter()
        .map(|r| r.header("x-atlassian-webhook-identifier").map(String::from))
        .collect();
    assert!(ids.iter().all(|i| i == &ids[0] && i.is_some()), "{ids:?}");
    let retries: Vec<_> = got
        .iter()
        .map(|r| r.header("x-atlassian-webhook-retry").map(String::from))
        .collect();
    assert_eq!(retries, [None, Some("1".into()), Some("2".into())]);
    let body = got[2].json();
    assert_eq!(body["webhookEvent"], "comment_created");
    assert_eq!(
        body["comment"]["body"], "retry me",
        "comment events carry the v2 text body"
    );
    assert_eq!(
        body["issue"]["fields"].as_object().map(|f| f.len()),
        Some(6)
    );
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let log = expect_json(
        jira.control(Method::GET, "/__emulator/webhooks/deliveries", None)
            .await,
        200,
    )
    .await;
    let statuses: Vec<_> = log
        .as_array()
        .expect("log")
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(503), json!(503), json!(200)]);
    assert_eq!(log[0]["will_retry"], true);
    receiver.stop().await;
    jira.stop().await;
}

#[tokio::test]
async fn client_errors_other_than_the_retryable_ones_end_the_delivery() {
    let jira = Jira::start().await;
    let receiver = Receiver::start(vec![404]).await;
    register(
        &jira,
        json!({"name": "gone", "url": receiver.url, "events": ["jira:issue_updated"]}),
    )
    .await;
    jira.put(
        "/rest/api/3/issue/SUP-1",
        &json!({"fields": {"summary": "Renamed"}}),
    )
    .await;
    receiver.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(receiver.received.lock().len(), 1);
    let body = receiver.received.lock()[0].json();
    assert_eq!(body["issue_event_type_name"], "issue_updated");
    assert_eq!(body["changelog"]["items"][0]["field"], "summary");
    assert_eq!(body["changelog"]["items"][0]["toString"], "Renamed");
    receiver.stop().await;
    jira.stop().await;
}

#[tokio::test]
async fn jql_filters_select_which_issues_are_delivered() {
    let jira = Jira::start().await;
    let receiver = Receiver::start(vec![]).await;
    register(
        &jira,
        json!({"name": "eng-only", "url": receiver.url, "events": ["jira:issue_updated"],
               "filters": {"issue-related-events-section": "project = ENG AND issuetype = Bug"}}),
    )
    .await;
    jira.post(
        "/rest/api/3/issue/SUP-1/transitions",
        &json!({"transition": {"id": "41"}}),
    )
    .await;
    jira.post(
        "/rest/api/3/issue/ENG-1/transitions",
        &json!({"transition": {"id": "21"}}),
    )
    .await;
    let got = receiver.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(receiver.received.lock().len(), 1);
    let body = got[0].json();
    assert_eq!(body["issue"]["key"], "ENG-1");
    assert_eq!(body["issue_event_type_name"], "issue_generic");
    assert_eq!(body["changelog"]["items"][0]["fromString"], "To Do");
    assert_eq!(body["changelog"]["items"][0]["toString"], "In Progress");
    let bad = expect_json(
        jira.post(
            "/rest/webhooks/1.0/webhook",
            &json!({"name": "bad", "url": receiver.url, "events": ["jira:issue_updated"],
            "filters": {"issue-related-events-section": "projekt = ENG"}}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        bad["errorMessages"][0],
        "Field 'projekt' does not exist or you do not have permission to view it."
    );
    receiver.stop().await;
    jira.stop().await;
}

#[tokio::test]
async fn webhooks_can_be_replaced_and_deleted() {
    let jira = Jira::start().await;
    let hook = register(
        &jira,
        json!({"name": "a", "url": "http://127.0.0.1:9/x", "events": ["comment_created"]}),
    )
    .await;
    let path = "/rest/webhooks/1.0/webhook/1";
    assert_eq!(hook["enabled"], true);
    let replaced = expect_json(
        jira.put(path, &json!({"name": "b", "url": "http://127.0.0.1:9/y", "events": ["jira:issue_deleted"], "enabled": false})).await,
        200,
    )
    .await;
    assert_eq!(replaced["name"], "b");
    assert_eq!(replaced["enabled"], false);
    assert_eq!(
        expect_json(jira.get(path).await, 200).await["events"],
        json!(["jira:issue_deleted"])
    );
    assert_eq!(jira.delete(path).await.status(), 204);
    assert_eq!(jira.get(path).await.status(), 404);
    jira.stop().await;
}
