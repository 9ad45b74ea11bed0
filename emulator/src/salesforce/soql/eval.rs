//! Evaluating resolved conditions and field paths against records.
//!
//! SOQL semantics kept here: text comparisons are case-insensitive, `!=` is true for null
//! fields, ordering comparisons with null are false, relative date literals are ranges, parent
//! paths through a missing (or, outside queryAll, deleted) parent are null.

use std::cmp::Ordering;
use std::collections::HashSet;

use serde_json::Value as Json;

use super::ast::Op;
use super::bind::{BCond, FieldPath, Plan, Value};
use crate::salesforce::schema::FieldType;
use crate::salesforce::store::{Org, Record};
use crate::salesforce::values::{parse_date, parse_datetime};

/// What evaluation may look at.
pub struct Env<'a> {
    /// The org.
    pub org: &'a Org,
    /// queryAll: deleted rows (and deleted parents) are visible.
    pub include_deleted: bool,
}

impl Env<'_> {
    /// A record by id, honouring `include_deleted`.
    pub fn lookup(&self, id: &str) -> Option<&Record> {
        self.org
            .record(id)
            .filter(|r| self.include_deleted || !r.is_deleted())
    }

    /// The record at the end of `path`'s hops (the record itself when there are none).
    pub fn target<'r>(&'r self, path: &FieldPath, rec: &'r Record) -> Option<&'r Record> {
        let mut current = rec;
        for hop in &path.hops {
            let id = current.str(&hop.via)?;
            current = self.lookup(id)?;
        }
        Some(current)
    }

    /// The value of `path` on `rec` (null through a missing parent).
    pub fn resolve(&self, path: &FieldPath, rec: &Record) -> Json {
        let Some(target) = self.target(path, rec) else {
            return Json::Null;
        };
        if path.polymorphic {
            return match path.field.name.as_str() {
                "Id" => Json::String(target.id().to_string()),
                "Type" => Json::String(target.object.clone()),
                _ => self.name_of(target),
            };
        }
        target.get(&path.field.name).clone()
    }

    /// The value of a record's name field (`Name`, `CaseNumber`, `Subject`…).
    pub fn name_of(&self, rec: &Record) -> Json {
        self.org
            .schema
            .get(&rec.object)
            .and_then(|o| o.name_field())
            .map(|f| rec.get(&f.name).clone())
            .unwrap_or(Json::Null)
    }

    /// Evaluates a condition.
    pub fn test(&self, cond: &BCond, rec: &Record) -> bool {
        match cond {
            BCond::And(terms) => terms.iter().all(|t| self.test(t, rec)),
            BCond::Or(terms) => terms.iter().any(|t| self.test(t, rec)),
            BCond::Not(inner) => !self.test(inner, rec),
            BCond::Cmp(path, op, value) => compare(&self.resolve(path, rec), *op, value),
            BCond::In(path, negated, values) => {
                let actual = self.resolve(path, rec);
                let hit = values.iter().any(|v| compare(&actual, Op::Eq, v));
                hit != *negated
            }
            BCond::InQuery(path, negated, plan, cache) => {
                let set = cache.get_or_init(|| self.single_column(plan));
                let actual = self.resolve(path, rec);
                let hit = actual.as_str().is_some_and(|s| set.contains(s));
                hit != *negated
            }
            BCond::Includes(path, negated, sets) => {
                let actual = self.resolve(path, rec);
                let selected: HashSet<String> = actual
                    .as_str()
                    .unwrap_or("")
                    .split(';')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .collect();
                let hit = sets
                    .iter()
                    .any(|set: &Vec<String>| set.iter().all(|v| selected.contains(v)));
                hit != *negated
            }
        }
    }

    /// The values of a semi-join subquery's single column.
    fn single_column(&self, plan: &Plan) -> HashSet<String> {
        let Some(super::bind::Column::Field(path)) = plan.columns.first() else {
            return HashSet::new();
        };
        self.org
            .records_of(&plan.object)
            .filter(|r| self.include_deleted || !r.is_deleted())
            .filter(|r| plan.filter.as_ref().is_none_or(|f| self.test(f, r)))
            .filter_map(|r| self.resolve(path, r).as_str().map(str::to_string))
            .collect()
    }
}

fn num(v: &Json) -> Option<f64> {
    v.as_f64()
}

fn order_of<T: PartialOrd>(a: &T, b: &T) -> Option<Ordering> {
    a.partial_cmp(b)
}

fn holds(ord: Option<Ordering>, op: Op) -> bool {
    match (ord, op) {
        (Some(o), Op::Eq) => o == Ordering::Equal,
        (Some(o), Op::Ne) => o != Ordering::Equal,
        (None, Op::Ne) => true,
        (Some(o), Op::Lt) => o == Ordering::Less,
        (Some(o), Op::Le) => o != Ordering::Greater,
        (Some(o), Op::Gt) => o == Ordering::Greater,
        (Some(o), Op::Ge) => o != Ordering::Less,
        _ => false,
    }
}

fn in_range<T: PartialOrd>(x: &T, start: &T, end: &T, op: Op) -> bool {
    match op {
        Op::Eq => x >= start && x < end,
        Op::Ne => !(x >= start && x < end),
        Op::Lt => x < start,
        Op::Le => x < end,
        Op::Gt => x >= end,
        Op::Ge => x >= start,
        Op::Like => false,
    }
}

/// `actual op value` with SOQL's semantics.
pub fn compare(actual: &Json, op: Op, value: &Value) -> bool {
    if actual.is_null() {
        return match value {
            Value::Null => op == Op::Eq,
            _ => op == Op::Ne,
        };
    }
    match value {
        Value::Null => op == Op::Ne,
        Value::Like(re) => actual.as_str().is_some_and(|s| re.is_match(s)),
        Value::Text(t) => {
            let a = match actual {
                Json::String(s) => s.to_lowercase(),
                other => other.to_string(),
            };
            holds(order_of(&a, &t.to_lowercase()), op)
        }
        Value::Id(id) => holds(actual.as_str().map(|s| s.cmp(id.as_str())), op),
        Value::Bool(b) => holds(actual.as_bool().map(|a| a.cmp(b)), op),
        Value::Num(n) => holds(num(actual).and_then(|a| order_of(&a, n)), op),
        Value::Date(d) => holds(actual.as_str().and_then(parse_date).map(|a| a.cmp(d)), op),
        Value::DateTime(t) => holds(
            actual.as_str().and_then(parse_datetime).map(|a| a.cmp(t)),
            op,
        ),
        Value::Dates(start, end) => actual
            .as_str()
            .and_then(parse_date)
            .is_some_and(|a| in_range(&a, start, end, op)),
        Value::Instants(start, end) => actual
            .as_str()
            .and_then(parse_datetime)
            .is_some_and(|a| in_range(&a, start, end, op)),
    }
}

/// Orders two values of one field for ORDER BY (nulls handled by the caller).
pub fn sort_cmp(ftype: FieldType, a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Json::Bool(x), Json::Bool(y)) => x.cmp(y),
        (Json::String(x), Json::String(y)) => {
            if ftype == FieldType::Datetime || ftype == FieldType::Date || ftype.soql_name() == "id"
            {
                x.cmp(y)
            } else {
                x.to_lowercase().cmp(&y.to_lowercase())
            }
        }
        _ => Ordering::Equal,
    }
}
