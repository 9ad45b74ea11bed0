//! Typed shapes of the Jira Cloud REST answers the sync engine reads.
//!
//! Jira's payloads are large and vary by site (custom fields, expansions), so issue fields stay
//! a JSON map with typed accessors for what the sync needs (summary, status and its category,
//! timestamps, description text, attachments). Where Jira is loose about types (attachment ids
//! as strings or numbers, `created` as a date or epoch milliseconds, bodies as ADF or v2
//! strings) the types here accept both.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::domain::adf::adf_to_text;
use crate::domain::ids::JiraIssueKey;

/// Parses Jira's `2021-01-17T12:34:00.000+0000` (offset without a colon), RFC 3339, or epoch
/// milliseconds given as a number in text.
pub fn parse_jira_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            text.parse::<i64>()
                .ok()
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        })
}

/// A string, or a number written as a string.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or a number, got {other}"
        ))),
    }
}

fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

pub(crate) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A user as embedded in comments and attachments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    /// Atlassian account id.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Email, when visible.
    #[serde(default)]
    pub email_address: Option<String>,
    /// Whether the account is active.
    #[serde(default)]
    pub active: Option<bool>,
}

/// The answer to an issue create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedIssue {
    /// Numeric id.
    pub id: String,
    /// Key.
    pub key: JiraIssueKey,
}

/// A status category: `new`, `indeterminate`, `done` (or `undefined`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCategory {
    /// 2 new, 4 indeterminate, 3 done, 1 undefined.
    #[serde(default)]
    pub id: Option<i64>,
    /// `new`, `indeterminate`, `done`, `undefined`.
    pub key: String,
    /// "To Do", "In Progress", "Done".
    #[serde(default)]
    pub name: Option<String>,
    /// Colour name.
    #[serde(default)]
    pub color_name: Option<String>,
}

/// A workflow status with its category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category.
    #[serde(default)]
    pub status_category: Option<StatusCategory>,
}

impl Status {
    /// The category key (`new`, `indeterminate`, `done`), when known.
    pub fn category_key(&self) -> Option<&str> {
        self.status_category.as_ref().map(|c| c.key.as_str())
    }
}

/// A transition available from an issue's current status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    /// Id to send.
    pub id: String,
    /// Name.
    pub name: String,
    /// The status it leads to.
    pub to: Status,
    /// Opens a screen.
    #[serde(default)]
    pub has_screen: bool,
    /// Available from any status.
    #[serde(default)]
    pub is_global: bool,
    /// Available now.
    #[serde(default = "yes")]
    pub is_available: bool,
    /// Guarded by conditions.
    #[serde(default)]
    pub is_conditional: bool,
}

fn yes() -> bool {
    true
}

/// An entity property (`{key, value}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityProperty {
    /// Key.
    pub key: String,
    /// Value (any JSON).
    #[serde(default)]
    pub value: Value,
}

/// An issue, its fields as JSON, and typed accessors for what sync reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// Numeric id.
    pub id: String,
    /// Key (absent when a search asked for ids only).
    #[serde(default)]
    pub key: Option<JiraIssueKey>,
    /// The fields returned.
    #[serde(default)]
    pub fields: Map<String, Value>,
    /// Properties asked for, by key.
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// The changelog, with `expand=changelog`.
    #[serde(default)]
    pub changelog: Option<Value>,
    /// Field names, with `expand=names`.
    #[serde(default)]
    pub names: Option<Map<String, Value>>,
    /// The transitions the issue can take now, with `expand=transitions`.
    #[serde(default)]
    pub transitions: Option<Vec<Transition>>,
}

impl Issue {
    /// A field's value.
    pub fn field(&self, id: &str) -> Option<&Value> {
        self.fields.get(id).filter(|v| !v.is_null())
    }

    /// `summary`.
    pub fn summary(&self) -> Option<&str> {
        self.field("summary").and_then(Value::as_str)
    }

    /// `status` with its category.
    pub fn status(&self) -> Option<Status> {
        self.field("status")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// `updated`.
    pub fn updated(&self) -> Option<DateTime<Utc>> {
        self.field("updated")
            .and_then(Value::as_str)
            .and_then(parse_jira_datetime)
    }

    /// When `field` (an id such as `summary` or `customfield_10010`) last changed, from the
    /// newest changelog entry naming it by `fieldId` (or by `field`, which older entries and
    /// system fields carry); `None` without `expand=changelog` or without such an entry.
    pub fn last_change_of(&self, field: &str) -> Option<DateTime<Utc>> {
        let histories = self
            .changelog
            .as_ref()
            .and_then(|c| c.get("histories"))
            .and_then(Value::as_array);
        histories
            .into_iter()
            .flatten()
            .filter(|h| {
                h.get("items")
                    .and_then(Value::as_array)
                    .is_some_and(|items| {
                        items.iter().any(|i| {
                            let named =
                                |key: &str| i.get(key).and_then(Value::as_str) == Some(field);
                            named("fieldId") || named("field")
                        })
                    })
            })
            .filter_map(|h| {
                h.get("created")
                    .and_then(Value::as_str)
                    .and_then(parse_jira_datetime)
            })
            .max()
    }

    /// `created`.
    pub fn created(&self) -> Option<DateTime<Utc>> {
        self.field("created")
            .and_then(Value::as_str)
            .and_then(parse_jira_datetime)
    }

    /// `description` as plain text (ADF or a v2 string).
    pub fn description_text(&self) -> Option<String> {
        self.field("description").map(adf_to_text)
    }

    /// `labels`.
    pub fn labels(&self) -> Vec<String> {
        self.field("labels")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `attachment`.
    pub fn attachments(&self) -> Vec<Attachment> {
        self.field("attachment")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// The comments the issue carries in its `comment` field (when asked for), and whether
    /// that page holds all of them (`total` not above the page's size).
    pub fn comment_page(&self) -> Option<(Vec<Comment>, bool)> {
        let page = self.field("comment")?;
        let comments: Vec<Comment> = page
            .get("comments")
            .and_then(|c| serde_json::from_value(c.clone()).ok())?;
        let total = page.get("total").and_then(Value::as_u64);
        let complete = total.is_none_or(|t| t <= comments.len() as u64);
        Some((comments, complete))
    }

    /// A property asked for with `properties=`.
    pub fn property(&self, key: &str) -> Option<&Value> {
        self.properties.get(key)
    }
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// Id.
    pub id: String,
    /// Body: ADF in v3, a wiki-markup string in v2 shapes.
    #[serde(default)]
    pub body: Value,
    /// Author.
    #[serde(default)]
    pub author: Option<UserRef>,
    /// Last editor.
    #[serde(default)]
    pub update_author: Option<UserRef>,
    /// Created (Jira datetime text).
    #[serde(default)]
    pub created: Option<String>,
    /// Updated (Jira datetime text).
    #[serde(default)]
    pub updated: Option<String>,
    /// Visibility restriction.
    #[serde(default)]
    pub visibility: Option<Value>,
    /// Service-management public flag.
    #[serde(default)]
    pub jsd_public: Option<bool>,
    /// Properties (with `expand=properties`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub properties: Vec<EntityProperty>,
}

impl Comment {
    /// The body as plain text.
    pub fn body_text(&self) -> String {
        adf_to_text(&self.body)
    }

    /// Whether the body is ADF (rather than a v2 string).
    pub fn is_adf(&self) -> bool {
        self.body.is_object()
    }

    /// `created` as a time.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created.as_deref().and_then(parse_jira_datetime)
    }

    /// `updated` as a time.
    pub fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.updated.as_deref().and_then(parse_jira_datetime)
    }

    /// A property returned with the comment.
    pub fn property(&self, key: &str) -> Option<&Value> {
        self.properties
            .iter()
            .find(|p| p.key == key)
            .map(|p| &p.value)
    }
}

/// An attachment (upload answer, issue field, or metadata; ids as strings or numbers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// Id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// File name.
    pub filename: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// MIME type.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// Created: a Jira datetime or epoch milliseconds.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub created: Option<String>,
    /// URL of the content.
    #[serde(default)]
    pub content: Option<String>,
    /// Uploader.
    #[serde(default)]
    pub author: Option<UserRef>,
}

impl Attachment {
    /// `created` as a time.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created.as_deref().and_then(parse_jira_datetime)
    }
}

/// `GET /attachment/meta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentSettings {
    /// Attachments are enabled on the site.
    pub enabled: bool,
    /// Largest attachment in bytes.
    #[serde(default)]
    pub upload_limit: Option<u64>,
}

/// Whether a property write created the property or replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PropertyWrite {
    /// 201.
    Created,
    /// 200.
    Updated,
}

/// An admin webhook (`/rest/webhooks/1.0/webhook`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    /// Id (the last segment of `self`).
    pub id: u64,
    /// Name.
    pub name: String,
    /// Where Jira delivers.
    pub url: String,
    /// Events delivered.
    pub events: Vec<String>,
    /// JQL filter for issue-related events.
    pub jql_filter: Option<String>,
    /// Whether it is enabled.
    pub enabled: bool,
    /// Whether bodies are left out.
    pub exclude_body: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_datetimes_parse_in_all_their_forms() {
        let t = parse_jira_datetime("2021-01-17T12:34:00.000+0000").expect("jira form");
        assert_eq!(t.to_rfc3339(), "2021-01-17T12:34:00+00:00");
        let t = parse_jira_datetime("2021-08-11T13:19:06.887+0300").expect("offset");
        assert_eq!(t.to_rfc3339(), "2021-08-11T10:19:06.887+00:00");
        assert!(parse_jira_datetime("2021-01-17T12:34:00Z").is_some());
        assert_eq!(
            parse_jira_datetime("1651316514000").map(|t| t.timestamp_millis()),
            Some(1_651_316_514_000)
        );
        assert!(parse_jira_datetime("yesterday").is_none());
    }

    #[test]
    fn attachments_accept_string_or_number_ids_and_dates() {
        let a: Attachment = serde_json::from_value(serde_json::json!({
            "id": 10000, "filename": "a.txt", "size": 3, "created": 1651316514000_i64
        }))
        .expect("metadata shape");
        assert_eq!(a.id, "10000");
        assert!(a.created_at().is_some());
        let a: Attachment = serde_json::from_value(serde_json::json!({
            "id": "10001", "filename": "b.txt", "size": 4, "created": "2022-10-06T07:32:47.000+0000"
        }))
        .expect("upload shape");
        assert_eq!(a.id, "10001");
        assert!(a.created_at().is_some());
    }

    #[test]
    fn comments_read_adf_or_strings() {
        let adf: Comment = serde_json::from_value(serde_json::json!({
            "id": "1", "body": {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "hello"}]}]},
            "created": "2021-01-17T12:34:00.000+0000",
            "properties": [{"key": "sfsync", "value": {"sfId": "00a"}}]
        }))
        .expect("v3");
        assert!(adf.is_adf());
        assert_eq!(adf.body_text(), "hello");
        assert_eq!(
            adf.property("sfsync"),
            Some(&serde_json::json!({"sfId": "00a"}))
        );
        let v2: Comment =
            serde_json::from_value(serde_json::json!({"id": "2", "body": "*hi*"})).expect("v2");
        assert!(!v2.is_adf());
        assert_eq!(v2.body_text(), "hi");
    }

    #[test]
    fn issues_expose_status_and_category() {
        let issue: Issue = serde_json::from_value(serde_json::json!({
            "id": "10000", "key": "sup-1",
            "fields": {"summary": "Printer", "labels": ["a"], "description": null,
                       "updated": "2021-01-17T12:34:00.000+0000",
                       "status": {"id": "3", "name": "Done",
                                  "statusCategory": {"id": 3, "key": "done", "name": "Done"}}}
        }))
        .expect("parses");
        assert_eq!(
            issue.key.as_ref().map(ToString::to_string).as_deref(),
            Some("SUP-1")
        );
        assert_eq!(issue.summary(), Some("Printer"));
        assert_eq!(
            issue
                .status()
                .and_then(|s| s.category_key().map(str::to_string))
                .as_deref(),
            Some("done")
        );
        assert_eq!(issue.description_text(), None);
        assert_eq!(issue.labels(), vec!["a"]);
        assert!(issue.updated().is_some());
        let bare: Issue =
            serde_json::from_value(serde_json::json!({"id": "10001"})).expect("ids only");
        assert!(bare.key.is_none());
    }
}
