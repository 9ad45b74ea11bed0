//! Authentication of the Jira emulator: Basic with an API token, bearer tokens, Jira's 401,
//! anonymous serverInfo, and 403 for non-admins on admin resources.

use crate::support;

use reqwest::Method;
use serde_json::json;
use support::{expect_json, Jira};

#[tokio::test]
async fn missing_or_wrong_credentials_get_jiras_plain_text_401() {
    let jira = Jira::start().await;
    let anonymous = jira
        .http
        .get(jira.url("/rest/api/3/myself"))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().get("x-seraph-loginreason").is_none());
    assert_eq!(
        anonymous.text().await.expect("body"),
        "Client must be authenticated to access this resource."
    );
    let wrong = jira
        .http
        .get(jira.url("/rest/api/3/issue/SUP-1"))
        .basic_auth(&jira.info.email, Some("not-the-token"))
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.headers()["x-seraph-loginreason"],
        "AUTHENTICATED_FAILED"
    );
    let garbage = jira
        .http
        .get(jira.url("/rest/api/2/myself"))
        .header("Authorization", "Basic %%%")
        .send()
        .await
        .expect("send");
    assert_eq!(garbage.status(), 401);
    jira.stop().await;
}

#[tokio::test]
async fn api_tokens_and_bearer_tokens_both_authenticate() {
    let jira = Jira::start().await;
    let me = expect_json(jira.get("/rest/api/3/myself").await, 200).await;
    assert_eq!(me["accountId"], jira.info.account_id.as_str());
    assert_eq!(me["emailAddress"], jira.info.email.as_str());
    let bearer = jira
        .http
        .get(jira.url("/rest/api/3/myself"))
        .bearer_auth(&jira.info.bearer_token)
        .send()
        .await
        .expect("send");
    assert_eq!(
        expect_json(bearer, 200).await["accountId"],
        jira.info.account_id.as_str()
    );
    jira.stop().await;
}

#[tokio::test]
async fn server_info_answers_anonymously_as_cloud() {
    let jira = Jira::start().await;
    let info = expect_json(
        jira.http
            .get(jira.url("/rest/api/3/serverInfo"))
            .send()
            .await
            .expect("send"),
        200,
    )
    .await;
    assert_eq!(info["deploymentType"], "Cloud");
    assert_eq!(info["baseUrl"], jira.info.base_url.as_str());
    assert!(info["serverTime"]
        .as_str()
        .is_some_and(|t| t.ends_with("+0000")));
    jira.stop().await;
}

#[tokio::test]
async fn non_admins_get_403_on_the_webhook_admin_resource() {
    let jira = Jira::start().await;
    let users = expect_json(
        jira.control(Method::GET, "/__emulator/users", None).await,
        200,
    )
    .await;
    let agent = users
        .as_array()
        .and_then(|u| u.iter().find(|u| u["admin"] == false))
        .expect("the demo seed has a non-admin agent")
        .clone();
    let r = jira
        .http
        .get(jira.url("/rest/webhooks/1.0/webhook"))
        .basic_auth(
            agent["email"].as_str().unwrap_or_default(),
            agent["api_tokens"][0].as_str(),
        )
        .send()
        .await
        .expect("send");
    let body = expect_json(r, 403).await;
    assert!(body["errorMessages"][0]
        .as_str()
        .is_some_and(|m| m.contains("administrators")));
    let created = jira
        .control(
            Method::POST,
            "/__emulator/users",
            Some(&json!({"email": "new@example.com", "display_name": "New Person", "api_token": "tok-1"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let me = jira
        .http
        .get(jira.url("/rest/api/3/myself"))
        .basic_auth("new@example.com", Some("tok-1"))
        .send()
        .await
        .expect("send");
    assert_eq!(expect_json(me, 200).await["displayName"], "New Person");
    jira.stop().await;
}
