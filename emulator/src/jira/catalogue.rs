//! The field catalogue: Jira's system fields as `GET /field` lists them (names, schemas, JQL
//! clause names, whether they are navigable), the system fields every screen offers, and the
//! schemas and names of custom fields.
//!
//! Field listings, createmeta, `names`/`schema` expansions and JQL all describe fields; they
//! read the same table so they cannot disagree.

use serde_json::{json, Value};

use super::model::{CustomField, State};

/// A system field as `GET /field` describes it.
pub struct SystemField {
    /// Field id.
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// `schema.type`, when the field has a schema.
    pub schema_type: Option<&'static str>,
    /// `schema.items`.
    pub items: Option<&'static str>,
    /// Can be set on screens.
    pub orderable: bool,
    /// Shown in `*navigable`.
    pub navigable: bool,
    /// Searchable in JQL.
    pub searchable: bool,
    /// JQL clause names.
    pub clause_names: &'static [&'static str],
}

const fn sys(
    id: &'static str,
    name: &'static str,
    schema_type: Option<&'static str>,
    items: Option<&'static str>,
    orderable: bool,
    navigable: bool,
    clause_names: &'static [&'static str],
) -> SystemField {
    SystemField {
        id,
        name,
        schema_type,
        items,
        orderable,
        navigable,
        searchable: !clause_names.is_empty(),
        clause_names,
    }
}

/// The system fields, in the order `GET /field` lists them.
pub const SYSTEM_FIELDS: &[SystemField] = &[
    sys(
        "summary",
        "Summary",
        Some("string"),
        None,
        true,
        true,
        &["summary"],
    ),
    sys(
        "description",
        "Description",
        Some("string"),
        None,
        true,
        true,
        &["description"],
    ),
    sys(
        "environment",
        "Environment",
        Some("string"),
        None,
        true,
        true,
        &["environment"],
    ),
    sys(
        "issuetype",
        "Issue Type",
        Some("issuetype"),
        None,
        true,
        true,
        &["issuetype", "type"],
    ),
    sys(
        "project",
        "Project",
        Some("project"),
        None,
        false,
        true,
        &["project"],
    ),
    sys(
        "status",
        "Status",
        Some("status"),
        None,
        false,
        true,
        &["status"],
    ),
    sys(
        "statusCategory",
        "Status Category",
        Some("statusCategory"),
        None,
        false,
        true,
        &["statusCategory"],
    ),
    sys(
        "resolution",
        "Resolution",
        Some("resolution"),
        None,
        true,
        true,
        &["resolution"],
    ),
    sys(
        "resolutiondate",
        "Resolved",
        Some("datetime"),
        None,
        false,
        true,
        &["resolutiondate", "resolved"],
    ),
    sys(
        "priority",
        "Priority",
        Some("priority"),
        None,
        true,
        true,
        &["priority"],
    ),
    sys(
        "labels",
        "Labels",
        Some("array"),
        Some("string"),
        true,
        true,
        &["labels"],
    ),
    sys(
        "assignee",
        "Assignee",
        Some("user"),
        None,
        true,
        true,
        &["assignee"],
    ),
    sys(
        "reporter",
        "Reporter",
        Some("user"),
        None,
        true,
        true,
        &["reporter"],
    ),
    sys(
        "creator",
        "Creator",
        Some("user"),
        None,
        false,
        true,
        &["creator"],
    ),
    sys(
        "created",
        "Created",
        Some("datetime"),
        None,
        false,
        true,
        &["created", "createdDate"],
    ),
    sys(
        "updated",
        "Updated",
        Some("datetime"),
        None,
        false,
        true,
        &["updated", "updatedDate"],
    ),
    sys(
        "duedate",
        "Due date",
        Some("date"),
        None,
        true,
        true,
        &["due", "duedate"],
    ),
    sys(
        "statuscategorychangedate",
        "Status Category Changed",
        Some("datetime"),
        None,
        false,
        true,
        &["statusCategoryChangedDate"],
    ),
    sys(
        "comment",
        "Comment",
        Some("comments-page"),
        None,
        true,
        false,
        &["comment"],
    ),
    sys(
        "attachment",
        "Attachment",
        Some("array"),
        Some("attachment"),
        true,
        true,
        &["attachments"],
    ),
    sys(
        "issuelinks",
        "Linked Issues",
        Some("array"),
        Some("issuelinks"),
        true,
        true,
        &["issueLink"],
    ),
    sys(
        "subtasks",
        "Sub-tasks",
        Some("array"),
        Some("issuelinks"),
        false,
        true,
        &["subtasks"],
    ),
    sys(
        "components",
        "Components",
        Some("array"),
        Some("component"),
        true,
        true,
        &["component"],
    ),
    sys(
        "fixVersions",
        "Fix versions",
        Some("array"),
        Some("version"),
        true,
        true,
        &["fixVersion"],
    ),
    sys(
        "versions",
        "Affects versions",
        Some("array"),
        Some("version"),
        true,
        true,
        &["affectedVersion"],
    ),
    sys(
        "watches",
        "Watchers",
        Some("watches"),
        None,
        false,
        true,
        &["watchers"],
    ),
    sys(
        "votes",
        "Votes",
        Some("votes"),
        None,
        false,
        true,
        &["votes"],
    ),
    sys(
        "lastViewed",
        "Last Viewed",
        Some("datetime"),
        None,
        false,
        true,
        &["lastViewed"],
    ),
    sys(
        "issuekey",
        "Key",
        None,
        None,
        false,
        true,
        &["id", "issue", "issuekey", "key"],
    ),
    sys("thumbnail", "Images", None, None, false, true, &[]),
];

/// A system field by id.
pub fn system_field(id: &str) -> Option<&'static SystemField> {
    SYSTEM_FIELDS.iter().find(|f| f.id == id)
}

/// System fields every create and edit screen offers.
pub const SCREEN_SYSTEM_FIELDS: &[&str] = &[
    "summary",
    "description",
    "environment",
    "labels",
    "priority",
    "assignee",
    "reporter",
    "duedate",
];

/// The JSON schema (`JsonTypeBean`) of a field.
pub fn schema_of(state: &State, field_id: &str) -> Option<Value> {
    if let Some(cf) = state.custom_field(field_id) {
        return Some(custom_schema(cf));
    }
    let f = system_field(field_id)?;
    let mut schema = json!({"type": f.schema_type?, "system": f.id});
    if let Some(items) = f.items {
        schema["items"] = json!(items);
    }
    Some(schema)
}

/// The schema of a custom field.
pub fn custom_schema(cf: &CustomField) -> Value {
    json!({"type": cf.kind.schema_type(), "custom": cf.kind.type_key(), "customId": cf.id})
}

/// Display name of a field.
pub fn field_name(state: &State, field_id: &str) -> Option<String> {
    if let Some(cf) = state.custom_field(field_id) {
        return Some(cf.name.clone());
    }
    system_field(field_id).map(|f| f.name.to_string())
}
