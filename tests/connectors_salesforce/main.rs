//! The Salesforce client against the Salesforce emulator, over real HTTP on loopback.
//!
//! Nothing of ours is mocked: each test starts an emulator on port 0, shapes the org or arms
//! faults through its control API (`/__emulator/…`), and drives `SalesforceClient` the way the
//! sync engine does. Failures Salesforce produces but the emulator cannot be made to produce
//! through its org settings (a non-approved app, a transient token error) are injected as the
//! documented wire bodies with the emulator's fault API.

mod auth;
#[path = "../common/control.rs"]
mod control;
mod failures;
#[path = "../common/generated.rs"]
mod generated;
mod reads;
mod writes;

use std::ops::ControlFlow;
use std::time::Duration;

use emulator::common::Seed;
use emulator::salesforce::{SalesforceEmulator, SalesforceOptions};
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use sfjira::config::SalesforceSettings;
use sfjira::connectors::retry::{RetryClassified, RetryPolicy};
use sfjira::connectors::salesforce::{
    CompositeRequest, CompositeSubrequest, OAuthFailureKind, RecordCreate, RecordUpdate,
    SalesforceClient, SalesforceConnection, SalesforceError,
};
use sfjira::domain::ids::SalesforceId;

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
    control::control(emu.base_url(), method, path, body).await
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
