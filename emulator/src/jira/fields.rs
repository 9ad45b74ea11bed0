//! Issue fields: the catalogue of system fields, which fields each screen offers, reading field
//! values from create/edit/transition requests (with Jira's per-field error messages), and
//! applying them to an issue while recording the change history items.
//!
//! Create, edit, transition and the createmeta/editmeta views all need the same answer to "can
//! this field be set here, and is this value valid?"; answering it in one place keeps their
//! refusals identical to each other, as they are in Jira.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::adf;
pub use super::catalogue::{
    custom_schema, field_name, schema_of, system_field, SystemField, SCREEN_SYSTEM_FIELDS,
    SYSTEM_FIELDS,
};
use super::model::{ChangeItem, CustomField, CustomKind, Issue, Project, State};
use super::render::Version;
use super::store::{priority_name, resolution_name, PRIORITIES, RESOLUTIONS};

/// A value read from a request, ready to apply.
#[derive(Debug, Clone)]
pub enum FieldValue {
    /// Summary text.
    Summary(String),
    /// Description document.
    Description(Option<Value>),
    /// Environment document.
    Environment(Option<Value>),
    /// Whole label set.
    Labels(Vec<String>),
    /// Priority id.
    Priority(Option<String>),
    /// Assignee account id.
    Assignee(Option<String>),
    /// Reporter account id.
    Reporter(Option<String>),
    /// Due date.
    DueDate(Option<String>),
    /// Resolution id (transition screens).
    Resolution(Option<String>),
    /// Custom field value in canonical form.
    Custom(String, Option<Value>),
}

/// Where a value is being set, which decides the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Create screen.
    Create,
    /// Edit screen.
    Edit,
    /// Transition screen (edit fields plus resolution).
    Transition,
}

/// Jira's message for a field that is not on the screen.
pub fn not_on_screen(field: &str) -> String {
    format!("Field '{field}' cannot be set. It is not on the appropriate screen, or unknown.")
}

/// Whether `field_id` is on the screen of this project and issue type.
pub fn on_screen(project: &Project, issue_type_id: &str, field_id: &str, screen: Screen) -> bool {
    SCREEN_SYSTEM_FIELDS.contains(&field_id)
        || (screen == Screen::Transition && field_id == "resolution")
        || project
            .screens
            .get(issue_type_id)
            .is_some_and(|fields| fields.iter().any(|f| f.field_id == field_id))
}

/// Reads one field value from a request. Errors are Jira's per-field messages.
pub fn parse_value(
    state: &State,
    field_id: &str,
    value: &Value,
    version: Version,
) -> Result<FieldValue, String> {
    match field_id {
        "summary" => match value {
            Value::String(s) if s.trim().is_empty() => {
                Err("You must specify a summary of the issue.".into())
            }
            Value::String(s) if s.chars().count() > 255 => {
                Err("Summary must be less than 255 characters.".into())
            }
            Value::String(s) => Ok(FieldValue::Summary(s.clone())),
            Value::Null => Err("You must specify a summary of the issue.".into()),
            _ => Err("Operation value must be a string".into()),
        },
        "description" => rich_text(value, version).map(FieldValue::Description),
        "environment" => rich_text(value, version).map(FieldValue::Environment),
        "labels" => labels(value).map(FieldValue::Labels),
        "priority" => {
            let id = named_ref(value, PRIORITIES.iter().map(|p| (p.0, p.1)))
                .ok_or("The priority selected is invalid.")?;
            Ok(FieldValue::Priority(id))
        }
        "resolution" => {
            let id = named_ref(value, RESOLUTIONS.iter().map(|r| (r.0, r.1)))
                .ok_or("The resolution selected is invalid.")?;
            Ok(FieldValue::Resolution(id))
        }
        "assignee" | "reporter" => {
            let account = user_ref(state, value)
                .ok_or_else(|| format!("Specify a valid value for {field_id}"))?;
            Ok(if field_id == "assignee" {
                FieldValue::Assignee(account)
            } else {
                FieldValue::Reporter(account)
            })
        }
        "duedate" => match value {
            Value::Null => Ok(FieldValue::DueDate(None)),
            Value::String(s) if s.is_empty() => Ok(FieldValue::DueDate(None)),
            Value::String(s) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
                Ok(FieldValue::DueDate(Some(s.clone())))
            }
            other => Err(format!(
                "Error parsing date string: {}",
                other.as_str().unwrap_or_default()
            )),
        },
        _ => {
            let cf = state
                .custom_field(field_id)
                .ok_or_else(|| not_on_screen(field_id))?;
            custom_value(cf, value, version).map(|v| FieldValue::Custom(field_id.to_string(), v))
        }
    }
}

fn rich_text(value: &Value, version: Version) -> Result<Option<Value>, String> {
    match (value, version) {
        (Value::Null, _) => Ok(None),
        (Value::String(s), Version::V2) if s.is_empty() => Ok(None),
        (Value::String(s), Version::V2) => Ok(Some(adf::from_text(s))),
        (_, Version::V2) => Err("Operation value must be a string".into()),
        (doc, Version::V3) if adf::is_document(doc) => Ok(Some(doc.clone())),
        (_, Version::V3) => Err(
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                .into(),
        ),
    }
}

fn labels(value: &Value) -> Result<Vec<String>, String> {
    let Value::Array(items) = value else {
        return match value {
            Value::Null => Ok(Vec::new()),
            _ => Err("data was not an array".into()),
        };
    };
    let mut out = Vec::new();
    for item in items {
        let label = item.as_str().ok_or("data was not an array")?;
        check_label(label)?;
        if !out.iter().any(|l| l == label) {
            out.push(label.to_string());
        }
    }
    Ok(out)
}

/// Jira's rules for one label.
pub fn check_label(label: &str) -> Result<(), String> {
    if label.is_empty() {
        return Err("The label can't be empty.".into());
    }
    if label.chars().any(char::is_whitespace) {
        return Err(format!(
            "The label '{label}' contains spaces which is invalid."
        ));
    }
    if label.chars().count() > 255 {
        return Err("The label must not exceed 255 characters.".into());
    }
    Ok(())
}

/// `{"id":…}` or `{"name":…}` among (id, name) pairs; `Some(None)` for null.
fn named_ref<'a>(
    value: &Value,
    mut options: impl Iterator<Item = (&'a str, &'a str)>,
) -> Option<Option<String>> {
    if value.is_null() {
        return Some(None);
    }
    let id = value.get("id").map(scalar_text);
    let name = value.get("name").and_then(Value::as_str);
    options
        .find(|(oid, oname)| id.as_deref() == Some(*oid) || name == Some(*oname))
        .map(|(oid, _)| Some(oid.to_string()))
}

fn user_ref(state: &State, value: &Value) -> Option<Option<String>> {
    if value.is_null() {
        return Some(None);
    }
    let account = value
        .get("accountId")
        .or_else(|| value.get("id"))
        .and_then(Value::as_str)?;
    if account == "-1" {
        return Some(None);
    }
    state.user(account).map(|u| Some(u.account_id.clone()))
}

fn custom_value(
    cf: &CustomField,
    value: &Value,
    version: Version,
) -> Result<Option<Value>, String> {
    if value.is_null() {
        return Ok(None);
    }
    match cf.kind {
        CustomKind::Text => match value {
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) if s.chars().count() > 255 => {
                Err("Please enter text no longer than 255 characters.".into())
            }
            Value::String(s) => Ok(Some(json!(s))),
            _ => Err("Operation value must be a string".into()),
        },
        CustomKind::Textarea => rich_text(value, version),
        CustomKind::Number => match value {
            Value::Number(_) => Ok(Some(value.clone())),
            _ => Err("Operation value must be a number".into()),
        },
        CustomKind::Select => {
            if let Some(id) = value.get("id") {
                let id = scalar_text(id);
                return cf
                    .options
                    .iter()
                    .find(|o| o.id == id)
                    .map(|o| Some(json!(o.id)))
                    .ok_or_else(|| format!("Option id '{id}' is not valid"));
            }
            if let Some(text) = value.get("value").and_then(Value::as_str) {
                return cf
                    .options
                    .iter()
                    .find(|o| o.value == text)
                    .map(|o| Some(json!(o.id)))
                    .ok_or_else(|| format!("Option value '{text}' is not valid"));
            }
            Err(format!(
                "Could not find valid 'id' or 'value' in the Parent Option object for {}",
                cf.name
            ))
        }
    }
}

/// The text of a scalar (a string as is, a number printed).
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads every field of a `fields` object for this screen: the valid values, and Jira's
/// per-field errors for the others.
pub fn parse_fields(
    state: &State,
    project: &Project,
    issue_type_id: &str,
    fields: &Map<String, Value>,
    version: Version,
    screen: Screen,
) -> (Vec<FieldValue>, BTreeMap<String, String>) {
    let mut values = Vec::new();
    let mut errors = BTreeMap::new();
    for (field_id, value) in fields {
        match field_id.as_str() {
            "project" | "issuetype" if screen == Screen::Create => continue,
            "status" if screen != Screen::Create => continue,
            _ => {}
        }
        if !on_screen(project, issue_type_id, field_id, screen) {
            errors.insert(field_id.clone(), not_on_screen(field_id));
            continue;
        }
        match parse_value(state, field_id, value, version) {
            Ok(v) => values.push(v),
            Err(message) => {
                errors.insert(field_id.clone(), message);
            }
        }
    }
    (values, errors)
}

/// Required custom fields of this project and issue type that `issue` leaves empty.
pub fn missing_required(
    state: &State,
    project: &Project,
    issue: &Issue,
) -> BTreeMap<String, String> {
    let mut errors = BTreeMap::new();
    if let Some(fields) = project.screens.get(&issue.issue_type_id) {
        for f in fields.iter().filter(|f| f.required) {
            if issue.custom.get(&f.field_id).is_none_or(Value::is_null) {
                let name = field_name(state, &f.field_id).unwrap_or_else(|| f.field_id.clone());
                errors.insert(f.field_id.clone(), format!("{name} is required."));
            }
        }
    }
    errors
}

/// Sets a value on an issue; returns the history item when the value changed.
pub fn apply(state: &State, issue: &mut Issue, value: FieldValue) -> Option<ChangeItem> {
    let user_name = |id: &Option<String>| {
        id.as_ref()
            .and_then(|a| state.user(a))
            .map(|u| u.display_name.clone())
    };
    let doc_text = |d: &Option<Value>| d.as_ref().map(adf::to_text);
    match value {
        FieldValue::Summary(new) => {
            let old = std::mem::replace(&mut issue.summary, new.clone());
            (old != new).then(|| item("summary", None, Some(old), None, Some(new)))
        }
        FieldValue::Description(new) => {
            let old = std::mem::replace(&mut issue.description, new.clone());
            (old != new).then(|| item("description", None, doc_text(&old), None, doc_text(&new)))
        }
        FieldValue::Environment(new) => {
            let old = std::mem::replace(&mut issue.environment, new.clone());
            (old != new).then(|| item("environment", None, doc_text(&old), None, doc_text(&new)))
        }
        FieldValue::Labels(new) => {
            let old = std::mem::replace(&mut issue.labels, new.clone());
            let text = |l: &Vec<String>| (!l.is_empty()).then(|| l.join(" "));
            (old != new).then(|| item("labels", None, text(&old), None, text(&new)))
        }
        FieldValue::Priority(new) => {
            let old = std::mem::replace(&mut issue.priority_id, new.clone());
            let name = |p: &Option<String>| p.as_deref().and_then(priority_name).map(String::from);
            (old != new).then(|| item("priority", old.clone(), name(&old), new.clone(), name(&new)))
        }
        FieldValue::Resolution(new) => {
            let old = std::mem::replace(&mut issue.resolution_id, new.clone());
            let name =
                |p: &Option<String>| p.as_deref().and_then(resolution_name).map(String::from);
            (old != new).then(|| {
                item(
                    "resolution",
                    old.clone(),
                    name(&old),
                    new.clone(),
                    name(&new),
                )
            })
        }
        FieldValue::Assignee(new) => {
            let old = std::mem::replace(&mut issue.assignee, new.clone());
            (old != new).then(|| {
                item(
                    "assignee",
                    old.clone(),
                    user_name(&old),
                    new.clone(),
                    user_name(&new),
                )
            })
        }
        FieldValue::Reporter(new) => {
            let old = std::mem::replace(&mut issue.reporter, new.clone());
            (old != new).then(|| {
                item(
                    "reporter",
                    old.clone(),
                    user_name(&old),
                    new.clone(),
                    user_name(&new),
                )
            })
        }
        FieldValue::DueDate(new) => {
            let old = std::mem::replace(&mut issue.duedate, new.clone());
            (old != new).then(|| item("duedate", old.clone(), old, new.clone(), new))
        }
        FieldValue::Custom(field_id, new) => {
            let old = match &new {
                Some(v) => issue.custom.insert(field_id.clone(), v.clone()),
                None => issue.custom.remove(&field_id),
            };
            if old == new {
                return None;
            }
            let cf = state.custom_field(&field_id)?;
            let shown = |v: &Option<Value>| v.as_ref().map(|v| custom_text(cf, v));
            let raw = |v: &Option<Value>| match cf.kind {
                CustomKind::Select => v.as_ref().map(scalar_text),
                _ => None,
            };
            Some(ChangeItem {
                field: cf.name.clone(),
                fieldtype: "custom".into(),
                field_id,
                from: raw(&old),
                from_string: shown(&old),
                to: raw(&new),
                to_string: shown(&new),
            })
        }
    }
}

/// The shown text of a canonical custom value.
pub fn custom_text(cf: &CustomField, value: &Value) -> String {
    match cf.kind {
        CustomKind::Textarea => adf::to_text(value),
        CustomKind::Select => {
            let id = scalar_text(value);
            cf.options
                .iter()
                .find(|o| o.id == id)
                .map(|o| o.value.clone())
                .unwrap_or(id)
        }
        CustomKind::Text | CustomKind::Number => scalar_text(value),
    }
}

/// A history item of a system field.
pub fn item(
    field: &str,
    from: Option<String>,
    from_string: Option<String>,
    to: Option<String>,
    to_string: Option<String>,
) -> ChangeItem {
    ChangeItem {
        field: field.to_string(),
        fieldtype: "jira".into(),
        field_id: field.to_string(),
        from,
        from_string,
        to,
        to_string,
    }
}
