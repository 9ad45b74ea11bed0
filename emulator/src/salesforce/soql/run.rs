//! Executing a [`Plan`]: filter, sort, offset/limit, and projection into Salesforce's record
//! JSON — `attributes` first, then the selected columns in order, parent relationships nested as
//! objects with their own `attributes` (or `null`), child subqueries as
//! `{totalSize, done, records}` (or `null` when there are none).

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{json, Map, Value as Json};

use super::bind::{Column, FieldPath, Plan};
use super::eval::{sort_cmp, Env};
use crate::salesforce::schema::FieldType;
use crate::salesforce::store::Record;

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
        let candidates: Vec<&Record> = self.env.org.records_of(&plan.object).collect();
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
