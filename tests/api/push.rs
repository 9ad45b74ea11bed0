//! Jira → Salesforce: webhooks push fields, status, comments and files at once; refusals are
//! recorded with Salesforce's words; nothing is echoed back; faults slow things down but lose
//! nothing.

use std::time::Duration;

use serde_json::{json, Value};

use crate::world::{adf, connected_world, eventually, world_with, World, WorldOptions};

async fn case(world: &World, subject: &str) -> String {
    world.case(subject).await
}

async fn linked(world: &World, issue: &str, two_way: bool) -> (String, String) {
    world.linked_case(issue, two_way).await
}

async fn sf_field(world: &World, record: &str, field: &str) -> Value {
    let (_, body) = world
        .sf_rest(
            reqwest::Method::GET,
            &format!("sobjects/Case/{record}?fields={field}"),
            None,
        )
        .await;
    body[field].clone()
}

async fn case_comments(world: &World, record: &str) -> Vec<String> {
    world
        .sf_records("CaseComment")
        .await
        .into_iter()
        .filter(|c| c["ParentId"] == record)
        .filter_map(|c| c["CommentBody"].as_str().map(str::to_string))
        .collect()
}

#[actix_web::test]
async fn a_jira_field_edit_reaches_salesforce_at_once_and_is_not_echoed() {
    let world = connected_world().await;
    let (item, record) = linked(&world, "SUP-1", true).await;
    let (status, _) = world
        .jira_rest(
            reqwest::Method::PUT,
            "issue/SUP-1",
            Some(json!({"fields": {"summary": "Edited in Jira"}})),
        )
        .await;
    assert_eq!(status, 204);
    eventually("Subject updated in Salesforce", || async {
        sf_field(&world, &record, "Subject").await == "Edited in Jira"
    })
    .await;
    // A full run afterwards writes nothing anywhere: the value is recognised on both sides.
    // Every webhook (the edit's, and those of anything written since) is processed before the
    // run and again after it, so a write either would cause has happened by the assertion.
    world.webhooks_settled().await;
    world.reset_requests().await;
    world.sync(&item).await;
    world.webhooks_settled().await;
    assert_eq!(world.writes().await, Vec::<Value>::new());
}

#[actix_web::test]
async fn one_way_items_never_push_fields() {
    let world = connected_world().await;
    let (item, record) = linked(&world, "SUP-1", false).await;
    world
        .jira_rest(
            reqwest::Method::PUT,
            "issue/SUP-1",
            Some(json!({"fields": {"summary": "Changed in Jira"}})),
        )
        .await;
    // The edit's webhook has been processed (and pushed nothing), and so has the run.
    world.webhooks_settled().await;
    world.sync(&item).await;
    world.webhooks_settled().await;
    assert_eq!(sf_field(&world, &record, "Subject").await, "Linked case");
}

#[actix_web::test]
async fn a_salesforce_refusal_is_a_dead_letter_with_salesforces_words_until_dismissed() {
    let world = connected_world().await;
    world.forbid_subjects().await;
    let (item, record) = linked(&world, "SUP-1", true).await;
    world
        .jira_rest(
            reqwest::Method::PUT,
            "issue/SUP-1",
            Some(json!({"fields": {"summary": "Forbidden topic"}})),
        )
        .await;
    let path = format!("/api/admin/items/{item}/dead-letters");
    eventually("a dead letter", || async {
        world.get(&path).await.1["dead_letters"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    })
    .await;
    let letters = world.get(&path).await.1;
    let entry = &letters["dead_letters"][0];
    assert_eq!(entry["operation"], "push_fields");
    assert_eq!(
        entry["will_retry"], false,
        "a validation rule will refuse again"
    );
    assert!(
        entry["error"]
            .as_str()
            .is_some_and(|e| e.contains("Subjects may not start with Forbidden.")),
        "{entry}"
    );
    assert_eq!(sf_field(&world, &record, "Subject").await, "Linked case");
    let (_, panel) = world.get("/api/issues/SUP-1/panel").await;
    assert_eq!(
        panel["cards"][0]["link"]["failures"][0]["operation"],
        "push_fields"
    );
    let link = entry["link_id"].as_str().expect("link");
    let (status, _) = world
        .post(&format!("{path}/{link}/push_fields/dismiss"), json!({}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(world.get(&path).await.1["dead_letters"], json!([]));
    let (status, body) = world
        .post(&format!("{path}/{link}/push_fields/dismiss"), json!({}))
        .await;
    assert_eq!(status, 404, "{body}");
}

#[actix_web::test]
async fn jira_comments_become_case_comments_split_to_fit_and_edits_follow() {
    let world = connected_world().await;
    let (item, record) = linked(&world, "SUP-1", true).await;
    let (status, short) = world
        .jira_rest(
            reqwest::Method::POST,
            "issue/SUP-1/comment",
            Some(json!({"body": adf("Restarted the spooler.")})),
        )
        .await;
    assert_eq!(status, 201);
    let long_text = "All work and no play. ".repeat(250);
    world
        .jira_rest(
            reqwest::Method::POST,
            "issue/SUP-1/comment",
            Some(json!({"body": adf(&long_text)})),
        )
        .await;
    eventually("three CaseComments from Jira", || async {
        case_comments(&world, &record)
            .await
            .iter()
            .filter(|c| c.contains("Restarted the spooler.") || c.contains("All work and no play."))
            .count()
            == 3
    })
    .await;
    let comments = case_comments(&world, &record).await;
    let mirrored: Vec<&String> = comments
        .iter()
        .filter(|c| c.contains("Restarted the spooler.") || c.contains("All work and no play."))
        .collect();
    assert!(mirrored
        .iter()
        .any(|c| c.contains("Restarted the spooler.") && c.contains("/browse/SUP-1")));
    assert_eq!(
        mirrored.iter().filter(|c| c.contains("(part 1/2)")).count(),
        1,
        "{mirrored:?}"
    );
    assert_eq!(
        mirrored.iter().filter(|c| c.contains("(part 2/2)")).count(),
        1
    );
    assert!(mirrored.iter().all(|c| c.len() <= 4000));

    let id = short["id"].as_str().expect("comment id");
    let (status, _) = world
        .jira_rest(
            reqwest::Method::PUT,
            &format!("issue/SUP-1/comment/{id}"),
            Some(json!({"body": adf("Restarted the spooler twice.")})),
        )
        .await;
    assert_eq!(status, 200);
    eventually("the edit mirrored", || async {
        case_comments(&world, &record)
            .await
            .iter()
            .any(|c| c.contains("Restarted the spooler twice."))
    })
    .await;
    let before = world.jira_issue("SUP-1").await["comments"]
        .as_array()
        .map(Vec::len);
    world.sync(&item).await;
    let after = world.jira_issue("SUP-1").await["comments"]
        .as_array()
        .map(Vec::len);
    assert_eq!(before, after, "mirrored comments are not mirrored back");
}

#[actix_web::test]
async fn a_jira_attachment_becomes_a_salesforce_file_with_a_note_on_each_side() {
    let world = connected_world().await;
    let (_item, record) = linked(&world, "SUP-1", true).await;
    world
        .attach_in_jira("SUP-1", "dmesg.txt", b"kernel: oops\n".repeat(100))
        .await;
    eventually("the file in Salesforce", || async {
        let (_, files) = world
            .sf_rest(reqwest::Method::GET, &format!("query?q=SELECT+ContentDocumentId+FROM+ContentDocumentLink+WHERE+LinkedEntityId+%3D+%27{record}%27"), None)
            .await;
        files["totalSize"].as_u64() == Some(1)
    })
    .await;
    let versions = world.sf_records("ContentVersion").await;
    let version = versions
        .iter()
        .find(|v| v["Title"] == "dmesg")
        .expect("a version titled dmesg");
    assert_eq!(version["ContentSize"], 1300);
    eventually("the notes", || async {
        let sf_note = case_comments(&world, &record)
            .await
            .iter()
            .any(|c| c.contains("Jira attachment sync note") && c.contains("dmesg.txt"));
        let jira = world.jira_issue("SUP-1").await;
        let jira_note = jira["comments"].as_array().is_some_and(|cs| {
            cs.iter().any(|c| {
                c["body"].to_string().contains("dmesg.txt")
                    && c["body"].to_string().contains("copied to Salesforce")
            })
        });
        sf_note && jira_note
    })
    .await;
    let attachments = world.jira_issue("SUP-1").await["attachments"]
        .as_array()
        .map(Vec::len);
    assert_eq!(
        attachments,
        Some(1),
        "the file is not uploaded back to Jira"
    );
}

#[actix_web::test]
async fn a_jira_transition_closes_the_case_through_a_closed_status() {
    let world = connected_world().await;
    let (_item, record) = linked(&world, "SUP-2", true).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, transitions) = world
        .jira_rest(reqwest::Method::GET, "issue/SUP-2/transitions", None)
        .await;
    let done = transitions["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .find(|t| t["to"]["name"] == "Done")
        .expect("Done")["id"]
        .clone();
    world
        .jira_rest(
            reqwest::Method::POST,
            "issue/SUP-2/transitions",
            Some(json!({"transition": {"id": done}})),
        )
        .await;
    eventually("the Case closed", || async {
        sf_field(&world, &record, "IsClosed").await == true
    })
    .await;
    assert_eq!(sf_field(&world, &record, "Status").await, "Closed");
}

#[actix_web::test]
async fn a_salesforce_outage_during_a_push_is_retried_by_the_next_run() {
    let world = connected_world().await;
    let (item, record) = linked(&world, "SUP-1", true).await;
    world
        .fault(
            world.sf.base_url(),
            json!({"method": "PATCH", "path": "/services/data/*/sobjects/Case/*", "times": 3,
                   "action": {"kind": "respond", "status": 503, "body": [{"errorCode": "SERVER_UNAVAILABLE", "message": "down for maintenance"}]}}),
        )
        .await;
    world
        .jira_rest(
            reqwest::Method::PUT,
            "issue/SUP-1",
            Some(json!({"fields": {"summary": "During the outage"}})),
        )
        .await;
    let path = format!("/api/admin/items/{item}/dead-letters");
    eventually("a retryable dead letter", || async {
        world.get(&path).await.1["dead_letters"]
            .as_array()
            .is_some_and(|l| {
                l.iter()
                    .any(|e| e["will_retry"] == true && e["next_retry_at"].is_string())
            })
    })
    .await;
    assert_eq!(sf_field(&world, &record, "Subject").await, "Linked case");
    world.sync(&item).await;
    assert_eq!(
        sf_field(&world, &record, "Subject").await,
        "During the outage"
    );
    assert_eq!(world.get(&path).await.1["dead_letters"], json!([]));
}

#[actix_web::test]
async fn jira_rate_limits_and_dropped_connections_slow_a_run_down_but_lose_nothing() {
    // A rate-limited or dropped create may have happened: sfjira looks for it instead of sending
    // it again, and creates only once absence is proven (shortened here to keep the test quick).
    let world = world_with(WorldOptions::default(), |s| {
        s.sync.unconfirmed_create_wait_secs = 1;
        s.sync.jira_search_lag_secs = 0;
    })
    .await;
    assert_eq!(world.connect().await.status(), 200);
    let item = world.case_item(true).await;
    let mut cases = Vec::new();
    for i in 0..4 {
        let id = case(&world, &format!("Burst {i}")).await;
        world
            .sf_rest(
                reqwest::Method::POST,
                "sobjects/CaseComment",
                Some(json!({"ParentId": id, "CommentBody": format!("note {i}")})),
            )
            .await;
        cases.push(id);
    }
    let response = world
        .http
        .post(format!("{}/__emulator/rate-limit", world.jira.base_url()))
        .json(&json!({"times": 4, "retry_after": 1}))
        .send()
        .await
        .expect("armed");
    assert!(response.status().is_success());
    world
        .fault(world.jira.base_url(), json!({"method": "POST", "path": "/rest/api/3/issue/*/comment", "times": 1, "action": {"kind": "drop"}}))
        .await;
    world
        .fault(world.sf.base_url(), json!({"method": "GET", "path": "/services/data/*/query*", "times": 2, "action": {"kind": "delay", "millis": 400}}))
        .await;
    let all_there = |list: &[Value]| {
        cases.iter().all(|id| {
            list.iter().any(|i| {
                i["properties"]["sfjira"]["record_id"] == id.as_str()
                    && i["comments"].as_array().is_some_and(|cs| {
                        cs.iter().any(|c| c["body"].to_string().contains("note "))
                    })
            })
        })
    };
    let issues = || world.jira_issues();
    eventually("every case with its issue and its comment", || async {
        world.sync(&item).await;
        all_there(&issues().await)
    })
    .await;
    let list = issues().await;
    for id in &cases {
        let mine: Vec<&Value> = list
            .iter()
            .filter(|i| i["properties"]["sfjira"]["record_id"] == id.as_str())
            .collect();
        assert_eq!(mine.len(), 1, "exactly one issue for {id}");
        let notes = mine[0]["comments"].as_array().map_or(0, |cs| {
            cs.iter()
                .filter(|c| c["body"].to_string().contains("note "))
                .count()
        });
        assert_eq!(notes, 1, "the comment exactly once on {id}");
    }
}

/// The webhooks registered in the Jira emulator, as its admin resource lists them.
async fn jira_webhooks(world: &World) -> Vec<Value> {
    world
        .http
        .get(format!(
            "{}/rest/webhooks/1.0/webhook",
            world.jira_info.base_url
        ))
        .basic_auth(&world.jira_info.email, Some(&world.jira_info.api_token))
        .send()
        .await
        .expect("sent")
        .json::<Vec<Value>>()
        .await
        .expect("webhook list")
}

#[actix_web::test]
async fn webhook_registration_refuses_a_bad_body_and_registers_nothing() {
    let world = connected_world().await;
    let before = jira_webhooks(&world).await.len();
    let (status, body) = world
        .post("/api/admin/jira/webhook", json!({"adress": "https://x"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "invalid_body");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("adress")));
    let malformed = world
        .app
        .http
        .post(world.app.url("/api/admin/jira/webhook"))
        .bearer_auth(&world.app.token)
        .header("Content-Type", "application/json")
        .body("{\"url\": ")
        .send()
        .await
        .expect("sent");
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.expect("json");
    assert_eq!(body["error"], "invalid_json");
    let oversized = world
        .app
        .http
        .post(world.app.url("/api/admin/jira/webhook"))
        .bearer_auth(&world.app.token)
        .header("Content-Type", "application/json")
        .body(format!(
            "{{\"url\": \"https://{}.example.com\"}}",
            "a".repeat(1 << 20)
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(oversized.status(), 413);
    let body: Value = oversized.json().await.expect("json");
    assert_eq!(body["error"], "payload_too_large");
    assert_eq!(jira_webhooks(&world).await.len(), before);

    let url = "https://sfjira.example.com/webhooks/jira";
    let (status, hook) = world
        .post("/api/admin/jira/webhook", json!({"url": url}))
        .await;
    assert_eq!(status, 201, "{hook}");
    assert_eq!(hook["url"], url);
    let hooks = jira_webhooks(&world).await;
    assert!(
        hooks.iter().any(|h| h["url"] == url),
        "registered in Jira: {hooks:?}"
    );
}
