//! API usage accounting: the Sforce-Limit-Info header, the limits resource, and
//! REQUEST_LIMIT_EXCEEDED once the daily allowance is spent.

use crate::salesforce_support;

use emulator::common::Seed;
use emulator::salesforce::SalesforceOptions;
use reqwest::Method;
use salesforce_support::{start, start_with};
use serde_json::json;

#[tokio::test]
async fn every_rest_call_counts_and_reports_usage_but_token_calls_do_not() {
    let sf = start(Seed::Empty).await;
    let first = sf.get("/limits").await;
    assert_eq!(first.headers["sforce-limit-info"], "api-usage=1/100000");
    assert_eq!(
        first.body["DailyApiRequests"],
        json!({"Max": 100000, "Remaining": 99999})
    );
    sf.login().await;
    let a = sf.query("SELECT Bogus FROM Case").await;
    assert_eq!(
        a.headers["sforce-limit-info"], "api-usage=2/100000",
        "errors count too; token calls do not"
    );
    let settings = sf.control(Method::GET, "/settings", None).await;
    assert_eq!(
        settings.body["api_usage"], 2,
        "control calls are not counted"
    );
    sf.stop().await;
}

#[tokio::test]
async fn the_daily_limit_once_spent_answers_request_limit_exceeded() {
    let sf = start_with(SalesforceOptions {
        seed: Seed::Empty,
        daily_api_limit: 3,
        ..SalesforceOptions::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(sf.get("/sobjects").await.status, 200);
    }
    let a = sf.get("/sobjects").await;
    assert_eq!(a.status, 403);
    assert_eq!(
        a.body,
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    assert_eq!(a.headers["sforce-limit-info"], "api-usage=3/3");
    let a = sf
        .control(
            Method::PATCH,
            "/settings",
            Some(json!({"api_usage": 0, "daily_api_limit": 10})),
        )
        .await;
    assert_eq!(a.body["api_usage"], 0);
    assert_eq!(sf.get("/sobjects").await.status, 200);
    sf.stop().await;
}

#[tokio::test]
async fn usage_rolls_off_after_24_hours_of_emulated_time() {
    let mut sf = start(Seed::Empty).await;
    sf.freeze("2024-05-01T00:00:00Z").await;
    sf.token = sf.login().await;
    sf.get("/limits").await;
    sf.control(
        Method::PATCH,
        "/settings",
        Some(json!({"token_ttl_secs": 200000})),
    )
    .await;
    sf.token = sf.login().await;
    sf.advance(24 * 3600 + 60).await;
    let a = sf.get("/limits").await;
    assert_eq!(a.headers["sforce-limit-info"], "api-usage=1/100000");
    sf.stop().await;
}
