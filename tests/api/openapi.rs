//! `GET /api/openapi.json`: the document is public, OpenAPI 3.1, names only real routes, and
//! describes what the routes really answer — every documented operation is called against the
//! emulators and each answer's status, content type and body are checked against the document
//! (bodies with a JSON Schema validator).

use std::collections::BTreeSet;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::TestApp;
use crate::world::{connected_world, World, WEBHOOK_SECRET};

/// The document, and which of its operations the test has seen answer.
pub struct Contract {
    /// The document as served.
    pub doc: Value,
    seen: Mutex<BTreeSet<(String, String)>>,
}

impl Contract {
    /// Fetches the document without a token.
    pub async fn fetch(app: &TestApp) -> Self {
        let response = app.get_anonymous("/api/openapi.json").await;
        assert_eq!(response.status(), 200, "the document is public");
        let doc: Value = response.json().await.expect("the document is JSON");
        Self {
            doc,
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    /// Every documented (method, path template).
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut all = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                    all.push((method.clone(), path.clone()));
                }
            }
        }
        all
    }

    /// The template a concrete path matches, preferring literal segments over parameters.
    pub fn template(&self, method: &str, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        self.operations()
            .into_iter()
            .filter(|(m, _)| m.eq_ignore_ascii_case(method))
            .filter_map(|(_, template)| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') {
                        continue;
                    }
                    if part != segment {
                        return None;
                    }
                    literal += 1;
                }
                Some((literal, template))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, template)| template)
    }

    /// Checks one answer against the document and records the operation as seen.
    pub fn check(&self, method: &str, path: &str, status: u16, content_type: &str, body: &str) {
        let template = self
            .template(method, path)
            .unwrap_or_else(|| panic!("{method} {path} is not in the document"));
        let operation = &self.doc["paths"][&template][method.to_ascii_lowercase()];
        let response = &operation["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {path} answered {status}, which the document does not list for {template}: {body}"
        );
        self.seen
            .lock()
            .expect("lock")
            .insert((method.to_ascii_lowercase(), template.clone()));
        let Some(content) = response["content"].as_object() else {
            assert!(
                body.is_empty(),
                "{method} {path} answered a body where the document has none: {body}"
            );
            return;
        };
        let media = content_type.split(';').next().unwrap_or("").trim();
        let Some(entry) = content.get(media) else {
            panic!(
                "{method} {path} answered {status} as {media:?}; the document lists {:?}",
                content.keys().collect::<Vec<_>>()
            );
        };
        if media != "application/json" {
            return;
        }
        let instance: Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("{method} {path} answered invalid JSON ({e}): {body}"));
        self.validate(
            &entry["schema"],
            &instance,
            &format!("{method} {path} {status}"),
        );
    }

    /// Validates `instance` against `schema`, whose references point into the document.
    pub fn validate(&self, schema: &Value, instance: &Value, what: &str) {
        let mut root = match schema {
            Value::Object(map) => map.clone(),
            Value::Bool(true) => serde_json::Map::new(),
            other => panic!("{what}: unexpected schema {other}"),
        };
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("components".into(), self.doc["components"].clone());
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("{what}: the schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the answer does not fit the document: {errors:#?}\n{instance:#}"
        );
    }

    /// Documented operations never seen answering.
    pub fn unseen(&self) -> Vec<(String, String)> {
        let seen = self.seen.lock().expect("lock");
        self.operations()
            .into_iter()
            .filter(|op| !seen.contains(op))
            .collect()
    }
}

/// Calls the service and checks the answer against the document.
struct Client<'a> {
    world: &'a World,
    contract: Contract,
}

impl Client<'_> {
    async fn call_with(
        &self,
        request: reqwest::RequestBuilder,
        method: &Method,
        path: &str,
    ) -> (u16, Value) {
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = response.text().await.expect("body");
        self.contract
            .check(method.as_str(), path, status, &content_type, &text);
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let app = &self.world.app;
        let mut request = app
            .http
            .request(method.clone(), app.url(path))
            .bearer_auth(&app.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.call_with(request, &method, path).await
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.call(method.clone(), path, body).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {value}"
        );
        value
    }
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[actix_web::test]
async fn the_document_is_public_openapi_3_1_and_lists_only_real_guarded_routes() {
    let app = crate::helpers::spawn_app().await;
    let contract = Contract::fetch(&app).await;
    let version = contract.doc["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3.1"), "{version}");
    assert!(
        contract.operations().len() >= 25,
        "{:?}",
        contract.operations()
    );
    for (method, template) in contract.operations() {
        let path = template
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
        let guarded = path.starts_with("/api/") && path != "/api/openapi.json";
        let operation = &contract.doc["paths"][&template][method.as_str().to_ascii_lowercase()];
        if guarded {
            // Without a token: refused by the guard, in the documented shape.
            let response = app
                .http
                .request(method.clone(), app.url(&path))
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), 401, "{method} {path}");
            assert!(
                operation["security"].is_array(),
                "{method} {template} names its security"
            );
        }
        // With the token and nonsense parameters: the route exists (a refusal of the
        // parameters, never "no route" or "method not allowed").
        let response = app
            .http
            .request(method.clone(), app.url(&path))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("sent");
        assert_ne!(response.status(), 405, "{method} {path}");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(body["error"], "route_not_found", "{method} {path}");
    }
}

#[actix_web::test]
async fn every_documented_operation_answers_as_the_document_says() {
    let world = connected_world().await;
    let contract = Contract::fetch(&world.app).await;
    let api = Client {
        world: &world,
        contract,
    };
    use Method as M;

    // Open routes.
    api.ok(M::GET, "/healthz", None).await;
    api.ok(M::GET, "/readyz", None).await;
    api.ok(M::GET, "/metrics", None).await;
    api.ok(M::GET, "/api/openapi.json", None).await;

    // Connection and pickers.
    api.ok(M::GET, "/api/admin/connection", None).await;
    api.ok(M::GET, "/api/admin/salesforce/objects", None).await;
    api.ok(M::GET, "/api/admin/salesforce/objects/Case/fields", None)
        .await;
    api.call(
        M::GET,
        "/api/admin/salesforce/objects/NoSuch__c/fields",
        None,
    )
    .await;
    api.ok(M::GET, "/api/admin/jira/projects", None).await;
    let types = api
        .ok(M::GET, "/api/admin/jira/projects/SUP/issue-types", None)
        .await;
    let type_id = types["issue_types"][0]["id"].as_str().expect("a type");
    api.ok(
        M::GET,
        &format!("/api/admin/jira/projects/SUP/issue-types/{type_id}/fields"),
        None,
    )
    .await;

    // Items.
    world.forbid_subjects().await;
    let (item, record) = world.linked_case("SUP-1", true).await;
    let definition = api
        .ok(M::GET, &format!("/api/admin/items/{item}"), None)
        .await["definition"]
        .clone();
    api.ok(M::GET, "/api/admin/items", None).await;
    api.ok(
        M::POST,
        "/api/admin/items/validate",
        Some(definition.clone()),
    )
    .await;
    api.call(
        M::POST,
        "/api/admin/items/validate",
        Some(json!({"object": "éé"})),
    )
    .await;
    let mut copy = json!({
        "name": "Copy",
        "mode": "display_only",
        "jira_projects": ["SUP"],
        "object": "Case",
        "preview_fields": ["CaseNumber", "Subject"],
    });
    let created = api
        .ok(M::POST, "/api/admin/items", Some(copy.clone()))
        .await;
    let copy_id = created["id"].as_str().expect("id").to_string();
    copy["name"] = "Copy, renamed".into();
    api.ok(M::PUT, &format!("/api/admin/items/{copy_id}"), Some(copy))
        .await;
    api.call(M::POST, &format!("/api/admin/items/{copy_id}/sync"), None)
        .await;
    api.ok(M::DELETE, &format!("/api/admin/items/{copy_id}"), None)
        .await;
    api.call(M::GET, "/api/admin/items/not-a-uuid", None).await;
    api.ok(M::POST, &format!("/api/admin/items/{item}/sync"), None)
        .await;

    // Panel.
    api.ok(M::GET, "/api/issues/SUP-1/panel", None).await;
    api.ok(
        M::GET,
        &format!("/api/issues/SUP-1/items/{item}/search?q=Linked"),
        None,
    )
    .await;
    let card = api
        .ok(
            M::POST,
            &format!("/api/issues/SUP-1/items/{item}/refresh"),
            None,
        )
        .await;
    let link = card["link"]["link_id"].as_str().expect("link").to_string();

    // A dead letter: Salesforce refuses the pushed subject.
    world.jira_summary("SUP-1", "Forbidden topic").await;
    world.dead_letter_of(&item, "SUP-1").await;
    api.ok(
        M::GET,
        &format!("/api/admin/items/{item}/dead-letters"),
        None,
    )
    .await;
    api.ok(
        M::POST,
        &format!("/api/admin/items/{item}/dead-letters/{link}/push_fields/retry"),
        None,
    )
    .await;
    api.ok(
        M::POST,
        &format!("/api/admin/items/{item}/dead-letters/{link}/push_fields/dismiss"),
        None,
    )
    .await;

    // Audit.
    api.ok(M::GET, "/api/audit/events?limit=50", None).await;
    api.ok(M::GET, &format!("/api/audit/links/{link}"), None)
        .await;
    api.call(M::GET, "/api/audit/events?limit=0", None).await;

    // Secrets in the vault: the webhook secret is set in the configuration here, so storing it
    // is refused; the API token is not, so it can be stored and erased.
    api.ok(M::GET, "/api/admin/secrets", None).await;
    let (status, _) = api
        .call(
            M::PUT,
            "/api/admin/secrets/jira.webhook_secret",
            Some(json!({"value": "a-webhook-secret-of-at-least-32-characters"})),
        )
        .await;
    assert_eq!(status, 409);
    api.ok(
        M::PUT,
        "/api/admin/secrets/jira.bearer_token",
        Some(json!({"value": "a-bearer-token-of-at-least-32-characters"})),
    )
    .await;
    api.ok(M::DELETE, "/api/admin/secrets/jira.bearer_token", None)
        .await;

    // Webhooks: registration and a signed delivery.
    api.ok(M::POST, "/api/admin/jira/webhook", Some(json!({})))
        .await;
    let delivery = serde_json::to_vec(&json!({
        "timestamp": chrono::Utc::now().timestamp_millis(),
        "webhookEvent": "jira:issue_updated",
        "issue": {"id": "10000", "key": "SUP-1", "fields": {"summary": "Forbidden topic"}}
    }))
    .expect("json");
    let app = &world.app;
    let request = app
        .http
        .post(app.url("/webhooks/jira"))
        .header("Content-Type", "application/json")
        .header("X-Hub-Signature", sign(&delivery))
        .header("X-Atlassian-Webhook-Identifier", "openapi-test-delivery")
        .body(delivery);
    let (status, _) = api.call_with(request, &M::POST, "/webhooks/jira").await;
    assert_eq!(status, 200);
    let unsigned = app
        .http
        .post(app.url("/webhooks/jira"))
        .header("Content-Type", "application/json")
        .body("{}");
    api.call_with(unsigned, &M::POST, "/webhooks/jira").await;

    // Unlink last, then the connection.
    api.ok(
        M::DELETE,
        &format!("/api/issues/SUP-1/items/{item}/link"),
        None,
    )
    .await;
    api.call(
        M::POST,
        &format!("/api/issues/SUP-1/items/{item}/link"),
        Some(json!({"record_id": record})),
    )
    .await;
    api.ok(M::DELETE, "/api/admin/connection", None).await;
    let (status, _) = api
        .call(
            M::PUT,
            "/api/admin/connection",
            Some(json!({
                "login_url": world.sf_info.login_url,
                "client_id": world.sf_info.client_id,
                "client_secret": world.sf_info.client_secret,
            })),
        )
        .await;
    assert_eq!(status, 200);

    let unseen = api.contract.unseen();
    assert!(unseen.is_empty(), "operations never called: {unseen:?}");
}
