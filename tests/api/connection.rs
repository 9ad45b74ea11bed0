//! `/api/admin/connection`: validate before saving, say why and how to fix, revoke.

use serde_json::{json, Value};

use crate::world::{connected_world, world_with, WorldOptions};

#[actix_web::test]
async fn connecting_validates_with_salesforce_and_saves_the_summary() {
    let world = connected_world().await;
    let (status, summary) = world.get("/api/admin/connection").await;
    assert_eq!(status, 200);
    assert_eq!(summary["status"], "connected");
    assert_eq!(summary["org_id"], world.sf_info.org_id.as_str());
    assert_eq!(summary["org_name"], "Acme Support (Emulated)");
    assert_eq!(
        summary["instance_url"],
        world.sf_info.instance_url.trim_end_matches('/')
    );
    assert_eq!(summary["client_id"], world.sf_info.client_id.as_str());
    let text = summary.to_string();
    assert!(
        !text.contains(&world.sf_info.client_secret),
        "the secret is never returned"
    );
    let log = world
        .app
        .get("/api/audit/events")
        .await
        .text()
        .await
        .expect("body");
    assert!(
        !log.contains(&world.sf_info.client_secret),
        "the secret is never in the log"
    );
    assert!(log.contains("connection.validated"));
}

#[actix_web::test]
async fn a_wrong_secret_is_refused_with_its_cause_and_fix_and_nothing_is_saved() {
    let world = world_with(WorldOptions::default(), |_| {}).await;
    let (status, body) = world
        .api(
            reqwest::Method::PUT,
            "/api/admin/connection",
            Some(json!({
                "login_url": world.sf_info.login_url,
                "client_id": world.sf_info.client_id,
                "client_secret": "not-the-secret",
            })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "salesforce_auth_failed");
    assert_eq!(body["details"]["salesforce_error"], "invalid_client");
    assert!(body["details"]["fix"]
        .as_str()
        .is_some_and(|f| !f.is_empty()));
    assert_eq!(world.app.state.store.head(), 0, "nothing recorded");
    let (_, summary) = world.get("/api/admin/connection").await;
    assert_eq!(summary["status"], "not_connected");
}

#[actix_web::test]
async fn a_generic_login_host_is_refused_with_the_my_domain_fix() {
    let world = world_with(
        WorldOptions {
            login_host: true,
            ..WorldOptions::default()
        },
        |_| {},
    )
    .await;
    let generic = world
        .sf_info
        .generic_login_url
        .clone()
        .expect("login host running");
    let (status, body) = world
        .api(
            reqwest::Method::PUT,
            "/api/admin/connection",
            Some(json!({
                "login_url": generic,
                "client_id": world.sf_info.client_id,
                "client_secret": world.sf_info.client_secret,
            })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["details"]["salesforce_error"], "invalid_grant");
    let fix = body["details"]["fix"].as_str().expect("fix").to_lowercase();
    assert!(fix.contains("my domain"), "{fix}");
}

#[actix_web::test]
async fn an_app_without_a_run_as_user_is_explained() {
    let world = world_with(WorldOptions::default(), |_| {}).await;
    world
        .sf_control(
            reqwest::Method::PATCH,
            &format!("apps/{}", world.sf_info.client_id),
            Some(json!({"run_as": null})),
        )
        .await;
    let response = world.connect().await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["details"]["salesforce_description"],
        "no client credentials user enabled"
    );
    assert!(body["details"]["cause"]
        .as_str()
        .is_some_and(|c| c.to_lowercase().contains("run as")));
}

#[actix_web::test]
async fn incomplete_forms_and_foreign_hosts_are_refused_before_any_call() {
    let world = world_with(WorldOptions::default(), |_| {}).await;
    let (status, body) = world
        .api(
            reqwest::Method::PUT,
            "/api/admin/connection",
            Some(json!({"login_url": "", "client_id": "", "client_secret": ""})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "invalid_connection");
    for field in ["login_url", "client_id", "client_secret"] {
        assert!(
            body["details"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let (status, body) = world
        .api(
            reqwest::Method::PUT,
            "/api/admin/connection",
            Some(json!({"login_url": "https://evil.example.com", "client_id": "x", "client_secret": "y"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "salesforce_url_refused");
    let (status, body) = world
        .api(
            reqwest::Method::PUT,
            "/api/admin/connection",
            Some(json!({"login_url": "x"})),
        )
        .await;
    assert_eq!(status, 422, "a body missing fields does not fit: {body}");
    let requests = world.requests(world.sf.base_url()).await;
    assert_eq!(requests["total"], 0, "Salesforce was not called");
}

#[actix_web::test]
async fn revoking_clears_the_connection_and_the_secret() {
    let world = connected_world().await;
    let (status, body) = world
        .api(reqwest::Method::DELETE, "/api/admin/connection", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "not_connected");
    let (_, summary) = world.get("/api/admin/connection").await;
    assert_eq!(summary["status"], "not_connected");
    let (status, body) = world.get("/api/admin/salesforce/objects").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "salesforce_not_connected");
    let (status, _) = world
        .api(reqwest::Method::DELETE, "/api/admin/connection", None)
        .await;
    assert_eq!(status, 409, "nothing left to revoke");
}
