//! `sfjira load`: a reproducible sync load run, measured from outside the connector as a new
//! user would set it up.
//!
//! For each number of links N: both emulators start in this process (Salesforce empty, Jira
//! with the demo site), `sfjira serve` starts as a process of its own with its own data
//! directory and a sync interval so long that only the runs this command starts happen. Through
//! the admin API it is connected to Salesforce, the Jira webhook is registered and a two-way
//! Case item on SUP is defined (auto-create, status, comments, files). Then N new Cases are
//! loaded into Salesforce and the scenarios run, each on fresh request logs:
//!
//! 1. **back-fill**: one run creates the N issues;
//! 2. **quiet #1 … #R**: the emulators' clocks move past the overlap and a run finds nothing
//!    changed;
//! 3. **changed**: 1 % of the Cases are edited in Salesforce (sObject Collections, as a data
//!    loader would), then one run;
//! 4. **jira-edits**: 1 % of the issues get a new summary in Jira, one at a time; each reaches
//!    sfjira by webhook and is timed until Salesforce has the new Subject.
//!
//! Every scenario ends when what it caused has settled (no webhook delivery in flight, and
//! neither emulator nor the connector's log moving for a while), then its table is printed; a
//! summary row per N closes the run.

mod connector;
mod report;
mod resume;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use emulator::common::{Seed, ServerOptions};
use emulator::jira::{JiraEmulator, JiraInfo, JiraOptions};
use emulator::salesforce::{SalesforceEmulator, SalesforceInfo, SalesforceOptions};
use serde_json::{json, Value};

use connector::{Connector, ConnectorConfig};
use report::{Calls, Percentiles, Scenario, Summary, SUMMARY_HEADER};

/// Options of `sfjira load`.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The numbers of links to measure, one after the other.
    pub links: Vec<usize>,
    /// Quiet runs after the back-fill.
    pub quiet_runs: usize,
    /// Share of the Cases edited in Salesforce, in percent.
    pub changed_percent: f64,
    /// Share of the issues edited in Jira, in percent.
    pub jira_edit_percent: f64,
    /// Where each N gets a directory (configuration, data, log); emptied first.
    pub work_dir: PathBuf,
    /// Keep the directories afterwards (they are removed otherwise).
    pub keep: bool,
    /// Kill the connector (SIGKILL) once this share of the back-fill's issues exists, in
    /// percent, restart it and let the next run finish the back-fill.
    pub kill_at: Option<f64>,
}

/// The overlap the connector is configured with (its default).
const OVERLAP_SECS: u64 = 60;

/// How far the emulators' clocks move before a quiet run: past the overlap.
const QUIET_ADVANCE_SECS: i64 = 3 * OVERLAP_SECS as i64;

/// The emulated org's daily API allowance: far above what any scenario calls, so that what is
/// measured is the connector's work and not its pause at the allowance (a back-fill of 100,000
/// links alone calls Salesforce about 100,000 times, an Enterprise org's whole default day).
const DAILY_API_LIMIT: u64 = 1_000_000_000;

/// Cases loaded per control-API call.
const LOAD_BATCH: usize = 5_000;

/// Records per sObject Collections update (Salesforce's limit).
const COLLECTION_BATCH: usize = 200;

/// How long nothing may move before a scenario counts as settled.
const SETTLED_FOR: Duration = Duration::from_millis(300);

/// How long a scenario may take to settle before the run gives up.
const SETTLE_LIMIT: Duration = Duration::from_secs(1800);

/// The Subject of the `i`-th Case.
fn subject(i: usize) -> String {
    format!("Load case {i:06}")
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// Runs every N and prints the tables and the summary.
pub async fn load(options: LoadOptions) -> anyhow::Result<()> {
    anyhow::ensure!(!options.links.is_empty(), "give at least one --links");
    let mut summaries = Vec::new();
    for &links in &options.links {
        anyhow::ensure!(links > 0, "--links must be at least 1");
        let dir = options.work_dir.join(format!("links-{links}"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("emptying {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let summary = measure(links, &options, &dir).await;
        if !options.keep {
            let _ = std::fs::remove_dir_all(&dir);
        }
        let summary = summary.with_context(|| format!("the run with {links} links"))?;
        println!("{SUMMARY_HEADER}\n{}\n", summary.row());
        summaries.push(summary);
    }
    println!("== summary (commit {}) ==", commit());
    println!("{SUMMARY_HEADER}");
    for summary in &summaries {
        println!("{}", summary.row());
    }
    Ok(())
}

/// The commit of the working directory (`git describe --always --dirty`), to label the
/// figures with; `unknown` outside a repository.
fn commit() -> String {
    std::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Both emulators, the connector and a client for all three.
struct Rig {
    sf: SalesforceEmulator,
    jira: JiraEmulator,
    sf_info: SalesforceInfo,
    jira_info: JiraInfo,
    connector: Connector,
    admin_token: String,
    webhook_secret: String,
    /// The run's directory (configuration, data, log).
    dir: PathBuf,
    http: reqwest::Client,
    item: String,
}

async fn measure(
    links: usize,
    options: &LoadOptions,
    dir: &std::path::Path,
) -> anyhow::Result<Summary> {
    println!(
        "== {} links: starting the emulators and `sfjira serve` in {} ==",
        report::thousands(links as u64),
        dir.display()
    );
    let sf = SalesforceEmulator::start(SalesforceOptions {
        server: ServerOptions::default(),
        seed: Seed::Empty,
        daily_api_limit: DAILY_API_LIMIT,
        ..SalesforceOptions::default()
    })
    .await
    .context("starting the Salesforce emulator")?;
    let jira = JiraEmulator::start(JiraOptions {
        server: ServerOptions::default(),
        seed: Seed::Demo,
        ..JiraOptions::default()
    })
    .await
    .context("starting the Jira emulator")?;
    let sf_info = sf.info();
    let jira_info = jira.info();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()
        .context("building the HTTP client")?;
    let admin_token = random_hex(24);
    let webhook_secret = random_hex(24);
    let port = connector::free_port()?;
    let connector = Connector::launch(
        connector_config(dir, &admin_token, &jira_info, &webhook_secret, port),
        &http,
    )
    .await?;
    println!(
        "   sfjira pid {} at {}; Salesforce {}; Jira {}",
        connector.pid(),
        connector.base_url,
        sf.base_url(),
        jira.base_url()
    );
    let mut rig = Rig {
        sf,
        jira,
        sf_info,
        jira_info,
        connector,
        admin_token,
        webhook_secret,
        dir: dir.to_path_buf(),
        http,
        item: String::new(),
    };
    let result = rig.scenarios(links, options).await;
    let Rig {
        sf,
        jira,
        connector,
        ..
    } = rig;
    connector.stop().await;
    sf.stop().await;
    jira.stop().await;
    result
}

/// How the connector of a run is configured.
fn connector_config<'a>(
    dir: &'a std::path::Path,
    admin_token: &'a str,
    jira: &'a JiraInfo,
    webhook_secret: &'a str,
    port: u16,
) -> ConnectorConfig<'a> {
    ConnectorConfig {
        dir,
        admin_token,
        jira_url: &jira.base_url,
        jira_email: &jira.email,
        jira_api_token: &jira.api_token,
        webhook_secret,
        window_overlap_secs: OVERLAP_SECS,
        port,
    }
}

impl Rig {
    /// Starts the connector again on the same data directory (after it was killed).
    async fn relaunch(&mut self) -> anyhow::Result<()> {
        let config = connector_config(
            &self.dir,
            &self.admin_token,
            &self.jira_info,
            &self.webhook_secret,
            self.connector.port,
        );
        self.connector = Connector::launch(config, &self.http).await?;
        Ok(())
    }

    async fn scenarios(&mut self, links: usize, options: &LoadOptions) -> anyhow::Result<Summary> {
        self.set_up().await?;
        let started = Instant::now();
        let cases = self.load_cases(links).await?;
        println!(
            "   loaded {} Cases into Salesforce in {}",
            report::thousands(cases.len() as u64),
            report::seconds(started.elapsed())
        );
        self.settle().await?;

        let backfill = match options.kill_at {
            Some(percent) => self.killed_backfill(links, &cases, percent).await?,
            None => self.sync_scenario("back-fill").await?,
        };
        let created = backfill.1;
        print!("{}", backfill.0.render(links));
        let backfill = backfill.0;

        let mut quiet = None;
        for n in 1..=options.quiet_runs.max(1) {
            self.advance_clocks(QUIET_ADVANCE_SECS);
            let (scenario, _) = self.sync_scenario(&format!("quiet #{n}")).await?;
            print!("{}", scenario.render(links));
            quiet = Some(scenario);
        }
        let quiet = quiet.context("no quiet run")?;

        let keys = self.issue_keys().await?;
        let changed_targets = spread(links, options.changed_percent, 0);
        let edit_targets = spread(links, options.jira_edit_percent, 1);

        self.edit_in_salesforce(&cases, &changed_targets).await?;
        let (mut changed, _) = self.sync_scenario("changed").await?;
        changed.notes.insert(
            0,
            format!(
                "{} Cases edited in Salesforce before the run",
                changed_targets.len()
            ),
        );
        print!("{}", changed.render(links));

        let edits = self.jira_edits(&cases, &keys, &edit_targets).await?;
        print!("{}", edits.render(links));

        Ok(Summary {
            links,
            backfill,
            created,
            quiet,
            changed: (changed, changed_targets.len()),
            jira_edits: (edits, edit_targets.len()),
        })
    }

    fn api_url(&self, path: &str) -> String {
        format!("{}{path}", self.connector.base_url)
    }

    /// Calls the connector's admin API and insists on `expected`.
    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        expected: u16,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), self.api_url(path))
            .bearer_auth(&self.admin_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        anyhow::ensure!(
            status == expected,
            "{method} {path} answered {status}: {text}"
        );
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Connects Salesforce, registers the Jira webhook and defines the Case item.
    async fn set_up(&mut self) -> anyhow::Result<()> {
        self.api(
            reqwest::Method::PUT,
            "/api/admin/connection",
            Some(json!({
                "login_url": self.sf_info.login_url,
                "client_id": self.sf_info.client_id,
                "client_secret": self.sf_info.client_secret,
            })),
            200,
        )
        .await
        .context("connecting Salesforce")?;
        self.api(
            reqwest::Method::POST,
            "/api/admin/jira/webhook",
            Some(json!({})),
            201,
        )
        .await
        .context("registering the Jira webhook")?;
        let types = self
            .api(
                reqwest::Method::GET,
                "/api/admin/jira/projects/SUP/issue-types",
                None,
                200,
            )
            .await?;
        let issue_type = types["issue_types"]
            .as_array()
            .and_then(|types| types.iter().find(|t| t["name"] == "Support Request"))
            .and_then(|t| t["id"].as_str())
            .context("SUP has no Support Request issue type")?
            .to_string();
        let item = self
            .api(
                reqwest::Method::POST,
                "/api/admin/items",
                Some(json!({
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
                        "auto_create": true,
                        "status_sync": {"salesforce_field": "Status"},
                        "comments_sync": true,
                        "attachments_sync": true
                    }
                })),
                201,
            )
            .await
            .context("defining the Case item")?;
        self.item = item["id"].as_str().context("item id")?.to_string();
        // The item's runs begin at the newest Case; the new ones come a second later.
        self.advance_clocks(1);
        Ok(())
    }

    /// Loads `n` new Cases through the Salesforce control API; returns their ids in order.
    async fn load_cases(&self, n: usize) -> anyhow::Result<Vec<String>> {
        let mut ids = Vec::with_capacity(n);
        let mut start = 0;
        while start < n {
            let end = (start + LOAD_BATCH).min(n);
            let records: Vec<Value> = (start..end)
                .map(|i| {
                    json!({
                        "Subject": subject(i),
                        "Description": format!("Created by the load run: case {i} of {n}."),
                        "Status": "New",
                        "Priority": "Medium",
                        "Origin": "Web",
                    })
                })
                .collect();
            let response = self
                .http
                .post(format!("{}/__emulator/records/Case", self.sf.base_url()))
                .json(&records)
                .send()
                .await
                .context("loading Cases")?;
            anyhow::ensure!(
                response.status().is_success(),
                "loading Cases: {}",
                response.text().await.unwrap_or_default()
            );
            let body: Value = response.json().await?;
            ids.extend(
                body["ids"]
                    .as_array()
                    .context("loaded ids")?
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string)),
            );
            start = end;
        }
        anyhow::ensure!(ids.len() == n, "loaded {} Cases of {n}", ids.len());
        Ok(ids)
    }

    fn advance_clocks(&self, seconds: i64) {
        let by = chrono::Duration::seconds(seconds);
        self.sf.common().clock.advance(by);
        self.jira.common().clock.advance(by);
    }

    fn reset_logs(&self) {
        self.sf.common().requests.reset();
        self.jira.common().requests.reset();
    }

    /// Runs the item's sync now; answers the run and how long the call took.
    async fn sync(&self) -> anyhow::Result<(Value, Duration)> {
        let started = Instant::now();
        let run = self
            .api(
                reqwest::Method::POST,
                &format!("/api/admin/items/{}/sync", self.item),
                Some(json!({})),
                200,
            )
            .await
            .context("running the sync")?;
        Ok((run, started.elapsed()))
    }

    /// One sync run measured as a scenario; also answers the issues it created.
    async fn sync_scenario(&self, name: &str) -> anyhow::Result<(Scenario, u64)> {
        self.reset_logs();
        let started = Instant::now();
        let (run, took) = self.sync().await?;
        self.settle().await?;
        let wall = started.elapsed();
        let counts = &run["item"]["counts"];
        let number = |key: &str| counts[key].as_u64().unwrap_or(0);
        let mut notes = vec![format!(
            "run: {} records seen, {} issues created, {} fields pulled, {} pushed, {} statuses, {} comments, {} files, {} failures; outcome {}",
            number("records_seen"),
            number("issues_created"),
            number("fields_pulled"),
            number("fields_pushed"),
            number("statuses_written"),
            number("comments_paired"),
            number("attachments_paired"),
            number("failures"),
            run["item"]["outcome"]["kind"].as_str().unwrap_or("?"),
        )];
        if number("failures") > 0 {
            notes.push("the run reported failures; see the connector's log".into());
        }
        let scenario = self.scenario(name, wall, Some(took), &BTreeMap::new(), notes, Vec::new());
        Ok((scenario, number("issues_created")))
    }

    /// Reads the logs and the connector into a scenario.
    fn scenario(
        &self,
        name: &str,
        wall: Duration,
        run: Option<Duration>,
        own_jira_calls: &BTreeMap<String, u64>,
        notes: Vec<String>,
        latencies: Vec<(String, Percentiles)>,
    ) -> Scenario {
        Scenario {
            name: name.to_string(),
            wall,
            run,
            salesforce: Calls::from_log(
                &self.sf.common().requests.summary(usize::MAX),
                &BTreeMap::new(),
            ),
            jira: Calls::from_log(
                &self.jira.common().requests.summary(usize::MAX),
                own_jira_calls,
            ),
            latencies,
            memory: self.connector.memory(),
            disk: self.connector.disk_usage(),
            notes,
        }
    }

    /// Jira webhook deliveries under way.
    async fn deliveries_in_flight(&self) -> anyhow::Result<u64> {
        let body: Value = self
            .http
            .get(format!(
                "{}/__emulator/webhooks/in-flight",
                self.jira.base_url()
            ))
            .send()
            .await?
            .json()
            .await?;
        body["in_flight"].as_u64().context("in_flight")
    }

    /// The connector's event log head, from its metrics.
    async fn log_head(&self) -> anyhow::Result<u64> {
        let text = self
            .http
            .get(self.api_url("/metrics"))
            .send()
            .await?
            .text()
            .await?;
        Ok(text
            .lines()
            .find_map(|l| l.strip_prefix("sfjira_store_head_seq "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map_or(0, |v| v as u64))
    }

    /// Waits until nothing moves: no webhook delivery in flight, and neither emulator's request
    /// count nor the connector's log head changing for [`SETTLED_FOR`].
    async fn settle(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + SETTLE_LIMIT;
        let mut last = None;
        let mut still_since = Instant::now();
        loop {
            let in_flight = self.deliveries_in_flight().await?;
            let now = (
                self.sf.common().requests.total(),
                self.jira.common().requests.total(),
                self.log_head().await?,
            );
            if in_flight > 0 || last != Some(now) {
                last = Some(now);
                still_since = Instant::now();
            } else if still_since.elapsed() >= SETTLED_FOR {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "nothing settled within {} s",
                SETTLE_LIMIT.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Jira REST as the admin, a person working in Jira.
    fn jira_rest(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(
                method,
                format!("{}/rest/api/3/{path}", self.jira_info.base_url),
            )
            .basic_auth(&self.jira_info.email, Some(&self.jira_info.api_token))
    }

    /// Issue keys by summary, for every SUP issue (read before the scenarios that edit).
    async fn issue_keys(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let mut keys = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({
                "jql": "project = SUP ORDER BY updated ASC",
                "fields": ["summary"],
                "maxResults": 100,
            });
            if let Some(token) = &token {
                body["nextPageToken"] = json!(token);
            }
            let page: Value = self
                .jira_rest(reqwest::Method::POST, "search/jql")
                .json(&body)
                .send()
                .await
                .context("listing SUP issues")?
                .json()
                .await?;
            for issue in page["issues"].as_array().context("issues")? {
                if let (Some(key), Some(summary)) =
                    (issue["key"].as_str(), issue["fields"]["summary"].as_str())
                {
                    keys.insert(summary.to_string(), key.to_string());
                }
            }
            match page["nextPageToken"].as_str() {
                Some(next) if page["isLast"] != true => token = Some(next.to_string()),
                _ => break,
            }
        }
        Ok(keys)
    }

    /// A Salesforce token for the integration user (a person or a data loader).
    async fn sf_token(&self) -> anyhow::Result<String> {
        let token: Value = self
            .http
            .post(format!("{}/services/oauth2/token", self.sf_info.login_url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.sf_info.client_id.as_str()),
                ("client_secret", self.sf_info.client_secret.as_str()),
            ])
            .send()
            .await?
            .json()
            .await?;
        Ok(token["access_token"]
            .as_str()
            .context("access token")?
            .to_string())
    }

    /// Edits the Subject of the target Cases through sObject Collections.
    async fn edit_in_salesforce(&self, cases: &[String], targets: &[usize]) -> anyhow::Result<()> {
        let token = self.sf_token().await?;
        for chunk in targets.chunks(COLLECTION_BATCH) {
            let records: Vec<Value> = chunk
                .iter()
                .map(|&i| {
                    json!({
                        "attributes": {"type": "Case"},
                        "id": cases[i],
                        "Subject": format!("{} (edited in Salesforce)", subject(i)),
                    })
                })
                .collect();
            let results: Value = self
                .http
                .patch(format!(
                    "{}/services/data/v60.0/composite/sobjects",
                    self.sf_info.instance_url
                ))
                .bearer_auth(&token)
                .json(&json!({"allOrNone": true, "records": records}))
                .send()
                .await
                .context("editing Cases")?
                .json()
                .await?;
            let failed = results
                .as_array()
                .map_or(1, |r| r.iter().filter(|r| r["success"] != true).count());
            anyhow::ensure!(failed == 0, "editing Cases failed: {results}");
        }
        Ok(())
    }

    /// The Subject of a Case, read through the control API (not counted).
    async fn case_subject(&self, id: &str) -> anyhow::Result<Option<String>> {
        let record: Value = self
            .http
            .get(format!(
                "{}/__emulator/records/Case/{id}",
                self.sf.base_url()
            ))
            .send()
            .await?
            .json()
            .await?;
        Ok(record["Subject"].as_str().map(str::to_string))
    }

    /// Edits the target issues' summaries in Jira one at a time, timing each until Salesforce
    /// has the new Subject.
    async fn jira_edits(
        &self,
        cases: &[String],
        keys: &BTreeMap<String, String>,
        targets: &[usize],
    ) -> anyhow::Result<Scenario> {
        self.reset_logs();
        let started = Instant::now();
        let mut latencies = Vec::with_capacity(targets.len());
        let mut missing = 0;
        let mut own = 0u64;
        for &i in targets {
            let Some(key) = keys.get(&subject(i)) else {
                missing += 1;
                continue;
            };
            let wanted = format!("{} (edited in Jira)", subject(i));
            let edited_at = Utc::now();
            let sent = Instant::now();
            let response = self
                .jira_rest(reqwest::Method::PUT, &format!("issue/{key}"))
                .json(&json!({"fields": {"summary": wanted}}))
                .send()
                .await
                .with_context(|| format!("editing {key}"))?;
            own += 1;
            anyhow::ensure!(
                response.status().as_u16() == 204,
                "editing {key}: {}",
                response.status()
            );
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if self.case_subject(&cases[i]).await?.as_deref() == Some(wanted.as_str()) {
                    break;
                }
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "{key}'s new summary did not reach Salesforce within 60 s"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let seen = sent.elapsed();
            latencies.push(self.write_latency(&cases[i], edited_at).unwrap_or(seen));
        }
        self.settle().await?;
        let wall = started.elapsed();
        let mut notes = vec![format!(
            "{} issues edited in Jira one at a time",
            latencies.len()
        )];
        if missing > 0 {
            notes.push(format!("{missing} target issues were not found by summary"));
        }
        let own_calls = BTreeMap::from([("PUT /rest/api/3/issue/{id}".to_string(), own)]);
        Ok(self.scenario(
            "jira-edits",
            wall,
            None,
            &own_calls,
            notes,
            vec![(
                "Jira edit → Salesforce write".to_string(),
                Percentiles::of(&latencies),
            )],
        ))
    }

    /// From the edit to the first Salesforce write about `case` that the emulator logged after
    /// it (a write to the record itself, else a batch write).
    fn write_latency(&self, case: &str, edited_at: chrono::DateTime<Utc>) -> Option<Duration> {
        let recent = self.sf.common().requests.summary(64).requests;
        let writes: Vec<_> = recent
            .iter()
            .filter(|r| r.at >= edited_at && r.method != "GET" && !r.path.contains("oauth2"))
            .collect();
        let write = writes
            .iter()
            .find(|r| r.path.contains(case))
            .or_else(|| writes.first())?;
        (write.at - edited_at).to_std().ok()
    }
}

/// `percent` % of `n` indices, evenly spread; `phase` shifts them by half a step so that two
/// spreads do not pick the same records.
fn spread(n: usize, percent: f64, phase: usize) -> Vec<usize> {
    let k = ((n as f64 * percent / 100.0).round() as usize).clamp(1, n);
    let step = n / k;
    (0..k)
        .map(|j| (j * step + phase * step / 2).min(n - 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_pick_one_percent_apart_from_each_other() {
        let changed = spread(1000, 1.0, 0);
        let edited = spread(1000, 1.0, 1);
        assert_eq!(changed.len(), 10);
        assert_eq!(edited.len(), 10);
        assert_eq!(changed[..3], [0, 100, 200]);
        assert_eq!(edited[..3], [50, 150, 250]);
        assert!(changed.iter().all(|i| !edited.contains(i)));
        assert_eq!(spread(10, 1.0, 0), vec![0]);
    }
}
