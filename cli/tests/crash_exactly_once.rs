//! Exactly-once across crashes and lost answers: sfjira runs as a child process under a busy
//! two-way workload and is killed with SIGKILL at 100 random moments, restarted each time, while
//! after-commit faults (a 502 from a gateway, a dropped connection, an answer held past the
//! client's timeout) are armed at random on every kind of create on both sides. At the end every
//! Salesforce Case has exactly one Jira issue, every comment and file exists exactly once on
//! each side, and the event log verifies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use emulator::common::{Seed, ServerOptions};
use emulator::jira::{JiraEmulator, JiraOptions, WebhookRetry};
use emulator::salesforce::{SalesforceEmulator, SalesforceOptions};
use rand::Rng;
use serde_json::{json, Value};

const TOKEN: &str = "crash-test-admin-token-of-32-chars-or-more";
const SECRET: &str = "crash-test-webhook-secret-of-32-chars-or-more";
const KILLS: usize = 100;

struct Harness {
    sf: SalesforceEmulator,
    jira: JiraEmulator,
    http: reqwest::Client,
    config: PathBuf,
    data: PathBuf,
    base: String,
    child: Option<Child>,
    log: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Harness {
    async fn new(dir: &Path) -> Self {
        let sf = SalesforceEmulator::start(SalesforceOptions {
            server: ServerOptions::default(),
            seed: Seed::Empty,
            ..SalesforceOptions::default()
        })
        .await
        .expect("salesforce");
        let jira = JiraEmulator::start(JiraOptions {
            server: ServerOptions::default(),
            seed: Seed::Demo,
            webhook_retry: WebhookRetry {
                max_attempts: 4,
                base_backoff: Duration::from_millis(150),
            },
            ..JiraOptions::default()
        })
        .await
        .expect("jira");
        let port = free_port();
        let info = jira.info();
        let data = dir.join("data");
        let config = dir.join("sfjira.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {data:?}\n\
                 [http]\nport = {port}\nadmin_token = {TOKEN:?}\n\
                 [sync]\ninterval_secs = 1\nunconfirmed_create_wait_secs = 4\njira_search_lag_secs = 1\n\
                 [salesforce]\nallow_insecure_loopback = true\ntimeout_secs = 2\n\
                 [jira]\nbase_url = {:?}\nemail = {:?}\napi_token = {:?}\nwebhook_secret = {SECRET:?}\nallow_insecure_loopback = true\ntimeout_secs = 2\n\
                 [secrets]\nkey_file = {:?}\n",
                info.base_url,
                info.email,
                info.api_token,
                dir.join("sfjira.key"),
            ),
        )
        .expect("config");
        Self {
            sf,
            jira,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
            config,
            data,
            base: format!("http://127.0.0.1:{port}"),
            child: None,
            log: dir.join("sfjira.log"),
        }
    }

    async fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_sfjira"))
            .args(["serve", "--config"])
            .arg(&self.config)
            .env("SFJIRA_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("sfjira starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = self.http.get(format!("{}/healthz", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "sfjira did not come back; see {}",
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn api(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("sent");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn sf(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let info = self.sf.info();
        let token: Value = self
            .http
            .post(format!("{}/services/oauth2/token", info.login_url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", info.client_id.as_str()),
                ("client_secret", info.client_secret.as_str()),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        let mut request = self
            .http
            .request(
                method,
                format!("{}/services/data/v60.0/{path}", info.instance_url),
            )
            .bearer_auth(token["access_token"].as_str().expect("token"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        // A fault armed for sfjira's creates may spoil this answer too; the write still happened.
        match request.send().await {
            Ok(response) => response.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }

    async fn records(&self, object: &str) -> Vec<Value> {
        let body: Value = self
            .http
            .get(format!(
                "{}/__emulator/records/{object}?include_deleted=false",
                self.sf.base_url()
            ))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        body.as_array().cloned().unwrap_or_default()
    }

    async fn issues(&self) -> Vec<Value> {
        let body: Value = self
            .http
            .get(format!("{}/__emulator/issues", self.jira.base_url()))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        body.as_array().cloned().unwrap_or_default()
    }

    async fn jira(&self, method: reqwest::Method, path: &str, body: Value) -> u16 {
        let info = self.jira.info();
        self.http
            .request(method, format!("{}/rest/api/3/{path}", info.base_url))
            .basic_auth(&info.email, Some(&info.api_token))
            .json(&body)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }
}

impl Drop for Harness {
    /// A failing assertion must not leave the child running.
    fn drop(&mut self) {
        self.kill();
    }
}

fn adf(text: &str) -> Value {
    json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
}

/// The creates sfjira makes, as (on Salesforce, path pattern).
const CREATES: [(bool, &str); 5] = [
    (false, "/rest/api/3/issue"),
    (false, "/rest/api/3/issue/*/comment"),
    (false, "/rest/api/3/issue/*/attachments"),
    (true, "/services/data/*/sobjects/CaseComment"),
    (true, "/services/data/*/sobjects/ContentVersion"),
];

/// Arms one after-commit fault, of a random kind, on a random create: the remote side commits
/// the create and the answer is lost.
async fn arm_lost_answer(h: &Harness) {
    let (on_salesforce, path) = CREATES[rand::thread_rng().gen_range(0..CREATES.len())];
    let action = match rand::thread_rng().gen_range(0..3) {
        0 => json!({"kind": "after_commit_respond", "status": 502, "text": "Bad Gateway"}),
        1 => json!({"kind": "after_commit_drop"}),
        _ => json!({"kind": "after_commit_delay", "millis": 2_500}),
    };
    let base = if on_salesforce {
        h.sf.base_url()
    } else {
        h.jira.base_url()
    };
    let response = h
        .http
        .post(format!("{base}/__emulator/faults"))
        .json(&json!({"method": "POST", "path": path, "times": 1, "action": action}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
}

/// One random change on either side, or a lost answer armed for sfjira's next create.
async fn act(h: &Harness, step: usize, cases: &mut Vec<String>) {
    if rand::thread_rng().gen_bool(0.15) {
        arm_lost_answer(h).await;
    }
    let choice = rand::thread_rng().gen_range(0..5);
    match (choice, cases.is_empty()) {
        (0, _) | (_, true) => {
            let created = h
                .sf(
                    reqwest::Method::POST,
                    "sobjects/Case",
                    Some(json!({"Subject": format!("Case {step}"), "Status": "New"})),
                )
                .await;
            if let Some(id) = created["id"].as_str() {
                cases.push(id.to_string());
            }
        }
        (1, false) => {
            let case = &cases[rand::thread_rng().gen_range(0..cases.len())];
            h.sf(
                reqwest::Method::POST,
                "sobjects/CaseComment",
                Some(json!({"ParentId": case, "CommentBody": format!("sf-comment-{step}")})),
            )
            .await;
        }
        (2, false) => {
            let case = &cases[rand::thread_rng().gen_range(0..cases.len())];
            h.sf(
                reqwest::Method::POST,
                "sobjects/ContentVersion",
                Some(json!({"Title": format!("sf-file-{step}"), "PathOnClient": format!("sf-file-{step}.txt"),
                            "FirstPublishLocationId": case,
                            "VersionData": base64::engine::general_purpose::STANDARD.encode(format!("file {step}"))})),
            )
            .await;
        }
        (3, false) => {
            if let Some(key) = linked_issue(h).await {
                h.jira(
                    reqwest::Method::POST,
                    &format!("issue/{key}/comment"),
                    json!({"body": adf(&format!("jira-comment-{step}"))}),
                )
                .await;
            }
        }
        _ => {
            if let Some(key) = linked_issue(h).await {
                let info = h.jira.info();
                let form = reqwest::multipart::Form::new().part(
                    "file",
                    reqwest::multipart::Part::bytes(format!("jira file {step}").into_bytes())
                        .file_name(format!("jira-file-{step}.txt")),
                );
                let _ = h
                    .http
                    .post(format!(
                        "{}/rest/api/3/issue/{key}/attachments",
                        info.base_url
                    ))
                    .basic_auth(&info.email, Some(&info.api_token))
                    .header("X-Atlassian-Token", "no-check")
                    .multipart(form)
                    .send()
                    .await;
            }
        }
    }
}

async fn linked_issue(h: &Harness) -> Option<String> {
    let issues = h.issues().await;
    let linked: Vec<String> = issues
        .iter()
        .filter(|i| i["properties"]["sfjira"]["record_id"].is_string())
        .filter_map(|i| i["key"].as_str().map(str::to_string))
        .collect();
    if linked.is_empty() {
        None
    } else {
        Some(linked[rand::thread_rng().gen_range(0..linked.len())].clone())
    }
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
}

/// How many of `texts` contain the word `marker` (whole word: `x-15` is not in `x-150`).
fn count_containing(texts: &[String], marker: &str) -> usize {
    texts
        .iter()
        .filter(|t| words(t).any(|w| w == marker))
        .count()
}

#[actix_web::test]
async fn nothing_is_lost_or_duplicated_across_a_hundred_sigkills_and_lost_answers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = Harness::new(dir.path()).await;
    h.start().await;
    let info = h.sf.info();
    let (status, body) = h
        .api(reqwest::Method::PUT, "/api/admin/connection", json!({"login_url": info.login_url, "client_id": info.client_id, "client_secret": info.client_secret}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, types) = h
        .api(
            reqwest::Method::GET,
            "/api/admin/jira/projects/SUP/issue-types",
            Value::Null,
        )
        .await;
    let issue_type = types["issue_types"]
        .as_array()
        .expect("types")
        .iter()
        .find(|t| t["name"] == "Support Request")
        .expect("type")["id"]
        .clone();
    let (status, item) = h
        .api(
            reqwest::Method::POST,
            "/api/admin/items",
            json!({"name": "Cases", "mode": "two_way", "jira_projects": ["SUP"], "issue_type_id": issue_type, "object": "Case",
                   "preview_fields": ["Subject"], "mappings": [{"salesforce_field": "Subject", "jira_field": "summary"}],
                   "options": {"auto_create": true, "comments_sync": true, "attachments_sync": true}}),
        )
        .await;
    assert_eq!(status, 201, "{item}");
    let item = item["id"].as_str().expect("item").to_string();
    let (status, hook) = h
        .api(reqwest::Method::POST, "/api/admin/jira/webhook", json!({}))
        .await;
    assert_eq!(status, 201, "{hook}");

    let mut cases = Vec::new();
    let mut step = 0;
    for kill in 0..KILLS {
        let until = Instant::now() + Duration::from_millis(rand::thread_rng().gen_range(150..900));
        while Instant::now() < until {
            act(&h, step, &mut cases).await;
            step += 1;
            tokio::time::sleep(Duration::from_millis(rand::thread_rng().gen_range(10..80))).await;
        }
        h.kill();
        if kill % 3 == 0 {
            act(&h, step, &mut cases).await;
            step += 1;
        }
        h.start().await;
    }

    // Let it converge: runs until two in a row change nothing.
    // Faults still armed would keep spoiling answers: disarm them first.
    for base in [h.sf.base_url(), h.jira.base_url()] {
        h.http
            .delete(format!("{base}/__emulator/faults"))
            .send()
            .await
            .expect("sent");
    }
    let mut quiet = 0;
    for _ in 0..80 {
        let (status, run) = h
            .api(
                reqwest::Method::POST,
                &format!("/api/admin/items/{item}/sync"),
                Value::Null,
            )
            .await;
        if status == 200 {
            let c = &run["item"]["counts"];
            let changed: u64 = [
                "issues_created",
                "fields_pulled",
                "fields_pushed",
                "statuses_written",
                "comments_paired",
                "attachments_paired",
                "failures",
            ]
            .iter()
            .filter_map(|k| c[k].as_u64())
            .sum();
            quiet = if changed == 0 && run["item"]["outcome"]["kind"] == "completed" {
                quiet + 1
            } else {
                0
            };
            if quiet == 2 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(quiet, 2, "sfjira did not settle; see {}", h.log.display());

    let issues = h.issues().await;
    let case_records = h.records("Case").await;
    let mut issues_by_case: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for issue in &issues {
        if let Some(record) = issue["properties"]["sfjira"]["record_id"].as_str() {
            issues_by_case
                .entry(record.to_string())
                .or_default()
                .push(issue);
        }
    }
    assert!(
        case_records.len() >= 5,
        "the workload made cases: {}",
        case_records.len()
    );
    for case in &case_records {
        let id = case["Id"].as_str().expect("id");
        let found = issues_by_case.get(id).map_or(0, Vec::len);
        assert_eq!(found, 1, "Case {id} has {found} Jira issues");
    }
    let sf_comments: Vec<String> = h
        .records("CaseComment")
        .await
        .iter()
        .filter_map(|c| c["CommentBody"].as_str().map(str::to_string))
        .collect();
    let sf_files: Vec<String> = h
        .records("ContentVersion")
        .await
        .iter()
        .filter_map(|c| c["Title"].as_str().map(str::to_string))
        .collect();
    for issue in issues_by_case.values().flatten() {
        let key = issue["key"].as_str().expect("key");
        let jira_comments: Vec<String> = issue["comments"]
            .as_array()
            .map(|cs| cs.iter().map(|c| c["body"].to_string()).collect())
            .unwrap_or_default();
        let attachments: Vec<String> = issue["attachments"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["filename"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for text in &jira_comments {
            for marker in words(text)
                .filter(|w| w.starts_with("sf-comment-") || w.starts_with("jira-comment-"))
            {
                assert_eq!(
                    count_containing(&jira_comments, marker),
                    1,
                    "{marker} on {key} more than once"
                );
                if marker.starts_with("jira-comment-") {
                    assert_eq!(
                        count_containing(&sf_comments, marker),
                        1,
                        "{marker} from {key} must be in Salesforce once"
                    );
                }
            }
        }
        for name in &attachments {
            assert_eq!(
                attachments.iter().filter(|a| *a == name).count(),
                1,
                "{name} twice on {key}"
            );
            let title = name.trim_end_matches(".txt");
            if sf_files.iter().filter(|t| *t == title).count() != 1 {
                let (_, panel) = h
                    .api(
                        reqwest::Method::GET,
                        &format!("/api/issues/{key}/panel"),
                        Value::Null,
                    )
                    .await;
                let link = panel["cards"][0]["link"]["link_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let (_, history) = h
                    .api(
                        reqwest::Method::GET,
                        &format!("/api/audit/links/{link}"),
                        Value::Null,
                    )
                    .await;
                let lines: Vec<String> = history["events"]
                    .as_array()
                    .map(|e| {
                        e.iter()
                            .map(|l| format!("#{} {} {}", l["seq"], l["event_type"], l["summary"]))
                            .collect()
                    })
                    .unwrap_or_default();
                panic!(
                    "{name} of {key} must be a Salesforce file once:\n{}",
                    lines.join("\n")
                );
            }
        }
    }
    for comment in sf_comments.iter().filter(|c| c.starts_with("sf-comment-")) {
        let holders = issues
            .iter()
            .map(|i| i["comments"].to_string())
            .filter(|text| words(text).any(|w| w == comment.as_str()))
            .count();
        assert_eq!(holders, 1, "{comment} must be in Jira exactly once");
    }
    for title in sf_files.iter().filter(|t| t.starts_with("sf-file-")) {
        let name = format!("{title}.txt");
        let holders = issues
            .iter()
            .filter(|i| i["attachments"].to_string().contains(&name))
            .count();
        assert_eq!(holders, 1, "{name} must be in Jira exactly once");
    }

    h.kill();
    let verify = Command::new(env!("CARGO_BIN_EXE_sfjira"))
        .args(["audit", "verify", "--config"])
        .arg(&h.config)
        .output()
        .expect("audit verify runs");
    assert!(
        verify.status.success(),
        "audit verify: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let _ = h.data;
}
