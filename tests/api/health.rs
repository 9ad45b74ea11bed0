//! Liveness, readiness, metrics, and the admin guard.

use crate::helpers::spawn_app;

#[actix_web::test]
async fn healthz_answers_ok_without_a_token() {
    let app = spawn_app().await;
    let response = app.get_anonymous("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
}

#[actix_web::test]
async fn readyz_reports_the_store_and_every_projection() {
    let app = spawn_app().await;
    app.settle().await;
    let response = app.get_anonymous("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["store"]["invariants"], "passed");
    let names: Vec<_> = body["projections"]
        .as_array()
        .expect("projections")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(names, ["links", "panel", "admin"]);
}

#[actix_web::test]
async fn metrics_export_appends_latency_lag_and_actors() {
    let app = spawn_app().await;
    app.link(
        sfjira::domain::ids::ItemId::new(),
        "SUP-1",
        "500xx000000bQ2L",
        sfjira::domain::link::events::LinkOrigin::Manual,
    )
    .await;
    app.settle().await;
    let text = app
        .get_anonymous("/metrics")
        .await
        .text()
        .await
        .expect("text");
    for needle in [
        "sfjira_store_events_appended_total 1",
        "sfjira_store_append_latency_seconds_bucket",
        "sfjira_projection_lag_events{projection=\"panel\"} 0",
        "sfjira_link_actors_active 1",
    ] {
        assert!(text.contains(needle), "metrics lack {needle:?}:\n{text}");
    }
}

#[actix_web::test]
async fn every_api_route_needs_the_admin_token() {
    let app = spawn_app().await;
    for path in [
        "/api/audit/events",
        "/api/audit/links/0193a000-0000-7000-8000-000000000000",
    ] {
        let response = app.get_anonymous(path).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"], "unauthorized");
        let wrong = app
            .http
            .get(app.url(path))
            .bearer_auth("not-the-token")
            .send()
            .await
            .expect("sent");
        assert_eq!(wrong.status(), 401, "{path} with a wrong token");
    }
}

#[actix_web::test]
async fn unknown_routes_answer_the_standard_error_body() {
    let app = spawn_app().await;
    let response = app.get("/api/nothing-here").await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "route_not_found");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("/api/nothing-here")));
}

#[actix_web::test]
async fn a_method_a_route_does_not_serve_answers_405_with_the_standard_error_body() {
    let app = spawn_app().await;
    let response = app
        .http
        .patch(app.url("/api/admin/connection"))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 405);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "method_not_allowed");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("PATCH") && m.contains("/api/admin/connection")));
}

#[actix_web::test]
async fn readyz_answers_503_naming_the_cause_once_the_store_stops_accepting_writes() {
    use hmac::{Hmac, Mac};
    const SECRET: &str = "readiness-webhook-secret-of-32-chars-or-more";
    let fault = sfjira::events::store::WriteFault::new();
    let app = crate::helpers::spawn_app_with(|s| {
        s.store.write_fault = Some(fault.clone());
        s.jira.webhook_secret = Some(SECRET.to_string().into());
    })
    .await;
    app.settle().await;
    assert_eq!(app.get_anonymous("/readyz").await.status(), 200);
    let metrics = app
        .get_anonymous("/metrics")
        .await
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("sfjira_store_writable 1"), "{metrics}");

    fault.fail_writes("No space left on device (injected)");
    let body = serde_json::to_vec(&serde_json::json!({
        "timestamp": chrono::Utc::now().timestamp_millis(),
        "webhookEvent": "comment_created",
        "issue": {"id": "10012", "key": "SUP-12"}
    }))
    .expect("json");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(&body);
    let delivery = app
        .http
        .post(app.url("/webhooks/jira"))
        .header("Content-Type", "application/json")
        .header("X-Atlassian-Webhook-Identifier", "while-the-disk-is-full")
        .header(
            "X-Hub-Signature",
            format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
        )
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(delivery.status(), 503, "Jira retries a 503 later");
    let answer: serde_json::Value = delivery.json().await.expect("json");
    assert_eq!(answer["error"], "unavailable");

    let response = app.get_anonymous("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["store"]["writable"], false);
    let failure = body["store"]["failure"].as_str().expect("a cause");
    assert!(failure.contains("No space left on device"), "{failure}");
    let metrics = app
        .get_anonymous("/metrics")
        .await
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("sfjira_store_writable 0"), "{metrics}");
}
