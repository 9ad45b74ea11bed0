//! Rate limits and transient failures, retried with back-off.

use super::*;

#[tokio::test]
async fn rate_limits_and_transient_failures_are_retried() {
    let (emu, client) = start().await;
    let post = reqwest::Method::POST;

    control(
        &emu,
        post.clone(),
        "/__emulator/rate-limit",
        json!({"times": 1, "retry_after": 1}),
    )
    .await;
    let started = Instant::now();
    client.myself().await.expect("after the wait");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After honoured"
    );
    assert_eq!(client.calls_made(), 2);

    control(
        &emu,
        post.clone(),
        "/__emulator/rate-limit",
        json!({"times": 1, "retry_after": 60}),
    )
    .await;
    let started = Instant::now();
    let err = client.myself().await.expect_err("too long to wait here");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "handed back at once"
    );
    let JiraError::RateLimited {
        retry_after,
        reason,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(60)));
    assert_eq!(reason.as_deref(), Some("jira-burst-based"));
    assert!(err.is_retryable() && err.retry_after() == Some(Duration::from_secs(60)));

    let faults = "/__emulator/faults";
    control(&emu, post.clone(), faults, json!({"path": "/rest/api/3/myself",
        "action": {"kind": "respond", "status": 503, "body": {"errorMessages": ["busy"], "errors": {}}}})).await;
    client.myself().await.expect("a 503, then success");
    control(
        &emu,
        post.clone(),
        faults,
        json!({"path": "/rest/api/3/myself", "action": {"kind": "drop"}}),
    )
    .await;
    client
        .myself()
        .await
        .expect("a dropped connection, then success");

    control(&emu, post.clone(), faults, json!({"path": "/rest/api/3/myself", "times": 5,
        "action": {"kind": "respond", "status": 500, "body": {"errorMessages": ["boom"], "errors": {}}}})).await;
    let before = client.calls_made();
    let err = client.myself().await.expect_err("still failing");
    assert_eq!(client.calls_made() - before, 3, "bounded attempts");
    assert_eq!(err.status(), Some(500));
    assert!(err.to_string().contains("boom"), "{err}");
    emu.stop().await;
}
