//! Secrets that hold: strength checked at start, read from files or the encrypted vault, never
//! answered back; failed credentials throttled per client address; a private data directory.

use std::sync::Arc;

use serde_json::{json, Value};
use sfjira::startup::Application;

use crate::helpers::{spawn_app, spawn_app_with, start, test_settings, ADMIN_TOKEN};

const STRONG: &str = "a-webhook-secret-of-at-least-32-characters";

async fn start_error(adjust: impl FnOnce(&mut sfjira::config::Settings)) -> String {
    let data = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(&data);
    adjust(&mut settings);
    match Application::build(settings).await {
        Ok(_) => panic!("the application started"),
        Err(e) => e.to_string(),
    }
}

#[actix_web::test]
async fn a_short_or_empty_admin_token_or_webhook_secret_refuses_to_start_naming_the_key() {
    let error = start_error(|s| s.http.admin_token = Some("short".to_string().into())).await;
    assert!(error.contains("http.admin_token"), "{error}");
    let error = start_error(|s| s.http.admin_token = Some(String::new().into())).await;
    assert!(error.contains("http.admin_token"), "{error}");
    let error = start_error(|s| s.jira.webhook_secret = Some("hunter2".to_string().into())).await;
    assert!(error.contains("jira.webhook_secret"), "{error}");
}

#[actix_web::test]
async fn the_admin_token_can_be_read_from_a_file() {
    let data = Arc::new(tempfile::tempdir().expect("temp dir"));
    let file = data.path().join("admin-token");
    std::fs::write(&file, format!("{ADMIN_TOKEN}\n")).expect("write");
    let mut settings = test_settings(&data);
    settings.http.admin_token = None;
    settings.http.admin_token_file = Some(file);
    let app = start(settings, data).await;
    assert_eq!(app.get("/api/admin/items").await.status(), 200);
}

#[actix_web::test]
async fn a_webhook_secret_kept_in_the_vault_is_used_at_start() {
    let data = Arc::new(tempfile::tempdir().expect("temp dir"));
    let settings = test_settings(&data);
    let vault = sfjira::secrets::SecretVault::open(&settings.data_dir, &settings.key_file())
        .expect("vault");
    vault
        .put("jira.webhook_secret", &STRONG.to_string().into())
        .expect("put");
    drop(vault);
    let app = start(settings, data).await;
    let body = serde_json::to_vec(&json!({
        "timestamp": chrono::Utc::now().timestamp_millis(),
        "webhookEvent": "comment_created",
        "issue": {"id": "1", "key": "SUP-1"}
    }))
    .expect("json");
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(STRONG.as_bytes()).expect("key");
    mac.update(&body);
    let response = app
        .http
        .post(app.url("/webhooks/jira"))
        .header("X-Atlassian-Webhook-Identifier", "vaulted")
        .header(
            "X-Hub-Signature",
            format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
        )
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let (_, listed) = put_or_get(&app, reqwest::Method::GET, "/api/admin/secrets", None).await;
    let webhook = listed["secrets"]
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["name"] == "jira.webhook_secret")
        .expect("listed")
        .clone();
    assert_eq!(webhook["in_use_from"], "vault");
    assert_eq!(webhook["stored_in_vault"], true);
    assert!(
        !listed.to_string().contains(STRONG),
        "values are never answered"
    );
}

async fn put_or_get(
    app: &crate::helpers::TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .http
        .request(method, app.url(path))
        .bearer_auth(&app.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn jira_secrets_are_stored_in_the_vault_through_the_admin_api() {
    let app = spawn_app().await;
    let path = "/api/admin/secrets/jira.api_token";
    let (status, answer) = put_or_get(
        &app,
        reqwest::Method::PUT,
        path,
        Some(json!({"value": "an-api-token"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["applies"], "at the next start");
    let stored = std::fs::read_to_string(app.state.settings.data_dir.join("secrets.json"))
        .expect("vault file");
    assert!(!stored.contains("an-api-token"), "sealed, not in clear");

    let (status, answer) = put_or_get(
        &app,
        reqwest::Method::PUT,
        "/api/admin/secrets/jira.webhook_secret",
        Some(json!({"value": "too-short"})),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("weak_secret"))
    );
    let (status, answer) = put_or_get(
        &app,
        reqwest::Method::PUT,
        "/api/admin/secrets/http.admin_token",
        Some(json!({"value": STRONG})),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown_secret"))
    );

    let (status, _) = put_or_get(&app, reqwest::Method::DELETE, path, None).await;
    assert_eq!(status, 200);
    let (status, answer) = put_or_get(&app, reqwest::Method::DELETE, path, None).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("secret_not_stored"))
    );
}

#[actix_web::test]
async fn wrong_bearer_tokens_are_throttled_per_address_then_even_the_right_one_waits() {
    let app = spawn_app_with(|s| s.http.auth_failures_allowed = 3).await;
    for _ in 0..3 {
        let response = app
            .http
            .get(app.url("/api/admin/items"))
            .bearer_auth("a-wrong-token")
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 401);
    }
    let response = app
        .http
        .get(app.url("/api/admin/items"))
        .bearer_auth("a-wrong-token")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["error"], "too_many_failed_attempts");
    let right = app.get("/api/admin/items").await;
    assert_eq!(right.status(), 429, "a locked-out address learns nothing");
}

#[actix_web::test]
async fn wrong_sign_ins_are_throttled_with_retry_after() {
    let app = spawn_app_with(|s| s.http.auth_failures_allowed = 2).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = http
            .post(app.url("/admin/login"))
            .form(&[("token", "not-the-admin-token"), ("next", "/admin")])
            .send()
            .await
            .expect("sent");
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
        }
    }
    assert_eq!(statuses, [401, 401, 429]);
}

#[cfg(unix)]
#[actix_web::test]
async fn the_data_directory_is_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let mode = std::fs::metadata(&app.state.settings.data_dir)
        .expect("data dir")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
}
