//! Smart Connected Items: the admin's saved answer to "which Salesforce records meet which Jira
//! issues, and what flows between them".
//!
//! An item is a value recorded whole in the item's stream each time it is defined or changed, so
//! replaying the log shows exactly which configuration every sync decision was made under.

use serde::{Deserialize, Serialize};

use super::ids::ProjectKey;

/// How far an item synchronises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Manual links only; selected Salesforce fields are shown in the issue panel, nothing is
    /// written to either side.
    DisplayOnly,
    /// Salesforce is the source of truth for mapped fields; the scheduler applies them to Jira.
    OneWay,
    /// As one-way, and mapped Jira changes are pushed back to Salesforce.
    TwoWay,
}

impl SyncMode {
    /// Whether the scheduler and webhooks act on links of this mode.
    pub fn synchronises(self) -> bool {
        !matches!(self, SyncMode::DisplayOnly)
    }

    /// The label the admin page shows.
    pub fn label(self) -> &'static str {
        match self {
            SyncMode::DisplayOnly => "Display-only",
            SyncMode::OneWay => "One-way sync (Salesforce → Jira)",
            SyncMode::TwoWay => "Two-way sync (Salesforce ⇄ Jira)",
        }
    }
}

/// One Salesforce field paired with one Jira field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    /// Salesforce field API name, e.g. `Subject`.
    pub salesforce_field: String,
    /// Jira field id, e.g. `summary` or `customfield_10050`.
    pub jira_field: String,
}

/// Status synchronisation settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSync {
    /// The Salesforce status-like field: `Status`, `StageName`, `ShowAs`…
    pub salesforce_field: String,
}

/// Optional sync features of a synchronised item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemOptions {
    /// Open a Jira issue for each new matching Salesforce record.
    #[serde(default)]
    pub auto_create: bool,
    /// Keep Jira status and the Salesforce status-like field aligned.
    #[serde(default)]
    pub status_sync: Option<StatusSync>,
    /// Mirror comments.
    #[serde(default)]
    pub comments_sync: bool,
    /// Mirror files.
    #[serde(default)]
    pub attachments_sync: bool,
}

/// A Smart Connected Item as the admin defined it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDefinition {
    /// Name shown to admins and on issue-panel cards.
    pub name: String,
    /// Display-only, one-way or two-way.
    pub mode: SyncMode,
    /// Jira projects the item applies to (exactly one for synchronised items).
    pub jira_projects: Vec<ProjectKey>,
    /// Jira issue type id for synchronised items (auto-created issues use it).
    #[serde(default)]
    pub issue_type_id: Option<String>,
    /// Salesforce object API name, e.g. `Case` or `Widget__c`.
    pub object: String,
    /// Fields shown in the issue panel preview.
    #[serde(default)]
    pub preview_fields: Vec<String>,
    /// Field mappings of synchronised items.
    #[serde(default)]
    pub mappings: Vec<FieldMapping>,
    /// Optional features.
    #[serde(default)]
    pub options: ItemOptions,
}
