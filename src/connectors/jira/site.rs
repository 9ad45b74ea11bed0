//! Typed shapes of what the Jira site says about itself: the account, the server, projects,
//! issue types, create screens and fields.
//!
//! The admin page builds its project, issue-type and field pickers from these, and validates a
//! connection with the account and server answers; they are kept apart from the issue-level
//! shapes in [`super::model`], which the sync engine reads on every cycle.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::null_as_empty;

/// The account the client acts as (`GET /myself`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Myself {
    /// Atlassian account id.
    pub account_id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Email, unless hidden by privacy settings.
    #[serde(default)]
    pub email_address: Option<String>,
    /// Whether the account is active.
    #[serde(default)]
    pub active: bool,
    /// The account's time zone (JQL dates are read in it).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `atlassian`, `app`, `customer`.
    #[serde(default)]
    pub account_type: Option<String>,
}

/// `GET /serverInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// The site's base URL.
    pub base_url: String,
    /// Version text.
    #[serde(default)]
    pub version: Option<String>,
    /// Version numbers.
    #[serde(default)]
    pub version_numbers: Vec<i64>,
    /// `Cloud`.
    #[serde(default)]
    pub deployment_type: Option<String>,
    /// Build number.
    #[serde(default)]
    pub build_number: Option<i64>,
    /// The server's current time.
    #[serde(default)]
    pub server_time: Option<String>,
    /// The site's title.
    #[serde(default)]
    pub server_title: Option<String>,
}

/// An issue type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueType {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// A sub-task type.
    #[serde(default)]
    pub subtask: bool,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Hierarchy level (0 standard, -1 sub-task, 1 epic).
    #[serde(default)]
    pub hierarchy_level: Option<i32>,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// Id.
    pub id: String,
    /// Key, e.g. `SUP`.
    pub key: String,
    /// Name.
    pub name: String,
    /// `software`, `service_desk`, `business`.
    #[serde(default)]
    pub project_type_key: Option<String>,
    /// Issue types (present on `GET /project/{key}`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub issue_types: Vec<IssueType>,
}

/// A field's type as createmeta and `/field` describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldSchema {
    /// `string`, `number`, `array`, `option`, `user`, `date`, `datetime`, `any`, …
    #[serde(rename = "type")]
    pub field_type: String,
    /// Element type of an array.
    #[serde(default)]
    pub items: Option<String>,
    /// System field name.
    #[serde(default)]
    pub system: Option<String>,
    /// Custom field type key (`…:textfield`, `…:textarea`, `…:select`).
    #[serde(default)]
    pub custom: Option<String>,
    /// Custom field id.
    #[serde(default)]
    pub custom_id: Option<i64>,
}

/// A field of the create screen for one project and issue type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldMeta {
    /// Field id (`summary`, `customfield_10000`).
    pub field_id: String,
    /// Field key.
    #[serde(default)]
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// Must be set on create.
    #[serde(default)]
    pub required: bool,
    /// Its type.
    pub schema: FieldSchema,
    /// Operations allowed (`set`, `add`, …).
    #[serde(default)]
    pub operations: Vec<String>,
    /// Allowed values (options, priorities, …).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub allowed_values: Vec<Value>,
    /// Whether a default applies.
    #[serde(default)]
    pub has_default_value: bool,
    /// The default.
    #[serde(default)]
    pub default_value: Option<Value>,
}

/// A field of the site (`GET /field`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldInfo {
    /// Id.
    pub id: String,
    /// Key.
    #[serde(default)]
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// A custom field.
    #[serde(default)]
    pub custom: bool,
    /// Can be set on create/edit screens.
    #[serde(default)]
    pub orderable: bool,
    /// Shown in issue navigator.
    #[serde(default)]
    pub navigable: bool,
    /// Usable in JQL.
    #[serde(default)]
    pub searchable: bool,
    /// Names usable in JQL (`cf[10000]`, the field name).
    #[serde(default)]
    pub clause_names: Vec<String>,
    /// Its type.
    #[serde(default)]
    pub schema: Option<FieldSchema>,
}
