//! The emulated site's data: users, statuses, issue types, custom fields, projects with their
//! workflows and screens, issues with comments, history and properties, attachments and webhooks.
//!
//! These types are the single source of truth that every endpoint reads and writes, and they are
//! what the state file holds, so they serialize with serde and carry no wire formatting: the
//! Jira representations are built from them in `render`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// All state of one emulated Jira site.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// Users (the first is the site admin the seeds create).
    pub users: Vec<User>,
    /// Statuses, shared by all workflows as in Jira.
    pub statuses: Vec<Status>,
    /// Issue types, shared by all projects as in company-managed Jira.
    pub issue_types: Vec<IssueType>,
    /// Custom fields.
    pub custom_fields: Vec<CustomField>,
    /// Projects.
    pub projects: Vec<Project>,
    /// Issues by numeric id, indexed by key and by `updated`.
    pub issues: super::issue_table::Issues,
    /// Attachments by numeric id.
    pub attachments: BTreeMap<u64, Attachment>,
    /// Admin webhooks by id.
    pub webhooks: BTreeMap<u64, Webhook>,
    /// Id sequences per kind of entity.
    pub ids: Ids,
}

/// Numeric id sequences, one per kind of entity, each starting at 10000 like Jira's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ids {
    next: BTreeMap<String, u64>,
}

impl Ids {
    /// The next id of this kind.
    pub fn next(&mut self, kind: &str) -> u64 {
        let start = if kind == "webhook" { 1 } else { 10000 };
        let slot = self.next.entry(kind.to_string()).or_insert(start);
        let id = *slot;
        *slot += 1;
        id
    }
}

/// A user account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Atlassian account id.
    pub account_id: String,
    /// Email address (the Basic-auth user name).
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// IANA time zone (JQL dates are read in it; the emulator uses UTC for arithmetic).
    pub time_zone: String,
    /// Whether the account is active.
    pub active: bool,
    /// Jira administrator (may manage webhooks).
    pub admin: bool,
    /// API tokens accepted with Basic auth.
    pub api_tokens: Vec<String>,
    /// Bearer tokens accepted with `Authorization: Bearer`.
    pub bearer_tokens: Vec<String>,
}

/// The four status categories, with Jira's ids, keys, names and colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// id 1, "No Category".
    Undefined,
    /// id 2, "To Do", blue-gray.
    New,
    /// id 4, "In Progress", yellow.
    Indeterminate,
    /// id 3, "Done", green.
    Done,
}

impl Category {
    /// Jira's numeric id.
    pub fn id(self) -> u64 {
        match self {
            Self::Undefined => 1,
            Self::New => 2,
            Self::Done => 3,
            Self::Indeterminate => 4,
        }
    }
    /// Jira's key (`new`, `indeterminate`, `done`, `undefined`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Undefined => "undefined",
            Self::New => "new",
            Self::Indeterminate => "indeterminate",
            Self::Done => "done",
        }
    }
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Undefined => "No Category",
            Self::New => "To Do",
            Self::Indeterminate => "In Progress",
            Self::Done => "Done",
        }
    }
    /// Colour name.
    pub fn color(self) -> &'static str {
        match self {
            Self::Undefined => "medium-gray",
            Self::New => "blue-gray",
            Self::Indeterminate => "yellow",
            Self::Done => "green",
        }
    }
    /// All categories.
    pub const ALL: [Category; 4] = [Self::Undefined, Self::New, Self::Indeterminate, Self::Done];
    /// Parses a key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// A workflow status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    /// Numeric id as a string.
    pub id: String,
    /// Name, e.g. `In Progress`.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: Category,
}

/// An issue type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssueType {
    /// Numeric id as a string.
    pub id: String,
    /// Name, e.g. `Bug`.
    pub name: String,
    /// Description.
    pub description: String,
    /// Whether it is a sub-task type.
    pub subtask: bool,
    /// 0 for standard types, -1 for sub-tasks, 1 for epics.
    pub hierarchy_level: i32,
    /// Avatar id (for the icon URL).
    pub avatar_id: u64,
}

/// The kinds of custom field the emulator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomKind {
    /// Single-line text (`textfield`): a plain string.
    Text,
    /// Multi-line text (`textarea`): ADF in v3, a string in v2.
    Textarea,
    /// Single select (`select`): an option.
    Select,
    /// Number (`float`).
    Number,
}

impl CustomKind {
    /// The `schema.custom` type key.
    pub fn type_key(self) -> &'static str {
        match self {
            Self::Text => "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
            Self::Textarea => "com.atlassian.jira.plugin.system.customfieldtypes:textarea",
            Self::Select => "com.atlassian.jira.plugin.system.customfieldtypes:select",
            Self::Number => "com.atlassian.jira.plugin.system.customfieldtypes:float",
        }
    }
    /// The `schema.type`.
    pub fn schema_type(self) -> &'static str {
        match self {
            Self::Text | Self::Textarea => "string",
            Self::Select => "option",
            Self::Number => "number",
        }
    }
}

/// An option of a select field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SelectOption {
    /// Numeric id as a string.
    pub id: String,
    /// Shown value.
    pub value: String,
}

/// A custom field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomField {
    /// Numeric id (the field id is `customfield_<id>`).
    pub id: u64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Kind.
    pub kind: CustomKind,
    /// Options, for select fields.
    #[serde(default)]
    pub options: Vec<SelectOption>,
}

impl CustomField {
    /// `customfield_<id>`.
    pub fn field_id(&self) -> String {
        format!("customfield_{}", self.id)
    }
}

/// A custom field placed on the screens of one issue type in one project.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScreenField {
    /// `customfield_<id>`.
    pub field_id: String,
    /// Whether create and edit require it.
    pub required: bool,
}

/// A transition of a workflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transition {
    /// Id (`11`, `21`, …).
    pub id: String,
    /// Name shown on the button.
    pub name: String,
    /// Status ids it starts from; empty means a global transition (from any status).
    #[serde(default)]
    pub from: Vec<String>,
    /// Status id it leads to.
    pub to: String,
}

/// A project's workflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workflow {
    /// Name.
    pub name: String,
    /// Status ids in display order.
    pub statuses: Vec<String>,
    /// Status id of new issues.
    pub initial: String,
    /// Transitions.
    pub transitions: Vec<Transition>,
}

/// A project.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Project {
    /// Numeric id as a string.
    pub id: String,
    /// Key, e.g. `SUP`.
    pub key: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `software`, `service_desk` or `business`.
    pub project_type: String,
    /// Account id of the lead.
    pub lead: String,
    /// Issue type ids available in the project, in order.
    pub issue_types: Vec<String>,
    /// Custom fields on the screens, per issue type id.
    pub screens: BTreeMap<String, Vec<ScreenField>>,
    /// Workflow shared by all issue types of the project.
    pub workflow: Workflow,
    /// Number of the last issue created (keys are `KEY-<n>`).
    pub last_issue_number: u64,
}

/// One changed field in a change history entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChangeItem {
    /// Field name as shown (e.g. `status`, `Severity`).
    pub field: String,
    /// `jira` or `custom`.
    pub fieldtype: String,
    /// Field id (e.g. `status`, `customfield_10001`).
    pub field_id: String,
    /// Raw old value (ids), if any.
    pub from: Option<String>,
    /// Shown old value, if any.
    pub from_string: Option<String>,
    /// Raw new value, if any.
    pub to: Option<String>,
    /// Shown new value, if any.
    pub to_string: Option<String>,
}

/// A change history entry: who changed which fields when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct History {
    /// Numeric id.
    pub id: u64,
    /// Author's account id.
    pub author: String,
    /// When.
    pub created: DateTime<Utc>,
    /// What changed.
    pub items: Vec<ChangeItem>,
}

/// A comment on an issue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comment {
    /// Numeric id.
    pub id: u64,
    /// Author's account id.
    pub author: String,
    /// Last editor's account id.
    pub update_author: String,
    /// Body as ADF.
    pub body: Value,
    /// Created.
    pub created: DateTime<Utc>,
    /// Updated.
    pub updated: DateTime<Utc>,
    /// Visibility restriction as given (`{"type","value"}`), if any.
    pub visibility: Option<Value>,
    /// Whether customers see it (service-desk projects).
    pub jsd_public: bool,
    /// Comment properties.
    #[serde(default)]
    pub properties: BTreeMap<String, Value>,
}

/// An issue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Issue {
    /// Numeric id.
    pub id: u64,
    /// Key, e.g. `SUP-3`.
    pub key: String,
    /// Project id.
    pub project_id: String,
    /// Issue type id.
    pub issue_type_id: String,
    /// Summary.
    pub summary: String,
    /// Description as ADF.
    pub description: Option<Value>,
    /// Environment as ADF.
    pub environment: Option<Value>,
    /// Status id.
    pub status_id: String,
    /// Resolution id, set when the issue reaches a done status.
    pub resolution_id: Option<String>,
    /// When it was resolved.
    pub resolution_date: Option<DateTime<Utc>>,
    /// When the status category last changed.
    pub status_category_changed: DateTime<Utc>,
    /// Priority id.
    pub priority_id: Option<String>,
    /// Labels.
    pub labels: Vec<String>,
    /// Reporter's account id.
    pub reporter: Option<String>,
    /// Assignee's account id.
    pub assignee: Option<String>,
    /// Creator's account id.
    pub creator: String,
    /// Due date, `yyyy-MM-dd`.
    pub duedate: Option<String>,
    /// Created.
    pub created: DateTime<Utc>,
    /// Updated.
    pub updated: DateTime<Utc>,
    /// Custom field values by field id, canonical: text → string, textarea → ADF, select →
    /// option id, number → number.
    pub custom: BTreeMap<String, Value>,
    /// Issue properties.
    pub properties: BTreeMap<String, Value>,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
    /// Change history, oldest first.
    pub changelog: Vec<History>,
}

/// An attachment; its bytes are kept with it (base64 in the state file).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    /// Numeric id.
    pub id: u64,
    /// Issue it belongs to.
    pub issue_id: u64,
    /// File name.
    pub filename: String,
    /// Uploader's account id.
    pub author: String,
    /// Created.
    pub created: DateTime<Utc>,
    /// MIME type.
    pub mime_type: String,
    /// Random token of the blob URL the content redirects to.
    pub blob_token: String,
    /// The bytes.
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
}

/// An admin webhook (`/rest/webhooks/1.0/webhook`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhook {
    /// Id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Receiver URL (may contain `${issue.key}`-style variables).
    pub url: String,
    /// Subscribed events.
    pub events: Vec<String>,
    /// JQL filter of issue-related events (`filters["issue-related-events-section"]`).
    pub jql_filter: Option<String>,
    /// Send an empty body.
    pub exclude_body: bool,
    /// Whether deliveries happen.
    pub enabled: bool,
    /// Secret for `X-Hub-Signature`.
    pub secret: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Account id of the last editor.
    pub last_updated_user: String,
    /// Last edit.
    pub last_updated: DateTime<Utc>,
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}
