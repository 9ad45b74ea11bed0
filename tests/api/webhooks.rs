//! `POST /webhooks/jira`: signature, de-duplication, durability, refusals — and a real delivery
//! from the Jira emulator.

use std::time::{Duration, Instant};

use emulator::jira::{JiraEmulator, JiraOptions};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{spawn_app_with, TestApp};

const SECRET: &str = "webhook-secret-for-tests-of-32-chars-or-more";

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.jira.webhook_secret = Some(SECRET.to_string().into());
        s.http.max_body_bytes = 64 * 1024;
    })
    .await
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn comment_created() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "timestamp": now_millis(),
        "webhookEvent": "comment_created",
        "comment": {"id": "10101", "body": "Restarted the spooler."},
        "issue": {"id": "10012", "key": "SUP-12", "fields": {"summary": "Printer"}}
    }))
    .expect("json")
}

async fn deliver(
    app: &TestApp,
    body: &[u8],
    signature: Option<String>,
    id: &str,
) -> reqwest::Response {
    let mut request = app
        .http
        .post(app.url("/webhooks/jira"))
        .header("Content-Type", "application/json")
        .header("X-Atlassian-Webhook-Identifier", id)
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("X-Hub-Signature", signature);
    }
    request.send().await.expect("sent")
}

#[actix_web::test]
async fn a_signed_delivery_is_recorded_before_it_is_acknowledged_and_retries_are_duplicates() {
    let app = app().await;
    let body = comment_created();
    let first = deliver(&app, &body, Some(sign(&body)), "delivery-1").await;
    assert_eq!(first.status(), 200);
    let answer: Value = first.json().await.expect("json");
    assert_eq!(answer["status"], "accepted");
    assert_eq!(app.state.store.head(), 1, "durable when acknowledged");
    let retry = deliver(&app, &body, Some(sign(&body)), "delivery-1").await;
    assert_eq!(retry.status(), 200);
    let answer: Value = retry.json().await.expect("json");
    assert_eq!(answer["status"], "duplicate");
    assert_eq!(app.state.store.head(), 1, "a retry is not stored twice");
    let events = app
        .get("/api/audit/events")
        .await
        .text()
        .await
        .expect("body");
    let event: Value =
        serde_json::from_str(events.lines().next().expect("one event")).expect("json");
    assert_eq!(event["event_type"], "webhook.received");
    assert_eq!(event["payload"]["issue_key"], "SUP-12");
    assert_eq!(event["payload"]["identifier"], "delivery-1");
}

#[actix_web::test]
async fn missing_or_wrong_signatures_are_refused_and_change_nothing() {
    let app = app().await;
    let body = comment_created();
    for signature in [
        None,
        Some("sha256=00".to_string()),
        Some(sign(b"another body")),
    ] {
        let response = deliver(&app, &body, signature, "d").await;
        assert_eq!(response.status(), 401);
        assert!(
            response.headers().get("WWW-Authenticate").is_none(),
            "a signature is checked, no bearer token is asked for"
        );
        let answer: Value = response.json().await.expect("json");
        assert_eq!(answer["error"], "unauthorized");
    }
    assert_eq!(app.state.store.head(), 0);
}

#[actix_web::test]
async fn malformed_oversized_and_unhandled_deliveries_change_nothing() {
    let app = app().await;
    let bad = b"{not json".to_vec();
    let response = deliver(&app, &bad, Some(sign(&bad)), "m").await;
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["error"], "invalid_json");

    let huge = vec![b' '; 65 * 1024];
    let response = deliver(&app, &huge, Some(sign(&huge)), "h").await;
    assert_eq!(response.status(), 413);

    let deleted = serde_json::to_vec(
        &json!({"webhookEvent": "jira:issue_deleted", "issue": {"key": "SUP-1"}}),
    )
    .expect("json");
    let response = deliver(&app, &deleted, Some(sign(&deleted)), "x").await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["status"], "ignored");
    assert_eq!(app.state.store.head(), 0);
}

#[actix_web::test]
async fn a_real_jira_delivery_is_verified_and_recorded() {
    let app = app().await;
    let jira = JiraEmulator::start(JiraOptions::default())
        .await
        .expect("jira emulator");
    let info = jira.info();
    let http = reqwest::Client::new();
    let registered = http
        .post(format!("{}/rest/webhooks/1.0/webhook", info.base_url))
        .basic_auth(&info.email, Some(&info.api_token))
        .json(&json!({
            "name": "sfjira", "url": app.url("/webhooks/jira"),
            "events": ["comment_created"], "secret": SECRET,
            "filters": {"issue-related-events-section": "project = SUP"}
        }))
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), 201);
    let issues: Value = http
        .get(format!(
            "{}/rest/api/3/search/jql?jql=project%20%3D%20SUP%20ORDER%20BY%20key&fields=summary",
            info.base_url
        ))
        .basic_auth(&info.email, Some(&info.api_token))
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    let key = issues["issues"][0]["key"]
        .as_str()
        .expect("a seeded SUP issue")
        .to_string();
    let comment = http
        .post(format!("{}/rest/api/3/issue/{key}/comment", info.base_url))
        .basic_auth(&info.email, Some(&info.api_token))
        .json(&json!({"body": {"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "From Jira"}]}]}}))
        .send()
        .await
        .expect("comment");
    assert_eq!(comment.status(), 201);
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.state.store.head() == 0 {
        assert!(Instant::now() < deadline, "no delivery arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events = app
        .get("/api/audit/events")
        .await
        .text()
        .await
        .expect("body");
    let event: Value = serde_json::from_str(events.lines().next().expect("event")).expect("json");
    assert_eq!(event["payload"]["event"], "comment_created");
    assert_eq!(event["payload"]["issue_key"], key.as_str());
    jira.stop().await;
}

async fn audit_events(app: &TestApp) -> Vec<Value> {
    app.get("/api/audit/events")
        .await
        .text()
        .await
        .expect("body")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

#[actix_web::test]
async fn a_captured_delivery_replayed_under_a_new_identifier_is_refused() {
    let app = app().await;
    let body = comment_created();
    let first = deliver(&app, &body, Some(sign(&body)), "delivery-1").await;
    assert_eq!(first.status(), 200);
    let replay = deliver(&app, &body, Some(sign(&body)), "a-fresh-identifier").await;
    assert_eq!(replay.status(), 403);
    let answer: Value = replay.json().await.expect("json");
    assert_eq!(answer["error"], "webhook_replayed");
    assert_eq!(app.state.store.head(), 1, "the replay is not stored");
    let events = audit_events(&app).await;
    let digest = hex::encode(<Sha256 as sha2::Digest>::digest(&body));
    assert_eq!(events[0]["payload"]["body_sha256"], digest.as_str());
    assert_eq!(events[0]["payload"]["body_bytes"], body.len());
}

#[actix_web::test]
async fn deliveries_signed_outside_the_window_or_without_a_timestamp_are_refused() {
    let app = spawn_app_with(|s| {
        s.jira.webhook_secret = Some(SECRET.to_string().into());
        s.jira.webhook_max_age_secs = 60;
    })
    .await;
    let body_at = |timestamp: Option<i64>| {
        let mut body = json!({
            "webhookEvent": "comment_created",
            "comment": {"id": "10101"},
            "issue": {"id": "10012", "key": "SUP-12"}
        });
        if let Some(ts) = timestamp {
            body["timestamp"] = json!(ts);
        }
        serde_json::to_vec(&body).expect("json")
    };
    for (timestamp, code) in [
        (Some(now_millis() - 120_000), "webhook_too_old"),
        (Some(now_millis() + 120_000), "webhook_from_the_future"),
        (None, "webhook_timestamp_missing"),
    ] {
        let body = body_at(timestamp);
        let response = deliver(&app, &body, Some(sign(&body)), &format!("{code}-id")).await;
        assert_eq!(response.status(), 400, "{code}");
        let answer: Value = response.json().await.expect("json");
        assert_eq!(answer["error"], code);
    }
    assert_eq!(app.state.store.head(), 0, "nothing refused is stored");
    let fresh = body_at(Some(now_millis() - 30_000));
    let response = deliver(&app, &fresh, Some(sign(&fresh)), "fresh").await;
    assert_eq!(response.status(), 200, "inside the window");
}

#[actix_web::test]
async fn a_delivery_just_under_the_body_limit_is_stored_as_a_summary_not_refused_by_the_store() {
    let limit = 2 * 1024 * 1024;
    let app = spawn_app_with(|s| {
        s.jira.webhook_secret = Some(SECRET.to_string().into());
        s.http.max_body_bytes = limit;
    })
    .await;
    let frame = serde_json::to_vec(&json!({
        "timestamp": now_millis(),
        "webhookEvent": "comment_created",
        "comment": {"id": "10101", "body": ""},
        "issue": {"id": "10012", "key": "SUP-12", "fields": {"summary": "Printer"}}
    }))
    .expect("json");
    let filler = "x".repeat(limit - frame.len() - 16);
    let body = serde_json::to_vec(&json!({
        "timestamp": now_millis(),
        "webhookEvent": "comment_created",
        "comment": {"id": "10101", "body": filler},
        "issue": {"id": "10012", "key": "SUP-12", "fields": {"summary": "Printer"}}
    }))
    .expect("json");
    assert!(
        body.len() <= limit && body.len() > limit - 64,
        "{}",
        body.len()
    );
    let response = deliver(&app, &body, Some(sign(&body)), "huge").await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let events = audit_events(&app).await;
    let payload = &events[0]["payload"];
    assert_eq!(payload["payload_trimmed"], true);
    assert_eq!(payload["body_bytes"], body.len());
    assert_eq!(payload["issue_key"], "SUP-12");
    assert_eq!(payload["payload"]["comment"]["id"], "10101");
    assert_eq!(payload["payload"]["issue"]["key"], "SUP-12");
    assert!(payload["payload"]["comment"].get("body").is_none());

    let over = vec![b' '; limit + 1];
    let response = deliver(&app, &over, Some(sign(&over)), "over").await;
    assert_eq!(response.status(), 413);
    assert_eq!(app.state.store.head(), 1);
}
