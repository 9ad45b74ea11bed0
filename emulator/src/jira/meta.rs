//! Field metadata as createmeta, editmeta and transition screens describe it: for each field on
//! a screen its name, whether it is required, its schema, the operations it supports and its
//! allowed values.
//!
//! Connectors read this to learn which custom fields are required before creating an issue, so
//! it is derived from the same screen configuration that create and edit enforce.

use serde_json::{json, Map, Value};

use super::fields::{self, SCREEN_SYSTEM_FIELDS};
use super::model::{CustomKind, Project};
use super::render::View;

/// Metadata of one field on a screen (`FieldMetadata`; with `fieldId` for the new createmeta's
/// `FieldCreateMetadata`).
pub fn field_metadata(
    view: &View,
    project: &Project,
    issue_type_id: &str,
    field_id: &str,
    required: bool,
    with_field_id: bool,
) -> Option<Value> {
    let state = view.state;
    let schema = fields::schema_of(state, field_id)?;
    let name = fields::field_name(state, field_id)?;
    let operations: &[&str] = match field_id {
        "labels" => &["add", "set", "remove"],
        "issuetype" => &[],
        _ => &["set"],
    };
    let mut value = json!({
        "required": required,
        "schema": schema,
        "name": name,
        "key": field_id,
        "hasDefaultValue": matches!(field_id, "priority" | "issuetype"),
        "operations": operations,
    });
    if with_field_id {
        value["fieldId"] = json!(field_id);
    }
    match field_id {
        "priority" => {
            value["allowedValues"] = Value::Array(view.priorities());
            value["defaultValue"] = view.priority(super::store::DEFAULT_PRIORITY);
        }
        "issuetype" => {
            if let Some(t) = state.issue_type(issue_type_id) {
                value["allowedValues"] = json!([view.issue_type(t)]);
                value["defaultValue"] = view.issue_type(t);
            }
        }
        "project" => value["allowedValues"] = json!([view.project_ref(project)]),
        "assignee" | "reporter" => {
            value["autoCompleteUrl"] = json!(view.api("user/search?query="));
        }
        "labels" => {
            value["autoCompleteUrl"] =
                json!(format!("{}/rest/api/1.0/labels/suggest?query=", view.base));
        }
        "resolution" => {
            value["allowedValues"] = Value::Array(
                super::store::RESOLUTIONS
                    .iter()
                    .map(|r| view.resolution(r.0))
                    .collect(),
            );
        }
        _ => {
            if let Some(cf) = state.custom_field(field_id) {
                if cf.kind == CustomKind::Select {
                    value["allowedValues"] = Value::Array(
                        cf.options
                            .iter()
                            .map(|o| {
                                json!({
                                    "self": view.api(&format!("customFieldOption/{}", o.id)),
                                    "value": o.value,
                                    "id": o.id,
                                })
                            })
                            .collect(),
                    );
                }
            }
        }
    }
    Some(value)
}

/// Field ids of a screen with their required flags: system fields first, then custom ones.
pub fn screen_fields(project: &Project, issue_type_id: &str, create: bool) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    if create {
        out.push(("issuetype".into(), true));
        out.push(("project".into(), true));
    }
    for f in SCREEN_SYSTEM_FIELDS {
        out.push((f.to_string(), *f == "summary"));
    }
    if let Some(custom) = project.screens.get(issue_type_id) {
        out.extend(custom.iter().map(|f| (f.field_id.clone(), f.required)));
    }
    out
}

/// The create screen as `FieldCreateMetadata` values (new createmeta).
pub fn create_fields(view: &View, project: &Project, issue_type_id: &str) -> Vec<Value> {
    screen_fields(project, issue_type_id, true)
        .into_iter()
        .filter_map(|(f, req)| field_metadata(view, project, issue_type_id, &f, req, true))
        .collect()
}

/// The create screen as a map of `FieldMetadata` (deprecated createmeta).
pub fn create_fields_map(
    view: &View,
    project: &Project,
    issue_type_id: &str,
) -> Map<String, Value> {
    screen_fields(project, issue_type_id, true)
        .into_iter()
        .filter_map(|(f, req)| {
            field_metadata(view, project, issue_type_id, &f, req, false).map(|m| (f, m))
        })
        .collect()
}

/// The edit screen as a map of `FieldMetadata` (editmeta).
pub fn edit_fields(view: &View, project: &Project, issue_type_id: &str) -> Value {
    let map: Map<String, Value> = screen_fields(project, issue_type_id, false)
        .into_iter()
        .filter_map(|(f, req)| {
            field_metadata(view, project, issue_type_id, &f, req, false).map(|m| (f, m))
        })
        .collect();
    Value::Object(map)
}
