//! The sObject resources: basic info and create (`/sobjects/{type}`), describe, a record by id
//! (GET with `?fields=`, PATCH, DELETE), blob download (`/{id}/VersionData`) and upsert or
//! retrieval by external id (`/{ExtId__c}/{value}`).
//!
//! Source: REST API Developer Guide, "sObject Basic Information", "sObject Rows", "sObject Blob
//! Retrieve", "sObject Rows by External ID".

use actix_web::http::Method;
use serde_json::{json, Map, Value};

use super::error::{Payload, Reply, SfError, SfResult};
use super::router::{Body, Ctx, RestRequest};
use super::schema::{FieldDef, FieldType, ObjectDef};
use super::soql::no_such_column;
use super::soql::run::attributes;
use super::store::{Org, Record};
use super::values::{fmt_datetime, parse_datetime, stored_datetime};
use super::write::{self, WriteOpts};
use super::{describe, ids};

/// The object named in a URL, if it exists and the caller may read it.
pub fn visible(org: &Org, ctx: &Ctx, name: &str) -> SfResult<ObjectDef> {
    org.schema
        .get(name)
        .filter(|o| org.perms(&ctx.user_id, &o.name).read)
        .cloned()
        .ok_or_else(SfError::not_found)
}

/// The JSON of a record: `attributes`, then the requested fields (all, in describe order, by
/// default); blob fields show their download URL.
pub fn record_json(
    org: &Org,
    def: &ObjectDef,
    rec: &Record,
    fields: &[&FieldDef],
    version: &str,
) -> Value {
    let mut map = Map::new();
    map.insert(
        "attributes".into(),
        attributes(&def.name, rec.id(), version),
    );
    for f in fields {
        let value = if f.ftype == FieldType::Base64 {
            if org.data.blobs.contains_key(rec.id()) {
                Value::String(format!(
                    "/services/data/{version}/sobjects/{}/{}/{}",
                    def.name,
                    rec.id(),
                    f.name
                ))
            } else {
                Value::Null
            }
        } else {
            rec.get(&f.name).clone()
        };
        map.insert(f.name.clone(), value);
    }
    Value::Object(map)
}

/// Resolves a `?fields=` list (all fields when absent).
pub fn field_list<'d>(def: &'d ObjectDef, fields: Option<&str>) -> SfResult<Vec<&'d FieldDef>> {
    let Some(list) = fields.filter(|s| !s.trim().is_empty()) else {
        return Ok(def.fields.iter().collect());
    };
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            def.field(name)
                .ok_or_else(|| SfError::new(400, "INVALID_FIELD", no_such_column(name, &def.name)))
        })
        .collect()
}

/// Parses a record id from a URL segment for object `def`.
pub fn url_id(def: &ObjectDef, segment: &str) -> SfResult<String> {
    let alnum = segment.bytes().all(|b| b.is_ascii_alphanumeric());
    if !alnum || !(segment.len() == 15 || segment.len() == 18) {
        return Err(SfError::new(
            404,
            "NOT_FOUND",
            format!("Provided external ID field does not exist or is not accessible: {segment}"),
        ));
    }
    match ids::to18(segment) {
        Ok(id) if ids::prefix(&id) == def.key_prefix => Ok(id),
        _ => Err(SfError::malformed_id_in_url(&def.name, segment)),
    }
}

/// A live record of `def` by URL id: `NOT_FOUND` or `ENTITY_IS_DELETED` otherwise.
pub fn live<'o>(org: &'o Org, def: &ObjectDef, segment: &str) -> SfResult<&'o Record> {
    let id = url_id(def, segment)?;
    let rec = org.record(&id).ok_or_else(SfError::not_found)?;
    if rec.is_deleted() {
        return Err(SfError::entity_deleted());
    }
    Ok(rec)
}

/// The 201 body of a create.
pub fn created(ctx: &Ctx, object: &str, id: &str) -> Reply {
    Reply::json(201, json!({"id": id, "success": true, "errors": []})).header(
        "Location",
        format!("/services/data/{}/sobjects/{object}/{id}", ctx.version),
    )
}

/// Routes `/sobjects/{object}/…`.
pub fn route(
    org: &mut Org,
    ctx: &Ctx,
    req: &RestRequest,
    object: &str,
    rest: &[&str],
) -> SfResult<Reply> {
    let def = visible(org, ctx, object)?;
    let m = &req.method;
    match rest {
        [] => match *m {
            Method::GET | Method::HEAD => describe::basic(org, ctx, &def),
            Method::POST => {
                if !def.createable {
                    return Err(SfError::method_not_allowed("POST", "HEAD,GET"));
                }
                let (body, blob) = match &req.body {
                    Body::Upload(u) => (&u.entity, Some((u.part.as_str(), u.bytes.clone()))),
                    _ => (req.json()?, None),
                };
                let id = write::create(org, ctx, &def.name, body, blob, WriteOpts::api())?;
                Ok(created(ctx, &def.name, &id))
            }
            _ => Err(SfError::method_not_allowed(m.as_str(), "HEAD,GET,POST")),
        },
        [kind @ ("updated" | "deleted")] => match *m {
            Method::GET | Method::HEAD => replication(org, &def, kind, req),
            _ => Err(SfError::method_not_allowed(m.as_str(), "HEAD,GET")),
        },
        ["describe"] => match *m {
            Method::GET | Method::HEAD => describe::object(org, ctx, &def),
            _ => Err(SfError::method_not_allowed(m.as_str(), "HEAD,GET")),
        },
        [segment] => match *m {
            Method::GET | Method::HEAD => {
                let rec = live(org, &def, segment)?;
                let fields = field_list(&def, req.param("fields"))?;
                Ok(Reply::ok(record_json(
                    org,
                    &def,
                    rec,
                    &fields,
                    &ctx.version,
                )))
            }
            Method::PATCH => {
                let id = live(org, &def, segment)?.id().to_string();
                write::update(org, ctx, &id, req.json()?, WriteOpts::api())?;
                Ok(Reply::no_content())
            }
            Method::DELETE => {
                let id = live(org, &def, segment)?.id().to_string();
                write::delete(org, ctx, &id, WriteOpts::api())?;
                Ok(Reply::no_content())
            }
            _ => Err(SfError::method_not_allowed(
                m.as_str(),
                "HEAD,GET,PATCH,DELETE",
            )),
        },
        [first, second] => {
            let ext = def
                .field(first)
                .filter(|f| f.external_id || f.name == "Id")
                .cloned();
            match ext {
                Some(field) => by_external_id(org, ctx, req, &def, &field, second),
                None if def
                    .field(second)
                    .is_some_and(|f| f.ftype == FieldType::Base64) =>
                {
                    if *m != Method::GET && *m != Method::HEAD {
                        return Err(SfError::method_not_allowed(m.as_str(), "HEAD,GET"));
                    }
                    download(org, &def, first)
                }
                None if def.field(first).is_none() => Err(SfError::new(
                    404,
                    "NOT_FOUND",
                    format!(
                        "Provided external ID field does not exist or is not accessible: {first}"
                    ),
                )),
                None => Err(SfError::not_found()),
            }
        }
        _ => Err(SfError::not_found()),
    }
}

/// getUpdated / getDeleted: ids changed or deleted in `[start, end)`, by `SystemModstamp`.
fn replication(org: &Org, def: &ObjectDef, kind: &str, req: &RestRequest) -> SfResult<Reply> {
    let bound = |name: &str| -> SfResult<chrono::DateTime<chrono::Utc>> {
        let raw = req
            .param(name)
            .ok_or_else(|| SfError::new(400, "MISSING_ARGUMENT", format!("{name} is required")))?;
        parse_datetime(raw).ok_or_else(|| {
            SfError::new(
                400,
                "INVALID_REPLICATION_DATE",
                format!("invalid {name} date: {raw}"),
            )
        })
    };
    let (start, end) = (bound("start")?, bound("end")?);
    if end < start {
        return Err(SfError::new(
            400,
            "INVALID_REPLICATION_DATE",
            "end date cannot be before start date",
        ));
    }
    let covered = end - chrono::Duration::seconds(end.timestamp().rem_euclid(60));
    let changed = org.records_of(&def.name).filter(|r| {
        stored_datetime(r.get("SystemModstamp")).is_some_and(|t| t >= start && t < covered)
            && r.is_deleted() == (kind == "deleted")
    });
    let body = if kind == "updated" {
        let ids: Vec<&str> = changed.map(Record::id).collect();
        json!({"ids": ids, "latestDateCovered": fmt_datetime(covered)})
    } else {
        let deleted: Vec<Value> = changed
            .map(|r| json!({"id": r.id(), "deletedDate": r.get("SystemModstamp")}))
            .collect();
        json!({"deletedRecords": deleted, "earliestDateAvailable": fmt_datetime(start), "latestDateCovered": fmt_datetime(covered)})
    };
    Ok(Reply::ok(body))
}

fn download(org: &Org, def: &ObjectDef, segment: &str) -> SfResult<Reply> {
    let rec = live(org, def, segment)?;
    let blob = org
        .data
        .blobs
        .get(rec.id())
        .ok_or_else(SfError::not_found)?;
    Ok(Reply {
        status: 200,
        payload: Payload::Raw {
            content_type: "application/octetstream".into(),
            bytes: blob.0.clone(),
        },
        headers: Vec::new(),
    })
}

fn by_external_id(
    org: &mut Org,
    ctx: &Ctx,
    req: &RestRequest,
    def: &ObjectDef,
    field: &FieldDef,
    value: &str,
) -> SfResult<Reply> {
    if field.name == "Id" {
        return route(org, ctx, req, &def.name, &[value]);
    }
    let matches: Vec<String> = org
        .records_of(&def.name)
        .filter(|r| !r.is_deleted())
        .filter(|r| {
            r.get(&field.name)
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case(value))
                || r.get(&field.name)
                    .as_f64()
                    .is_some_and(|n| n.to_string() == value)
        })
        .map(|r| r.id().to_string())
        .collect();
    if matches.len() > 1 {
        let urls: Vec<String> = matches
            .iter()
            .map(|id| format!("/services/data/{}/sobjects/{}/{id}", ctx.version, def.name))
            .collect();
        return Ok(Reply::json(300, json!(urls)));
    }
    match (&req.method, matches.first()) {
        (&Method::GET | &Method::HEAD, Some(id)) => {
            let rec = org.record(id).ok_or_else(SfError::not_found)?;
            let fields = field_list(def, req.param("fields"))?;
            Ok(Reply::ok(record_json(org, def, rec, &fields, &ctx.version)))
        }
        (&Method::GET | &Method::HEAD, None) => Err(SfError::not_found()),
        (&Method::PATCH, found) => {
            let mut body = req.json()?.clone();
            if let Some(map) = body.as_object_mut() {
                if map.keys().any(|k| k.eq_ignore_ascii_case(&field.name)) {
                    return Err(SfError::dml(
                        "INVALID_FIELD",
                        format!("The field {} is specified in the URL and the request body; remove it from the request body", field.name),
                        &[],
                    ));
                }
                if found.is_none() {
                    map.insert(field.name.clone(), Value::String(value.to_string()));
                }
            }
            match found {
                Some(id) => {
                    write::update(org, ctx, id, &body, WriteOpts::api())?;
                    Ok(Reply::ok(
                        json!({"id": id, "success": true, "errors": [], "created": false}),
                    ))
                }
                None => {
                    let id = write::create(org, ctx, &def.name, &body, None, WriteOpts::api())?;
                    Ok(created(ctx, &def.name, &id).with_created_flag())
                }
            }
        }
        (&Method::DELETE, Some(id)) => {
            let id = id.clone();
            write::delete(org, ctx, &id, WriteOpts::api())?;
            Ok(Reply::no_content())
        }
        (&Method::DELETE, None) => Err(SfError::not_found()),
        _ => Err(SfError::method_not_allowed(
            req.method.as_str(),
            "HEAD,GET,PATCH,DELETE",
        )),
    }
}

impl Reply {
    /// Adds `"created": true` to a create body (upsert).
    fn with_created_flag(mut self) -> Self {
        if let Payload::Json(Value::Object(map)) = &mut self.payload {
            map.insert("created".into(), Value::Bool(true));
        }
        self
    }
}
