//! `ORDER BY`: resolving sort keys (refusing fields Jira cannot sort by) and ordering issues,
//! with empty values last in ascending order and Jira's default, newest first, when a query
//! names no order.

use std::cmp::Ordering;

use super::eval::{compare, field_values, resolve_field, Field, Val};
use super::parser::SortKey;
use crate::jira::model::{Issue, State};

/// The checked `ORDER BY` keys.
#[derive(Debug, Clone, Default)]
pub struct SortSpec {
    keys: Vec<(Field, bool)>,
}

impl SortSpec {
    /// Resolves sort keys; unknown and unsortable fields are reported into `errors`.
    pub fn new(state: &State, keys: &[SortKey], errors: &mut Vec<String>) -> Self {
        let mut out = Vec::new();
        for key in keys {
            match resolve_field(state, &key.field) {
                None => errors.push(format!(
                    "Field '{}' does not exist or you do not have permission to view it.",
                    key.field
                )),
                Some(Field::Labels) | Some(Field::Text(_)) => {
                    errors.push(format!("Not able to sort using field '{}'.", key.field))
                }
                Some(field) => out.push((field, key.descending)),
            }
        }
        if out.is_empty() && keys.is_empty() {
            out.push((Field::Date("created"), true));
        }
        Self { keys: out }
    }

    /// Whether the order is `updated` ascending alone (ties by id, ascending).
    pub fn is_updated_ascending(&self) -> bool {
        matches!(self.keys.as_slice(), [(Field::Date("updated"), false)])
    }

    /// Sorts in place; ties fall back to the issue id in the first key's direction.
    pub fn sort(&self, state: &State, issues: &mut [&Issue]) {
        let descending_ties = self.keys.first().is_some_and(|k| k.1);
        issues.sort_by(|a, b| {
            for (field, descending) in &self.keys {
                let ordering = compare_field(state, field, a, b);
                let ordering = if *descending {
                    ordering.reverse()
                } else {
                    ordering
                };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            if descending_ties {
                b.id.cmp(&a.id)
            } else {
                a.id.cmp(&b.id)
            }
        });
    }
}

fn sort_value(state: &State, field: &Field, issue: &Issue) -> Option<Val> {
    let value = field_values(state, field, issue).into_iter().next()?;
    Some(match (field, value) {
        (Field::Status, Val::Str(id)) => Val::Str(
            state
                .status(&id)
                .map(|s| s.name.to_lowercase())
                .unwrap_or(id),
        ),
        (Field::IssueType, Val::Str(id)) => Val::Str(
            state
                .issue_type(&id)
                .map(|t| t.name.to_lowercase())
                .unwrap_or(id),
        ),
        (Field::Project, Val::Str(id)) => Val::Str(
            state
                .projects
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.key.clone())
                .unwrap_or(id),
        ),
        (Field::Key, Val::Key(project, number)) => {
            let key = state
                .projects
                .iter()
                .find(|p| p.id == project)
                .map(|p| p.key.clone())
                .unwrap_or(project);
            Val::Str(format!("{key}-{number:020}"))
        }
        (Field::User(_), Val::Str(id)) => Val::Str(
            state
                .user(&id)
                .map(|u| u.display_name.to_lowercase())
                .unwrap_or(id),
        ),
        (Field::Priority, Val::Str(id)) => Val::Num(id.parse().unwrap_or(f64::MAX)),
        (_, v) => v,
    })
}

fn compare_field(state: &State, field: &Field, a: &Issue, b: &Issue) -> Ordering {
    match (sort_value(state, field, a), sort_value(state, field, b)) {
        (Some(x), Some(y)) => compare(&x, &y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}
