//! Reconciliation, Salesforce → Jira: auto-create with comments and files, the status race,
//! the file ceiling, remote failures in the middle of a run, and idempotent re-runs.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::world::{connected_world, World};

async fn new_case(world: &World, subject: &str) -> String {
    let (status, body) = world
        .sf_rest(
            reqwest::Method::POST,
            "sobjects/Case",
            Some(json!({"Subject": subject, "Description": format!("About: {subject}"), "Status": "New", "Origin": "Phone"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_string()
}

async fn add(world: &World, object: &str, body: Value) -> String {
    let (status, created) = world
        .sf_rest(
            reqwest::Method::POST,
            &format!("sobjects/{object}"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{object}: {created}");
    created["id"].as_str().expect("id").to_string()
}

async fn add_file(world: &World, case: &str, name: &str, bytes: &[u8]) -> String {
    add(
        world,
        "ContentVersion",
        json!({
            "Title": name, "PathOnClient": name, "FirstPublishLocationId": case,
            "VersionData": base64::engine::general_purpose::STANDARD.encode(bytes),
        }),
    )
    .await
}

/// The Jira issue auto-created for `case` (by the `sfjira` property).
async fn issue_of(world: &World, case: &str) -> Value {
    world
        .jira_issues()
        .await
        .into_iter()
        .find(|i| i["properties"]["sfjira"]["record_id"] == case)
        .unwrap_or(Value::Null)
}

async fn jira_status(world: &World, key: &str) -> String {
    let (_, issue) = world
        .jira_rest(
            reqwest::Method::GET,
            &format!("issue/{key}?fields=status"),
            None,
        )
        .await;
    issue["fields"]["status"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn comment_texts(issue: &Value) -> Vec<String> {
    issue["comments"]
        .as_array()
        .map(|cs| cs.iter().map(|c| c["body"].to_string()).collect())
        .unwrap_or_default()
}

#[actix_web::test]
async fn a_new_case_becomes_a_jira_issue_with_its_comment_thread_and_files() {
    let world = connected_world().await;
    let item = world.case_item(true).await;
    let case = new_case(&world, "Printer on fire").await;
    add(
        &world,
        "CaseComment",
        json!({"ParentId": case, "CommentBody": "Smoke seen at 9am.", "IsPublished": true}),
    )
    .await;
    let post = add(
        &world,
        "FeedItem",
        json!({"ParentId": case, "Body": "Facilities are on their way.", "Type": "TextPost"}),
    )
    .await;
    add(
        &world,
        "FeedComment",
        json!({"FeedItemId": post, "CommentBody": "They arrived."}),
    )
    .await;
    add_file(&world, &case, "printer-log.txt", b"line 1\nline 2\n").await;

    let run = world.sync(&item).await;
    let counts = &run["item"]["counts"];
    assert_eq!(run["item"]["outcome"]["kind"], "completed", "{run}");
    assert_eq!(counts["issues_created"], 1, "{run}");
    assert_eq!(counts["comments_paired"], 3, "{run}");
    assert_eq!(counts["attachments_paired"], 1, "{run}");

    let issue = issue_of(&world, &case).await;
    let key = issue["key"]
        .as_str()
        .expect("an issue for the case")
        .to_string();
    assert_eq!(issue["summary"], "Printer on fire");
    assert!(issue["labels"]
        .as_array()
        .is_some_and(|l| l.iter().any(|x| x == "sfjira")));
    let comments = comment_texts(&issue);
    assert!(
        comments.iter().any(|c| c.contains("Smoke seen at 9am.")),
        "{comments:?}"
    );
    assert!(
        comments
            .iter()
            .any(|c| c.contains("Facilities are on their way.")),
        "{comments:?}"
    );
    let reply = comments
        .iter()
        .find(|c| c.contains("They arrived."))
        .expect("the reply");
    assert!(
        reply.contains("Reply to") && reply.contains("Facilities are on their way"),
        "flattened with its parent: {reply}"
    );
    assert!(
        comments
            .iter()
            .any(|c| c.contains("printer-log.txt") && c.contains("copied to Jira")),
        "{comments:?}"
    );
    let attachments = issue["attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0]["filename"], "printer-log.txt");
    let notes = world.sf_records("CaseComment").await;
    assert!(notes.iter().any(|c| c["ParentId"] == case.as_str()
        && c["CommentBody"].as_str().is_some_and(
            |b| b.contains(&format!("Issue: {key}")) && b.contains("Link: automatic")
        )));

    // The views show it.
    let (_, items) = world.get("/api/admin/items").await;
    assert_eq!(items["items"][0]["latest_sync"]["state"], "ok");
    assert_eq!(items["items"][0]["live_links"], 1);
    let (_, panel) = world.get(&format!("/api/issues/{key}/panel")).await;
    let card = &panel["cards"][0]["link"];
    assert_eq!(card["origin"], "auto");
    assert_eq!(card["comments_paired"], 3);
    assert_eq!(card["unlink"]["allowed"], false);
    let (status, refused) = world
        .api(
            reqwest::Method::DELETE,
            &format!("/api/issues/{key}/items/{item}/link"),
            None,
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"], "auto_managed_link");

    // A second run right after writes nothing anywhere.
    world.reset_requests().await;
    let again = world.sync(&item).await;
    assert_eq!(again["item"]["counts"]["issues_created"], 0);
    for base in [world.sf.base_url(), world.jira.base_url()] {
        let log = world.requests(base).await;
        let writes: Vec<&Value> = log["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .filter(|r| {
                let path = r["path"].as_str().unwrap_or_default();
                let read = r["method"] == "GET"
                    || path.ends_with("/search/jql")
                    || path.contains("oauth2/token");
                !read
            })
            .collect();
        assert!(writes.is_empty(), "writes on a quiet re-run: {writes:?}");
    }
}

#[actix_web::test]
async fn status_starts_from_salesforce_then_follows_the_later_side() {
    let world = connected_world().await;
    let item = world.case_item(false).await;
    let case = new_case(&world, "Status race").await;
    world
        .sf_rest(
            reqwest::Method::PATCH,
            &format!("sobjects/Case/{case}"),
            Some(json!({"Status": "Working"})),
        )
        .await;
    let (status, card) = world
        .post(
            &format!("/api/issues/SUP-3/items/{item}/link"),
            json!({"record_id": case}),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(
        jira_status(&world, "SUP-3").await,
        "In Progress",
        "initialised from Salesforce"
    );
    assert_eq!(card["link"]["status"]["last_winner"], "salesforce");

    // Later in Jira: Done → the Case closes through a closed CaseStatus.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, transitions) = world
        .jira_rest(reqwest::Method::GET, "issue/SUP-3/transitions", None)
        .await;
    let done = transitions["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .find(|t| t["to"]["name"] == "Done")
        .expect("a Done transition")["id"]
        .clone();
    let (status, _) = world
        .jira_rest(
            reqwest::Method::POST,
            "issue/SUP-3/transitions",
            Some(json!({"transition": {"id": done}})),
        )
        .await;
    assert_eq!(status, 204);
    world
        .sf_rest(
            reqwest::Method::PATCH,
            &format!("sobjects/Case/{case}"),
            Some(json!({"Priority": "High"})),
        )
        .await;
    world.sync(&item).await;
    let (_, record) = world
        .sf_rest(
            reqwest::Method::GET,
            &format!("sobjects/Case/{case}?fields=Status,IsClosed"),
            None,
        )
        .await;
    assert_eq!(record["Status"], "Closed");
    assert_eq!(record["IsClosed"], true);

    // Later in Salesforce: reopened → Jira follows.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    world
        .sf_rest(
            reqwest::Method::PATCH,
            &format!("sobjects/Case/{case}"),
            Some(json!({"Status": "Working"})),
        )
        .await;
    world.sync(&item).await;
    assert_eq!(jira_status(&world, "SUP-3").await, "In Progress");
    let (_, history) = world.get("/api/issues/SUP-3/panel").await;
    let link_id = history["cards"][0]["link"]["link_id"]
        .as_str()
        .expect("link")
        .to_string();
    let (_, timeline) = world.get(&format!("/api/audit/links/{link_id}")).await;
    let won: Vec<&Value> = timeline["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event_type"] == "link.status_won")
        .collect();
    assert!(won.len() >= 3, "{timeline}");
    assert!(
        won.iter().any(|e| e["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("Jira status Done won"))),
        "{won:?}"
    );
}

#[actix_web::test]
async fn a_file_over_the_ceiling_is_skipped_and_recorded() {
    let world = connected_world().await;
    let item = world.case_item(true).await;
    let case = new_case(&world, "Core dump attached").await;
    add_file(&world, &case, "core.bin", &vec![7u8; 12 * 1024 * 1024]).await;
    let run = world.sync(&item).await;
    assert_eq!(run["item"]["counts"]["attachments_skipped"], 1, "{run}");
    assert_eq!(run["item"]["counts"]["attachments_paired"], 0);
    let issue = issue_of(&world, &case).await;
    assert_eq!(issue["attachments"].as_array().map(Vec::len), Some(0));
    assert!(comment_texts(&issue)
        .iter()
        .any(|c| c.contains("core.bin") && c.contains("not copied")));
    let log = world
        .app
        .get("/api/audit/events?limit=10000")
        .await
        .text()
        .await
        .expect("log");
    assert!(log.contains("link.attachment_skipped") && log.contains("ceiling"));
}

#[actix_web::test]
async fn a_salesforce_outage_and_an_expired_session_lose_nothing_and_hold_the_watermark() {
    let world = connected_world().await;
    let item = world.case_item(true).await;
    let first = new_case(&world, "First case").await;
    add_file(&world, &first, "first.txt", b"first").await;
    let second = new_case(&world, "Second case").await;
    add_file(&world, &second, "second.txt", b"second").await;
    // Every download of the first case's file fails for a while (503, retried, then given up).
    let (_, versions) = world
        .sf_rest(
            reqwest::Method::GET,
            "query?q=SELECT+Id+FROM+ContentVersion+WHERE+Title+%3D+%27first.txt%27",
            None,
        )
        .await;
    let version = versions["records"][0]["Id"]
        .as_str()
        .expect("version")
        .to_string();
    world
        .fault(
            world.sf.base_url(),
            json!({"method": "GET", "path": format!("/services/data/*/sobjects/ContentVersion/{version}/VersionData"),
                   "times": 3, "action": {"kind": "respond", "status": 503,
                   "body": [{"errorCode": "SERVER_UNAVAILABLE", "message": "Service unavailable"}]}}),
        )
        .await;
    let run = world.sync(&item).await;
    assert_eq!(run["item"]["outcome"]["kind"], "partial", "{run}");
    assert_eq!(run["item"]["counts"]["issues_created"], 2, "{run}");
    let (_, detail) = world.get(&format!("/api/admin/items/{item}")).await;
    let held = detail["watermarks"]["files"].clone();
    assert!(
        held.is_null(),
        "the files watermark did not pass the unhandled file: {detail}"
    );

    // The session expires before the next run: renewed once, and the file arrives once.
    world
        .sf_control(reqwest::Method::DELETE, "tokens", None)
        .await;
    let run = world.sync(&item).await;
    assert_eq!(run["item"]["outcome"]["kind"], "completed", "{run}");
    assert_eq!(
        run["item"]["counts"]["issues_created"], 0,
        "no duplicate issue: {run}"
    );
    for (case, name) in [(&first, "first.txt"), (&second, "second.txt")] {
        let issue = issue_of(&world, case).await;
        let files: Vec<&Value> = issue["attachments"]
            .as_array()
            .expect("attachments")
            .iter()
            .collect();
        assert_eq!(files.len(), 1, "{name} exactly once: {files:?}");
        assert_eq!(files[0]["filename"], name);
    }
    let (_, detail) = world.get(&format!("/api/admin/items/{item}")).await;
    assert!(detail["watermarks"]["files"].is_string(), "{detail}");
    assert_eq!(
        detail["attention"],
        json!([]),
        "the failure resolved itself: {detail}"
    );
}

/// Salesforce stamps records to the second: an edit made in the same second as the link's last
/// look carries the stamp the link already observed, and must still be pulled.
#[actix_web::test]
async fn an_edit_in_the_second_of_the_last_look_is_still_pulled() {
    let world = connected_world().await;
    let (item, case) = world.linked_case("SUP-1", true).await;
    world.sync(&item).await;
    // Right after the run: usually within the same Salesforce second as its read.
    let (status, _) = world
        .sf_rest(
            reqwest::Method::PATCH,
            &format!("sobjects/Case/{case}"),
            Some(json!({"Subject": "edited at once"})),
        )
        .await;
    assert_eq!(status, 204);
    let run = world.sync(&item).await;
    assert_eq!(run["item"]["counts"]["fields_pulled"], 1, "{run}");
    let (_, issue) = world
        .jira_rest(reqwest::Method::GET, "issue/SUP-1?fields=summary", None)
        .await;
    assert_eq!(issue["fields"]["summary"], "edited at once");
}
