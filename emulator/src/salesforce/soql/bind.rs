//! Name resolution and type checking: turns a parsed [`Query`] into a [`Plan`] whose every
//! field path is resolved against the schema, every literal converted to the field's type, and
//! every object checked against the running user's read permission — or fails with the error
//! Salesforce gives for that mistake.

use std::cell::OnceCell;
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use regex::Regex;

use super::ast::{Cond, Literal, Op, Path, Query, SelectItem};
use super::lexer::{ESCAPED_PERCENT, ESCAPED_UNDERSCORE};
use super::{dates, no_such_column, not_supported_type, SoqlError};
use crate::salesforce::ids;
use crate::salesforce::schema::{FieldDef, FieldType, ObjectDef};
use crate::salesforce::store::Org;

/// One relationship hop of a path (`Account` via `AccountId`).
#[derive(Debug, Clone)]
pub struct Hop {
    /// The reference field followed.
    pub via: String,
    /// The relationship name, as the output key.
    pub rel: String,
}

/// A resolved field path.
#[derive(Debug, Clone)]
pub struct FieldPath {
    /// Relationship hops, outermost first.
    pub hops: Vec<Hop>,
    /// The field at the end.
    pub field: FieldDef,
    /// The end of a polymorphic relationship: `Id`, `Name` or `Type` of whatever record it is.
    pub polymorphic: bool,
}

/// A literal converted to the type of the field it is compared with.
#[derive(Debug, Clone)]
pub enum Value {
    /// `null`.
    Null,
    /// Boolean.
    Bool(bool),
    /// Text, compared case-insensitively.
    Text(String),
    /// An 18-character id.
    Id(String),
    /// Number.
    Num(f64),
    /// Date.
    Date(NaiveDate),
    /// Instant.
    DateTime(DateTime<Utc>),
    /// A relative date literal on a date field: `[start, end)`.
    Dates(NaiveDate, NaiveDate),
    /// A relative date literal on a datetime field: `[start, end)`.
    Instants(DateTime<Utc>, DateTime<Utc>),
    /// A LIKE pattern.
    Like(Regex),
}

/// A resolved condition.
#[derive(Debug, Clone)]
pub enum BCond {
    /// All.
    And(Vec<BCond>),
    /// Any.
    Or(Vec<BCond>),
    /// Not.
    Not(Box<BCond>),
    /// Comparison.
    Cmp(FieldPath, Op, Value),
    /// `[NOT] IN (…)`.
    In(FieldPath, bool, Vec<Value>),
    /// `[NOT] IN (SELECT …)`, the inner result computed once.
    InQuery(FieldPath, bool, Box<Plan>, OnceCell<HashSet<String>>),
    /// `INCLUDES` (false) / `EXCLUDES` (true) with sets of values.
    Includes(FieldPath, bool, Vec<Vec<String>>),
}

/// A SELECT column.
#[derive(Debug, Clone)]
pub enum Column {
    /// A field or parent path.
    Field(Box<FieldPath>),
    /// A child-relationship subquery.
    Child {
        /// Output key (relationship name).
        rel: String,
        /// The child's reference field pointing at the parent.
        via: String,
        /// The subquery.
        plan: Box<Plan>,
    },
}

/// An ORDER BY key.
#[derive(Debug, Clone)]
pub struct Order {
    /// The field.
    pub path: FieldPath,
    /// Descending.
    pub desc: bool,
    /// Nulls sort last.
    pub nulls_last: bool,
}

/// A checked, executable query.
#[derive(Debug, Clone)]
pub struct Plan {
    /// FROM object.
    pub object: String,
    /// Columns.
    pub columns: Vec<Column>,
    /// WHERE.
    pub filter: Option<BCond>,
    /// ORDER BY.
    pub order: Vec<Order>,
    /// LIMIT.
    pub limit: Option<u64>,
    /// OFFSET.
    pub offset: Option<u64>,
    /// `SELECT COUNT()`.
    pub count_only: bool,
}

/// Resolves queries for one user at one instant.
pub struct Binder<'a> {
    /// The org.
    pub org: &'a Org,
    /// The running user.
    pub user_id: &'a str,
    /// Emulated now, for relative date literals.
    pub now: DateTime<Utc>,
    /// Ignore the user's permissions (validation rules, control API).
    pub system: bool,
}

const CDL_RESTRICTION: &str = "Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or LinkedEntityId using the equals operator or multiple Id's using the IN operator.";

fn invalid_field(pos: usize, message: String) -> SoqlError {
    SoqlError::new("INVALID_FIELD", Some(pos), message)
}

fn filter_error(pos: usize, message: String) -> SoqlError {
    SoqlError::new("INVALID_QUERY_FILTER_OPERATOR", Some(pos), message)
}

impl<'a> Binder<'a> {
    fn readable(&self, object: &str) -> Option<&'a ObjectDef> {
        let def = self.org.schema.get(object)?;
        (self.system || self.org.perms(self.user_id, &def.name).read).then_some(def)
    }

    /// Binds a top-level query.
    pub fn bind(&self, query: &Query) -> Result<Plan, SoqlError> {
        let name = &query.from.parts[0];
        let object = self.readable(name).ok_or_else(|| {
            SoqlError::new(
                "INVALID_TYPE",
                Some(query.from.pos),
                not_supported_type(name),
            )
        })?;
        let plan = self.bind_on(object, query, true)?;
        if object.name == "ContentDocumentLink" && !cdl_filter_ok(query.filter.as_ref()) {
            return Err(SoqlError::malformed(None, CDL_RESTRICTION));
        }
        Ok(plan)
    }

    fn bind_on(&self, object: &ObjectDef, query: &Query, top: bool) -> Result<Plan, SoqlError> {
        let mut columns = Vec::new();
        let mut seen = HashSet::new();
        let mut count_only = false;
        for item in &query.select {
            match item {
                SelectItem::CountAll { pos } => {
                    if query.select.len() > 1 || !top {
                        return Err(SoqlError::malformed(Some(*pos), "unexpected token: COUNT"));
                    }
                    count_only = true;
                }
                SelectItem::Field(path) => {
                    let resolved = self.path(object, path)?;
                    if !seen.insert(path.text().to_ascii_lowercase()) {
                        return Err(SoqlError::malformed(
                            Some(path.pos),
                            format!("duplicate field selected: {}", path.text()),
                        ));
                    }
                    columns.push(Column::Field(Box::new(resolved)));
                }
                SelectItem::SubQuery(sub) => {
                    let rel_name = &sub.from.parts[0];
                    let child = self
                        .org
                        .schema
                        .children_of(&object.name)
                        .into_iter()
                        .find(|c| {
                            c.name
                                .as_deref()
                                .is_some_and(|n| n.eq_ignore_ascii_case(rel_name))
                        })
                        .and_then(|c| self.readable(&c.child).map(|def| (c, def)));
                    let Some((rel, child_def)) = child else {
                        return Err(SoqlError::new(
                            "INVALID_TYPE",
                            Some(sub.from.pos),
                            format!("Didn't understand relationship '{rel_name}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."),
                        ));
                    };
                    let plan = self.bind_on(child_def, sub, false)?;
                    columns.push(Column::Child {
                        rel: rel.name.unwrap_or_default(),
                        via: rel.field,
                        plan: Box::new(plan),
                    });
                }
            }
        }
        let filter = query
            .filter
            .as_ref()
            .map(|c| self.cond(object, c))
            .transpose()?;
        let mut order = Vec::new();
        for key in &query.order {
            let path = self.path(object, &key.path)?;
            if !path.field.sortable() {
                return Err(invalid_field(
                    key.path.pos,
                    format!(
                        "field '{}' can not be sorted in a query call",
                        path.field.name
                    ),
                ));
            }
            order.push(Order {
                path,
                desc: key.desc,
                nulls_last: key.nulls_last.unwrap_or(key.desc),
            });
        }
        if query.offset.is_some_and(|o| o > 2000) {
            return Err(SoqlError::new(
                "NUMBER_OUTSIDE_VALID_RANGE",
                None,
                "Maximum SOQL offset allowed is 2000",
            ));
        }
        Ok(Plan {
            object: object.name.clone(),
            columns,
            filter,
            order,
            limit: query.limit,
            offset: query.offset,
            count_only,
        })
    }

    /// Resolves `Account.Owner.Name` from `object`.
    pub fn path(&self, object: &ObjectDef, path: &Path) -> Result<FieldPath, SoqlError> {
        let mut parts: &[String] = &path.parts;
        if parts.len() > 1
            && parts[0].eq_ignore_ascii_case(&object.name)
            && object.relationship(&parts[0]).is_none()
        {
            parts = &parts[1..];
        }
        let mut current = object;
        let mut hops = Vec::new();
        let (last, rels) = parts
            .split_last()
            .ok_or_else(|| SoqlError::malformed(Some(path.pos), "unexpected token: <EOF>"))?;
        for (i, rel) in rels.iter().enumerate() {
            let field = current.relationship(rel).ok_or_else(|| {
                invalid_field(path.pos, format!("Didn't understand relationship '{rel}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."))
            })?;
            hops.push(Hop {
                via: field.name.clone(),
                rel: field.relationship_name.clone().unwrap_or_default(),
            });
            let targets: Vec<&ObjectDef> = field
                .reference_to
                .iter()
                .filter_map(|t| self.readable(t))
                .collect();
            if field.reference_to.len() > 1 {
                let is_last_hop = i + 1 == rels.len();
                let known = ["Id", "Name", "Type"]
                    .iter()
                    .find(|f| f.eq_ignore_ascii_case(last));
                return match (is_last_hop, known) {
                    (true, Some(name)) => Ok(FieldPath {
                        hops,
                        field: FieldDef::new(
                            name,
                            name,
                            if *name == "Id" {
                                FieldType::Id
                            } else {
                                FieldType::String
                            },
                        ),
                        polymorphic: true,
                    }),
                    _ => Err(invalid_field(path.pos, no_such_column(last, "Name"))),
                };
            }
            current = targets.first().copied().ok_or_else(|| {
                invalid_field(path.pos, format!("Didn't understand relationship '{rel}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."))
            })?;
        }
        let field = current
            .field(last)
            .ok_or_else(|| invalid_field(path.pos, no_such_column(last, &current.name)))?;
        Ok(FieldPath {
            hops,
            field: field.clone(),
            polymorphic: false,
        })
    }

    fn cond(&self, object: &ObjectDef, cond: &Cond) -> Result<BCond, SoqlError> {
        Ok(match cond {
            Cond::And(terms) => BCond::And(
                terms
                    .iter()
                    .map(|t| self.cond(object, t))
                    .collect::<Result<_, _>>()?,
            ),
            Cond::Or(terms) => BCond::Or(
                terms
                    .iter()
                    .map(|t| self.cond(object, t))
                    .collect::<Result<_, _>>()?,
            ),
            Cond::Not(inner) => BCond::Not(Box::new(self.cond(object, inner)?)),
            Cond::Cmp {
                path,
                op,
                value,
                value_pos,
            } => {
                let fp = self.filter_path(object, path)?;
                let v = self.value(&fp.field, value, *op, *value_pos)?;
                BCond::Cmp(fp, *op, v)
            }
            Cond::In {
                path,
                negated,
                values,
                value_pos,
            } => {
                let fp = self.filter_path(object, path)?;
                let vs = values
                    .iter()
                    .map(|v| self.value(&fp.field, v, Op::Eq, *value_pos))
                    .collect::<Result<_, _>>()?;
                BCond::In(fp, *negated, vs)
            }
            Cond::InQuery {
                path,
                negated,
                query,
            } => {
                let fp = self.filter_path(object, path)?;
                let name = &query.from.parts[0];
                let inner_obj = self.readable(name).ok_or_else(|| {
                    SoqlError::new(
                        "INVALID_TYPE",
                        Some(query.from.pos),
                        not_supported_type(name),
                    )
                })?;
                let plan = self.bind_on(inner_obj, query, false)?;
                let single_id = plan.columns.len() == 1
                    && matches!(&plan.columns[0], Column::Field(f) if matches!(f.field.ftype, FieldType::Id | FieldType::Reference));
                if !single_id {
                    return Err(SoqlError::malformed(
                        Some(query.from.pos),
                        "The selected field in a semi join subquery must be a single Id or reference field",
                    ));
                }
                BCond::InQuery(fp, *negated, Box::new(plan), OnceCell::new())
            }
            Cond::Includes {
                path,
                negated,
                values,
            } => {
                let fp = self.filter_path(object, path)?;
                if fp.field.ftype != FieldType::Multipicklist {
                    return Err(filter_error(
                        path.pos,
                        "includes or excludes operator only valid on multipicklist field".into(),
                    ));
                }
                let sets = values
                    .iter()
                    .map(|v| {
                        v.split(';')
                            .map(|s| s.trim().to_ascii_lowercase())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .collect();
                BCond::Includes(fp, *negated, sets)
            }
        })
    }

    fn filter_path(&self, object: &ObjectDef, path: &Path) -> Result<FieldPath, SoqlError> {
        let fp = self.path(object, path)?;
        if !fp.field.filterable() {
            return Err(invalid_field(
                path.pos,
                format!(
                    "field '{}' can not be filtered in a query call",
                    fp.field.name
                ),
            ));
        }
        Ok(fp)
    }

    fn value(
        &self,
        field: &FieldDef,
        lit: &Literal,
        op: Op,
        pos: usize,
    ) -> Result<Value, SoqlError> {
        let name = &field.name;
        let wrong = |quoted_ok: bool| {
            filter_error(
                pos,
                format!(
                    "value of filter criterion for field '{name}' must be of type {} and {}",
                    field.ftype.soql_name(),
                    if quoted_ok {
                        "should be enclosed in quotes"
                    } else {
                        "should not be enclosed in quotes"
                    }
                ),
            )
        };
        if op == Op::Like {
            let text = match (field.ftype.is_text(), lit) {
                (true, Literal::Str(s)) => s,
                (true, _) => return Err(wrong(true)),
                (false, _) => {
                    return Err(filter_error(
                        pos,
                        format!(
                            "invalid operator on {} field: {name}",
                            field.ftype.soql_name()
                        ),
                    ))
                }
            };
            return Ok(Value::Like(like_regex(text)));
        }
        if matches!(lit, Literal::Null) {
            return Ok(Value::Null);
        }
        let unescape = |s: &str| {
            s.replace(ESCAPED_PERCENT, "%")
                .replace(ESCAPED_UNDERSCORE, "_")
        };
        Ok(match field.ftype {
            FieldType::Id | FieldType::Reference => match lit {
                Literal::Str(s) => Value::Id(ids::to18(s).map_err(|_| {
                    filter_error(pos, format!("invalid ID field: {}", unescape(s)))
                })?),
                _ => return Err(wrong(true)),
            },
            FieldType::Boolean => match lit {
                Literal::Bool(b) => Value::Bool(*b),
                _ => return Err(wrong(false)),
            },
            t if t.is_number() => match lit {
                Literal::Num(n) => Value::Num(n.parse().map_err(|_| wrong(false))?),
                _ => return Err(wrong(false)),
            },
            FieldType::Date => match lit {
                Literal::Date(d) => Value::Date(*d),
                Literal::Relative { name, n } => {
                    let (a, b) = dates::range(name, *n, self.now).ok_or_else(|| wrong(false))?;
                    Value::Dates(a, b)
                }
                _ => return Err(wrong(false)),
            },
            FieldType::Datetime => match lit {
                Literal::DateTime(t) => Value::DateTime(*t),
                Literal::Relative { name, n } => {
                    let r = dates::range(name, *n, self.now).ok_or_else(|| wrong(false))?;
                    let (a, b) = dates::instants(r);
                    Value::Instants(a, b)
                }
                _ => return Err(wrong(false)),
            },
            FieldType::Base64 => return Err(wrong(true)),
            _ => match lit {
                Literal::Str(s) => Value::Text(unescape(s)),
                _ => return Err(wrong(true)),
            },
        })
    }
}

/// A case-insensitive anchored regex for a LIKE pattern (`%` any run, `_` one character).
pub fn like_regex(pattern: &str) -> Regex {
    let mut re = String::from("(?is)^");
    for c in pattern.chars() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            ESCAPED_PERCENT => re.push('%'),
            ESCAPED_UNDERSCORE => re.push('_'),
            other => re.push_str(&regex::escape(&other.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).unwrap_or_else(|_| Regex::new("^$").expect("constant regex"))
}

/// Whether a ContentDocumentLink query filters by ContentDocumentId or LinkedEntityId (or Id)
/// with `=` or `IN`, at the top level of the WHERE clause.
fn cdl_filter_ok(filter: Option<&Cond>) -> bool {
    let ok_path = |p: &Path| {
        let last = p.parts.last().map(|s| s.to_ascii_lowercase());
        p.parts.len() == 1
            && matches!(
                last.as_deref(),
                Some("contentdocumentid" | "linkedentityid" | "id")
            )
    };
    let ok_term = |c: &Cond| match c {
        Cond::Cmp {
            path,
            op: Op::Eq,
            value: Literal::Str(_),
            ..
        } => ok_path(path),
        Cond::In {
            path,
            negated: false,
            ..
        }
        | Cond::InQuery {
            path,
            negated: false,
            ..
        } => ok_path(path),
        _ => false,
    };
    match filter {
        Some(Cond::And(terms)) => terms.iter().any(ok_term),
        Some(c) => ok_term(c),
        None => false,
    }
}
