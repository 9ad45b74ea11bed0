//! Executing a [`Plan`]: filter, sort, offset/limit, and projection into Salesforce's record
//! JSON — `attributes` first, then the selected columns in order, parent relationships nested as
//! objects with their own `attributes` (or `null`), child subqueries as
//! `{totalSize, done, records}` (or `null` when there are none).
//!
//! A top-level query reads its candidates through the object's indexes when its condition
//! names them (`Id = …`, a reference field `= …` or `IN (…)`, an audit datetime `>`/`>=`/`=`),
//! so that a large org answers a narrow query without a scan; every candidate is still tested
//! against the whole condition, so the rows are the same as a scan would give.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value as Json};

use super::ast::Op;
use super::bind::{BCond, Column, FieldPath, Plan, Value};
use super::eval::{sort_cmp, Env};
use crate::salesforce::schema::FieldType;
use crate::salesforce::store::Record;
use crate::salesforce::table::{is_reference_field, Table, TIME_FIELDS};

/// How a condition lets the rows be found without reading them all.
#[derive(Debug, Clone, PartialEq)]
enum Access {
    /// These ids.
    Ids(BTreeSet<String>),
    /// Records whose reference field holds one of these ids.
    Refs(String, BTreeSet<String>),
    /// Records whose audit datetime field is at or after an instant.
    Since(&'static str, DateTime<Utc>),
}

impl Access {
    /// Lower is narrower.
    fn rank(&self) -> usize {
        match self {
            Access::Ids(_) => 0,
            Access::Refs(..) => 1,
            Access::Since(..) => 2,
        }
    }
}

/// The access a condition allows, if any.
fn access(cond: &BCond) -> Option<Access> {
    match cond {
        BCond::And(terms) => terms.iter().filter_map(access).min_by_key(Access::rank),
        BCond::Or(terms) => {
            let mut parts = terms.iter().map(access);
            let first = parts.next()??;
            parts.try_fold(first, |acc, part| match (acc, part?) {
                (Access::Ids(mut a), Access::Ids(b)) => {
                    a.extend(b);
                    Some(Access::Ids(a))
                }
                (Access::Refs(f, mut a), Access::Refs(g, b)) if f == g => {
                    a.extend(b);
                    Some(Access::Refs(f, a))
                }
                (Access::Since(f, a), Access::Since(g, b)) if f == g => {
                    Some(Access::Since(f, a.min(b)))
                }
                _ => None,
            })
        }
        BCond::Cmp(path, op, value) => {
            let field = plain_field(path)?;
            match (op, value) {
                (Op::Eq, Value::Id(id)) => id_access(field, [id.clone()].into()),
                (Op::Eq | Op::Gt | Op::Ge, Value::DateTime(at)) => time_access(field, *at),
                (Op::Eq | Op::Ge, Value::Instants(start, _)) => time_access(field, *start),
                _ => None,
            }
        }
        BCond::In(path, false, values) => {
            let field = plain_field(path)?;
            let ids = values
                .iter()
                .map(|v| match v {
                    Value::Id(id) => Some(id.clone()),
                    _ => None,
                })
                .collect::<Option<BTreeSet<String>>>()?;
            id_access(field, ids)
        }
        _ => None,
    }
}

/// The field of a path on the record itself.
fn plain_field(path: &FieldPath) -> Option<&str> {
    (path.hops.is_empty() && !path.polymorphic).then_some(path.field.name.as_str())
}

fn id_access(field: &str, ids: BTreeSet<String>) -> Option<Access> {
    if field == "Id" {
        Some(Access::Ids(ids))
    } else if is_reference_field(field) {
        Some(Access::Refs(field.to_string(), ids))
    } else {
        None
    }
}

fn time_access(field: &str, at: DateTime<Utc>) -> Option<Access> {
    TIME_FIELDS
        .iter()
        .find(|f| **f == field)
        .map(|f| Access::Since(f, at))
}

/// The records of `table` a condition may select, in id order.
fn candidates<'a>(table: &'a Table, filter: Option<&BCond>) -> Vec<&'a Record> {
    let mut rows: Vec<&Record> = match filter.and_then(access) {
        None => return table.values().collect(),
        Some(Access::Ids(ids)) => return ids.iter().filter_map(|id| table.get(id)).collect(),
        Some(Access::Refs(field, ids)) => ids
            .iter()
            .filter_map(|id| table.referring(&field, id))
            .flatten()
            .collect(),
        Some(Access::Since(field, at)) => match table.since(field, at) {
            Some(found) => found.collect(),
            None => return table.values().collect(),
        },
    };
    rows.sort_by(|a, b| a.id().cmp(b.id()));
    rows.dedup_by(|a, b| a.id() == b.id());
    rows
}

/// The rows of a query.
#[derive(Debug, Clone)]
pub struct Output {
    /// Rows matched (after OFFSET and LIMIT).
    pub total: usize,
    /// Projected records (empty for `COUNT()`).
    pub rows: Vec<Json>,
}

/// `{"type": …, "url": …}` for a record.
pub fn attributes(object: &str, id: &str, version: &str) -> Json {
    json!({"type": object, "url": format!("/services/data/{version}/sobjects/{object}/{id}")})
}

/// Runs plans against an [`Env`] for one API version.
pub struct Runner<'a> {
    /// Evaluation environment.
    pub env: Env<'a>,
    /// `v60.0`, for attribute URLs.
    pub version: &'a str,
}

impl<'a> Runner<'a> {
    /// The records a plan selects, sorted and windowed.
    pub fn select(&self, plan: &Plan, candidates: Vec<&'a Record>) -> Vec<&'a Record> {
        let mut rows: Vec<&Record> = candidates
            .into_iter()
            .filter(|r| self.env.include_deleted || !r.is_deleted())
            .filter(|r| plan.filter.as_ref().is_none_or(|f| self.env.test(f, r)))
            .collect();
        if !plan.order.is_empty() {
            rows.sort_by(|a, b| {
                for key in &plan.order {
                    let x = self.env.resolve(&key.path, a);
                    let y = self.env.resolve(&key.path, b);
                    let ord = match (x.is_null(), y.is_null()) {
                        (true, true) => Ordering::Equal,
                        (true, false) if key.nulls_last => Ordering::Greater,
                        (true, false) => Ordering::Less,
                        (false, true) if key.nulls_last => Ordering::Less,
                        (false, true) => Ordering::Greater,
                        (false, false) => {
                            let o = sort_cmp(key.path.field.ftype, &x, &y);
                            if key.desc {
                                o.reverse()
                            } else {
                                o
                            }
                        }
                    };
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                Ordering::Equal
            });
        }
        let offset = plan.offset.unwrap_or(0) as usize;
        let limit = plan.limit.map_or(usize::MAX, |l| l as usize);
        rows.into_iter().skip(offset).take(limit).collect()
    }

    /// Runs a top-level plan.
    pub fn run(&self, plan: &Plan) -> Output {
        let candidates = self
            .env
            .org
            .table(&plan.object)
            .map(|t| candidates(t, plan.filter.as_ref()))
            .unwrap_or_default();
        let rows = self.select(plan, candidates);
        if plan.count_only {
            return Output {
                total: rows.len(),
                rows: Vec::new(),
            };
        }
        let projected = self.project_all(plan, rows);
        Output {
            total: projected.len(),
            rows: projected,
        }
    }

    /// Projects selected rows into record JSON.
    pub fn project_all(&self, plan: &Plan, rows: Vec<&'a Record>) -> Vec<Json> {
        let children = self.child_indexes(plan);
        rows.iter()
            .map(|r| self.project(plan, r, &children))
            .collect()
    }

    /// Child records per parent id, for each child column.
    fn child_indexes(&self, plan: &Plan) -> Vec<HashMap<String, Vec<&'a Record>>> {
        plan.columns
            .iter()
            .map(|c| match c {
                Column::Child { via, plan, .. } => {
                    let mut index: HashMap<String, Vec<&Record>> = HashMap::new();
                    for r in self.env.org.records_of(&plan.object) {
                        if let Some(parent) = r.str(via) {
                            index.entry(parent.to_string()).or_default().push(r);
                        }
                    }
                    index
                }
                Column::Field(_) => HashMap::new(),
            })
            .collect()
    }

    fn project(
        &self,
        plan: &Plan,
        rec: &Record,
        children: &[HashMap<String, Vec<&'a Record>>],
    ) -> Json {
        let mut map = Map::new();
        map.insert(
            "attributes".into(),
            attributes(&rec.object, rec.id(), self.version),
        );
        for (i, column) in plan.columns.iter().enumerate() {
            match column {
                Column::Field(path) if path.hops.is_empty() => {
                    map.insert(path.field.name.clone(), self.field_value(rec, path));
                }
                Column::Field(path) => self.nest(&mut map, path, 0, rec),
                Column::Child { rel, plan, .. } => {
                    let kids = children[i].get(rec.id()).cloned().unwrap_or_default();
                    let rows = self.select(plan, kids);
                    let value = if rows.is_empty() {
                        Json::Null
                    } else {
                        let empty = Vec::new();
                        let records: Vec<Json> =
                            rows.iter().map(|r| self.project(plan, r, &empty)).collect();
                        json!({"totalSize": records.len(), "done": true, "records": records})
                    };
                    map.insert(rel.clone(), value);
                }
            }
        }
        Json::Object(map)
    }

    /// A column value of `rec` itself; blob fields show their download URL.
    fn field_value(&self, rec: &Record, path: &FieldPath) -> Json {
        if path.field.ftype == FieldType::Base64 {
            return if self.env.org.data.blobs.contains_key(rec.id()) {
                Json::String(format!(
                    "/services/data/{}/sobjects/{}/{}/{}",
                    self.version,
                    rec.object,
                    rec.id(),
                    path.field.name
                ))
            } else {
                Json::Null
            };
        }
        rec.get(&path.field.name).clone()
    }

    fn nest(&self, map: &mut Map<String, Json>, path: &FieldPath, depth: usize, rec: &Record) {
        let hop = &path.hops[depth];
        let parent = rec.str(&hop.via).and_then(|id| self.env.lookup(id));
        if !map.contains_key(&hop.rel) {
            let value = match parent {
                Some(p) => {
                    let mut inner = Map::new();
                    inner.insert(
                        "attributes".into(),
                        attributes(&p.object, p.id(), self.version),
                    );
                    Json::Object(inner)
                }
                None => Json::Null,
            };
            map.insert(hop.rel.clone(), value);
        }
        let (Some(parent), Some(Json::Object(inner))) = (parent, map.get_mut(&hop.rel)) else {
            return;
        };
        if depth + 1 < path.hops.len() {
            self.nest(inner, path, depth + 1, parent);
        } else if path.polymorphic {
            let value = match path.field.name.as_str() {
                "Id" => Json::String(parent.id().to_string()),
                "Type" => Json::String(parent.object.clone()),
                _ => self.env.name_of(parent),
            };
            inner.insert(path.field.name.clone(), value);
        } else {
            inner.insert(path.field.name.clone(), self.field_value(parent, path));
        }
    }
}
