//! Smart Connected Items: the admin's saved answer to "which Salesforce records meet which Jira
//! issues, and what flows between them".
//!
//! An item is a value recorded whole in the item's stream each time it is defined or changed, so
//! replaying the log shows exactly which configuration every sync decision was made under.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::catalog;
use super::fields::{compatibility, SfFieldSpec, SfFieldType, SyncDirection};
use super::ids::ProjectKey;

/// How far an item synchronises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldMapping {
    /// Salesforce field API name, e.g. `Subject`.
    pub salesforce_field: String,
    /// Jira field id, e.g. `summary` or `customfield_10050`.
    pub jira_field: String,
}

/// Status synchronisation settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusSync {
    /// The Salesforce status-like field: `Status`, `StageName`, `ShowAs`…
    pub salesforce_field: String,
}

/// Optional sync features of a synchronised item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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

/// What item validation needs to know about the Salesforce object (from describe).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectMetadata {
    /// API name.
    pub name: String,
    /// Label.
    pub label: String,
    /// Its fields.
    pub fields: Vec<crate::domain::fields::SfFieldSpec>,
    /// Whether it has a feed (FeedItem / FeedComment).
    pub feed_enabled: bool,
}

/// One field of the Jira issue type's create screen.
#[derive(Debug, Clone, PartialEq)]
pub struct JiraScreenField {
    /// Its spec.
    pub spec: crate::domain::fields::JiraFieldSpec,
    /// Whether Jira requires it on create.
    pub required: bool,
    /// Whether Jira fills it when absent.
    pub has_default: bool,
}

/// What item validation needs to know about Jira.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JiraMetadata {
    /// Projects the Jira account can see.
    pub projects: Vec<ProjectKey>,
    /// The chosen issue type's id and create-screen fields, when one was chosen and found.
    pub issue_type: Option<(String, Vec<JiraScreenField>)>,
}

/// A problem with one setting of an item, for the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// Which setting: `object`, `mappings[1].jira_field`, `options.status_sync`…
    pub field: String,
    /// What is wrong and what would fix it.
    pub message: String,
}

/// The outcome of validating an item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Validation {
    /// Problems that prevent saving.
    pub problems: Vec<Problem>,
    /// Warnings shown before saving (e.g. required Jira fields nothing fills).
    pub warnings: Vec<String>,
}

impl Validation {
    fn problem(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Whether the item can be saved.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Jira fields sfjira fills itself when nothing is mapped onto them.
const FILLED_BY_SFJIRA: &[&str] = &["project", "issuetype", "summary", "labels"];

/// Checks an item against live metadata: `object` is `None` when the Salesforce object does
/// not exist or the integration user cannot see it.
pub fn validate(
    definition: &ItemDefinition,
    object: Option<&ObjectMetadata>,
    jira: &JiraMetadata,
) -> Validation {
    let mut v = Validation::default();
    let synchronised = definition.mode.synchronises();
    check_name(&mut v, definition);
    check_jira_targets(&mut v, definition, jira);
    let Some(object) = object else {
        v.problem(
            "object",
            format!(
                "Salesforce object {} does not exist or the integration user cannot see it",
                definition.object
            ),
        );
        return v;
    };
    check_preview_fields(&mut v, definition, object);
    if !synchronised {
        check_display_only(&mut v, definition);
        return v;
    }
    let direction = match definition.mode {
        SyncMode::TwoWay => SyncDirection::TwoWay,
        _ => SyncDirection::OneWay,
    };
    let mapped_jira = check_mappings(&mut v, definition, object, jira, direction);
    if let Some(status) = &definition.options.status_sync {
        check_status_sync(&mut v, status, object, direction);
    }
    if definition.options.comments_sync {
        check_comments_sync(&mut v, object);
    }
    if definition.options.auto_create {
        warn_unfilled_required(&mut v, jira, &mapped_jira);
    }
    v
}

/// The name: 1 to 80 characters once trimmed.
fn check_name(v: &mut Validation, definition: &ItemDefinition) {
    let name = definition.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        v.problem("name", "give the item a name of 1 to 80 characters");
    }
}

/// The Jira side: projects that exist (exactly one when synchronised) and an issue type there.
fn check_jira_targets(v: &mut Validation, definition: &ItemDefinition, jira: &JiraMetadata) {
    let synchronised = definition.mode.synchronises();
    if definition.jira_projects.is_empty() {
        v.problem("jira_projects", "choose at least one Jira project");
    }
    if synchronised && definition.jira_projects.len() > 1 {
        v.problem(
            "jira_projects",
            "a synchronised item targets exactly one Jira project; use a display-only item to show a record in several projects",
        );
    }
    for (i, project) in definition.jira_projects.iter().enumerate() {
        if !jira.projects.contains(project) {
            v.problem(
                format!("jira_projects[{i}]"),
                format!("Jira project {project} does not exist or the Jira account cannot see it"),
            );
        }
    }
    match (&definition.issue_type_id, synchronised, &jira.issue_type) {
        (None, true, _) => v.problem(
            "issue_type_id",
            "a synchronised item needs a Jira issue type",
        ),
        (Some(id), true, None) => v.problem(
            "issue_type_id",
            format!("issue type {id} is not available in the chosen project"),
        ),
        _ => {}
    }
}

/// Every preview field exists on the object.
fn check_preview_fields(v: &mut Validation, definition: &ItemDefinition, object: &ObjectMetadata) {
    for (i, field) in definition.preview_fields.iter().enumerate() {
        if sf_field(object, field).is_none() {
            v.problem(
                format!("preview_fields[{i}]"),
                format!("{} has no field {field}", object.label),
            );
        }
    }
}

/// A display-only item maps nothing and turns every sync option off.
fn check_display_only(v: &mut Validation, definition: &ItemDefinition) {
    if !definition.mappings.is_empty() {
        v.problem(
            "mappings",
            "display-only items show fields; they do not map them",
        );
    }
    let o = &definition.options;
    if o.auto_create || o.status_sync.is_some() || o.comments_sync || o.attachments_sync {
        v.problem(
            "options",
            "display-only items never write to either side: turn the sync options off or choose one-way or two-way",
        );
    }
}

/// Each mapping pairs existing fields, compatible in the sync's direction, and no Jira field is
/// mapped twice; returns the Jira fields mapped.
fn check_mappings<'a>(
    v: &mut Validation,
    definition: &'a ItemDefinition,
    object: &ObjectMetadata,
    jira: &JiraMetadata,
    direction: SyncDirection,
) -> BTreeSet<&'a str> {
    let jira_fields = screen_fields(jira);
    let mut mapped_jira = BTreeSet::new();
    for (i, mapping) in definition.mappings.iter().enumerate() {
        let sf = sf_field(object, &mapping.salesforce_field);
        let jf = jira_fields.iter().find(|f| f.spec.id == mapping.jira_field);
        if sf.is_none() {
            v.problem(
                format!("mappings[{i}].salesforce_field"),
                format!("{} has no field {}", object.label, mapping.salesforce_field),
            );
        }
        if jf.is_none() && jira.issue_type.is_some() {
            v.problem(
                format!("mappings[{i}].jira_field"),
                format!(
                    "Jira field {} is not on the create screen of the chosen issue type",
                    mapping.jira_field
                ),
            );
        }
        if !mapped_jira.insert(mapping.jira_field.as_str()) {
            v.problem(
                format!("mappings[{i}].jira_field"),
                format!("Jira field {} is mapped twice", mapping.jira_field),
            );
        }
        if let (Some(sf), Some(jf)) = (sf, jf) {
            if let Err(incompatible) = compatibility(sf, &jf.spec, direction) {
                v.problem(format!("mappings[{i}]"), incompatible.reason);
            }
        }
    }
    mapped_jira
}

/// Status sync names a status-like picklist of the object, updateable when two-way.
fn check_status_sync(
    v: &mut Validation,
    status: &StatusSync,
    object: &ObjectMetadata,
    direction: SyncDirection,
) {
    let picklists: Vec<&str> = object
        .fields
        .iter()
        .filter(|f| f.field_type == SfFieldType::Picklist)
        .map(|f| f.name.as_str())
        .collect();
    let candidates = catalog::status_field_candidates(&object.name, &picklists);
    if candidates.is_empty() {
        v.problem(
            "options.status_sync",
            format!(
                "{} has no status-like field; leave status sync off",
                object.label
            ),
        );
    } else if !candidates.contains(&status.salesforce_field) {
        v.problem(
            "options.status_sync.salesforce_field",
            format!(
                "{} is not a status-like field of {}; choose one of {}",
                status.salesforce_field,
                object.label,
                candidates.join(", ")
            ),
        );
    } else if direction == SyncDirection::TwoWay
        && sf_field(object, &status.salesforce_field).is_some_and(|f| !f.updateable)
    {
        v.problem(
            "options.status_sync.salesforce_field",
            format!(
                "the integration user cannot update {}; status could not be written back",
                status.salesforce_field
            ),
        );
    }
}

/// Comment sync needs case comments or a feed on the object.
fn check_comments_sync(v: &mut Validation, object: &ObjectMetadata) {
    if catalog::comment_model(&object.name, Some(object.feed_enabled))
        == catalog::CommentModel::Unsupported
    {
        v.problem(
            "options.comments_sync",
            format!(
                "{} has neither case comments nor a feed; leave comment sync off",
                object.label
            ),
        );
    }
}

/// Warns of Jira fields required on create that neither sfjira nor a mapping fills.
fn warn_unfilled_required(v: &mut Validation, jira: &JiraMetadata, mapped_jira: &BTreeSet<&str>) {
    for field in screen_fields(jira) {
        if field.required
            && !field.has_default
            && !FILLED_BY_SFJIRA.contains(&field.spec.id.as_str())
            && !mapped_jira.contains(field.spec.id.as_str())
        {
            v.warnings.push(format!(
                "Jira requires {} ({}) on create and no mapping fills it: auto-created issues will fail until you map it or choose another issue type",
                field.spec.name, field.spec.id
            ));
        }
    }
}

/// The object's field of that name, if it has one.
fn sf_field<'a>(object: &'a ObjectMetadata, name: &str) -> Option<&'a SfFieldSpec> {
    object.fields.iter().find(|f| f.name == name)
}

/// The create-screen fields of the chosen issue type (none when it was not found).
fn screen_fields(jira: &JiraMetadata) -> &[JiraScreenField] {
    jira.issue_type
        .as_ref()
        .map(|(_, f)| f.as_slice())
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests;
