//! State-file persistence, reset to a seed, seeding with explicit timestamps, and the control
//! API's refusals.

use crate::salesforce_support;

use emulator::common::Seed;
use emulator::salesforce::SalesforceOptions;
use reqwest::Method;
use salesforce_support::{start, start_with};
use serde_json::json;

#[tokio::test]
async fn the_state_file_round_trips_records_and_configuration() {
    let dir = std::env::temp_dir().join(format!("sfemu-state-{}", std::process::id()));
    let path = dir.join("salesforce.json");
    let _ = std::fs::remove_file(&path);
    let options = SalesforceOptions {
        seed: Seed::Empty,
        state_file: Some(path.clone()),
        ..SalesforceOptions::default()
    };
    let sf = start_with(options.clone()).await;
    let id = sf.create("Account", json!({"Name": "Persisted"})).await;
    sf.control(Method::POST, "/objects", Some(json!({"name": "Gadget__c"})))
        .await;
    let info = sf.info.clone();
    sf.stop().await;
    assert!(path.exists());

    let sf = start_with(SalesforceOptions {
        seed: Seed::Demo,
        ..options
    })
    .await;
    let creds = |i: &emulator::salesforce::SalesforceInfo| {
        (
            i.client_id.clone(),
            i.client_secret.clone(),
            i.org_id.clone(),
            i.username.clone(),
        )
    };
    assert_eq!(creds(&sf.info), creds(&info), "credentials survive");
    let rec = sf.get(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(rec.body["Name"], "Persisted");
    assert!(
        sf.rows("SELECT Id FROM Case").await.is_empty(),
        "the saved org wins over the seed"
    );
    assert_eq!(sf.get("/sobjects/Gadget__c/describe").await.status, 200);
    let next = sf.create("Account", json!({"Name": "Second"})).await;
    assert!(next > id, "the id counter continues");
    sf.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn reset_returns_to_a_seed_and_info_matches_the_http_answer() {
    let mut sf = start(Seed::Demo).await;
    assert_eq!(sf.rows("SELECT Id FROM Case").await.len(), 12);
    let info = sf.control(Method::GET, "/info", None).await;
    assert_eq!(info.body, serde_json::to_value(&sf.info).unwrap());
    assert_eq!(info.body["login_url"], sf.base.as_str());
    assert_eq!(info.body["api_version"], "63.0");
    sf.reseed_at("empty", "2024-06-01T00:00:00Z").await;
    assert!(sf.rows("SELECT Id FROM Case").await.is_empty());
    let statuses = sf
        .rows("SELECT ApiName, IsClosed, IsDefault, SortOrder FROM CaseStatus ORDER BY SortOrder")
        .await;
    let names: Vec<&str> = statuses
        .iter()
        .map(|s| s["ApiName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "New",
            "Working",
            "Escalated",
            "Waiting on Customer",
            "Closed"
        ]
    );
    assert_eq!(statuses[4]["IsClosed"], true);
    assert_eq!(sf.rows("SELECT Id, Name FROM Organization").await.len(), 1);
    sf.stop().await;
}

#[tokio::test]
async fn seeded_records_may_carry_explicit_timestamps_and_are_listed_with_deleted_ones() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .control(
            Method::POST,
            "/records/Case",
            Some(json!([{"Subject": "old", "CreatedDate": "2020-01-01T00:00:00Z", "LastModifiedDate": "2020-02-01T00:00:00Z"}])),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["ids"][0].as_str().unwrap().to_string();
    let rec = sf.get(&format!("/sobjects/Case/{id}")).await.body;
    assert_eq!(rec["CreatedDate"], "2020-01-01T00:00:00.000+0000");
    assert_eq!(rec["SystemModstamp"], "2020-02-01T00:00:00.000+0000");
    sf.delete(&format!("/sobjects/Case/{id}")).await;
    let all = sf.control(Method::GET, "/records/Case", None).await;
    assert_eq!(all.body[0]["IsDeleted"], true);
    let bad = sf
        .control(
            Method::POST,
            "/records/Case",
            Some(json!({"Status": "Nope"})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"], "invalid_record");
    sf.stop().await;
}

#[tokio::test]
async fn control_api_refuses_bad_input_with_json_errors() {
    let sf = start(Seed::Empty).await;
    for (method, path, body) in [
        (Method::PATCH, "/settings", json!({"bogus": 1})),
        (Method::POST, "/users", json!({"username": "no-at-sign"})),
        (
            Method::POST,
            "/apps",
            json!({"run_as": "nobody@example.com"}),
        ),
        (
            Method::POST,
            "/objects/Case/fields",
            json!({"name": "Bad", "type": "string"}),
        ),
        (Method::POST, "/reset", json!({"seed": "huge"})),
        (
            Method::PUT,
            "/case-statuses",
            json!([{"value": "Only closed", "closed": true}]),
        ),
    ] {
        let a = sf.control(method, path, Some(body)).await;
        assert_eq!(a.status, 400, "{path}: {}", a.body);
        assert!(
            a.body["error"].is_string() && a.body["message"].is_string(),
            "{path}: {}",
            a.body
        );
    }
    let app = sf
        .control(
            Method::POST,
            "/apps",
            Some(json!({"name": "Second", "run_as": sf.info.username})),
        )
        .await;
    assert_eq!(app.status, 201);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app.body["client_id"].as_str().unwrap()),
        ("client_secret", app.body["client_secret"].as_str().unwrap()),
    ];
    assert_eq!(sf.token_request(&form).await.status, 200);
    let user = sf
        .control(Method::POST, "/users", Some(json!({"username": "reader@example.com", "last_name": "Reader", "default_permissions": {"read": true}})))
        .await;
    assert_eq!(user.status, 201, "{}", user.body);
    assert_eq!(
        user.body["default_permissions"],
        json!({"read": true, "create": false, "edit": false, "delete": false})
    );
    sf.stop().await;
}
