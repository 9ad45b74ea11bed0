//! Issues: create (with properties, atomically), read, edit, workflow transitions, and issue
//! properties.
//!
//! Creating an issue from a Salesforce record must be exactly-once across crashes, so the
//! record's id goes into an issue property in the same request that creates the issue: after
//! a restart, the marker is found instead of a second issue being created. Status changes go
//! through transitions (an edit ignores `status`), and each transition says which status, and
//! which status category, it leads to, which is what status matching needs. Rich-text fields
//! given as plain text are turned into ADF here, since v3 accepts nothing else.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::client::JiraClient;
use super::error::JiraError;
use super::model::{CreatedIssue, Issue, PropertyWrite, Transition};
use crate::domain::adf::text_to_adf;
use crate::domain::ids::{JiraIssueKey, ProjectKey};

/// System fields that are rich text in v3 and need ADF.
pub const RICH_TEXT_FIELDS: &[&str] = &["description", "environment"];

/// Turns plain-text values of rich-text system fields into ADF documents.
pub fn adf_fields(mut fields: Map<String, Value>) -> Map<String, Value> {
    for name in RICH_TEXT_FIELDS {
        if let Some(Value::String(text)) = fields.get(*name) {
            let doc = text_to_adf(text);
            fields.insert((*name).to_string(), doc);
        }
    }
    fields
}

fn properties_json(properties: &[(String, Value)]) -> Value {
    Value::Array(
        properties
            .iter()
            .map(|(key, value)| json!({ "key": key, "value": value }))
            .collect(),
    )
}

impl JiraClient {
    /// Creates an issue of `issue_type_id` in `project` with `fields` (plain-text `description`
    /// and `environment` become ADF), the given `labels` added to any in `fields`, and
    /// `properties` set atomically with the creation.
    pub async fn create_issue(
        &self,
        project: &ProjectKey,
        issue_type_id: &str,
        fields: Map<String, Value>,
        properties: Vec<(String, Value)>,
        labels: Vec<String>,
    ) -> Result<CreatedIssue, JiraError> {
        let mut fields = adf_fields(fields);
        fields.insert("project".into(), json!({ "key": project.as_str() }));
        fields.insert("issuetype".into(), json!({ "id": issue_type_id }));
        if !labels.is_empty() {
            let mut all: Vec<Value> = fields
                .get("labels")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for label in labels {
                if label.chars().any(char::is_whitespace) {
                    return Err(JiraError::InvalidInput(format!(
                        "the label {label:?} contains spaces, which Jira refuses"
                    )));
                }
                if !all.iter().any(|v| v.as_str() == Some(label.as_str())) {
                    all.push(Value::String(label));
                }
            }
            fields.insert("labels".into(), Value::Array(all));
        }
        let mut body = json!({ "fields": fields });
        if !properties.is_empty() {
            body["properties"] = properties_json(&properties);
        }
        self.json_call("create issue", Method::POST, &self.api(&["issue"]), &body)
            .await
    }

    /// Reads an issue: `fields` (empty: all), `expand` (e.g. `changelog`, `names`) and the
    /// `properties` to return with it.
    pub async fn get_issue(
        &self,
        key: &JiraIssueKey,
        fields: &[&str],
        expand: &[&str],
        properties: &[&str],
    ) -> Result<Issue, JiraError> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if !fields.is_empty() {
            query.push(("fields", fields.join(",")));
        }
        if !expand.is_empty() {
            query.push(("expand", expand.join(",")));
        }
        if !properties.is_empty() {
            query.push(("properties", properties.join(",")));
        }
        let key = key.to_string();
        self.get_json("get issue", &self.api(&["issue", &key]), &query)
            .await
    }

    /// Sets fields of an issue (plain-text `description` and `environment` become ADF).
    /// `status` cannot be changed this way: use [`Self::transition`].
    pub async fn edit_issue(
        &self,
        key: &JiraIssueKey,
        fields: Map<String, Value>,
    ) -> Result<(), JiraError> {
        let key = key.to_string();
        let body = json!({ "fields": adf_fields(fields) });
        self.call_no_content(
            "edit issue",
            Method::PUT,
            &self.api(&["issue", &key]),
            Some(&body),
        )
        .await
        .map(|_| ())
    }

    /// The transitions available from the issue's current status, each with the status (and
    /// status category) it leads to.
    pub async fn transitions(&self, key: &JiraIssueKey) -> Result<Vec<Transition>, JiraError> {
        #[derive(Deserialize)]
        struct Transitions {
            #[serde(default)]
            transitions: Vec<Transition>,
        }
        let key = key.to_string();
        let answer: Transitions = self
            .get_json(
                "transitions",
                &self.api(&["issue", &key, "transitions"]),
                &[],
            )
            .await?;
        Ok(answer.transitions)
    }

    /// Moves the issue through a transition.
    pub async fn transition(
        &self,
        key: &JiraIssueKey,
        transition_id: &str,
    ) -> Result<(), JiraError> {
        let key = key.to_string();
        let body = json!({ "transition": { "id": transition_id } });
        self.call_no_content(
            "transition issue",
            Method::POST,
            &self.api(&["issue", &key, "transitions"]),
            Some(&body),
        )
        .await
        .map(|_| ())
    }

    /// An issue property's value, or `None` when it is not set.
    pub async fn issue_property(
        &self,
        key: &JiraIssueKey,
        property: &str,
    ) -> Result<Option<Value>, JiraError> {
        let key = key.to_string();
        let url = self.api(&["issue", &key, "properties", property]);
        read_property(self.get_json("issue property", &url, &[]).await)
    }

    /// Sets an issue property (any non-empty JSON, up to 32,768 characters).
    pub async fn set_issue_property(
        &self,
        key: &JiraIssueKey,
        property: &str,
        value: &Value,
    ) -> Result<PropertyWrite, JiraError> {
        let key = key.to_string();
        let url = self.api(&["issue", &key, "properties", property]);
        write_property(self, "set issue property", &url, value).await
    }
}

/// `{"key","value"}` → the value; a 404 → `None`.
pub(crate) fn read_property(
    answer: Result<super::model::EntityProperty, JiraError>,
) -> Result<Option<Value>, JiraError> {
    match answer {
        Ok(p) => Ok(Some(p.value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// PUTs a property value; 201 is a creation, 200 a replacement.
pub(crate) async fn write_property(
    client: &JiraClient,
    what: &str,
    url: &url::Url,
    value: &Value,
) -> Result<PropertyWrite, JiraError> {
    if value.is_null() {
        return Err(JiraError::InvalidInput(
            "a property value must be non-empty JSON".into(),
        ));
    }
    let status = client
        .call_no_content(what, Method::PUT, url, Some(value))
        .await?;
    Ok(if status == 201 {
        PropertyWrite::Created
    } else {
        PropertyWrite::Updated
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_rich_fields_become_adf_and_others_stay() {
        let mut fields = Map::new();
        fields.insert("description".into(), json!("Line one\n\nLine two"));
        fields.insert(
            "environment".into(),
            json!({"type": "doc", "version": 1, "content": []}),
        );
        fields.insert("summary".into(), json!("plain stays plain"));
        let out = adf_fields(fields);
        assert_eq!(out["description"]["type"], "doc");
        assert_eq!(
            out["description"]["content"].as_array().map(Vec::len),
            Some(2)
        );
        assert_eq!(out["environment"]["content"], json!([]));
        assert_eq!(out["summary"], "plain stays plain");
    }

    #[test]
    fn properties_are_key_value_objects() {
        let p = properties_json(&[("sfsync".into(), json!({"caseId": "500"}))]);
        assert_eq!(p, json!([{"key": "sfsync", "value": {"caseId": "500"}}]));
    }
}
