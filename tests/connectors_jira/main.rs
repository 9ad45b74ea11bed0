//! The Jira client against the Jira emulator, over real HTTP on loopback.
//!
//! Nothing of ours is mocked: each test starts an emulator on port 0 (demo seed: projects SUP
//! and ENG, issues SUP-1…3 and ENG-1…2, transitions 11/21/31/41), shapes it or arms faults and
//! rate limits through its control API (`/__emulator/…`), and drives `JiraClient` the way the
//! sync engine does.

#[path = "../common/control.rs"]
mod control;
mod failures;
mod files;
#[path = "../common/generated.rs"]
mod generated;
mod issues;
mod site;

use std::time::{Duration, Instant};

use emulator::jira::{JiraEmulator, JiraOptions};
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use sfjira::config::JiraSettings;
use sfjira::connectors::jira::{JiraClient, JiraError, PropertyWrite};
use sfjira::connectors::retry::{RetryClassified, RetryPolicy};
use sfjira::domain::adf::text_to_adf;
use sfjira::domain::escape::jql_quote;
use sfjira::domain::ids::{JiraIssueKey, ProjectKey};

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
    control::control(emu.base_url(), method, path, body).await
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
