//! The Jira emulator's control plane: 429 rate-limit injection, the state file round trip,
//! projects defined through the control API, and reset to a seed.

use crate::support;

use emulator::common::Seed;
use emulator::jira::JiraOptions;
use reqwest::Method;
use serde_json::json;
use support::{expect_json, Jira};

#[tokio::test]
async fn armed_rate_limits_answer_429_with_jiras_headers_then_stop() {
    let jira = Jira::start().await;
    let armed = jira
        .control(
            Method::POST,
            "/__emulator/rate-limit",
            Some(&json!({"times": 2, "retry_after": 7})),
        )
        .await;
    assert_eq!(armed.status(), 201);
    for _ in 0..2 {
        let r = jira.get("/rest/api/3/myself").await;
        assert_eq!(r.status(), 429);
        let h = r.headers();
        assert_eq!(h["retry-after"], "7");
        assert_eq!(h["ratelimit-reason"], "jira-burst-based");
        assert_eq!(h["x-ratelimit-remaining"], "0");
        assert!(h["x-ratelimit-reset"]
            .to_str()
            .is_ok_and(|v| v.ends_with('Z') && v.len() == 17));
        assert_eq!(
            expect_json(r, 429).await["errorMessages"][0],
            "Rate limit exceeded."
        );
    }
    assert_eq!(jira.get("/rest/api/3/myself").await.status(), 200);
    let bad = jira
        .control(
            Method::POST,
            "/__emulator/rate-limit",
            Some(&json!({"times": "x"})),
        )
        .await;
    assert_eq!(expect_json(bad, 400).await["error"], "invalid_body");
    jira.stop().await;
}

#[tokio::test]
async fn the_state_file_round_trips_issues_comments_attachments_and_webhooks() {
    let dir = std::env::temp_dir().join(format!("jira-state-{}", std::process::id()));
    let file = dir.join("jira.json");
    let _ = std::fs::remove_file(&file);
    let options = JiraOptions {
        state_file: Some(file.clone()),
        ..support::options()
    };
    let jira = Jira::start_with(options.clone()).await;
    let created = expect_json(
        jira.post("/rest/api/2/issue", &json!({"fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "Persist me"}})).await,
        201,
    )
    .await;
    let key = created["key"].as_str().expect("key").to_string();
    jira.post(
        &format!("/rest/api/2/issue/{key}/comment"),
        &json!({"body": "kept"}),
    )
    .await;
    jira.post(
        "/rest/webhooks/1.0/webhook",
        &json!({"name": "w", "url": "http://127.0.0.1:9/", "events": ["comment_created"]}),
    )
    .await;
    jira.stop().await;
    assert!(file.exists());

    let again = Jira::start_with(JiraOptions {
        seed: Seed::Empty,
        ..options
    })
    .await;
    let issue = expect_json(again.get(&format!("/rest/api/2/issue/{key}")).await, 200).await;
    assert_eq!(issue["fields"]["summary"], "Persist me");
    assert_eq!(issue["fields"]["comment"]["comments"][0]["body"], "kept");
    assert_eq!(
        expect_json(again.get("/rest/webhooks/1.0/webhook").await, 200)
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let next = expect_json(
        again.post("/rest/api/2/issue", &json!({"fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "After restart"}})).await,
        201,
    )
    .await;
    assert_ne!(
        next["id"], created["id"],
        "id sequences survive the restart"
    );
    again.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn projects_defined_through_the_control_api_enforce_their_workflow_and_fields() {
    let jira = Jira::start_with(JiraOptions {
        seed: Seed::Empty,
        ..support::options()
    })
    .await;
    let none = expect_json(jira.get("/rest/api/3/project/search").await, 200).await;
    assert_eq!(none["total"], 0);
    let project = jira
        .control(
            Method::POST,
            "/__emulator/projects",
            Some(&json!({
                "key": "OPS", "name": "Operations", "type": "business", "issue_types": ["Task", "Incident"],
                "statuses": [{"name": "Open", "category": "new"}, {"name": "Fixing", "category": "indeterminate"},
                             {"name": "Closed", "category": "done"}],
                "transitions": [{"name": "Fix", "from": ["Open"], "to": "Fixing"}, {"name": "Close", "to": "Closed"}],
                "custom_fields": [{"name": "Impact", "kind": "select", "options": ["High", "Low"], "required_for": ["Incident"]}]
            })),
        )
        .await;
    assert_eq!(project.status(), 201);
    let refused = expect_json(
        jira.post("/rest/api/3/issue", &json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Incident"}, "summary": "Down"}})).await,
        400,
    )
    .await;
    assert_eq!(refused["errors"].as_object().map(|e| e.len()), Some(1));
    let created = expect_json(
        jira.post("/rest/api/3/issue", &json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Tidy"}})).await,
        201,
    )
    .await;
    let key = created["key"].as_str().expect("key");
    let list = expect_json(
        jira.get(&format!("/rest/api/3/issue/{key}/transitions"))
            .await,
        200,
    )
    .await;
    assert_eq!(list["transitions"].as_array().map(Vec::len), Some(2));
    let bad = jira
        .control(
            Method::POST,
            "/__emulator/projects",
            Some(&json!({"key": "x", "name": "bad"})),
        )
        .await;
    assert_eq!(expect_json(bad, 400).await["error"], "invalid_project");
    let reset = jira
        .control(
            Method::POST,
            "/__emulator/reset",
            Some(&json!({"seed": "demo"})),
        )
        .await;
    assert_eq!(reset.status(), 200);
    assert_eq!(
        expect_json(jira.get("/rest/api/3/project/search").await, 200).await["total"],
        2
    );
    let info = expect_json(
        jira.control(Method::GET, "/__emulator/info", None).await,
        200,
    )
    .await;
    assert_eq!(info["api_token"], jira.info.api_token.as_str());
    jira.stop().await;
}
