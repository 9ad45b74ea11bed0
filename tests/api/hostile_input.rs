//! No panic is reachable from input: arbitrary unicode in every path parameter and the query,
//! and arbitrary JSON shapes (or bytes that are not JSON at all) as the body, sent with the
//! admin token to every route the OpenAPI document lists, against a service connected to both
//! emulators. Each answer must arrive (a panic in a handler drops the connection), must not be a
//! server error, and a refusal must be the standard error body.
//!
//! Cases are drawn with proptest's generators; a failure prints the request that caused it.
//! `SFJIRA_HOSTILE_CASES` sets how many cases each route gets (default 24).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::openapi::Contract;
use crate::world::{connected_world, World};

/// Text a person, a script or an attacker might send: anything unicode, and a few shapes
/// known to break naive code (multi-byte characters at fixed offsets, separators, huge).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[a-zA-Z0-9_]{0,20}",
        1 => Just("éé".to_string()),
        1 => Just("é__c".to_string()),
        1 => Just("SUP-1".to_string()),
        1 => Just("0190b0a4-3d7e-7c2a-9b1e-1f2a3b4c5d6e".to_string()),
        1 => Just("500000000000001AAA".to_string()),
        1 => Just("../..".to_string()),
        1 => Just("%00%ff".to_string()),
        1 => "\\PC{200,400}",
        1 => Just("日本語テキスト😀".to_string()),
    ]
}

/// Keys the routes' bodies really have, so that arbitrary values reach the deeper checks.
const KEYS: &[&str] = &[
    "name",
    "mode",
    "jira_projects",
    "issue_type_id",
    "object",
    "preview_fields",
    "mappings",
    "salesforce_field",
    "jira_field",
    "options",
    "auto_create",
    "status_sync",
    "comments_sync",
    "attachments_sync",
    "record_id",
    "url",
    "login_url",
    "client_id",
    "client_secret",
    "webhookEvent",
    "issue",
    "key",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::from),
        prop::sample::select(vec!["display_only", "one_way", "two_way", "Case", "SUP"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![3 => prop::sample::select(KEYS).prop_map(str::to_string), 1 => text()],
                    inner
                ),
                0..8
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A body: JSON of any shape, or bytes that are not JSON, or nothing.
#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>, &'static str),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        1 => Just(Body::None),
        6 => json_value().prop_map(Body::Json),
        1 => (
            prop::collection::vec(any::<u8>(), 0..64),
            prop::sample::select(vec!["application/json", "text/plain", "application/x-www-form-urlencoded"])
        )
            .prop_map(|(bytes, ct)| Body::Raw(bytes, ct)),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    params: Vec<String>,
    query: Vec<(String, String)>,
    body: Body,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(text(), 4),
        prop::collection::vec(
            (
                prop_oneof![
                    prop::sample::select(vec!["q", "after", "limit", "until"])
                        .prop_map(str::to_string),
                    text()
                ],
                text(),
            ),
            0..3,
        ),
        body(),
    )
        .prop_map(|(params, query, body)| Case {
            params,
            query,
            body,
        })
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn concrete_path(template: &str, case: &Case) -> String {
    let mut params = case.params.iter();
    let path = template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                encode(params.next().map_or("", String::as_str))
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    if case.query.is_empty() {
        return path;
    }
    let query = case
        .query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{path}?{query}")
}

async fn send(world: &World, method: &Method, path: &str, case: &Case) -> (u16, String) {
    let app = &world.app;
    let mut request = app
        .http
        .request(method.clone(), app.url(path))
        .bearer_auth(&app.token);
    request = match &case.body {
        Body::None => request,
        Body::Json(value) => request.json(value),
        Body::Raw(bytes, content_type) => request
            .header("Content-Type", *content_type)
            .body(bytes.clone()),
    };
    let response = request.send().await.unwrap_or_else(|e| {
        panic!("{method} {path} with {case:?}: no answer (a panic drops the connection): {e}")
    });
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .unwrap_or_else(|e| panic!("{method} {path} with {case:?}: the answer broke off: {e}"));
    (status, text)
}

fn is_error_body(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| {
        v["error"].is_string() && v["message"].is_string() && v["details"].is_object()
    })
}

#[actix_web::test]
async fn arbitrary_input_to_every_route_is_refused_in_the_standard_shape_never_a_panic() {
    let world = connected_world().await;
    let _item = world.case_item(false).await;
    let contract = Contract::fetch(&world.app).await;
    let cases: u32 = std::env::var("SFJIRA_HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let mut runner = TestRunner::default();
    let strategy = case();
    let mut operations = contract.operations();
    // Revoking or replacing the connection would leave the later routes only "not connected"
    // refusals to give; they go last.
    operations.sort_by_key(|(_, template)| template == "/api/admin/connection");
    for (method, template) in operations {
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
        for _ in 0..cases {
            let case = strategy.new_tree(&mut runner).expect("a case").current();
            let path = concrete_path(&template, &case);
            let (status, text) = send(&world, &method, &path, &case).await;
            assert!(
                status < 500,
                "{method} {path} with {case:?}: server error {status}: {text}"
            );
            if status >= 400 {
                assert!(
                    is_error_body(&text),
                    "{method} {path} with {case:?}: {status} without the standard error body: {text}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn a_multibyte_object_name_is_refused_with_a_reason() {
    let world = connected_world().await;
    let (status, body) = world
        .post(
            "/api/admin/items/validate",
            json!({"name": "x", "mode": "one_way", "jira_projects": ["SUP"], "object": "éé"}),
        )
        .await;
    assert!(
        status == 200 || (400..500).contains(&status),
        "{status} {body}"
    );
    if status == 200 {
        assert_eq!(body["valid"], false, "{body}");
        assert!(body["problems"].to_string().contains("object"), "{body}");
    } else {
        assert!(body["error"].is_string(), "{body}");
    }
}
