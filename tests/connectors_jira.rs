//! The Jira client against the Jira emulator, over real HTTP on loopback.
//!
//! Nothing of ours is mocked: each test starts an emulator on port 0 (demo seed: projects SUP
//! and ENG, issues SUP-1…3 and ENG-1…2, transitions 11/21/31/41), shapes it or arms faults and
//! rate limits through its control API (`/__emulator/…`), and drives `JiraClient` the way the
//! sync engine does.

use std::time::{Duration, Instant};

use bytes::Bytes;
use emulator::jira::{JiraEmulator, JiraOptions};
use futures::StreamExt;
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use sfjira::config::JiraSettings;
use sfjira::connectors::jira::{JiraClient, JiraError, PropertyWrite};
use sfjira::connectors::retry::{RetryClassified, RetryPolicy};
use sfjira::connectors::{byte_stream, ByteStream};
use sfjira::domain::adf::text_to_adf;
use sfjira::domain::escape::jql_quote;
use sfjira::domain::ids::{JiraIssueKey, ProjectKey};
use sha2::{Digest, Sha256};

fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

fn settings(base_url: &str, email: &str, token: &str) -> JiraSettings {
    JiraSettings {
        base_url: Some(base_url.into()),
        email: Some(email.into()),
        api_token: Some(SecretString::from(token.to_string())),
        allow_insecure_loopback: true,
        timeout_secs: 30,
        ..JiraSettings::default()
    }
}

async fn start_with(options: JiraOptions) -> (JiraEmulator, JiraClient) {
    let emu = JiraEmulator::start(options).await.expect("start emulator");
    let info = emu.info();
    let client = JiraClient::new(&settings(&info.base_url, &info.email, &info.api_token))
        .expect("client")
        .with_retry_policy(quick_retry());
    (emu, client)
}

async fn start() -> (JiraEmulator, JiraClient) {
    start_with(JiraOptions::default()).await
}

async fn control(emu: &JiraEmulator, method: reqwest::Method, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", emu.base_url()))
        .json(&body)
        .send()
        .await
        .expect("control call");
    let status = response.status();
    let text = response.text().await.expect("control body");
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn key(text: &str) -> JiraIssueKey {
    JiraIssueKey::parse(text).expect("issue key")
}

fn project(text: &str) -> ProjectKey {
    ProjectKey::parse(text).expect("project key")
}

fn fields(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

#[tokio::test]
async fn connects_and_reads_the_site() {
    let (emu, client) = start().await;
    let info = emu.info();
    let me = client.myself().await.expect("myself");
    assert_eq!(me.account_id, info.account_id);
    let server = client.server_info().await.expect("server info");
    assert_eq!(server.deployment_type.as_deref(), Some("Cloud"));

    let bearer = JiraClient::new(&JiraSettings {
        bearer_token: Some(SecretString::from(info.bearer_token.clone())),
        api_token: None,
        ..settings(&info.base_url, &info.email, "")
    })
    .expect("bearer client");
    assert_eq!(
        bearer.myself().await.expect("bearer").account_id,
        info.account_id
    );

    let wrong = JiraClient::new(&settings(&info.base_url, &info.email, "nope"))
        .expect("client")
        .with_retry_policy(quick_retry());
    let err = wrong.myself().await.expect_err("bad token");
    assert!(matches!(err, JiraError::Unauthorized { .. }), "{err}");
    assert!(!err.is_retryable() && err.is_auth());
    assert_eq!(wrong.calls_made(), 1);

    // More projects than one page of project search.
    for i in 0..55 {
        control(
            &emu,
            reqwest::Method::POST,
            "/__emulator/projects",
            json!({"key": format!("P{i}"), "name": format!("Project {i}")}),
        )
        .await;
    }
    let before = client.calls_made();
    let projects = client.projects().await.expect("projects");
    assert_eq!(projects.len(), 57);
    assert!(client.calls_made() - before >= 2, "paged");
    assert!(projects.iter().any(|p| p.key == "SUP"));

    let sup = client.project(&project("sup")).await.expect("project");
    assert_eq!(sup.name, "Customer Support");
    assert_eq!(sup.issue_types.len(), 3);
    let err = client
        .project(&project("NOPE"))
        .await
        .expect_err("no project");
    assert!(err.is_not_found(), "{err}");

    let types = client
        .issue_types(&project("ENG"))
        .await
        .expect("issue types");
    let bug = types.iter().find(|t| t.name == "Bug").expect("Bug");
    let meta = client
        .create_meta_fields(&project("ENG"), &bug.id)
        .await
        .expect("create meta");
    let severity = meta
        .iter()
        .find(|f| f.field_id == "customfield_10001")
        .expect("Severity");
    assert!(severity.required);
    assert!(!severity.allowed_values.is_empty());
    assert!(meta.iter().any(|f| f.field_id == "summary" && f.required));

    let all = client.fields().await.expect("fields");
    assert!(all.iter().any(|f| f.id == "customfield_10000"
        && f.custom
        && f.clause_names.iter().any(|c| c == "cf[10000]")));
    emu.stop().await;
}

#[tokio::test]
async fn issues_are_created_read_edited_and_transitioned() {
    let (emu, client) = start().await;
    let sup = project("SUP");
    let created = client
        .create_issue(
            &sup,
            "10003",
            fields(json!({"summary": "Case 00001234: printer on fire",
                          "description": "It is on fire.\n\nReally.",
                          "customfield_10000": "500xx000000bQ2LAAU"})),
            vec![("sfsync".into(), json!({"caseId": "500xx000000bQ2LAAU"}))],
            vec!["salesforce".into()],
        )
        .await
        .expect("create");
    assert_eq!(created.key.project().as_str(), "SUP");

    let issue = client
        .get_issue(
            &created.key,
            &["summary", "description", "labels", "status", "updated"],
            &["names"],
            &["sfsync"],
        )
        .await
        .expect("get");
    assert_eq!(issue.summary(), Some("Case 00001234: printer on fire"));
    assert_eq!(
        issue.description_text().as_deref(),
        Some("It is on fire.\n\nReally.")
    );
    assert_eq!(
        issue.field("description").and_then(|d| d.get("type")),
        Some(&json!("doc"))
    );
    assert_eq!(issue.labels(), vec!["salesforce"]);
    assert_eq!(
        issue.property("sfsync"),
        Some(&json!({"caseId": "500xx000000bQ2LAAU"}))
    );
    assert_eq!(
        issue
            .status()
            .and_then(|s| s.category_key().map(str::to_string))
            .as_deref(),
        Some("new")
    );
    assert!(issue.updated().is_some());
    assert!(issue.names.is_some());

    client
        .edit_issue(
            &created.key,
            fields(json!({"summary": "Renamed", "description": "New text"})),
        )
        .await
        .expect("edit");
    let issue = client
        .get_issue(&created.key, &["summary", "description"], &[], &[])
        .await
        .expect("get");
    assert_eq!(issue.summary(), Some("Renamed"));
    assert_eq!(issue.description_text().as_deref(), Some("New text"));

    let transitions = client.transitions(&created.key).await.expect("transitions");
    let done = transitions
        .iter()
        .find(|t| t.to.category_key() == Some("done"))
        .expect("a transition to done");
    assert_eq!(done.to.name, "Done");
    client
        .transition(&created.key, &done.id)
        .await
        .expect("transition");
    let status = client
        .get_issue(&created.key, &["status"], &[], &[])
        .await
        .expect("get")
        .status()
        .expect("status");
    assert_eq!(status.category_key(), Some("done"));
    let err = client
        .transition(&created.key, "99")
        .await
        .expect_err("bad transition");
    assert_eq!(err.status(), Some(400));

    assert_eq!(
        client
            .issue_property(&created.key, "other")
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        client
            .set_issue_property(&created.key, "other", &json!({"n": 1}))
            .await
            .expect("set"),
        PropertyWrite::Created
    );
    assert_eq!(
        client
            .set_issue_property(&created.key, "other", &json!({"n": 2}))
            .await
            .expect("set"),
        PropertyWrite::Updated
    );
    assert_eq!(
        client
            .issue_property(&created.key, "other")
            .await
            .expect("read"),
        Some(json!({"n": 2}))
    );

    let err = client
        .get_issue(&key("SUP-999"), &[], &[], &[])
        .await
        .expect_err("missing");
    assert!(err.is_not_found() && !err.is_retryable(), "{err}");
    let err = client
        .create_issue(
            &project("ENG"),
            "10001",
            fields(json!({"summary": "No severity"})),
            vec![],
            vec![],
        )
        .await
        .expect_err("Severity is required for a Bug");
    assert_eq!(err.status(), Some(400));
    assert!(err.body().is_some_and(|b| !b.errors.is_empty()), "{err}");
    assert!(!err.is_retryable());
    emu.stop().await;
}

#[tokio::test]
async fn comments_are_read_over_all_pages_with_their_properties() {
    let (emu, client) = start().await;
    let issue = key("SUP-1");
    let existing = client.comments(&issue).await.expect("comments").len();
    let marked = client
        .add_comment(
            &issue,
            &text_to_adf("From Salesforce"),
            &[("sfsync".into(), json!({"sfId": "00a000000000001"}))],
        )
        .await
        .expect("add");
    assert_eq!(marked.body_text(), "From Salesforce");
    for i in 0..104 {
        client
            .add_text_comment(&issue, &format!("Comment {i}"), &[])
            .await
            .expect("add text");
    }
    let before = client.calls_made();
    let all = client.comments(&issue).await.expect("all pages");
    assert_eq!(all.len(), existing + 105);
    assert_eq!(client.calls_made() - before, 2, "100 per page");
    assert!(all.iter().all(|c| c.created_at().is_some()));
    assert_eq!(
        all.last().map(|c| c.body_text()).as_deref(),
        Some("Comment 103")
    );

    let with_props = client
        .comments_with_properties(&issue)
        .await
        .expect("with properties");
    let found = with_props
        .iter()
        .find(|c| c.id == marked.id)
        .expect("the marked comment");
    assert_eq!(
        found.property("sfsync"),
        Some(&json!({"sfId": "00a000000000001"}))
    );

    let updated = client
        .update_comment(&issue, &marked.id, &text_to_adf("Edited"))
        .await
        .expect("update");
    assert_eq!(updated.body_text(), "Edited");
    assert_eq!(
        client.comment_properties(&marked.id).await.expect("keys"),
        vec!["sfsync".to_string()]
    );
    assert_eq!(
        client
            .set_comment_property(&marked.id, "seen", &json!(true))
            .await
            .expect("set"),
        PropertyWrite::Created
    );
    assert_eq!(
        client
            .comment_property(&marked.id, "seen")
            .await
            .expect("get"),
        Some(json!(true))
    );
    assert_eq!(
        client
            .comment_property(&marked.id, "absent")
            .await
            .expect("get"),
        None
    );
    let err = client
        .add_comment(&issue, &json!("not adf"), &[])
        .await
        .expect_err("a string body is refused before sending");
    assert!(matches!(err, JiraError::InvalidInput(_)));
    emu.stop().await;
}

/// A deterministic multi-megabyte file, produced chunk by chunk.
fn generated(len: usize) -> (ByteStream, String) {
    const CHUNK: usize = 64 * 1024;
    let chunk = move |i: usize| -> Bytes {
        let size = CHUNK.min(len - i * CHUNK);
        Bytes::from(
            (0..size)
                .map(|j| ((i * 13 + j * 5) % 253) as u8)
                .collect::<Vec<u8>>(),
        )
    };
    let count = len.div_ceil(CHUNK);
    let mut hasher = Sha256::new();
    for i in 0..count {
        hasher.update(chunk(i));
    }
    let digest = hex::encode(hasher.finalize());
    let stream =
        futures::stream::iter((0..count).map(move |i| Ok::<Bytes, std::io::Error>(chunk(i))));
    (byte_stream(stream), digest)
}

#[tokio::test]
async fn attachments_stream_up_and_down() {
    let (emu, client) = start().await;
    let issue = key("SUP-2");
    let meta = client.attachment_meta().await.expect("meta");
    assert!(meta.enabled);
    assert_eq!(meta.upload_limit, Some(10_485_760));

    let len = 4 * 1024 * 1024 + 77;
    let (body, digest) = generated(len);
    let attachment = client
        .upload_attachment(&issue, "capture.bin", len as u64, body)
        .await
        .expect("upload");
    assert_eq!(attachment.filename, "capture.bin");
    assert_eq!(attachment.size, len as u64);

    let listed = client.attachments(&issue).await.expect("list");
    assert!(listed.iter().any(|a| a.id == attachment.id));
    let one = client
        .attachment(&attachment.id)
        .await
        .expect("metadata (numeric id)");
    assert_eq!(one.id, attachment.id);

    let download = client
        .download_attachment(&attachment.id)
        .await
        .expect("download");
    assert_eq!(download.content_length, Some(len as u64));
    let mut hasher = Sha256::new();
    let mut received = 0;
    let mut stream = download.stream;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        received += chunk.len();
        hasher.update(&chunk);
    }
    assert_eq!(received, len);
    assert_eq!(hex::encode(hasher.finalize()), digest);
    emu.stop().await;

    let (small, client) = start_with(JiraOptions {
        upload_limit: 1024 * 1024,
        ..JiraOptions::default()
    })
    .await;
    let (body, _) = generated(2 * 1024 * 1024);
    let err = client
        .upload_attachment(&issue, "big.bin", 2 * 1024 * 1024, body)
        .await
        .expect_err("over the limit");
    assert_eq!(err.status(), Some(413), "{err}");
    assert!(!err.is_retryable());
    small.stop().await;
}

#[tokio::test]
async fn jql_search_follows_page_tokens_to_the_end() {
    let (emu, client) = start().await;
    let sup = project("SUP");
    for i in 0..120 {
        client
            .create_issue(
                &sup,
                "10000",
                fields(json!({"summary": format!("Bulk {i}")})),
                vec![("sfsync".into(), json!({"n": i}))],
                vec!["bulk".into()],
            )
            .await
            .expect("create");
    }
    let jql = format!(
        "project = SUP AND labels = {} ORDER BY key ASC",
        jql_quote("bulk")
    );

    let before = client.calls_made();
    let ids_only = client
        .search_jql(&jql, &[], &[], None)
        .await
        .expect("search");
    assert_eq!(ids_only.len(), 120);
    assert_eq!(
        client.calls_made() - before,
        2,
        "100 per page, then the rest"
    );
    assert!(ids_only[0].fields.is_empty(), "ids only by default");

    let mut pager = client
        .jql_pager(&jql, &["summary", "labels"], &["sfsync"])
        .expect("pager")
        .page_size(25);
    let mut pages = 0;
    let mut seen = Vec::new();
    while let Some(page) = pager.next_page().await.expect("page") {
        pages += 1;
        for issue in page.issues {
            assert!(issue.summary().is_some_and(|s| s.starts_with("Bulk")));
            assert!(issue.property("sfsync").is_some());
            seen.push(issue.id);
        }
    }
    assert_eq!(pages, 5);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 120, "no issue twice, none missed");

    let first = client
        .search_jql(&jql, &["summary"], &[], Some(7))
        .await
        .expect("max");
    assert_eq!(first.len(), 7);
    assert_eq!(first[0].summary(), Some("Bulk 0"));
    assert_eq!(client.approximate_count(&jql).await.expect("count"), 120);

    let err = client
        .search_jql("order by key desc", &[], &[], None)
        .await
        .expect_err("unbounded");
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_retryable());
    emu.stop().await;
}

#[tokio::test]
async fn rate_limits_and_transient_failures_are_retried() {
    let (emu, client) = start().await;
    let post = reqwest::Method::POST;

    control(
        &emu,
        post.clone(),
        "/__emulator/rate-limit",
        json!({"times": 1, "retry_after": 1}),
    )
    .await;
    let started = Instant::now();
    client.myself().await.expect("after the wait");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After honoured"
    );
    assert_eq!(client.calls_made(), 2);

    control(
        &emu,
        post.clone(),
        "/__emulator/rate-limit",
        json!({"times": 1, "retry_after": 60}),
    )
    .await;
    let started = Instant::now();
    let err = client.myself().await.expect_err("too long to wait here");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "handed back at once"
    );
    let JiraError::RateLimited {
        retry_after,
        reason,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(60)));
    assert_eq!(reason.as_deref(), Some("jira-burst-based"));
    assert!(err.is_retryable() && err.retry_after() == Some(Duration::from_secs(60)));

    let faults = "/__emulator/faults";
    control(&emu, post.clone(), faults, json!({"path": "/rest/api/3/myself",
        "action": {"kind": "respond", "status": 503, "body": {"errorMessages": ["busy"], "errors": {}}}})).await;
    client.myself().await.expect("a 503, then success");
    control(
        &emu,
        post.clone(),
        faults,
        json!({"path": "/rest/api/3/myself", "action": {"kind": "drop"}}),
    )
    .await;
    client
        .myself()
        .await
        .expect("a dropped connection, then success");

    control(&emu, post.clone(), faults, json!({"path": "/rest/api/3/myself", "times": 5,
        "action": {"kind": "respond", "status": 500, "body": {"errorMessages": ["boom"], "errors": {}}}})).await;
    let before = client.calls_made();
    let err = client.myself().await.expect_err("still failing");
    assert_eq!(client.calls_made() - before, 3, "bounded attempts");
    assert_eq!(err.status(), Some(500));
    assert!(err.to_string().contains("boom"), "{err}");
    emu.stop().await;
}

#[tokio::test]
async fn admin_webhooks_are_registered_listed_and_deleted() {
    let (emu, client) = start().await;
    let secret = SecretString::from("s3cret".to_string());
    let hook = client
        .register_webhook(
            "sfjira",
            "http://127.0.0.1:9/webhooks/jira",
            &[
                "jira:issue_updated",
                "comment_created",
                "attachment_created",
            ],
            Some("project = SUP"),
            Some(&secret),
        )
        .await
        .expect("register");
    assert!(hook.enabled);
    assert_eq!(hook.jql_filter.as_deref(), Some("project = SUP"));
    let all = client.webhooks().await.expect("list");
    assert!(all.iter().any(|h| h.id == hook.id && h.events.len() == 3));
    client.delete_webhook(hook.id).await.expect("delete");
    assert!(client
        .webhooks()
        .await
        .expect("list")
        .iter()
        .all(|h| h.id != hook.id));
    let err = client
        .delete_webhook(hook.id)
        .await
        .expect_err("already gone");
    assert!(err.is_not_found(), "{err}");

    let users = control(&emu, reqwest::Method::GET, "/__emulator/users", Value::Null).await;
    let agent = users
        .as_array()
        .and_then(|u| u.iter().find(|u| u["email"] == "agent@example.com"))
        .expect("the demo agent")
        .clone();
    let token = agent["api_tokens"][0].as_str().expect("a token");
    let agent_client =
        JiraClient::new(&settings(emu.base_url(), "agent@example.com", token)).expect("client");
    let err = agent_client.webhooks().await.expect_err("not an admin");
    assert!(matches!(err, JiraError::Forbidden { .. }), "{err}");
    emu.stop().await;
}
