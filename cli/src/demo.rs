//! `sfjira demo` and `sfjira emulate`: the emulated Salesforce org and Jira site, alone or with
//! the connector wired to them.
//!
//! The demo is the main job shown to a new user: both emulators seeded, sfjira connected to
//! both (Salesforce by the same validation an admin goes through, Jira with a signed webhook),
//! a two-way Case item on SUP, a manual link, two new Cases auto-created into Jira with a
//! comment and a file each, and the first reconciliation done — then everything runs until
//! interrupted. The emulators' state is kept beside the data directory, so a restarted demo
//! resumes where it stopped.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use emulator::common::{Seed, ServerOptions};
use emulator::jira::{JiraEmulator, JiraOptions};
use emulator::salesforce::{SalesforceEmulator, SalesforceOptions};
use secrecy::SecretString;
use serde_json::{json, Map, Value};

use sfjira::actors::scheduler::Scheduler;
use sfjira::config::Settings;
use sfjira::connectors::salesforce::SalesforceClient;
use sfjira::domain::ids::{JiraIssueKey, ProjectKey};
use sfjira::domain::item::{FieldMapping, ItemDefinition, ItemOptions, StatusSync, SyncMode};
use sfjira::engine::connection::{self, ConnectRequest};
use sfjira::engine::{items, metadata, panel, Engine};
use sfjira::events::scheduler::RunTrigger;
use sfjira::startup::Application;

/// Options of `sfjira demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// sfjira's HTTP port.
    pub port: u16,
    /// The Salesforce emulator's port.
    pub salesforce_port: u16,
    /// The Jira emulator's port.
    pub jira_port: u16,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Admin token (random when absent).
    pub admin_token: Option<String>,
    /// Seconds between scheduled runs.
    pub sync_interval: u64,
}

/// Options of `sfjira emulate`.
#[derive(Debug, Clone)]
pub struct EmulateOptions {
    /// The Salesforce emulator's port.
    pub salesforce_port: u16,
    /// The Jira emulator's port.
    pub jira_port: u16,
    /// Seed.
    pub seed: Seed,
    /// Serve HTTPS with self-signed certificates written into this directory.
    pub tls_dir: Option<PathBuf>,
}

/// Runs the emulators until Ctrl-C.
pub async fn emulate(options: EmulateOptions) -> anyhow::Result<()> {
    let salesforce = SalesforceEmulator::start(SalesforceOptions {
        server: ServerOptions {
            port: options.salesforce_port,
            tls_dir: options.tls_dir.clone(),
        },
        seed: options.seed,
        login_host: true,
        ..SalesforceOptions::default()
    })
    .await
    .context("starting the Salesforce emulator")?;
    let jira = JiraEmulator::start(JiraOptions {
        server: ServerOptions {
            port: options.jira_port,
            tls_dir: options.tls_dir,
        },
        seed: options.seed,
        ..JiraOptions::default()
    })
    .await
    .context("starting the Jira emulator")?;
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "salesforce": salesforce.info(),
            "jira": jira.info(),
        }))?
    );
    println!(
        "Salesforce emulator: {}/__emulator/info",
        salesforce.base_url()
    );
    println!("Jira emulator:       {}/__emulator/info", jira.base_url());
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    salesforce.stop().await;
    jira.stop().await;
    Ok(())
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// Runs the demo until Ctrl-C.
pub async fn demo(options: DemoOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("creating {}", options.data_dir.display()))?;
    let emulator_state = options.data_dir.join("emulators");
    std::fs::create_dir_all(&emulator_state)?;
    let salesforce = SalesforceEmulator::start(SalesforceOptions {
        server: ServerOptions {
            port: options.salesforce_port,
            tls_dir: None,
        },
        seed: Seed::Demo,
        state_file: Some(emulator_state.join("salesforce.json")),
        ..SalesforceOptions::default()
    })
    .await
    .context("starting the Salesforce emulator")?;
    let jira = JiraEmulator::start(JiraOptions {
        server: ServerOptions {
            port: options.jira_port,
            tls_dir: None,
        },
        seed: Seed::Demo,
        state_file: Some(emulator_state.join("jira.json")),
        ..JiraOptions::default()
    })
    .await
    .context("starting the Jira emulator")?;
    let sf_info = salesforce.info();
    let jira_info = jira.info();
    let admin_token = options
        .admin_token
        .clone()
        .unwrap_or_else(|| random_hex(24));
    let webhook_secret = random_hex(24);

    let mut settings = Settings {
        data_dir: options.data_dir.join("sfjira"),
        ..Settings::default()
    };
    settings.secrets.key_file = Some(options.data_dir.join("sfjira.key"));
    settings.http.port = options.port;
    settings.http.admin_token = Some(SecretString::from(admin_token.clone()));
    settings.sync.interval_secs = options.sync_interval.max(1);
    settings.salesforce.allow_insecure_loopback = true;
    settings.jira.allow_insecure_loopback = true;
    settings.jira.base_url = Some(jira_info.base_url.clone());
    settings.jira.email = Some(jira_info.email.clone());
    settings.jira.api_token = Some(SecretString::from(jira_info.api_token.clone()));
    settings.jira.webhook_secret = Some(SecretString::from(webhook_secret.clone()));

    let app = Application::build(settings)
        .await
        .context("starting sfjira")?;
    let address = format!("http://127.0.0.1:{}", app.port());
    let engine = app.state().engine.clone();
    let scheduler = app.state().scheduler.clone();
    let server = tokio::spawn(app.run_until_stopped());

    println!("Setting up the demo…");
    let setup = set_up(&engine, &scheduler, &address, &sf_info, &webhook_secret).await;
    match &setup {
        Ok(summary) => print_summary(&address, &admin_token, &sf_info, &jira_info, summary),
        Err(error) => eprintln!("demo setup failed: {error:#}"),
    }
    println!("Press Ctrl-C to stop.");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = server => {}
    }
    salesforce.stop().await;
    jira.stop().await;
    setup.map(|_| ())
}

struct DemoSummary {
    item_id: String,
    manual_issue: Option<String>,
    created: u64,
}

async fn set_up(
    engine: &Arc<Engine>,
    scheduler: &actix::Addr<Scheduler>,
    address: &str,
    sf_info: &emulator::salesforce::SalesforceInfo,
    webhook_secret: &str,
) -> anyhow::Result<DemoSummary> {
    if connection::summary(engine).await?.status != "connected" {
        connection::connect(
            engine,
            ConnectRequest {
                login_url: sf_info.login_url.clone(),
                client_id: sf_info.client_id.clone(),
                client_secret: SecretString::from(sf_info.client_secret.clone()),
            },
        )
        .await
        .context("connecting to the Salesforce emulator")?;
    }
    let jira = engine.jira()?;
    let hook_url = format!("{address}/webhooks/jira");
    let registered = jira
        .webhooks()
        .await?
        .into_iter()
        .any(|w| w.url == hook_url);
    if !registered {
        let secret = SecretString::from(webhook_secret.to_string());
        jira.register_webhook(
            "sfjira demo",
            &hook_url,
            &[
                "jira:issue_updated",
                "comment_created",
                "comment_updated",
                "attachment_created",
            ],
            Some("project = SUP"),
            Some(&secret),
        )
        .await
        .context("registering the Jira webhook")?;
    }
    let existing = items::list(engine)
        .await?
        .into_iter()
        .find(|i| i.name == "Support cases");
    let (item_id, fresh) = match existing {
        Some(row) => (row.id, false),
        None => {
            let sup = ProjectKey::parse("SUP")?;
            let types = metadata::issue_types(engine, &sup).await?;
            let issue_type = types
                .iter()
                .find(|t| t.name == "Support Request")
                .or_else(|| types.first())
                .context("project SUP has no issue types")?;
            let row = items::create(
                engine,
                ItemDefinition {
                    name: "Support cases".into(),
                    mode: SyncMode::TwoWay,
                    jira_projects: vec![sup],
                    issue_type_id: Some(issue_type.id.clone()),
                    object: "Case".into(),
                    preview_fields: vec![
                        "CaseNumber".into(),
                        "Subject".into(),
                        "Status".into(),
                        "Priority".into(),
                        "Origin".into(),
                    ],
                    mappings: vec![
                        FieldMapping {
                            salesforce_field: "Subject".into(),
                            jira_field: "summary".into(),
                        },
                        FieldMapping {
                            salesforce_field: "Description".into(),
                            jira_field: "description".into(),
                        },
                    ],
                    options: ItemOptions {
                        auto_create: true,
                        status_sync: Some(StatusSync {
                            salesforce_field: "Status".into(),
                        }),
                        comments_sync: true,
                        attachments_sync: true,
                    },
                },
            )
            .await
            .context("defining the demo item")?;
            (row.id, true)
        }
    };
    let mut manual_issue = None;
    if fresh {
        let sf = engine.salesforce()?;
        // A manual link between two seeded items that tell the same story: the Case about a
        // sign-in loop and the SUP issue about logging in (else the oldest Case and the first
        // SUP issue), so what two-way sync then mirrors either way reads sensibly.
        let sup_issues = jira
            .search_jql(
                "project = SUP ORDER BY key ASC",
                &["summary"],
                &[],
                Some(50),
            )
            .await?;
        let login_issue = sup_issues
            .iter()
            .find(|i| {
                i.fields
                    .get("summary")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.to_lowercase().contains("log in"))
            })
            .and_then(|i| i.key.clone());
        let login_case = first_id(
            &sf,
            "SELECT Id FROM Case WHERE Subject LIKE 'SSO login%' LIMIT 1",
        )
        .await?;
        let (first_case, first_issue) = match (login_case, login_issue) {
            (Some(case), Some(key)) => (Some(case), Some(key)),
            _ => (
                first_id(&sf, "SELECT Id FROM Case ORDER BY CaseNumber ASC LIMIT 1").await?,
                sup_issues.into_iter().next().and_then(|i| i.key),
            ),
        };
        if let (Some(case), Some(key)) = (first_case, first_issue) {
            panel::link(engine, &key, item_id, &case)
                .await
                .context("linking a seeded Case")?;
            manual_issue = Some(key.to_string());
        }
        // Two new Cases, with a comment and a file each, for the scheduler to auto-create.
        for (subject, comment, file) in [
            (
                "Printer on fire in building 7",
                "Facilities confirmed smoke; printer unplugged.",
                "printer-log.txt",
            ),
            (
                "VPN drops every 10 minutes",
                "Customer sent the client log.",
                "vpn-client.log",
            ),
        ] {
            let mut case = Map::new();
            case.insert("Subject".into(), subject.into());
            case.insert(
                "Description".into(),
                format!("Reported through the demo: {subject}.").into(),
            );
            case.insert("Origin".into(), "Phone".into());
            case.insert("Priority".into(), "High".into());
            let id = sf.create("Case", &case).await?;
            let mut body = Map::new();
            body.insert("ParentId".into(), id.to_string().into());
            body.insert("CommentBody".into(), comment.into());
            body.insert("IsPublished".into(), true.into());
            sf.create("CaseComment", &body).await?;
            let bytes = format!("{subject}\n{}\n", "log line ".repeat(40)).into_bytes();
            let len = bytes.len() as u64;
            let stream = sfjira::connectors::byte_stream(futures::stream::once(async move {
                Ok::<_, std::io::Error>(bytes::Bytes::from(bytes))
            }));
            sf.upload_content_version(file, file, Some(&id), len, stream)
                .await?;
        }
    }
    let run = Scheduler::run_now(scheduler, RunTrigger::Manual, Some(vec![item_id]))
        .await
        .map_err(|e| anyhow::anyhow!("first reconciliation: {e}"))?;
    let created = run.items.iter().map(|i| i.counts.issues_created).sum();
    Ok(DemoSummary {
        item_id: item_id.to_string(),
        manual_issue,
        created,
    })
}

/// The Id of the first row `soql` returns.
async fn first_id(sf: &SalesforceClient, soql: &str) -> anyhow::Result<Option<String>> {
    Ok(sf
        .query(soql)
        .await?
        .into_iter()
        .next()
        .and_then(|r| r.get("Id").and_then(Value::as_str).map(str::to_string)))
}

fn print_summary(
    address: &str,
    token: &str,
    sf: &emulator::salesforce::SalesforceInfo,
    jira: &emulator::jira::JiraInfo,
    summary: &DemoSummary,
) {
    let issue = summary
        .manual_issue
        .clone()
        .or_else(|| JiraIssueKey::parse("SUP-1").ok().map(|k| k.to_string()))
        .unwrap_or_default();
    println!();
    println!("sfjira demo is running");
    println!("  sfjira             {address}   (admin token: {token})");
    println!("  admin page         {address}/admin   (sign in with the admin token)");
    println!("  issue panel        {address}/panel/{issue}");
    println!("  readiness          {address}/readyz");
    println!(
        "  Salesforce (emu)   {}   client_id {}",
        sf.login_url, sf.client_id
    );
    println!(
        "  Jira (emu)         {}   {} / {}",
        jira.base_url, jira.email, jira.api_token
    );
    println!();
    println!(
        "  item \"Support cases\" {}: two-way Case ⇄ SUP, auto-create, status, comments, files",
        summary.item_id
    );
    println!(
        "  first reconciliation created {} Jira issue(s)",
        summary.created
    );
    println!();
    println!("Try:");
    println!("  curl -H 'Authorization: Bearer {token}' {address}/api/admin/items");
    println!("  curl -H 'Authorization: Bearer {token}' {address}/api/issues/{issue}/panel");
    println!(
        "  curl -X POST -H 'Authorization: Bearer {token}' {address}/api/admin/items/{}/sync",
        summary.item_id
    );
}
