//! The Salesforce client against the Salesforce emulator, over real HTTP on loopback.
//!
//! Nothing of ours is mocked: each test starts an emulator on port 0, shapes the org or arms
//! faults through its control API (`/__emulator/…`), and drives `SalesforceClient` the way the
//! sync engine does. Failures Salesforce produces but the emulator cannot be made to produce
//! through its org settings (a non-approved app, a transient token error) are injected as the
//! documented wire bodies with the emulator's fault API.

use std::ops::ControlFlow;
use std::time::Duration;

use bytes::Bytes;
use emulator::common::Seed;
use emulator::salesforce::{SalesforceEmulator, SalesforceOptions};
use futures::StreamExt;
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use sfjira::config::SalesforceSettings;
use sfjira::connectors::retry::{RetryClassified, RetryPolicy};
use sfjira::connectors::salesforce::{
    CompositeRequest, CompositeSubrequest, OAuthFailureKind, RecordCreate, RecordUpdate,
    SalesforceClient, SalesforceConnection, SalesforceError,
};
use sfjira::connectors::{byte_stream, ByteStream};
use sfjira::domain::ids::SalesforceId;
use sha2::{Digest, Sha256};

fn settings() -> SalesforceSettings {
    SalesforceSettings {
        api_version: "v60.0".into(),
        allow_insecure_loopback: true,
        timeout_secs: 30,
    }
}

/// Short waits so retries do not slow the suite down.
fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

async fn start_with(options: SalesforceOptions) -> (SalesforceEmulator, SalesforceClient) {
    let emu = SalesforceEmulator::start(options)
        .await
        .expect("start emulator");
    let info = emu.info();
    let client = client_for(&info.login_url, &info.client_id, &info.client_secret);
    (emu, client)
}

async fn start() -> (SalesforceEmulator, SalesforceClient) {
    start_with(SalesforceOptions::default()).await
}

fn client_for(login_url: &str, client_id: &str, secret: &str) -> SalesforceClient {
    SalesforceClient::new(
        SalesforceConnection {
            login_url: login_url.into(),
            client_id: client_id.into(),
            client_secret: SecretString::from(secret.to_string()),
        },
        &settings(),
    )
    .expect("client")
    .with_retry_policy(quick_retry())
}

/// A control-API call on the emulator; panics unless it answers 2xx.
async fn control(
    emu: &SalesforceEmulator,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
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

async fn arm(emu: &SalesforceEmulator, faults: Value) {
    control(emu, reqwest::Method::POST, "/__emulator/faults", faults).await;
}

fn fields(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

fn oauth_kind(err: &SalesforceError) -> OAuthFailureKind {
    match err {
        SalesforceError::OAuth(f) => f.kind,
        other => panic!("expected an OAuth failure, got {other}"),
    }
}

#[tokio::test]
async fn connects_reads_the_org_and_counts_its_calls() {
    let (emu, client) = start().await;
    let info = client.authenticate().await.expect("token");
    assert_eq!(info.org_id.as_str(), emu.info().org_id);
    assert_eq!(info.user_id.key_prefix(), "005");
    assert!(info.instance_url.as_str().starts_with(emu.base_url()));
    assert!(info.scopes.iter().any(|s| s == "api"));
    assert_eq!(client.calls_made(), 0, "token requests are not API calls");

    let org = client.organization().await.expect("organization");
    assert_eq!(org.id.as_str(), emu.info().org_id);
    assert!(!org.name.is_empty());
    assert_eq!(client.calls_made(), 1);
    let usage = client
        .api_usage()
        .expect("Sforce-Limit-Info on every answer");
    assert!(usage.used >= 1 && usage.limit == 100_000, "{usage:?}");
    emu.stop().await;
}

#[tokio::test]
async fn each_oauth_failure_has_its_cause_and_fix() {
    let (emu, client) = start_with(SalesforceOptions {
        login_host: true,
        ..SalesforceOptions::default()
    })
    .await;
    let info = emu.info();
    let post = reqwest::Method::POST;

    let unknown = client_for(&info.login_url, "3MVG9nobody", &info.client_secret);
    let err = unknown.authenticate().await.expect_err("unknown client");
    assert_eq!(oauth_kind(&err), OAuthFailureKind::UnknownClient);

    let wrong = client_for(&info.login_url, &info.client_id, "not-the-secret");
    let err = wrong.authenticate().await.expect_err("wrong secret");
    assert_eq!(oauth_kind(&err), OAuthFailureKind::WrongSecret);
    assert!(!err.is_retryable() && err.is_auth());

    // No Run-As user, and the flow switched off: Salesforce answers both with the same words.
    for (name, spec) in [
        (
            "NoUser",
            json!({"client_id": "no-user", "client_secret": "s", "run_as": null}),
        ),
        (
            "NoFlow",
            json!({"client_id": "no-flow", "client_secret": "s", "client_credentials": false}),
        ),
    ] {
        control(&emu, post.clone(), "/__emulator/apps", spec.clone()).await;
        let c = client_for(
            &info.login_url,
            spec["client_id"].as_str().unwrap_or(""),
            "s",
        );
        let err = c.authenticate().await.expect_err(name);
        let SalesforceError::OAuth(failure) = &err else {
            panic!("{name}: {err}");
        };
        assert_eq!(failure.kind, OAuthFailureKind::NoRunAsUser, "{name}");
        assert!(failure.fix().contains("Run As"), "{}", failure.fix());
    }

    // Token requested from the generic login host instead of My Domain.
    let generic = info.generic_login_url.clone().expect("login host running");
    let c = client_for(&generic, &info.client_id, &info.client_secret);
    let err = c.authenticate().await.expect_err("generic host");
    let SalesforceError::OAuth(failure) = &err else {
        panic!("{err}");
    };
    assert_eq!(failure.kind, OAuthFailureKind::WrongDomain);
    assert_eq!(failure.description, "request not supported on this domain");
    assert!(failure.fix().contains("My Domain"));

    // An app without the api scope: the token is issued, REST refuses it.
    control(
        &emu,
        post.clone(),
        "/__emulator/apps",
        json!({"client_id": "no-api", "client_secret": "s", "run_as": info.username, "scopes": ["refresh_token"]}),
    )
    .await;
    let c = client_for(&info.login_url, "no-api", "s");
    c.authenticate().await.expect("the token itself is issued");
    let err = c.organization().await.expect_err("REST refuses");
    assert_eq!(oauth_kind(&err), OAuthFailureKind::MissingApiScope);
    assert_eq!(c.calls_made(), 1, "no renewal loop for a scope problem");

    // The Run-As user deactivated, then active again but without "API Enabled".
    let user = format!("/__emulator/users/{}", info.username);
    control(
        &emu,
        reqwest::Method::PATCH,
        &user,
        json!({"active": false}),
    )
    .await;
    let err = client.authenticate().await.expect_err("inactive user");
    assert_eq!(oauth_kind(&err), OAuthFailureKind::InactiveUser);
    control(
        &emu,
        reqwest::Method::PATCH,
        &user,
        json!({"active": true, "api_enabled": false}),
    )
    .await;
    client
        .authenticate()
        .await
        .expect("the token itself is issued");
    let err = client
        .organization()
        .await
        .expect_err("API disabled for the user");
    assert_eq!(oauth_kind(&err), OAuthFailureKind::ApiDisabledForUser);
    control(
        &emu,
        reqwest::Method::PATCH,
        &user,
        json!({"api_enabled": true}),
    )
    .await;

    // Refusals the org settings cannot produce, injected with Salesforce's documented bodies.
    let injected = [
        (
            "invalid_app_access",
            "user is not admin approved to access this app",
            OAuthFailureKind::NotAdminApproved,
        ),
        (
            "unsupported_grant_type",
            "grant type not supported",
            OAuthFailureKind::UnsupportedGrantType,
        ),
        (
            "invalid_request",
            "grant type is missing",
            OAuthFailureKind::MissingGrantType,
        ),
        (
            "invalid_grant",
            "client credentials flow not enabled",
            OAuthFailureKind::FlowNotEnabled,
        ),
        (
            "invalid_scope",
            "scope parameter not supported",
            OAuthFailureKind::InvalidScope,
        ),
    ];
    for (error, description, kind) in injected {
        arm(
            &emu,
            json!({"method": "POST", "path": "/services/oauth2/token",
                   "action": {"kind": "respond", "status": 400,
                              "body": {"error": error, "error_description": description}}}),
        )
        .await;
        let err = client.authenticate().await.expect_err(error);
        let SalesforceError::OAuth(failure) = &err else {
            panic!("{error}: {err}");
        };
        assert_eq!(failure.kind, kind, "{error}");
        assert!(!failure.cause().is_empty() && !failure.fix().is_empty());
        assert!(err.to_string().contains(description), "{err}");
    }

    // A transient token error is retried, then the token comes.
    arm(
        &emu,
        json!({"method": "POST", "path": "/services/oauth2/token",
               "action": {"kind": "respond", "status": 400,
                          "body": {"error": "unknown_error", "error_description": "retry your request"}}}),
    )
    .await;
    client
        .authenticate()
        .await
        .expect("retried after unknown_error");
    emu.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_a_dead_session_is_reported() {
    let (emu, client) = start().await;
    let first = client.authenticate().await.expect("token");
    control(
        &emu,
        reqwest::Method::POST,
        "/__emulator/clock/advance",
        json!({"seconds": 3 * 3600}),
    )
    .await;
    client.organization().await.expect("renewed after expiry");
    let second = client.token_info().await.expect("a token is cached");
    assert!(second.issued_at > first.issued_at, "a new token was issued");
    assert_eq!(client.calls_made(), 2, "the refused call and its one retry");

    // A session that stays invalid: renewed once, then reported.
    arm(
        &emu,
        json!({"method": "GET", "path": "/services/data/*/query*", "times": 2,
               "action": {"kind": "respond", "status": 401,
                          "body": [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]}}),
    )
    .await;
    let before = client.calls_made();
    let err = client.organization().await.expect_err("still invalid");
    assert!(
        matches!(err, SalesforceError::SessionExpired { renewed: false, .. }),
        "{err}"
    );
    assert_eq!(
        client.calls_made() - before,
        2,
        "renewed once, not in a loop"
    );
    emu.stop().await;
}

#[tokio::test]
async fn queries_page_through_thousands_of_rows() {
    let (emu, client) = start_with(SalesforceOptions {
        seed: Seed::Empty,
        ..SalesforceOptions::default()
    })
    .await;
    let rows: Vec<Value> = (0..2_345)
        .map(|i| json!({"Subject": format!("Bulk {i:05}"), "Status": "New"}))
        .collect();
    control(
        &emu,
        reqwest::Method::POST,
        "/__emulator/records/Case",
        Value::Array(rows),
    )
    .await;
    let soql = "SELECT Id, Subject FROM Case WHERE Subject LIKE 'Bulk%'";

    let all = client.query(soql).await.expect("query");
    assert_eq!(all.len(), 2_345);
    let mut ids: Vec<String> = all
        .iter()
        .filter_map(sfjira::connectors::salesforce::model::record_id)
        .map(|id| id.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2_345, "every row once");
    assert_eq!(client.calls_made(), 2, "2,000 rows per page");

    let before = client.calls_made();
    let mut pager = client.pager(soql).batch_size(500);
    let mut pages = 0;
    let mut seen = 0;
    while let Some(page) = pager.next_page().await.expect("page") {
        assert!(page.records.len() <= 500);
        pages += 1;
        seen += page.records.len();
    }
    assert_eq!((pages, seen), (5, 2_345));
    assert_eq!(pager.total_size(), Some(2_345));
    assert_eq!(client.calls_made() - before, 5);

    let mut sizes = Vec::new();
    let summary = client
        .query_pages(soql, |page| {
            sizes.push(page.records.len());
            async { ControlFlow::Break(()) }
        })
        .await
        .expect("paged");
    assert_eq!(sizes, vec![2_000]);
    assert!(summary.stopped_early && summary.total_size == 2_345);

    let count = client
        .count("SELECT COUNT() FROM Case WHERE Subject LIKE 'Bulk%'")
        .await
        .expect("count");
    assert_eq!(count, 2_345);
    let with_deleted = client.query_all(soql).await.expect("queryAll");
    assert_eq!(with_deleted.len(), 2_345);

    let err = client
        .query("SELECT Nope FROM Case")
        .await
        .expect_err("bad field");
    assert_eq!(err.status(), Some(400));
    assert!(err.has_code("INVALID_FIELD"), "{err}");
    assert!(!err.is_retryable());
    emu.stop().await;
}

#[tokio::test]
async fn describe_metadata_and_case_statuses() {
    let (emu, client) = start().await;
    let global = client.describe_global().await.expect("describe global");
    assert!(global
        .sobjects
        .iter()
        .any(|o| o.name == "Case" && o.queryable));
    let case = client.describe("Case").await.expect("describe Case");
    assert_eq!(case.object.key_prefix.as_deref(), Some("500"));
    assert_eq!(
        case.name_field().map(|f| f.name.as_str()),
        Some("CaseNumber")
    );
    let status = case.field("Status").expect("Status");
    assert_eq!(status.field_type, "picklist");
    assert!(status.active_values().any(|v| v.value == "New"));
    let statuses = client.case_statuses().await.expect("case statuses");
    assert!(statuses
        .iter()
        .any(|s| s.is_closed && s.value() == "Closed"));
    assert!(statuses.iter().any(|s| !s.is_closed));
    let err = client
        .describe("Nope__c")
        .await
        .expect_err("unknown object");
    assert!(err.is_not_found(), "{err}");
    let err = client.describe("Case/../x").await.expect_err("not a name");
    assert!(matches!(err, SalesforceError::InvalidInput(_)));
    emu.stop().await;
}

#[tokio::test]
async fn records_collections_and_composite() {
    let (emu, client) = start().await;
    let id = client
        .create(
            "Case",
            &fields(json!({"Subject": "Printer on fire", "Status": "New"})),
        )
        .await
        .expect("create");
    assert_eq!(id.key_prefix(), "500");
    client
        .update("Case", &id, &fields(json!({"Status": "Working"})))
        .await
        .expect("update");
    let record = client
        .get_record("Case", &id, &["Subject", "Status"])
        .await
        .expect("get");
    assert_eq!(record["Status"], "Working");

    let err = client
        .create("Account", &fields(json!({"Phone": "1"})))
        .await
        .expect_err("Name is required");
    assert!(err.has_code("REQUIRED_FIELD_MISSING"), "{err}");
    assert!(!err.is_retryable());
    let err = client
        .update("Case", &id, &fields(json!({"Status": "Bogus"})))
        .await
        .expect_err("restricted picklist");
    assert_eq!(err.status(), Some(400));

    // 250 records: two collection calls each way, one result per record.
    let creates: Vec<RecordCreate> = (0..250)
        .map(|i| RecordCreate {
            object: "Case".into(),
            fields: fields(json!({"Subject": format!("Many {i}")})),
        })
        .collect();
    let before = client.calls_made();
    let created = client.create_many(&creates).await.expect("create many");
    assert_eq!(client.calls_made() - before, 2);
    assert!(created.iter().all(|r| r.success && r.id.is_some()));
    let mut updates: Vec<RecordUpdate> = created
        .iter()
        .filter_map(|r| r.id.clone())
        .map(|id| RecordUpdate {
            object: "Case".into(),
            id,
            fields: fields(json!({"Status": "Escalated"})),
        })
        .collect();
    updates[7].fields = fields(json!({"Status": "Bogus"}));
    let before = client.calls_made();
    let results = client.update_many(&updates).await.expect("update many");
    assert_eq!(client.calls_made() - before, 2);
    assert_eq!(results.len(), 250);
    assert!(!results[7].success && !results[7].errors.is_empty());
    assert!(!results[7].errors[0].code.is_empty(), "statusCode is read");
    assert!(!results[7].is_retryable());
    assert_eq!(results.iter().filter(|r| r.success).count(), 249);

    // Retrieval by id, aligned with the input, None for what does not exist.
    let missing = SalesforceId::parse("500000000000000").expect("valid id");
    let ids = vec![id.clone(), missing.clone(), updates[0].id.clone()];
    let rows = client
        .retrieve_many("Case", &ids, &["Id", "Status"])
        .await
        .expect("retrieve");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0].as_ref().map(|r| r["Status"].clone()),
        Some(json!("Working"))
    );
    assert!(rows[1].is_none());
    assert_eq!(
        rows[2].as_ref().map(|r| r["Status"].clone()),
        Some(json!("Escalated"))
    );
    let err = client
        .get_record("Case", &missing, &["Id"])
        .await
        .expect_err("missing");
    assert!(err.is_not_found(), "{err}");

    // Composite: create, then read it back by reference, in one call.
    let prefix = client.data_path_prefix();
    let request = CompositeRequest {
        all_or_none: true,
        collate_subrequests: false,
        composite_request: vec![
            CompositeSubrequest {
                method: "POST".into(),
                url: format!("{prefix}/sobjects/Case"),
                reference_id: "c".into(),
                body: Some(json!({"Subject": "From composite"})),
            },
            CompositeSubrequest {
                method: "GET".into(),
                url: format!("{prefix}/sobjects/Case/@{{c.id}}?fields=Subject"),
                reference_id: "read".into(),
                body: None,
            },
        ],
    };
    let before = client.calls_made();
    let answer = client.composite(&request).await.expect("composite");
    assert_eq!(client.calls_made() - before, 1);
    assert_eq!(answer.composite_response.len(), 2);
    assert!(answer.composite_response.iter().all(|r| r.is_success()));
    assert_eq!(
        answer.composite_response[1].body["Subject"],
        "From composite"
    );
    emu.stop().await;
}

#[tokio::test]
async fn search_escapes_what_people_type() {
    let (emu, client) = start().await;
    let id = client
        .create(
            "Case",
            &fields(json!({"Subject": "Printer (on) fire & smoke"})),
        )
        .await
        .expect("create");
    let found = client
        .search("Case", "Printer (on)", &["Id", "Subject"], 10)
        .await
        .expect("search");
    assert!(
        found.iter().any(|r| r["Id"] == id.as_str()),
        "found: {found:?}"
    );
    let nothing = client
        .search(
            "Case",
            "no-such {thing} [here]: 50% *off*? \"quoted\"",
            &["Id"],
            5,
        )
        .await
        .expect("reserved characters are escaped, not a syntax error");
    assert!(nothing.is_empty());
    emu.stop().await;
}

/// People type such text into the issue panel's search box: an escaped reserved character
/// standing alone as a word (`printer \& scanner`) is searched for like the rest, not refused.
#[tokio::test]
async fn search_accepts_reserved_characters_standing_alone() {
    let (emu, client) = start().await;
    for text in ["printer & scanner", "? printer", "printer -", "printer \""] {
        client
            .search("Case", text, &["Id"], 5)
            .await
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
    emu.stop().await;
}

#[tokio::test]
async fn transient_failures_are_retried_and_refusals_are_not() {
    let (emu, client) = start().await;
    client.authenticate().await.expect("token");
    let query = "/services/data/*/query*";

    arm(
        &emu,
        json!({"method": "GET", "path": query, "action": {"kind": "respond", "status": 503,
        "body": [{"errorCode": "SERVER_UNAVAILABLE", "message": "try later"}]}}),
    )
    .await;
    client.organization().await.expect("a 503, then success");
    assert_eq!(client.calls_made(), 2);

    arm(
        &emu,
        json!({"method": "GET", "path": query, "action": {"kind": "drop"}}),
    )
    .await;
    client
        .organization()
        .await
        .expect("a dropped connection, then success");
    assert_eq!(client.calls_made(), 4);

    arm(&emu, json!({"method": "GET", "path": query, "action": {"kind": "respond", "status": 400,
        "body": [{"errorCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access"}]}})).await;
    client
        .organization()
        .await
        .expect("a row lock, then success");
    assert_eq!(client.calls_made(), 6);

    arm(
        &emu,
        json!({"method": "GET", "path": query, "action": {"kind": "respond", "status": 503,
        "headers": {"Retry-After": "1"},
        "body": [{"errorCode": "SERVER_UNAVAILABLE", "message": "try later"}]}}),
    )
    .await;
    let started = std::time::Instant::now();
    client.organization().await.expect("waits as asked");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After honoured"
    );

    arm(
        &emu,
        json!({"method": "GET", "path": query, "times": 5, "action": {"kind": "respond",
        "status": 503, "body": [{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}]}}),
    )
    .await;
    let before = client.calls_made();
    let err = client.organization().await.expect_err("still down");
    assert_eq!(client.calls_made() - before, 3, "bounded attempts");
    assert!(err.is_retryable() && err.status() == Some(503), "{err}");
    control(
        &emu,
        reqwest::Method::DELETE,
        "/__emulator/faults",
        Value::Null,
    )
    .await;

    // The token endpoint down while a call needs a token: bounded attempts, not nested ones.
    client.forget_token().await;
    control(
        &emu,
        reqwest::Method::DELETE,
        "/__emulator/requests",
        Value::Null,
    )
    .await;
    arm(
        &emu,
        json!({"method": "POST", "path": "/services/oauth2/token", "times": 9,
        "action": {"kind": "respond", "status": 503, "text": "Service Unavailable"}}),
    )
    .await;
    let before = client.calls_made();
    let err = client.organization().await.expect_err("no token to be had");
    assert!(err.is_retryable() && err.status() == Some(503), "{err}");
    assert_eq!(client.calls_made(), before, "no REST call without a token");
    let log = control(
        &emu,
        reqwest::Method::GET,
        "/__emulator/requests",
        Value::Null,
    )
    .await;
    let token_requests = log["requests"].as_array().map(|r| {
        r.iter()
            .filter(|r| r["path"] == "/services/oauth2/token")
            .count()
    });
    assert_eq!(token_requests, Some(3));
    control(
        &emu,
        reqwest::Method::DELETE,
        "/__emulator/faults",
        Value::Null,
    )
    .await;

    let before = client.calls_made();
    let err = client
        .query("SELECT Id FROM Bogus")
        .await
        .expect_err("bad object");
    assert_eq!(client.calls_made() - before, 1, "a refusal is not retried");
    assert!(err.has_code("INVALID_TYPE"), "{err}");
    emu.stop().await;
}

#[tokio::test]
async fn request_limit_exceeded_is_its_own_kind() {
    let (emu, client) = start().await;
    client.organization().await.expect("under the limit");
    control(
        &emu,
        reqwest::Method::PATCH,
        "/__emulator/settings",
        json!({"daily_api_limit": 500, "api_usage": 500}),
    )
    .await;
    let before = client.calls_made();
    let err = client.organization().await.expect_err("over the limit");
    assert!(err.is_request_limit(), "{err}");
    assert!(
        !err.is_retryable(),
        "the whole connector slows down instead"
    );
    assert_eq!(client.calls_made() - before, 1);
    let usage = client.api_usage().expect("usage seen");
    assert_eq!(usage.limit, 500);
    emu.stop().await;
}

/// A deterministic multi-megabyte file, produced chunk by chunk (never whole in memory).
fn generated(len: usize) -> (ByteStream, String) {
    const CHUNK: usize = 64 * 1024;
    let chunk = move |i: usize| -> Bytes {
        let size = CHUNK.min(len - i * CHUNK);
        Bytes::from(
            (0..size)
                .map(|j| ((i * 31 + j * 7) % 251) as u8)
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
async fn files_stream_up_and_down() {
    let (emu, client) = start().await;
    let case = client
        .create("Case", &fields(json!({"Subject": "With a big log"})))
        .await
        .expect("case");
    let len = 5 * 1024 * 1024 + 123;
    let (body, digest) = generated(len);
    let version = client
        .upload_content_version("server.log", "server.log", Some(&case), len as u64, body)
        .await
        .expect("upload");
    assert_eq!(version.key_prefix(), "068");
    let document = client
        .content_document_id(&version)
        .await
        .expect("document");
    assert_eq!(document.key_prefix(), "069");
    let links = client
        .query(&format!(
            "SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = '{case}'"
        ))
        .await
        .expect("links");
    assert!(links
        .iter()
        .any(|l| l["ContentDocumentId"] == document.as_str()));

    let download = client
        .download_content_version(&version)
        .await
        .expect("download");
    assert_eq!(download.content_length, Some(len as u64));
    let mut hasher = Sha256::new();
    let mut stream = download.stream;
    let mut received = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        received += chunk.len();
        hasher.update(&chunk);
    }
    assert_eq!(received, len);
    assert_eq!(hex::encode(hasher.finalize()), digest);

    // A streamed body cannot be replayed: after an expired session the token is renewed and
    // the caller is told to send again with a fresh stream.
    control(
        &emu,
        reqwest::Method::POST,
        "/__emulator/clock/advance",
        json!({"seconds": 3 * 3600}),
    )
    .await;
    let (body, _) = generated(300_000);
    let err = client
        .upload_content_version("again.log", "again.log", Some(&case), 300_000, body)
        .await
        .expect_err("session expired mid-way");
    assert!(
        matches!(err, SalesforceError::SessionExpired { renewed: true, .. }),
        "{err}"
    );
    assert!(err.is_retryable());
    let (body, _) = generated(300_000);
    client
        .upload_content_version("again.log", "again.log", Some(&case), 300_000, body)
        .await
        .expect("sent again with the renewed token");
    emu.stop().await;
}

#[tokio::test]
async fn a_token_pointing_outside_salesforce_is_refused() {
    let (emu, client) = start().await;
    let info = emu.info();
    arm(
        &emu,
        json!({"method": "POST", "path": "/services/oauth2/token", "action": {"kind": "respond",
            "status": 200, "body": {"access_token": "x", "instance_url": "https://evil.example.com",
            "id": format!("{}/id/{}/005000000000001", info.login_url, info.org_id),
            "token_type": "Bearer", "issued_at": "1700000000000"}}}),
    )
    .await;
    let err = client.authenticate().await.expect_err("refused host");
    assert!(matches!(err, SalesforceError::HostRefused(_)), "{err}");
    assert!(
        err.to_string().contains("salesforce_instance_host"),
        "{err}"
    );
    emu.stop().await;
}
