//! The issue representation (`IssueBean`) with Jira's three knobs: `fields` (which fields,
//! `*all`, `*navigable`, a list, `-field` to drop one), `expand` (`renderedFields`, `names`,
//! `schema`, `changelog`, `transitions`, `editmeta`, `operations`) and `properties`.
//!
//! Get-issue, every search endpoint and webhook payloads build issues through [`issue_bean`],
//! so a field looks the same wherever it appears.

use serde_json::{json, Map, Value};

use super::meta;
use super::model::Issue;
use super::render::{timestamp, View, ISSUE_EXPANDS};
use super::transitions;

/// Which fields to include.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelection {
    all: bool,
    navigable: bool,
    include: Vec<String>,
    exclude: Vec<String>,
}

impl FieldSelection {
    /// Reads `fields` values (each may hold a comma-separated list); `default` applies when
    /// none is given.
    pub fn parse(values: &[String], default: &str) -> Self {
        let items: Vec<String> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let items = if items.is_empty() {
            vec![default.to_string()]
        } else {
            items
        };
        let mut selection = Self::default();
        for item in items {
            match item.as_str() {
                "*all" => selection.all = true,
                "*navigable" => selection.navigable = true,
                "*none" => {}
                _ => match item.strip_prefix('-') {
                    Some(excluded) => selection.exclude.push(excluded.to_string()),
                    None => selection.include.push(item),
                },
            }
        }
        selection
    }

    /// Only the issue id was asked for (the `/search/jql` default).
    pub fn id_only(&self) -> bool {
        !self.all && !self.navigable && self.include.iter().all(|f| f == "id")
    }

    /// The field ids to render, in catalogue order then request order.
    pub fn resolve(&self, view: &View) -> Vec<String> {
        let catalogue = view.all_field_ids();
        let mut out: Vec<String> = catalogue
            .iter()
            .filter(|id| {
                self.all
                    || (self.navigable && id.as_str() != "comment")
                    || self.include.iter().any(|f| f == *id)
            })
            .cloned()
            .collect();
        for f in &self.include {
            if !out.contains(f) && catalogue.contains(f) {
                out.push(f.clone());
            }
        }
        out.retain(|f| !self.exclude.contains(f));
        out
    }
}

/// Options of one issue representation.
#[derive(Debug, Clone, Default)]
pub struct BeanOptions {
    /// Fields to include.
    pub fields: FieldSelection,
    /// Expansions asked for.
    pub expand: Vec<String>,
    /// Property keys asked for (`*all` for every one), when the parameter was given.
    pub properties: Option<Vec<String>>,
}

impl BeanOptions {
    /// Whether `name` is expanded.
    pub fn expands(&self, name: &str) -> bool {
        self.expand.iter().any(|e| e == name)
    }
}

/// Splits comma-separated parameter values into a list.
pub fn split_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The `IssueBean` of an issue.
pub fn issue_bean(view: &View, issue: &Issue, options: &BeanOptions) -> Value {
    let mut bean = Map::new();
    let id_only = options.fields.id_only();
    if !id_only {
        bean.insert("expand".into(), json!(ISSUE_EXPANDS));
    }
    bean.insert("id".into(), json!(issue.id.to_string()));
    if !id_only {
        bean.insert(
            "self".into(),
            json!(view.api(&format!("issue/{}", issue.id))),
        );
        bean.insert("key".into(), json!(issue.key));
    }
    let field_ids = options.fields.resolve(view);
    if !id_only {
        let mut fields = Map::new();
        for f in &field_ids {
            if let Some(value) = view.field_value(issue, f) {
                fields.insert(f.clone(), value);
            }
        }
        bean.insert("fields".into(), Value::Object(fields));
    }
    if options.expands("renderedFields") {
        bean.insert(
            "renderedFields".into(),
            rendered_fields(view, issue, &field_ids),
        );
    }
    if options.expands("names") {
        let names: Map<String, Value> = field_ids
            .iter()
            .filter_map(|f| super::fields::field_name(view.state, f).map(|n| (f.clone(), json!(n))))
            .collect();
        bean.insert("names".into(), Value::Object(names));
    }
    if options.expands("schema") {
        let schema: Map<String, Value> = field_ids
            .iter()
            .filter_map(|f| super::fields::schema_of(view.state, f).map(|s| (f.clone(), s)))
            .collect();
        bean.insert("schema".into(), Value::Object(schema));
    }
    if options.expands("changelog") {
        let histories: Vec<Value> = issue.changelog.iter().map(|h| view.history(h)).collect();
        bean.insert(
            "changelog".into(),
            json!({
                "startAt": 0,
                "maxResults": histories.len(),
                "total": histories.len(),
                "histories": histories,
            }),
        );
    }
    if options.expands("transitions") {
        if let Ok(project) = view.state.project_of(issue) {
            let list = transitions::available(view.state, project, &issue.status_id)
                .into_iter()
                .map(|t| transitions::render(view, project, t))
                .collect();
            bean.insert("transitions".into(), Value::Array(list));
        }
    }
    if options.expands("editmeta") {
        if let Ok(project) = view.state.project_of(issue) {
            bean.insert(
                "editmeta".into(),
                json!({"fields": meta::edit_fields(view, project, &issue.issue_type_id)}),
            );
        }
    }
    if options.expands("operations") {
        bean.insert("operations".into(), json!({"linkGroups": []}));
    }
    if let Some(keys) = &options.properties {
        let props: Map<String, Value> = issue
            .properties
            .iter()
            .filter(|(k, _)| {
                !keys.iter().any(|x| x.strip_prefix('-') == Some(k.as_str()))
                    && keys.iter().any(|x| x == "*all" || x == *k)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        bean.insert("properties".into(), Value::Object(props));
    }
    Value::Object(bean)
}

fn rendered_fields(view: &View, issue: &Issue, field_ids: &[String]) -> Value {
    let render_time = |t| json!(timestamp(t));
    let mut out = Map::new();
    for f in field_ids {
        let value = match f.as_str() {
            "description" => issue
                .description
                .as_ref()
                .map(|d| json!(super::adf::to_html(d)))
                .unwrap_or(Value::Null),
            "environment" => issue
                .environment
                .as_ref()
                .map(|d| json!(super::adf::to_html(d)))
                .unwrap_or(Value::Null),
            "created" => render_time(issue.created),
            "updated" => render_time(issue.updated),
            "comment" => {
                let comments: Vec<Value> = issue
                    .comments
                    .iter()
                    .map(|c| {
                        let mut v = view.comment(issue, c, false, false);
                        v["body"] = json!(super::adf::to_html(&c.body));
                        v
                    })
                    .collect();
                json!({"comments": comments, "maxResults": comments.len(),
                       "total": comments.len(), "startAt": 0})
            }
            _ => Value::Null,
        };
        out.insert(f.clone(), value);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_read_lists_wildcards_and_exclusions() {
        let s = FieldSelection::parse(&["summary,status".into(), "-status".into()], "*all");
        assert_eq!(s.include, vec!["summary", "status"]);
        assert_eq!(s.exclude, vec!["status"]);
        assert!(FieldSelection::parse(&[], "id").id_only());
        assert!(!FieldSelection::parse(&["*all".into()], "id").id_only());
    }
}
