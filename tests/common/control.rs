//! One call to an emulator's control API (`/__emulator/…`), shared by the Salesforce and Jira
//! client tests: the call must succeed, and its JSON answer (or `null`) is returned.

use serde_json::Value;

/// Sends `body` to `path` on the emulator at `base_url`; panics with the answer when it fails.
pub async fn control(base_url: &str, method: reqwest::Method, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .request(method, format!("{base_url}{path}"))
        .json(&body)
        .send()
        .await
        .expect("control call");
    let status = response.status();
    let text = response.text().await.expect("control body");
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}
