//! Failures: transient ones retried with back-off, refusals not, and the daily limit as its
//! own kind.

use super::*;

#[tokio::test]
async fn transient_failures_are_retried_and_refusals_are_not() {
    let (emu, client) = start().await;
    client.authenticate().await.expect("token");
    let query = "/services/data/*/query*";

    arm(
        &emu,
        json!({"method": "GET", "path": query, "action": {"kind": "respond", "status": 503,
        "body": [{"errorCode": "SERVER_UNAVAILABLE", "message": "try later"}]}}),
    )
    .await;
    client.organization().await.expect("a 503, then success");
    assert_eq!(client.calls_made(), 2);

    arm(
        &emu,
        json!({"method": "GET", "path": query, "action": {"kind": "drop"}}),
    )
    .await;
    client
        .organization()
        .await
        .expect("a dropped connection, then success");
    assert_eq!(client.calls_made(), 4);

    arm(&emu, json!({"method": "GET", "path": query, "action": {"kind": "respond", "status": 400,
        "body": [{"errorCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access"}]}})).await;
    client
        .organization()
        .await
        .expect("a row lock, then success");
    assert_eq!(client.calls_made(), 6);

    arm(
        &emu,
        json!({"method": "GET", "path": query, "action": {"kind": "respond", "status": 503,
        "headers": {"Retry-After": "1"},
        "body": [{"errorCode": "SERVER_UNAVAILABLE", "message": "try later"}]}}),
    )
    .await;
    let started = std::time::Instant::now();
    client.organization().await.expect("waits as asked");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After honoured"
    );

    arm(
        &emu,
        json!({"method": "GET", "path": query, "times": 5, "action": {"kind": "respond",
        "status": 503, "body": [{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}]}}),
    )
    .await;
    let before = client.calls_made();
    let err = client.organization().await.expect_err("still down");
    assert_eq!(client.calls_made() - before, 3, "bounded attempts");
    assert!(err.is_retryable() && err.status() == Some(503), "{err}");
    control(
        &emu,
        reqwest::Method::DELETE,
        "/__emulator/faults",
        Value::Null,
    )
    .await;

    // The token endpoint down while a call needs a token: bounded attempts, not nested ones.
    client.forget_token().await;
    control(
        &emu,
        reqwest::Method::DELETE,
        "/__emulator/requests",
        Value::Null,
    )
    .await;
    arm(
        &emu,
        json!({"method": "POST", "path": "/services/oauth2/token", "times": 9,
        "action": {"kind": "respond", "status": 503, "text": "Service Unavailable"}}),
    )
    .await;
    let before = client.calls_made();
    let err = client.organization().await.expect_err("no token to be had");
    assert!(err.is_retryable() && err.status() == Some(503), "{err}");
    assert_eq!(client.calls_made(), before, "no REST call without a token");
    let log = control(
        &emu,
        reqwest::Method::GET,
        "/__emulator/requests",
        Value::Null,
    )
    .await;
    let token_requests = log["requests"].as_array().map(|r| {
        r.iter()
            .filter(|r| r["path"] == "/services/oauth2/token")
            .count()
    });
    assert_eq!(token_requests, Some(3));
    control(
        &emu,
        reqwest::Method::DELETE,
        "/__emulator/faults",
        Value::Null,
    )
    .await;

    let before = client.calls_made();
    let err = client
        .query("SELECT Id FROM Bogus")
        .await
        .expect_err("bad object");
    assert_eq!(client.calls_made() - before, 1, "a refusal is not retried");
    assert!(err.has_code("INVALID_TYPE"), "{err}");
    emu.stop().await;
}

#[tokio::test]
async fn request_limit_exceeded_is_its_own_kind() {
    let (emu, client) = start().await;
    client.organization().await.expect("under the limit");
    control(
        &emu,
        reqwest::Method::PATCH,
        "/__emulator/settings",
        json!({"daily_api_limit": 500, "api_usage": 500}),
    )
    .await;
    let before = client.calls_made();
    let err = client.organization().await.expect_err("over the limit");
    assert!(err.is_request_limit(), "{err}");
    assert!(
        !err.is_retryable(),
        "the whole connector slows down instead"
    );
    assert_eq!(client.calls_made() - before, 1);
    let usage = client.api_usage().expect("usage seen");
    assert_eq!(usage.limit, 500);
    emu.stop().await;
}
