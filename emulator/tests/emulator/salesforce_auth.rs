//! OAuth client credentials, session expiry and the REST session checks, over real HTTP.

use crate::salesforce_support;

use base64::Engine;
use emulator::common::Seed;
use emulator::salesforce::SalesforceOptions;
use hmac::{Hmac, Mac};
use reqwest::Method;
use salesforce_support::{start, start_with};
use serde_json::json;
use sha2::Sha256;

#[tokio::test]
async fn client_credentials_return_the_documented_token_body() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &sf.info.client_id),
            ("client_secret", &sf.info.client_secret),
        ])
        .await;
    assert_eq!(a.status, 200);
    let keys: Vec<&str> = a
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "signature",
            "scope",
            "instance_url",
            "id",
            "token_type",
            "issued_at"
        ]
    );
    assert_eq!(a.body["token_type"], "Bearer");
    assert_eq!(a.body["scope"], "api");
    assert_eq!(a.body["instance_url"], sf.base.as_str());
    let issued_at = a.body["issued_at"].as_str().expect("issued_at is a string");
    assert!(issued_at.parse::<u64>().is_ok());
    let id = a.body["id"].as_str().unwrap();
    let parts: Vec<&str> = id.rsplit('/').take(2).collect();
    assert!(
        parts[0].starts_with("005") && parts[1].starts_with("00D"),
        "{id}"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(sf.info.client_secret.as_bytes()).unwrap();
    mac.update(format!("{id}{issued_at}").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(a.body["signature"], expected.as_str());
    sf.stop().await;
}

#[tokio::test]
async fn http_basic_credentials_are_accepted() {
    let sf = start(Seed::Empty).await;
    let r = sf
        .http
        .post(format!("{}/services/oauth2/token", sf.base))
        .basic_auth(&sf.info.client_id, Some(&sf.info.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    sf.stop().await;
}

#[tokio::test]
async fn each_token_error_is_reported_as_salesforce_words_it() {
    let sf = start(Seed::Empty).await;
    let id = sf.info.client_id.clone();
    let secret = sf.info.client_secret.clone();
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "nope"),
                ("client_secret", "x"),
            ],
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", "wrong"),
            ],
            "invalid_client",
            "invalid client credentials",
        ),
        (
            vec![("client_id", &id), ("client_secret", &secret)],
            "invalid_request",
            "grant type is missing",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
            "unsupported_grant_type",
            "grant type not supported",
        ),
    ];
    for (form, error, description) in cases {
        let a = sf.token_request(&form).await;
        assert_eq!(a.status, 400, "{form:?}");
        assert_eq!(
            a.body,
            json!({"error": error, "error_description": description})
        );
    }
    sf.stop().await;
}

#[tokio::test]
async fn an_app_without_run_as_user_or_flow_gets_invalid_grant() {
    let sf = start(Seed::Empty).await;
    let id = sf.info.client_id.clone();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", sf.info.client_secret.as_str()),
    ];
    let a = sf
        .control(
            Method::PATCH,
            &format!("/apps/{id}"),
            Some(json!({"run_as": null})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = sf.token_request(&form).await;
    assert_eq!(
        a.body,
        json!({"error": "invalid_grant", "error_description": "no client credentials user enabled"})
    );
    let username = sf.info.username.clone();
    sf.control(
        Method::PATCH,
        &format!("/apps/{id}"),
        Some(json!({"run_as": username, "client_credentials": false})),
    )
    .await;
    let a = sf.token_request(&form).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"], "invalid_grant");
    sf.stop().await;
}

#[tokio::test]
async fn the_generic_login_host_refuses_client_credentials() {
    let sf = start_with(SalesforceOptions {
        seed: Seed::Empty,
        login_host: true,
        ..SalesforceOptions::default()
    })
    .await;
    let login = sf.info.generic_login_url.clone().expect("login host");
    assert_ne!(login, sf.base);
    let a = sf
        .http
        .post(format!("{login}/services/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &sf.info.client_id),
            ("client_secret", &sf.info.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 400);
    let body: serde_json::Value = a.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "request not supported on this domain"})
    );
    sf.stop().await;
}

#[tokio::test]
async fn tokens_expire_after_the_ttl_of_the_emulated_clock() {
    let mut sf = start(Seed::Empty).await;
    sf.freeze("2024-01-02T03:04:05Z").await;
    sf.token = sf.login().await;
    assert_eq!(sf.get("/limits").await.status, 200);
    sf.advance(2 * 3600 - 1).await;
    assert_eq!(sf.get("/limits").await.status, 200);
    sf.advance(1).await;
    let a = sf.get("/limits").await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.body,
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );
    sf.stop().await;
}

#[tokio::test]
async fn missing_or_unknown_tokens_get_invalid_session_id() {
    let sf = start(Seed::Empty).await;
    let r = sf.http.get(sf.url("/sobjects")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let a = sf
        .call_as("00Dbogus!token", Method::GET, "/sobjects", None)
        .await;
    assert_eq!(a.status, 401);
    assert_eq!(a.code(), "INVALID_SESSION_ID");
    sf.stop().await;
}

#[tokio::test]
async fn an_app_without_the_api_scope_gets_a_session_not_valid_for_rest() {
    let mut sf = start(Seed::Empty).await;
    let id = sf.info.client_id.clone();
    sf.control(
        Method::PATCH,
        &format!("/apps/{id}"),
        Some(json!({"scopes": ["openid"]})),
    )
    .await;
    sf.token = sf.login().await;
    let a = sf.get("/sobjects").await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.body,
        json!([{"message": "This session is not valid for use with the REST API", "errorCode": "INVALID_SESSION_ID"}])
    );
    sf.stop().await;
}

#[tokio::test]
async fn revoked_tokens_stop_working_and_the_identity_url_answers() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &sf.info.client_id),
            ("client_secret", &sf.info.client_secret),
        ])
        .await;
    let id_url = a.body["id"].as_str().unwrap().to_string();
    let identity: serde_json::Value = sf
        .http
        .get(&id_url)
        .bearer_auth(&sf.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(identity["username"], sf.info.username.as_str());
    let r = sf
        .http
        .post(format!("{}/services/oauth2/revoke", sf.base))
        .form(&[("token", sf.token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sf.get("/sobjects").await.status, 401);
    sf.stop().await;
}

#[tokio::test]
async fn the_versions_list_needs_no_token_and_has_no_limit_header() {
    let sf = start(Seed::Empty).await;
    let r = sf
        .http
        .get(format!("{}/services/data", sf.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("sforce-limit-info").is_none());
    let versions: serde_json::Value = r.json().await.unwrap();
    let list: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(list, ["58.0", "59.0", "60.0", "61.0", "62.0", "63.0"]);
    assert_eq!(versions[2]["url"], "/services/data/v60.0");
    let a = sf.call(Method::GET, "/", None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["query"], "/services/data/v60.0/query");
    let r = sf
        .http
        .get(format!("{}/services/data/v20.0/sobjects", sf.base))
        .bearer_auth(&sf.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    sf.stop().await;
}
