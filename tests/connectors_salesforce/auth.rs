//! Client-credentials login: the org read and counted, every OAuth failure with its cause
//! and fix, token renewal, and tokens that point outside Salesforce.

use super::*;

#[tokio::test]
async fn connects_reads_the_org_and_counts_its_calls() {
    let (emu, client) = start().await;
    let info = client.authenticate().await.expect("token");
    assert_eq!(info.org_id.as_str(), emu.info().org_id);
    assert_eq!(info.user_id.key_prefix(), "005");
    assert!(info.instance_url.as_str().starts_with(emu.base_url()));
    assert!(info.scopes.iter().any(|s| s == "api"));
    assert_eq!(client.calls_made(), 0, "token requests are not API calls");

    let org = client.organization().await.expect("organization");
    assert_eq!(org.id.as_str(), emu.info().org_id);
    assert!(!org.name.is_empty());
    assert_eq!(client.calls_made(), 1);
    let usage = client
        .api_usage()
        .expect("Sforce-Limit-Info on every answer");
    assert!(usage.used >= 1 && usage.limit == 100_000, "{usage:?}");
    emu.stop().await;
}

#[tokio::test]
async fn each_oauth_failure_has_its_cause_and_fix() {
    let (emu, client) = start_with(SalesforceOptions {
        login_host: true,
        ..SalesforceOptions::default()
    })
    .await;
    let info = emu.info();
    let post = reqwest::Method::POST;

    let unknown = client_for(&info.login_url, "3MVG9nobody", &info.client_secret);
    let err = unknown.authenticate().await.expect_err("unknown client");
    assert_eq!(oauth_kind(&err), OAuthFailureKind::UnknownClient);

    let wrong = client_for(&info.login_url, &info.client_id, "not-the-secret");
    let err = wrong.authenticate().await.expect_err("wrong secret");
    assert_eq!(oauth_kind(&err), OAuthFailureKind::WrongSecret);
    assert!(!err.is_retryable() && err.is_auth());

    // No Run-As user, and the flow switched off: Salesforce answers both with the same words.
    for (name, spec) in [
        (
            "NoUser",
            json!({"client_id": "no-user", "client_secret": "s", "run_as": null}),
        ),
        (
            "NoFlow",
            json!({"client_id": "no-flow", "client_secret": "s", "client_credentials": false}),
        ),
    ] {
        control(&emu, post.clone(), "/__emulator/apps", spec.clone()).await;
        let c = client_for(
            &info.login_url,
            spec["client_id"].as_str().unwrap_or(""),
            "s",
        );
        let err = c.authenticate().await.expect_err(name);
        let SalesforceError::OAuth(failure) = &err else {
            panic!("{name}: {err}");
        };
        assert_eq!(failure.kind, OAuthFailureKind::NoRunAsUser, "{name}");
        assert!(failure.fix().contains("Run As"), "{}", failure.fix());
    }

    // Token requested from the generic login host instead of My Domain.
    let generic = info.generic_login_url.clone().expect("login host running");
    let c = client_for(&generic, &info.client_id, &info.client_secret);
    let err = c.authenticate().await.expect_err("generic host");
    let SalesforceError::OAuth(failure) = &err else {
        panic!("{err}");
    };
    assert_eq!(failure.kind, OAuthFailureKind::WrongDomain);
    assert_eq!(failure.description, "request not supported on this domain");
    assert!(failure.fix().contains("My Domain"));

    // An app without the api scope: the token is issued, REST refuses it.
    control(
        &emu,
        post.clone(),
        "/__emulator/apps",
        json!({"client_id": "no-api", "client_secret": "s", "run_as": info.username, "scopes": ["refresh_token"]}),
    )
    .await;
    let c = client_for(&info.login_url, "no-api", "s");
    c.authenticate().await.expect("the token itself is issued");
    let err = c.organization().await.expect_err("REST refuses");
    assert_eq!(oauth_kind(&err), OAuthFailureKind::MissingApiScope);
    assert_eq!(c.calls_made(), 1, "no renewal loop for a scope problem");

    // The Run-As user deactivated, then active again but without "API Enabled".
    let user = format!("/__emulator/users/{}", info.username);
    control(
        &emu,
        reqwest::Method::PATCH,
        &user,
        json!({"active": false}),
    )
    .await;
    let err = client.authenticate().await.expect_err("inactive user");
    assert_eq!(oauth_kind(&err), OAuthFailureKind::InactiveUser);
    control(
        &emu,
        reqwest::Method::PATCH,
        &user,
        json!({"active": true, "api_enabled": false}),
    )
    .await;
    client
        .authenticate()
        .await
        .expect("the token itself is issued");
    let err = client
        .organization()
        .await
        .expect_err("API disabled for the user");
    assert_eq!(oauth_kind(&err), OAuthFailureKind::ApiDisabledForUser);
    control(
        &emu,
        reqwest::Method::PATCH,
        &user,
        json!({"api_enabled": true}),
    )
    .await;

    // Refusals the org settings cannot produce, injected with Salesforce's documented bodies.
    let injected = [
        (
            "invalid_app_access",
            "user is not admin approved to access this app",
            OAuthFailureKind::NotAdminApproved,
        ),
        (
            "unsupported_grant_type",
            "grant type not supported",
            OAuthFailureKind::UnsupportedGrantType,
        ),
        (
            "invalid_request",
            "grant type is missing",
            OAuthFailureKind::MissingGrantType,
        ),
        (
            "invalid_grant",
            "client credentials flow not enabled",
            OAuthFailureKind::FlowNotEnabled,
        ),
        (
            "invalid_scope",
            "scope parameter not supported",
            OAuthFailureKind::InvalidScope,
        ),
    ];
    for (error, description, kind) in injected {
        arm(
            &emu,
            json!({"method": "POST", "path": "/services/oauth2/token",
                   "action": {"kind": "respond", "status": 400,
                              "body": {"error": error, "error_description": description}}}),
        )
        .await;
        let err = client.authenticate().await.expect_err(error);
        let SalesforceError::OAuth(failure) = &err else {
            panic!("{error}: {err}");
        };
        assert_eq!(failure.kind, kind, "{error}");
        assert!(!failure.cause().is_empty() && !failure.fix().is_empty());
        assert!(err.to_string().contains(description), "{err}");
    }

    // A transient token error is retried, then the token comes.
    arm(
        &emu,
        json!({"method": "POST", "path": "/services/oauth2/token",
               "action": {"kind": "respond", "status": 400,
                          "body": {"error": "unknown_error", "error_description": "retry your request"}}}),
    )
    .await;
    client
        .authenticate()
        .await
        .expect("retried after unknown_error");
    emu.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_a_dead_session_is_reported() {
    let (emu, client) = start().await;
    let first = client.authenticate().await.expect("token");
    control(
        &emu,
        reqwest::Method::POST,
        "/__emulator/clock/advance",
        json!({"seconds": 3 * 3600}),
    )
    .await;
    client.organization().await.expect("renewed after expiry");
    let second = client.token_info().await.expect("a token is cached");
    assert!(second.issued_at > first.issued_at, "a new token was issued");
    assert_eq!(client.calls_made(), 2, "the refused call and its one retry");

    // A session that stays invalid: renewed once, then reported.
    arm(
        &emu,
        json!({"method": "GET", "path": "/services/data/*/query*", "times": 2,
               "action": {"kind": "respond", "status": 401,
                          "body": [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]}}),
    )
    .await;
    let before = client.calls_made();
    let err = client.organization().await.expect_err("still invalid");
    assert!(
        matches!(err, SalesforceError::SessionExpired { renewed: false, .. }),
        "{err}"
    );
    assert_eq!(
        client.calls_made() - before,
        2,
        "renewed once, not in a loop"
    );
    emu.stop().await;
}

#[tokio::test]
async fn a_token_pointing_outside_salesforce_is_refused() {
    let (emu, client) = start().await;
    let info = emu.info();
    arm(
        &emu,
        json!({"method": "POST", "path": "/services/oauth2/token", "action": {"kind": "respond",
            "status": 200, "body": {"access_token": "x", "instance_url": "https://evil.example.com",
            "id": format!("{}/id/{}/005000000000001", info.login_url, info.org_id),
            "token_type": "Bearer", "issued_at": "1700000000000"}}}),
    )
    .await;
    let err = client.authenticate().await.expect_err("refused host");
    assert!(matches!(err, SalesforceError::HostRefused(_)), "{err}");
    assert!(
        err.to_string().contains("salesforce_instance_host"),
        "{err}"
    );
    emu.stop().await;
}
