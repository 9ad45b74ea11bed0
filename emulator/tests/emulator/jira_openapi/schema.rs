//! The official Jira Cloud OpenAPI document, read from outside the repository, with its
//! OpenAPI 3.0 schemas turned into JSON Schema draft 4 validators (cached per schema).

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{json, Map, Value};

fn spec_path() -> PathBuf {
    if let Ok(path) = std::env::var("SFJIRA_JIRA_OPENAPI") {
        return PathBuf::from(path);
    }
    let relative = "shared/reference/jira-cloud-platform-swagger-v3.v3.json";
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let canonical = manifest.join("../..").join(relative);
    if canonical.exists() {
        return canonical;
    }
    // A worktree may sit one level deeper than the main checkout: look further up.
    manifest
        .ancestors()
        .map(|dir| dir.join(relative))
        .find(|p| p.exists())
        .unwrap_or(canonical)
}

/// OpenAPI 3.0 schema object → JSON Schema draft 4.
fn convert(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "discriminator" | "xml" | "example" | "readOnly" | "writeOnly"
                    | "deprecated" | "externalDocs" | "nullable" => {}
                    "properties" | "patternProperties" | "definitions" => {
                        let converted: Map<String, Value> = value
                            .as_object()
                            .map(|m| m.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
                            .unwrap_or_default();
                        out.insert(key.clone(), Value::Object(converted));
                    }
                    _ => {
                        out.insert(key.clone(), convert(value));
                    }
                }
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                match out.get("type").cloned() {
                    Some(Value::String(t)) => {
                        out.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(values)) = out.get_mut("enum") {
                            values.push(Value::Null);
                        }
                    }
                    _ => return json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(convert).collect()),
        other => other.clone(),
    }
}

fn jira_date_time(text: &str) -> bool {
    let re =
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$")
            .expect("regex");
    re.is_match(text)
}

pub(super) struct Spec {
    paths: Value,
    components: Value,
    cache: HashMap<String, jsonschema::Validator>,
}

impl Spec {
    pub(super) fn load() -> Self {
        let path = spec_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the Jira OpenAPI document is needed at {} (or set SFJIRA_JIRA_OPENAPI): {e}",
                path.display()
            )
        });
        let doc: Value = serde_json::from_str(&text).expect("the OpenAPI document is JSON");
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .expect("components.schemas");
        let converted: Map<String, Value> = schemas
            .iter()
            .map(|(k, v)| (k.clone(), convert(v)))
            .collect();
        Self {
            paths: doc["paths"].clone(),
            components: json!({"schemas": converted}),
            cache: HashMap::new(),
        }
    }

    /// The response schema the document declares (`None` when it declares no JSON body).
    pub(super) fn response_schema(
        &self,
        method: &str,
        template: &str,
        status: u16,
    ) -> Option<Value> {
        let template = template.replacen("/rest/api/2/", "/rest/api/3/", 1);
        let op = self.paths.get(&template)?.get(method.to_lowercase())?;
        let response = op.pointer(&format!("/responses/{status}"))?;
        response
            .pointer("/content/application~1json/schema")
            .cloned()
    }

    pub(super) fn validate(&mut self, schema: &Value, body: &Value) -> Vec<String> {
        let key = schema.to_string();
        if !self.cache.contains_key(&key) {
            let root = json!({"components": self.components, "allOf": [convert(schema)]});
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .should_validate_formats(true)
                .with_format("date-time", jira_date_time)
                .build(&root)
                .expect("the converted schema compiles");
            self.cache.insert(key.clone(), validator);
        }
        let validator = &self.cache[&key];
        validator
            .iter_errors(body)
            .map(|e| format!("at {}: {}", e.instance_path(), e))
            .collect()
    }
}
