//! JQL semantics: resolving each clause's field and values against the site (with Jira's
//! messages for unknown fields, unsupported operators and unknown values), then matching issues.
//!
//! Values are resolved once, at compile time (project keys to ids, status names to ids, date
//! literals to instants), so matching an issue is a cheap comparison and every error is found
//! before any issue is looked at, as in Jira.

use std::cmp::Ordering;

use serde_json::Value;

use super::dates;
use super::order::SortSpec;
use super::parser::{Clause, Expr, Literal, Operand, Operator, Query};
use super::text::{text_match, text_of};
use super::{Env, JqlError};
use crate::jira::fields::custom_text;
use crate::jira::model::{Category, CustomKind, Issue, State};
use crate::jira::store::{split_key, PRIORITIES, RESOLUTIONS};

/// A searchable field.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// `project`
    Project,
    /// `issuetype`, `type`
    IssueType,
    /// `status`
    Status,
    /// `statusCategory`
    StatusCategory,
    /// `priority`
    Priority,
    /// `resolution`
    Resolution,
    /// `key`, `issuekey`, `issue`, `id`
    Key,
    /// `labels`
    Labels,
    /// Text fields: `summary`, `description`, `environment`, `comment`, `text`.
    Text(&'static str),
    /// `created`, `updated`, `resolved`, `due`, `statusCategoryChangedDate`.
    Date(&'static str),
    /// `assignee`, `reporter`, `creator`.
    User(&'static str),
    /// `issue.property[key].path`
    Property {
        /// Property key.
        key: String,
        /// Path inside the value.
        path: Vec<String>,
    },
    /// A custom field by field id.
    Custom(String, CustomKind),
}

/// A comparable value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// Text or id.
    Str(String),
    /// Number.
    Num(f64),
    /// Instant (milliseconds).
    Time(i64),
    /// Issue key: project id and number.
    Key(String, u64),
    /// Matches an empty field (`Unresolved`, `EMPTY` in a list).
    Null,
}

/// Resolves a field name as written in a query.
pub fn resolve_field(state: &State, name: &str) -> Option<Field> {
    let lower = name.to_lowercase();
    Some(match lower.as_str() {
        "project" => Field::Project,
        "issuetype" | "type" => Field::IssueType,
        "status" => Field::Status,
        "statuscategory" => Field::StatusCategory,
        "priority" => Field::Priority,
        "resolution" => Field::Resolution,
        "key" | "issuekey" | "issue" | "id" => Field::Key,
        "labels" | "label" => Field::Labels,
        "summary" => Field::Text("summary"),
        "description" => Field::Text("description"),
        "environment" => Field::Text("environment"),
        "comment" => Field::Text("comment"),
        "text" => Field::Text("text"),
        "created" | "createddate" => Field::Date("created"),
        "updated" | "updateddate" => Field::Date("updated"),
        "resolved" | "resolutiondate" => Field::Date("resolved"),
        "due" | "duedate" => Field::Date("due"),
        "statuscategorychangeddate" => Field::Date("statuscategorychangedate"),
        "assignee" => Field::User("assignee"),
        "reporter" => Field::User("reporter"),
        "creator" => Field::User("creator"),
        _ => {
            if lower.starts_with("issue.property[") {
                let rest = name.get("issue.property[".len()..)?;
                let (key, path) = rest.split_once(']')?;
                let path = path
                    .trim_start_matches('.')
                    .split('.')
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect();
                return Some(Field::Property {
                    key: key.to_string(),
                    path,
                });
            }
            let cf = match lower.strip_prefix("cf[").and_then(|r| r.strip_suffix(']')) {
                Some(id) => state
                    .custom_fields
                    .iter()
                    .find(|c| c.id.to_string() == id)?,
                None => state
                    .custom_fields
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(name))?,
            };
            Field::Custom(cf.field_id(), cf.kind)
        }
    })
}

fn supported(field: &Field, op: Operator) -> bool {
    use Operator::*;
    let equality = matches!(op, Eq | Ne | In | NotIn | Is | IsNot);
    let ordering = matches!(op, Lt | Gt | Le | Ge);
    let text = matches!(op, Like | NotLike | Is | IsNot);
    match field {
        Field::Project
        | Field::IssueType
        | Field::Status
        | Field::StatusCategory
        | Field::Priority
        | Field::Resolution
        | Field::Labels
        | Field::User(_) => equality,
        Field::Key | Field::Date(_) => equality || ordering,
        Field::Text(_) => text,
        Field::Property { .. } => equality || ordering || text,
        Field::Custom(_, kind) => match kind {
            CustomKind::Text | CustomKind::Textarea => text,
            CustomKind::Select => equality,
            CustomKind::Number => equality || ordering,
        },
    }
}

#[derive(Debug, Clone)]
enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Test {
        field: Field,
        op: Operator,
        values: Vec<Val>,
        text: String,
    },
}

/// A query checked against the site, ready to match and sort issues.
#[derive(Debug, Clone)]
pub struct Compiled {
    cond: Option<Cond>,
    order: SortSpec,
}

impl Compiled {
    /// Resolves fields and values; all problems are reported together.
    pub fn new(state: &State, query: &Query, env: &Env) -> Result<Self, JqlError> {
        let mut errors = Vec::new();
        let cond = query
            .restriction
            .as_ref()
            .map(|e| compile(state, e, env, &mut errors));
        let order = SortSpec::new(state, &query.order, &mut errors);
        if errors.is_empty() {
            Ok(Self { cond, order })
        } else {
            Err(JqlError(errors))
        }
    }

    /// Whether the query restricts anything (unbounded queries do not).
    pub fn is_bounded(&self) -> bool {
        self.cond.is_some()
    }

    /// Whether an issue matches.
    pub fn matches(&self, state: &State, issue: &Issue) -> bool {
        self.cond.as_ref().is_none_or(|c| eval(state, c, issue))
    }

    /// Orders matching issues.
    pub fn sort(&self, state: &State, issues: &mut [&Issue]) {
        self.order.sort(state, issues);
    }

    /// Whether results come in `updated` order alone, oldest first (ties by id): the order of
    /// the site's `updated` index.
    pub fn ordered_by_updated(&self) -> bool {
        self.order.is_updated_ascending()
    }

    /// The earliest `updated`, in milliseconds, a matching issue can have: the latest bound of
    /// the `updated >=` / `updated >` clauses every match must satisfy.
    pub fn updated_from(&self) -> Option<i64> {
        fn bound(cond: &Cond) -> Option<i64> {
            match cond {
                Cond::And(terms) => terms.iter().filter_map(bound).max(),
                Cond::Test {
                    field: Field::Date("updated"),
                    op: Operator::Ge | Operator::Gt,
                    values,
                    ..
                } => match values.as_slice() {
                    [Val::Time(ms)] => Some(*ms),
                    _ => None,
                },
                _ => None,
            }
        }
        self.cond.as_ref().and_then(bound)
    }
}

fn compile(state: &State, expr: &Expr, env: &Env, errors: &mut Vec<String>) -> Cond {
    match expr {
        Expr::And(parts) => Cond::And(
            parts
                .iter()
                .map(|p| compile(state, p, env, errors))
                .collect(),
        ),
        Expr::Or(parts) => Cond::Or(
            parts
                .iter()
                .map(|p| compile(state, p, env, errors))
                .collect(),
        ),
        Expr::Not(inner) => Cond::Not(Box::new(compile(state, inner, env, errors))),
        Expr::Clause(clause) => compile_clause(state, clause, env, errors),
    }
}

fn compile_clause(state: &State, clause: &Clause, env: &Env, errors: &mut Vec<String>) -> Cond {
    let never = Cond::Or(Vec::new());
    let Some(field) = resolve_field(state, &clause.field) else {
        errors.push(format!(
            "Field '{}' does not exist or you do not have permission to view it.",
            clause.field
        ));
        return never;
    };
    if !supported(&field, clause.op) {
        errors.push(format!(
            "The operator '{}' is not supported by the '{}' field.",
            clause.op.text(),
            clause.field
        ));
        return never;
    }
    let is_op = matches!(clause.op, Operator::Is | Operator::IsNot);
    if is_op && clause.operand != Operand::Empty {
        errors.push(format!(
            "The operator '{}' only supports the values 'EMPTY' and 'NULL'.",
            clause.op.text()
        ));
        return never;
    }
    let items: Vec<&Operand> = match &clause.operand {
        Operand::List(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut values = Vec::new();
    let mut text = String::new();
    for item in items {
        match item {
            Operand::Empty => values.push(Val::Null),
            Operand::Value(lit) => {
                text = lit.text.clone();
                match value_of(state, &field, &clause.field, lit, env) {
                    Ok(Some(v)) => values.push(v),
                    Ok(None) => {}
                    Err(message) => errors.push(message),
                }
            }
            Operand::Function { name, args } => match function_value(&field, name, args, env) {
                Ok(v) => values.push(v),
                Err(message) => errors.push(message),
            },
            Operand::List(_) => {
                errors.push("Error in the JQL Query: Nested lists are not supported.".into())
            }
        }
    }
    Cond::Test {
        field,
        op: clause.op,
        values,
        text,
    }
}

fn no_value(value: &str, field: &str) -> String {
    format!("The value '{value}' does not exist for the field '{field}'.")
}

fn value_of(
    state: &State,
    field: &Field,
    written: &str,
    lit: &Literal,
    env: &Env,
) -> Result<Option<Val>, String> {
    let v = lit.text.as_str();
    let lower = v.to_lowercase();
    let found = |id: Option<String>| {
        id.map(|i| Some(Val::Str(i)))
            .ok_or_else(|| no_value(v, written))
    };
    match field {
        Field::Project => found(state.project(v).map(|p| p.id.clone()).or_else(|| {
            state
                .projects
                .iter()
                .find(|p| p.name.to_lowercase() == lower)
                .map(|p| p.id.clone())
        })),
        Field::IssueType => found(
            state
                .issue_types
                .iter()
                .find(|t| t.id == v || t.name.to_lowercase() == lower)
                .map(|t| t.id.clone()),
        ),
        Field::Status => found(
            state
                .statuses
                .iter()
                .find(|s| s.id == v || s.name.to_lowercase() == lower)
                .map(|s| s.id.clone()),
        ),
        Field::StatusCategory => found(
            Category::ALL
                .into_iter()
                .find(|c| {
                    c.id().to_string() == v || c.key() == lower || c.name().to_lowercase() == lower
                })
                .map(|c| c.id().to_string()),
        ),
        Field::Priority => found(
            PRIORITIES
                .iter()
                .find(|p| p.0 == v || p.1.to_lowercase() == lower)
                .map(|p| p.0.to_string()),
        ),
        Field::Resolution if lower == "unresolved" => Ok(Some(Val::Null)),
        Field::Resolution => found(
            RESOLUTIONS
                .iter()
                .find(|r| r.0 == v || r.1.to_lowercase() == lower)
                .map(|r| r.0.to_string()),
        ),
        Field::Key => key_value(state, v, written),
        Field::Labels => Ok(Some(Val::Str(lower))),
        Field::Text(_) => Ok(None),
        Field::Date(_) => dates::literal(v, env.now)
            .map(|t| Some(Val::Time(t.timestamp_millis())))
            .ok_or_else(|| dates::invalid(v, written)),
        Field::User(_) => found(
            state
                .users
                .iter()
                .find(|u| {
                    u.account_id == v
                        || u.email.to_lowercase() == lower
                        || u.display_name.to_lowercase() == lower
                })
                .map(|u| u.account_id.clone()),
        ),
        Field::Property { .. } => Ok(Some(match (lit.quoted, v.parse::<f64>()) {
            (false, Ok(n)) => Val::Num(n),
            _ => Val::Str(v.to_string()),
        })),
        Field::Custom(field_id, kind) => match kind {
            CustomKind::Text | CustomKind::Textarea => Ok(None),
            CustomKind::Number => v.parse::<f64>().map(|n| Some(Val::Num(n))).map_err(|_| {
                format!("The value '{v}' is not a valid number for the field '{written}'.")
            }),
            CustomKind::Select => {
                let cf = state
                    .custom_field(field_id)
                    .ok_or_else(|| no_value(v, written))?;
                found(
                    cf.options
                        .iter()
                        .find(|o| o.id == v || o.value.to_lowercase() == lower)
                        .map(|o| o.id.clone()),
                )
            }
        },
    }
}

fn key_value(state: &State, v: &str, written: &str) -> Result<Option<Val>, String> {
    if let Ok(id) = v.parse::<u64>() {
        return Ok(Some(
            state
                .issues
                .get(&id)
                .and_then(|i| key_val(state, i))
                .unwrap_or_else(|| Val::Str(format!("no issue {id}"))),
        ));
    }
    let Some((project_key, number)) = split_key(v) else {
        return Err(format!(
            "The issue key '{v}' for field '{written}' is invalid."
        ));
    };
    let project = state.project(project_key).ok_or_else(|| {
        format!(
            "An issue with key '{}' does not exist for field '{written}'.",
            v.to_uppercase()
        )
    })?;
    Ok(Some(Val::Key(project.id.clone(), number)))
}

fn key_val(_state: &State, issue: &Issue) -> Option<Val> {
    let (_, number) = split_key(&issue.key)?;
    Some(Val::Key(issue.project_id.clone(), number))
}

fn function_value(field: &Field, name: &str, args: &[String], env: &Env) -> Result<Val, String> {
    match field {
        Field::User(_) if name.eq_ignore_ascii_case("currentUser") => {
            Ok(Val::Str(env.caller.clone()))
        }
        Field::Date(_) | Field::Property { .. } => match dates::function(name, args, env.now) {
            Some(Ok(t)) => Ok(Val::Time(t.timestamp_millis())),
            Some(Err(message)) => Err(message),
            None => Err(format!("Unable to find JQL function '{name}()'.")),
        },
        _ => Err(format!("Unable to find JQL function '{name}()'.")),
    }
}

/// The values an issue has for a field (empty when the field is empty).
pub fn field_values(state: &State, field: &Field, issue: &Issue) -> Vec<Val> {
    let opt = |v: &Option<String>| v.iter().map(|s| Val::Str(s.clone())).collect();
    match field {
        Field::Project => vec![Val::Str(issue.project_id.clone())],
        Field::IssueType => vec![Val::Str(issue.issue_type_id.clone())],
        Field::Status => vec![Val::Str(issue.status_id.clone())],
        Field::StatusCategory => vec![Val::Str(
            state.category_of(&issue.status_id).id().to_string(),
        )],
        Field::Priority => opt(&issue.priority_id),
        Field::Resolution => opt(&issue.resolution_id),
        Field::Key => key_val(state, issue).into_iter().collect(),
        Field::Labels => issue
            .labels
            .iter()
            .map(|l| Val::Str(l.to_lowercase()))
            .collect(),
        Field::Text(which) => text_of(state, which, issue)
            .into_iter()
            .filter(|t| !t.is_empty())
            .map(Val::Str)
            .collect(),
        Field::Date(which) => {
            let t = match *which {
                "created" => Some(issue.created),
                "updated" => Some(issue.updated),
                "resolved" => issue.resolution_date,
                "statuscategorychangedate" => Some(issue.status_category_changed),
                _ => issue
                    .duedate
                    .as_deref()
                    .and_then(|d| dates::literal(d, issue.created)),
            };
            t.map(|t| Val::Time(t.timestamp_millis()))
                .into_iter()
                .collect()
        }
        Field::User(which) => match *which {
            "assignee" => opt(&issue.assignee),
            "reporter" => opt(&issue.reporter),
            _ => vec![Val::Str(issue.creator.clone())],
        },
        Field::Property { key, path } => {
            let mut at = issue.properties.get(key);
            for step in path {
                at = at.and_then(|v| v.get(step));
            }
            match at {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items.iter().filter_map(json_val).collect(),
                Some(v) => json_val(v).into_iter().collect(),
            }
        }
        Field::Custom(field_id, kind) => match issue.custom.get(field_id) {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => match kind {
                CustomKind::Number => v.as_f64().map(Val::Num).into_iter().collect(),
                CustomKind::Select => vec![Val::Str(crate::jira::fields::scalar_text(v))],
                _ => state
                    .custom_field(field_id)
                    .map(|cf| Val::Str(custom_text(cf, v)))
                    .into_iter()
                    .collect(),
            },
        },
    }
}

fn json_val(v: &Value) -> Option<Val> {
    match v {
        Value::String(s) => Some(Val::Str(s.clone())),
        Value::Number(n) => n.as_f64().map(Val::Num),
        Value::Bool(b) => Some(Val::Str(b.to_string())),
        Value::Null => None,
        other => Some(Val::Str(other.to_string())),
    }
}

fn equal(have: &Val, want: &Val) -> bool {
    match (have, want) {
        (Val::Num(a), Val::Str(b)) | (Val::Str(b), Val::Num(a)) => {
            b.parse::<f64>().is_ok_and(|b| b == *a)
        }
        (a, b) => a == b,
    }
}

/// Orders two values of the same field.
pub fn compare(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Num(x), Val::Str(y)) => y.parse::<f64>().ok().and_then(|y| x.partial_cmp(&y)),
        (Val::Str(x), Val::Num(y)) => x.parse::<f64>().ok().and_then(|x| x.partial_cmp(y)),
        (Val::Time(x), Val::Time(y)) => Some(x.cmp(y)),
        (Val::Key(p, n), Val::Key(q, m)) if p == q => Some(n.cmp(m)),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn eval(state: &State, cond: &Cond, issue: &Issue) -> bool {
    match cond {
        Cond::And(parts) => parts.iter().all(|p| eval(state, p, issue)),
        Cond::Or(parts) => parts.iter().any(|p| eval(state, p, issue)),
        Cond::Not(inner) => !eval(state, inner, issue),
        Cond::Test {
            field,
            op,
            values,
            text,
        } => {
            let have = field_values(state, field, issue);
            let hit = |want: &Val| match want {
                Val::Null => have.is_empty(),
                w => have.iter().any(|h| equal(h, w)),
            };
            match op {
                Operator::Eq | Operator::In => values.iter().any(hit),
                Operator::Ne | Operator::NotIn => {
                    !have.is_empty() && !values.iter().any(|w| *w != Val::Null && hit(w))
                }
                Operator::Is => have.is_empty(),
                Operator::IsNot => !have.is_empty(),
                Operator::Lt | Operator::Gt | Operator::Le | Operator::Ge => {
                    let Some(want) = values.first() else {
                        return false;
                    };
                    have.iter().any(|h| {
                        compare(h, want).is_some_and(|o| match op {
                            Operator::Lt => o == Ordering::Less,
                            Operator::Gt => o == Ordering::Greater,
                            Operator::Le => o != Ordering::Greater,
                            _ => o != Ordering::Less,
                        })
                    })
                }
                Operator::Like => have.iter().any(|h| text_match(h, text)),
                Operator::NotLike => !have.is_empty() && !have.iter().any(|h| text_match(h, text)),
            }
        }
    }
}
