//! A test world: both emulators on random ports and sfjira configured for them, with helpers to
//! connect, define items, make changes on either side and read what each side holds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use emulator::common::{Seed, ServerOptions};
use emulator::jira::{JiraEmulator, JiraInfo, JiraOptions, WebhookRetry};
use emulator::salesforce::{SalesforceEmulator, SalesforceInfo, SalesforceOptions};
use serde_json::{json, Value};

use crate::helpers::{start, test_settings, TestApp};

/// The webhook secret sfjira is configured with.
pub const WEBHOOK_SECRET: &str = "world-webhook-secret-of-at-least-32-chars";

pub struct World {
    pub app: TestApp,
    pub sf: SalesforceEmulator,
    pub jira: JiraEmulator,
    pub sf_info: SalesforceInfo,
    pub jira_info: JiraInfo,
    pub http: reqwest::Client,
}

pub struct WorldOptions {
    pub sf_seed: Seed,
    pub jira_seed: Seed,
    pub login_host: bool,
}

impl Default for WorldOptions {
    fn default() -> Self {
        Self {
            sf_seed: Seed::Empty,
            jira_seed: Seed::Demo,
            login_host: false,
        }
    }
}

/// Emulators and sfjira, not yet connected to Salesforce.
pub async fn world_with(
    options: WorldOptions,
    adjust: impl FnOnce(&mut sfjira::config::Settings),
) -> World {
    let sf = SalesforceEmulator::start(SalesforceOptions {
        server: ServerOptions::default(),
        seed: options.sf_seed,
        login_host: options.login_host,
        ..SalesforceOptions::default()
    })
    .await
    .expect("salesforce emulator");
    let jira = JiraEmulator::start(JiraOptions {
        server: ServerOptions::default(),
        seed: options.jira_seed,
        webhook_retry: WebhookRetry {
            max_attempts: 3,
            base_backoff: std::time::Duration::from_millis(20),
        },
        ..JiraOptions::default()
    })
    .await
    .expect("jira emulator");
    let sf_info = sf.info();
    let jira_info = jira.info();
    let data = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut settings = test_settings(&data);
    settings.salesforce.allow_insecure_loopback = true;
    settings.jira.allow_insecure_loopback = true;
    settings.jira.base_url = Some(jira_info.base_url.clone());
    settings.jira.email = Some(jira_info.email.clone());
    settings.jira.api_token = Some(jira_info.api_token.clone().into());
    settings.jira.webhook_secret = Some(WEBHOOK_SECRET.to_string().into());
    adjust(&mut settings);
    let app = start(settings, data).await;
    World {
        app,
        sf,
        jira,
        sf_info,
        jira_info,
        http: reqwest::Client::new(),
    }
}

/// Waits (up to 15 s) until `check` holds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Webhook deliveries Jira has raised and not finished.
async fn jira_deliveries_in_flight(world: &World) -> u64 {
    let body: Value = world
        .http
        .get(format!(
            "{}/__emulator/webhooks/in-flight",
            world.jira_info.base_url
        ))
        .send()
        .await
        .expect("in-flight deliveries")
        .json()
        .await
        .expect("json");
    body["in_flight"].as_u64().expect("in_flight")
}

/// The message of the validation rule [`World::forbid_subjects`] arms.
pub const FORBIDDEN_SUBJECT: &str = "Subjects may not start with Forbidden.";

/// Emulators and sfjira, connected to Salesforce.
pub async fn connected_world() -> World {
    let world = world_with(WorldOptions::default(), |_| {}).await;
    let response = world.connect().await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    world
}

/// A one-paragraph Atlassian Document Format body.
pub fn adf(text: &str) -> Value {
    json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
}

impl World {
    /// Writes the two systems received since their request logs were reset (token requests and
    /// searches, which only read, aside).
    pub async fn writes(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for base in [self.sf.base_url(), self.jira.base_url()] {
            let log = self.requests(base).await;
            all.extend(
                log["requests"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| {
                        let path = r["path"].as_str().unwrap_or_default();
                        !(r["method"] == "GET"
                            || path.ends_with("/search/jql")
                            || path.contains("oauth2"))
                    }),
            );
        }
        all
    }

    /// Waits until every webhook Jira raised so far has been delivered and sfjira's inbox has
    /// processed it, including the deliveries that processing raised in turn (its own writes
    /// to Jira, which it must recognise): afterwards, what webhooks cause has happened, so a
    /// test can assert that something did not.
    pub async fn webhooks_settled(&self) {
        for _ in 0..50 {
            let deadline = Instant::now() + Duration::from_secs(15);
            while jira_deliveries_in_flight(self).await > 0 {
                assert!(
                    Instant::now() < deadline,
                    "Jira's webhook deliveries never ended"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            // Every delivery that ended was recorded before it was answered, so one step of
            // the inbox processes it. Done when that step changed nothing: no new event in the
            // log (processing that writes anywhere records it) and no delivery raised.
            let before = self.app.state.store.head();
            self.app
                .inbox
                .process_pending()
                .await
                .expect("the inbox reads the log");
            if jira_deliveries_in_flight(self).await == 0 && self.app.state.store.head() == before {
                return;
            }
        }
        panic!("webhooks kept raising webhooks");
    }

    pub async fn connect(&self) -> reqwest::Response {
        self.app
            .http
            .put(self.app.url("/api/admin/connection"))
            .bearer_auth(&self.app.token)
            .json(&json!({
                "login_url": self.sf_info.login_url,
                "client_id": self.sf_info.client_id,
                "client_secret": self.sf_info.client_secret,
            }))
            .send()
            .await
            .expect("sent")
    }

    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .app
            .http
            .request(method, self.app.url(path))
            .bearer_auth(&self.app.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.api(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.api(reqwest::Method::POST, path, Some(body)).await
    }

    /// The SUP Support Request issue type id.
    pub async fn support_request_type(&self) -> String {
        let (status, body) = self.get("/api/admin/jira/projects/SUP/issue-types").await;
        assert_eq!(status, 200, "{body}");
        body["issue_types"]
            .as_array()
            .expect("types")
            .iter()
            .find(|t| t["name"] == "Support Request")
            .map(|t| t["id"].as_str().expect("id").to_string())
            .expect("a Support Request type")
    }

    /// A two-way Case item on SUP with every option on (auto-create as asked).
    pub async fn case_item(&self, auto_create: bool) -> String {
        let issue_type = self.support_request_type().await;
        let (status, body) = self
            .post(
                "/api/admin/items",
                json!({
                    "name": "Support cases",
                    "mode": "two_way",
                    "jira_projects": ["SUP"],
                    "issue_type_id": issue_type,
                    "object": "Case",
                    "preview_fields": ["CaseNumber", "Subject", "Status", "Priority"],
                    "mappings": [
                        {"salesforce_field": "Subject", "jira_field": "summary"},
                        {"salesforce_field": "Description", "jira_field": "description"}
                    ],
                    "options": {
                        "auto_create": auto_create,
                        "status_sync": {"salesforce_field": "Status"},
                        "comments_sync": true,
                        "attachments_sync": true
                    }
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("id").to_string()
    }

    /// A Case created in Salesforce as a person would; returns its id.
    pub async fn case(&self, subject: &str) -> String {
        let (status, body) = self
            .sf_rest(
                reqwest::Method::POST,
                "sobjects/Case",
                Some(json!({"Subject": subject, "Description": "d", "Status": "New"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("id").to_string()
    }

    /// A two-way (or one-way) Case item, a Case linked to `issue`, and the Jira webhook
    /// registered; returns the item and the record.
    pub async fn linked_case(&self, issue: &str, two_way: bool) -> (String, String) {
        let item = self.case_item(false).await;
        if !two_way {
            let (_, detail) = self.get(&format!("/api/admin/items/{item}")).await;
            let mut definition = detail["definition"].clone();
            definition["mode"] = "one_way".into();
            let (status, body) = self
                .api(
                    reqwest::Method::PUT,
                    &format!("/api/admin/items/{item}"),
                    Some(definition),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
        let record = self.case("Linked case").await;
        let (status, card) = self
            .post(
                &format!("/api/issues/{issue}/items/{item}/link"),
                json!({"record_id": record}),
            )
            .await;
        assert_eq!(status, 200, "{card}");
        let (status, hook) = self.post("/api/admin/jira/webhook", json!({})).await;
        assert_eq!(status, 201, "{hook}");
        assert!(hook["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/webhooks/jira")));
        (item, record)
    }

    /// Arms a Salesforce validation rule refusing Case subjects that start with "Forbidden".
    pub async fn forbid_subjects(&self) {
        self.sf_control(
            reqwest::Method::POST,
            "validation-rules",
            Some(json!({"object": "Case", "name": "No_forbidden",
                        "condition": "Subject LIKE 'Forbidden%'",
                        "message": FORBIDDEN_SUBJECT, "field": "Subject"})),
        )
        .await;
    }

    /// Edits an issue's summary in Jira as a person would.
    pub async fn jira_summary(&self, issue: &str, summary: &str) {
        let (status, body) = self
            .jira_rest(
                reqwest::Method::PUT,
                &format!("issue/{issue}"),
                Some(json!({"fields": {"summary": summary}})),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }

    /// Waits until `item` has a dead letter of `issue` and returns them all.
    pub async fn dead_letter_of(&self, item: &str, issue: &str) -> Vec<Value> {
        let path = format!("/api/admin/items/{item}/dead-letters");
        eventually(&format!("a dead letter of {issue}"), || async {
            self.get(&path).await.1["dead_letters"]
                .as_array()
                .is_some_and(|l| l.iter().any(|e| e["issue_key"] == issue))
        })
        .await;
        self.get(&path).await.1["dead_letters"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Runs one reconciliation of `item` now.
    pub async fn sync(&self, item: &str) -> Value {
        let (status, body) = self
            .post(&format!("/api/admin/items/{item}/sync"), json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Salesforce control API.
    pub async fn sf_control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}/__emulator/{path}", self.sf.base_url()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sent");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    /// Creates records through the Salesforce control API (a data load); returns their ids.
    pub async fn sf_load(&self, object: &str, records: Value) -> Vec<String> {
        let body = self
            .sf_control(
                reqwest::Method::POST,
                &format!("records/{object}"),
                Some(records),
            )
            .await;
        body["ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|i| i.as_str().expect("id").to_string())
            .collect()
    }

    /// Every record of an object.
    pub async fn sf_records(&self, object: &str) -> Vec<Value> {
        let body = self
            .sf_control(
                reqwest::Method::GET,
                &format!("records/{object}?include_deleted=false"),
                None,
            )
            .await;
        match body {
            Value::Array(rows) => rows,
            other => other["records"].as_array().cloned().unwrap_or_default(),
        }
    }

    /// A token for calling the Salesforce REST API as the integration user.
    pub async fn sf_token(&self) -> String {
        let token: Value = self
            .http
            .post(format!("{}/services/oauth2/token", self.sf_info.login_url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.sf_info.client_id.as_str()),
                ("client_secret", self.sf_info.client_secret.as_str()),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        token["access_token"]
            .as_str()
            .expect("access token")
            .to_string()
    }

    /// Salesforce REST as the integration user (a person working in Salesforce).
    pub async fn sf_rest(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let token = self.sf_token().await;
        let mut request = self
            .http
            .request(
                method,
                format!("{}/services/data/v60.0/{path}", self.sf_info.instance_url),
            )
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A Jira issue with comments, properties and attachments (control API).
    pub async fn jira_issue(&self, key: &str) -> Value {
        self.http
            .get(format!("{}/__emulator/issues/{key}", self.jira.base_url()))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json")
    }

    /// Every Jira issue with comments, properties and attachments (control API).
    pub async fn jira_issues(&self) -> Vec<Value> {
        let issues: Value = self
            .http
            .get(format!("{}/__emulator/issues", self.jira.base_url()))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        issues
            .as_array()
            .cloned()
            .unwrap_or_else(|| issues["issues"].as_array().cloned().unwrap_or_default())
    }

    /// Attaches a file to an issue in Jira as a person would.
    pub async fn attach_in_jira(&self, issue: &str, name: &str, bytes: Vec<u8>) {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
        let response = self
            .http
            .post(format!(
                "{}/rest/api/3/issue/{issue}/attachments",
                self.jira_info.base_url
            ))
            .basic_auth(&self.jira_info.email, Some(&self.jira_info.api_token))
            .header("X-Atlassian-Token", "no-check")
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(response.status(), 200);
    }

    /// Jira REST as the admin (a person working in Jira).
    pub async fn jira_rest(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(
                method,
                format!("{}/rest/api/3/{path}", self.jira_info.base_url),
            )
            .basic_auth(&self.jira_info.email, Some(&self.jira_info.api_token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Requests one emulator served (control routes excluded).
    pub async fn requests(&self, base: &str) -> Value {
        self.http
            .get(format!("{base}/__emulator/requests?limit=10000"))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json")
    }

    /// Forgets the emulators' request logs.
    pub async fn reset_requests(&self) {
        for base in [self.sf.base_url(), self.jira.base_url()] {
            self.http
                .delete(format!("{base}/__emulator/requests"))
                .send()
                .await
                .expect("sent");
        }
    }

    /// Arms a fault on an emulator.
    pub async fn fault(&self, base: &str, spec: Value) {
        let response = self
            .http
            .post(format!("{base}/__emulator/faults"))
            .json(&spec)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201);
    }
}
