//! Exactly-once creates when the answer is lost: every kind of remote object sfjira creates,
//! under each after-commit fault (a gateway error, a dropped connection, an answer held past
//! the client's timeout). The remote side has committed each time; sfjira must not send the
//! create again, must find what it made by its marker, and one more cycle must create nothing.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::world::{adf, eventually, world_with, World, WorldOptions};

/// The client timeout both connectors run with here, and how long a late answer is held.
const TIMEOUT_SECS: u64 = 1;
const LATE_ANSWER_MILLIS: u64 = 2_500;

/// What happens to the create's answer after the remote side committed it.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// A proxy answers 502.
    GatewayError,
    /// The connection drops before the answer.
    Dropped,
    /// The answer comes after the client stopped waiting.
    LateAnswer,
}

impl Fault {
    fn action(self) -> Value {
        match self {
            Fault::GatewayError => json!({"kind": "after_commit_respond", "status": 502,
                "text": "<html><body><h1>502 Bad Gateway</h1></body></html>"}),
            Fault::Dropped => json!({"kind": "after_commit_drop"}),
            Fault::LateAnswer => {
                json!({"kind": "after_commit_delay", "millis": LATE_ANSWER_MILLIS})
            }
        }
    }
}

/// Every kind of object sfjira creates on the other side.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    JiraIssue,
    JiraComment,
    JiraAttachment,
    CaseComment,
    FeedItem,
    FeedComment,
    ContentVersion,
    LinkNote,
    AttachmentNote,
}

impl Kind {
    /// Whether the create goes to Salesforce, and the path pattern of the create request.
    fn create_request(self) -> (bool, &'static str) {
        match self {
            Kind::JiraIssue => (false, "/rest/api/3/issue"),
            Kind::JiraComment => (false, "/rest/api/3/issue/*/comment"),
            Kind::JiraAttachment => (false, "/rest/api/3/issue/*/attachments"),
            Kind::CaseComment | Kind::LinkNote | Kind::AttachmentNote => {
                (true, "/services/data/*/sobjects/CaseComment")
            }
            Kind::FeedItem => (true, "/services/data/*/sobjects/FeedItem"),
            Kind::FeedComment => (true, "/services/data/*/sobjects/FeedComment"),
            Kind::ContentVersion => (true, "/services/data/*/sobjects/ContentVersion"),
        }
    }
}

/// What a scenario set up: the item, the Salesforce record and the Jira issue it is about.
struct Setup {
    item: String,
    record: String,
    issue: String,
}

async fn world() -> World {
    let world = world_with(WorldOptions::default(), |s| {
        s.jira.timeout_secs = TIMEOUT_SECS;
        s.salesforce.timeout_secs = TIMEOUT_SECS;
    })
    .await;
    let response = world.connect().await;
    assert_eq!(response.status(), 200);
    world
}

/// A new Jira issue with no comments or files, so that every create counted is the scenario's.
async fn fresh_issue(world: &World) -> String {
    let issue_type = world.support_request_type().await;
    let (status, body) = world
        .jira_rest(
            reqwest::Method::POST,
            "issue",
            Some(
                json!({"fields": {"project": {"key": "SUP"}, "issuetype": {"id": issue_type},
                                   "summary": "A quiet issue"}}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["key"].as_str().expect("key").to_string()
}

/// An Account item (a feed-enabled object: sfjira writes feed posts there) linked to a fresh
/// issue.
async fn linked_account(world: &World) -> Setup {
    let issue = fresh_issue(world).await;
    let issue_type = world.support_request_type().await;
    let (status, body) = world
        .post(
            "/api/admin/items",
            json!({
                "name": "Accounts", "mode": "two_way", "jira_projects": ["SUP"],
                "issue_type_id": issue_type, "object": "Account",
                "preview_fields": ["Name"],
                "mappings": [],
                "options": {"auto_create": false, "comments_sync": true, "attachments_sync": true}
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let item = body["id"].as_str().expect("id").to_string();
    let (status, created) = world
        .sf_rest(
            reqwest::Method::POST,
            "sobjects/Account",
            Some(json!({"Name": "Globex"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let record = created["id"].as_str().expect("id").to_string();
    let (status, card) = world
        .post(
            &format!("/api/issues/{issue}/items/{item}/link"),
            json!({"record_id": record}),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    let (status, hook) = world.post("/api/admin/jira/webhook", json!({})).await;
    assert_eq!(status, 201, "{hook}");
    noted(world, "FeedItem", item, record, issue).await
}

/// The setup of a link, once its link note stands on the record (as a row of `object`).
async fn noted(world: &World, object: &str, item: String, record: String, issue: String) -> Setup {
    let note = format!("Issue: {issue}");
    eventually(&format!("the link note ({object})"), || async {
        count_rows(world, object, &record, &note).await == 1
    })
    .await;
    Setup {
        item,
        record,
        issue,
    }
}

/// A Case item linked to a fresh issue, with its link note written.
async fn linked_case(world: &World) -> Setup {
    let issue = fresh_issue(world).await;
    let (item, record) = world.linked_case(&issue, true).await;
    noted(world, "CaseComment", item, record, issue).await
}

/// Rows of `object` on `parent` whose text contains `needle`.
async fn count_rows(world: &World, object: &str, parent: &str, needle: &str) -> usize {
    let field = match object {
        "FeedItem" => "Body",
        "ContentVersion" => "Title",
        _ => "CommentBody",
    };
    let parent_field = if object == "ContentVersion" {
        "FirstPublishLocationId"
    } else {
        "ParentId"
    };
    world
        .sf_records(object)
        .await
        .iter()
        .filter(|r| r[parent_field] == parent)
        .filter(|r| r[field].as_str().is_some_and(|t| t.contains(needle)))
        .count()
}

/// Jira comments on `issue` whose text contains `needle`.
async fn jira_comments(world: &World, issue: &str, needle: &str) -> usize {
    world.jira_issue(issue).await["comments"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter(|c| c["body"].to_string().contains(needle))
                .count()
        })
        .unwrap_or(0)
}

/// Jira issues whose summary is `summary`.
async fn jira_issues_titled(world: &World, summary: &str) -> Vec<Value> {
    world
        .jira_issues()
        .await
        .into_iter()
        .filter(|i| i["summary"] == summary)
        .collect()
}

async fn comment_in_jira(world: &World, issue: &str, text: &str) {
    let (status, body) = world
        .jira_rest(
            reqwest::Method::POST,
            &format!("issue/{issue}/comment"),
            Some(json!({"body": adf(text)})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn sf_add(world: &World, object: &str, body: Value) {
    let (status, created) = world
        .sf_rest(
            reqwest::Method::POST,
            &format!("sobjects/{object}"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{created}");
}

/// The long text of a Jira comment too long for one feed post.
fn long_text() -> String {
    "Packet capture attached; the resets start at 09:14. ".repeat(300)
}

/// Sets up `kind`'s scenario, arms `fault` on its create, and makes the change that leads to
/// the create. Returns the setup and the text the created object can be recognised by.
async fn arrange_and_act(world: &World, kind: Kind, fault: Fault) -> (Setup, String) {
    let (on_salesforce, path) = kind.create_request();
    let base = if on_salesforce {
        world.sf.base_url()
    } else {
        world.jira.base_url()
    };
    let arm = || async {
        world.reset_requests().await;
        world
            .fault(
                base,
                json!({"method": "POST", "path": path, "times": 1, "action": fault.action()}),
            )
            .await;
    };
    match kind {
        Kind::JiraIssue => {
            let item = world.case_item(true).await;
            let record = world.case("Exactly one issue").await;
            arm().await;
            let setup = Setup {
                item,
                record,
                issue: String::new(),
            };
            (setup, "Exactly one issue".into())
        }
        Kind::JiraComment => {
            let setup = linked_case(world).await;
            arm().await;
            sf_add(
                world,
                "CaseComment",
                json!({"ParentId": setup.record, "CommentBody": "Customer called back.", "IsPublished": true}),
            )
            .await;
            (setup, "Customer called back.".into())
        }
        Kind::JiraAttachment => {
            let setup = linked_case(world).await;
            arm().await;
            sf_add(
                world,
                "ContentVersion",
                json!({"Title": "trace", "PathOnClient": "trace.txt",
                       "FirstPublishLocationId": setup.record,
                       "VersionData": base64::engine::general_purpose::STANDARD.encode(b"trace\n")}),
            )
            .await;
            (setup, "trace.txt".into())
        }
        Kind::CaseComment => {
            let setup = linked_case(world).await;
            arm().await;
            comment_in_jira(world, &setup.issue, "Rebooted the router.").await;
            (setup, "Rebooted the router.".into())
        }
        Kind::FeedItem => {
            let setup = linked_account(world).await;
            arm().await;
            comment_in_jira(world, &setup.issue, "Renewal call booked.").await;
            (setup, "Renewal call booked.".into())
        }
        Kind::FeedComment => {
            let setup = linked_account(world).await;
            arm().await;
            comment_in_jira(world, &setup.issue, &long_text()).await;
            (setup, "Packet capture attached".into())
        }
        Kind::ContentVersion => {
            let setup = linked_case(world).await;
            arm().await;
            world
                .attach_in_jira(&setup.issue, "capture.txt", b"kernel: oops\n".repeat(10))
                .await;
            (setup, "capture".into())
        }
        Kind::LinkNote => {
            let item = world.case_item(false).await;
            let record = world.case("Linked by hand").await;
            let issue = fresh_issue(world).await;
            let (status, hook) = world.post("/api/admin/jira/webhook", json!({})).await;
            assert_eq!(status, 201, "{hook}");
            arm().await;
            let (status, card) = world
                .post(
                    &format!("/api/issues/{issue}/items/{item}/link"),
                    json!({"record_id": record}),
                )
                .await;
            assert_eq!(status, 200, "{card}");
            let note = format!("Issue: {issue}");
            let setup = Setup {
                item,
                record,
                issue,
            };
            (setup, note)
        }
        Kind::AttachmentNote => {
            let setup = linked_case(world).await;
            arm().await;
            world
                .attach_in_jira(&setup.issue, "dmesg.txt", b"kernel: oops\n".repeat(10))
                .await;
            (setup, "Jira attachment sync note".into())
        }
    }
}

/// How many of the created objects exist now.
async fn count(world: &World, kind: Kind, setup: &Setup, needle: &str) -> usize {
    match kind {
        Kind::JiraIssue => jira_issues_titled(world, needle).await.len(),
        Kind::JiraComment => jira_comments(world, &setup.issue, needle).await,
        Kind::JiraAttachment => world.jira_issue(&setup.issue).await["attachments"]
            .as_array()
            .map(|a| a.iter().filter(|f| f["filename"] == needle).count())
            .unwrap_or(0),
        Kind::CaseComment | Kind::LinkNote | Kind::AttachmentNote => {
            count_rows(world, "CaseComment", &setup.record, needle).await
        }
        Kind::FeedItem => count_rows(world, "FeedItem", &setup.record, needle).await,
        Kind::FeedComment => count_rows(world, "FeedComment", &setup.record, needle).await,
        Kind::ContentVersion => count_rows(world, "ContentVersion", &setup.record, needle).await,
    }
}

/// How many objects the scenario makes when all goes well.
fn expected(kind: Kind) -> usize {
    match kind {
        // The long comment is a post and replies continuing it.
        Kind::FeedComment => long_text().len().div_ceil(10_000) - 1,
        _ => 1,
    }
}

/// The create requests an emulator served for `kind` (whatever their answer).
async fn create_requests(world: &World, kind: Kind) -> usize {
    let (on_salesforce, pattern) = kind.create_request();
    let base = if on_salesforce {
        world.sf.base_url()
    } else {
        world.jira.base_url()
    };
    let (prefix, rest) = pattern.split_once('*').unwrap_or((pattern, ""));
    let log = world.requests(base).await;
    log["requests"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter(|r| r["method"] == "POST")
                .filter_map(|r| r["path"].as_str())
                .filter(|p| match pattern.contains('*') {
                    true => p.starts_with(prefix) && p.ends_with(rest),
                    false => *p == pattern,
                })
                .count()
        })
        .unwrap_or(0)
}

/// The settlements of sfjira's intents, as recorded in the log.
async fn settlements(world: &World) -> Vec<Value> {
    let response = world
        .app
        .http
        .get(format!(
            "{}/api/audit/events?after=0&limit=10000",
            world.app.address
        ))
        .bearer_auth(&world.app.token)
        .send()
        .await
        .expect("sent");
    let text = response.text().await.expect("body");
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event_type"] == "link.remote_write_settled")
        .map(|e| e["payload"]["outcome"].clone())
        .collect()
}

/// Whether some intent settled as found by its marker (the create's answer was lost).
async fn found_by_marker(world: &World) -> bool {
    settlements(world)
        .await
        .iter()
        .any(|s| s["kind"] == "found_existing")
}

/// Runs `item` until an intent settles as found by its marker.
async fn sync_until_adopted(world: &World, item: &str, what: &str) {
    eventually(what, || async {
        world.sync(item).await;
        found_by_marker(world).await
    })
    .await;
}

/// Runs one scenario: the create's answer is lost after the remote side committed it; exactly
/// one object exists, found by its marker, and one more cycle creates nothing.
async fn exactly_once(kind: Kind, fault: Fault) {
    let world = world().await;
    let (setup, needle) = arrange_and_act(&world, kind, fault).await;
    if matches!(
        kind,
        Kind::JiraIssue | Kind::JiraComment | Kind::JiraAttachment
    ) {
        // Salesforce → Jira work runs in the scheduled run: this is the run that creates; its
        // answer is lost and the marker is found. (Jira → Salesforce work runs on the webhook.)
        world.sync(&setup.item).await;
    }
    let want = expected(kind);
    eventually(&format!("{kind:?} created under {fault:?}"), || async {
        count(&world, kind, &setup, &needle).await >= want
    })
    .await;
    eventually("the intent settled as found by its marker", || async {
        found_by_marker(&world).await
    })
    .await;
    let sent = create_requests(&world, kind).await;
    // One more full cycle: a sync run, plus (for Jira → Salesforce kinds) the webhook's work,
    // which the run's own push of the link covers.
    world.sync(&setup.item).await;
    assert_eq!(
        count(&world, kind, &setup, &needle).await,
        want,
        "exactly {want} {kind:?} under {fault:?}"
    );
    assert_eq!(
        create_requests(&world, kind).await,
        sent,
        "{kind:?}: the next cycle sent no create"
    );
    assert_eq!(
        sent, want,
        "{kind:?} under {fault:?}: each create was sent once, never again"
    );
}

macro_rules! scenarios {
    ($($name:ident: $kind:ident, $fault:ident;)*) => {
        $(
            #[actix_web::test]
            async fn $name() {
                exactly_once(Kind::$kind, Fault::$fault).await;
            }
        )*
    };
}

scenarios! {
    jira_issue_after_gateway_error: JiraIssue, GatewayError;
    jira_issue_after_dropped_connection: JiraIssue, Dropped;
    jira_issue_after_late_answer: JiraIssue, LateAnswer;
    jira_comment_after_gateway_error: JiraComment, GatewayError;
    jira_comment_after_dropped_connection: JiraComment, Dropped;
    jira_comment_after_late_answer: JiraComment, LateAnswer;
    jira_attachment_after_gateway_error: JiraAttachment, GatewayError;
    jira_attachment_after_dropped_connection: JiraAttachment, Dropped;
    jira_attachment_after_late_answer: JiraAttachment, LateAnswer;
    case_comment_after_gateway_error: CaseComment, GatewayError;
    case_comment_after_dropped_connection: CaseComment, Dropped;
    case_comment_after_late_answer: CaseComment, LateAnswer;
    feed_item_after_gateway_error: FeedItem, GatewayError;
    feed_item_after_dropped_connection: FeedItem, Dropped;
    feed_item_after_late_answer: FeedItem, LateAnswer;
    feed_comment_after_gateway_error: FeedComment, GatewayError;
    feed_comment_after_dropped_connection: FeedComment, Dropped;
    feed_comment_after_late_answer: FeedComment, LateAnswer;
    content_version_after_gateway_error: ContentVersion, GatewayError;
    content_version_after_dropped_connection: ContentVersion, Dropped;
    content_version_after_late_answer: ContentVersion, LateAnswer;
    link_note_after_gateway_error: LinkNote, GatewayError;
    link_note_after_dropped_connection: LinkNote, Dropped;
    link_note_after_late_answer: LinkNote, LateAnswer;
    attachment_note_after_gateway_error: AttachmentNote, GatewayError;
    attachment_note_after_dropped_connection: AttachmentNote, Dropped;
    attachment_note_after_late_answer: AttachmentNote, LateAnswer;
}

/// The case the issue was filed with: Jira answers the create after 3 s, sfjira stops waiting
/// after 2 s. One Case, one issue.
#[actix_web::test]
async fn a_slow_issue_create_makes_one_issue() {
    let world = world_with(WorldOptions::default(), |s| s.jira.timeout_secs = 2).await;
    assert_eq!(world.connect().await.status(), 200);
    let item = world.case_item(true).await;
    world.case("Slow Jira").await;
    world
        .fault(
            world.jira.base_url(),
            json!({"method": "POST", "path": "/rest/api/3/issue", "times": 1,
                   "action": {"kind": "delay", "millis": 3000}}),
        )
        .await;
    // The run gives up waiting after 2 s; the issue lands at 3 s. No run creates another: each
    // looks for the marker, and the one after the issue landed adopts it.
    sync_until_adopted(&world, &item, "the late issue adopted").await;
    assert_eq!(jira_issues_titled(&world, "Slow Jira").await.len(), 1);
    assert_eq!(create_requests(&world, Kind::JiraIssue).await, 1);
}

/// Jira's search lags behind its writes: a create whose answer was lost is not found at once.
/// sfjira records the unconfirmed attempt, does not create again while the search may still
/// be catching up, and adopts the issue once the search shows it.
#[actix_web::test]
async fn a_lagging_search_does_not_prove_an_issue_absent() {
    let world = world_with(WorldOptions::default(), |s| {
        s.jira.timeout_secs = TIMEOUT_SECS;
        s.sync.jira_search_lag_secs = 30;
    })
    .await;
    assert_eq!(world.connect().await.status(), 200);
    let response = world
        .http
        .post(format!("{}/__emulator/search-index", world.jira.base_url()))
        .json(&json!({"lag_millis": 3_000}))
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success());
    let item = world.case_item(true).await;
    world.case("Behind the index").await;
    world
        .fault(
            world.jira.base_url(),
            json!({"method": "POST", "path": "/rest/api/3/issue", "times": 1,
                   "action": {"kind": "after_commit_drop"}}),
        )
        .await;
    let run = world.sync(&item).await;
    assert_eq!(run["item"]["counts"]["issues_created"], 0, "{run}");
    // Inside the lag the search shows nothing, and nothing is created.
    let run = world.sync(&item).await;
    assert_eq!(run["item"]["counts"]["issues_created"], 0, "{run}");
    assert_eq!(create_requests(&world, Kind::JiraIssue).await, 1);
    // Once the index shows the issue, the next run adopts it.
    sync_until_adopted(&world, &item, "the issue adopted").await;
    assert_eq!(create_requests(&world, Kind::JiraIssue).await, 1);
    assert_eq!(
        jira_issues_titled(&world, "Behind the index").await.len(),
        1
    );
}

/// The Salesforce endpoints served, with whether a fault answered each.
async fn salesforce_creates(world: &World) -> Vec<(String, bool)> {
    let log = world.requests(world.sf.base_url()).await;
    log["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["method"] == "POST")
        .filter_map(|r| {
            let endpoint = r["endpoint"].as_str()?;
            let create = endpoint.ends_with("/sobjects/CaseComment")
                || endpoint.ends_with("/composite/sobjects");
            create.then(|| (endpoint.to_string(), r["faulted"] == true))
        })
        .collect()
}

/// Link notes of a back-fill share sObject Collections calls. The first note's answer is slow,
/// so the others queue behind it and go together; that shared call's answer is then lost. Each
/// link finds its own note by its marker: every Case has exactly one note, the shared call was
/// sent once, and the next run writes none.
#[actix_web::test]
async fn link_notes_sent_together_are_written_once_when_the_answer_is_lost() {
    let world = world().await;
    let item = world.case_item(true).await;
    let mut cases = Vec::new();
    for n in 0..6 {
        cases.push(world.case(&format!("Batched note {n}")).await);
    }
    world.reset_requests().await;
    for (path, action) in [
        (
            "/services/data/*/sobjects/CaseComment",
            json!({"kind": "after_commit_delay", "millis": 600}),
        ),
        (
            "/services/data/*/composite/sobjects",
            json!({"kind": "after_commit_drop"}),
        ),
    ] {
        world
            .fault(
                world.sf.base_url(),
                json!({"method": "POST", "path": path, "times": 1, "action": action}),
            )
            .await;
    }
    world.sync(&item).await;
    eventually("every Case has its link note", || async {
        let mut all = true;
        for case in &cases {
            all &= count_rows(&world, "CaseComment", case, "Issue: ").await >= 1;
        }
        all
    })
    .await;
    eventually("a lost note settled as found by its marker", || async {
        found_by_marker(&world).await
    })
    .await;
    let sent = salesforce_creates(&world).await;
    assert!(
        sent.iter()
            .any(|(endpoint, faulted)| endpoint.ends_with("/composite/sobjects") && *faulted),
        "the queued notes went together, and that call's answer was lost: {sent:?}"
    );
    world.sync(&item).await;
    for case in &cases {
        assert_eq!(
            count_rows(&world, "CaseComment", case, "Issue: ").await,
            1,
            "one link note on {case}"
        );
    }
    assert_eq!(
        salesforce_creates(&world).await,
        sent,
        "no note was sent again"
    );
}

/// A link whose note was never written (refused when the link was made) gets it at the link's
/// next pull, once, without a person retrying it; the pull after that writes none.
#[actix_web::test]
async fn a_link_without_its_note_gets_it_at_its_next_pull() {
    let world = world().await;
    let item = world.case_item(false).await;
    let record = world.case("Note refused at first").await;
    let issue = fresh_issue(&world).await;
    world
        .fault(
            world.sf.base_url(),
            // Refused twice: the link's note step, and the pull that follows it at once.
            json!({"method": "POST", "path": "/services/data/*/sobjects/CaseComment", "times": 2,
                   "action": {"kind": "respond", "status": 400,
                              "body": [{"errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                                        "message": "Comments are locked for a moment",
                                        "fields": []}]}}),
        )
        .await;
    let (status, card) = world
        .post(
            &format!("/api/issues/{issue}/items/{item}/link"),
            json!({"record_id": record}),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    let note = format!("Issue: {issue}");
    assert_eq!(count_rows(&world, "CaseComment", &record, &note).await, 0);

    // The record changes; the run that pulls it writes the missing note, the next one none.
    for priority in ["High", "Low"] {
        let (status, body) = world
            .sf_rest(
                reqwest::Method::PATCH,
                &format!("sobjects/Case/{record}"),
                Some(json!({ "Priority": priority })),
            )
            .await;
        assert!(status < 300, "{body}");
        world.sync(&item).await;
        assert_eq!(count_rows(&world, "CaseComment", &record, &note).await, 1);
    }
}
