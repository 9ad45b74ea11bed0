//! sObject Collections (`/composite/sobjects`): create (POST), update (PATCH), delete
//! (DELETE `?ids=`) up to 200 records of mixed types, and retrieve
//! (`GET /composite/sobjects/{type}?ids=&fields=`). Results are per-record, with errors keyed
//! `statusCode`; with `allOrNone`, a failure rolls back the call and the records that would
//! have succeeded report `ALL_OR_NONE_OPERATION_ROLLED_BACK`.
//!
//! Source: REST API Developer Guide, "sObject Collections".

use actix_web::http::Method;
use serde_json::{json, Value};

use super::error::{Reply, SfError, SfResult};
use super::ids;
use super::records::{field_list, record_json, visible};
use super::router::{Ctx, RestRequest};
use super::store::Org;
use super::write::{self, WriteOpts};

/// Most records one create, update or delete may hold.
pub const MAX_RECORDS: usize = 200;
/// Most ids one retrieve may name.
pub const MAX_RETRIEVE: usize = 2000;

fn too_many() -> SfError {
    SfError::new(
        400,
        "EXCEEDED_ID_LIMIT",
        "record limit reached. cannot submit more than 200 records into this call",
    )
}

fn rolled_back() -> SfError {
    SfError::new(
        400,
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "Record rolled back because not all records were valid and the request was using AllOrNone header",
    )
    .with_fields(&[])
}

/// One per-record outcome.
enum Outcome {
    Ok(String),
    Err(Option<String>, SfError),
}

fn render(outcomes: Vec<Outcome>, all_or_none_failed: bool) -> Value {
    Value::Array(
        outcomes
            .into_iter()
            .map(|o| match o {
                Outcome::Ok(id) if all_or_none_failed => {
                    json!({"id": id, "success": false, "errors": [rolled_back().collection_item()]})
                }
                Outcome::Ok(id) => json!({"id": id, "success": true, "errors": []}),
                Outcome::Err(Some(id), e) => {
                    json!({"id": id, "success": false, "errors": [e.collection_item()]})
                }
                Outcome::Err(None, e) => json!({"success": false, "errors": [e.collection_item()]}),
            })
            .collect(),
    )
}

/// Routes `/composite/sobjects[/{type}]`.
pub fn route(org: &mut Org, ctx: &Ctx, req: &RestRequest, rest: &[&str]) -> SfResult<Reply> {
    match (rest, &req.method) {
        ([], &Method::POST) => write_all(org, ctx, req.json()?, true),
        ([], &Method::PATCH) => write_all(org, ctx, req.json()?, false),
        ([], &Method::DELETE) => delete_all(org, ctx, req),
        ([], m) => Err(SfError::method_not_allowed(m.as_str(), "POST,PATCH,DELETE")),
        ([object], &Method::GET | &Method::HEAD) => {
            let ids: Vec<String> = req
                .param("ids")
                .unwrap_or("")
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            retrieve(org, ctx, object, &ids, req.param("fields"))
        }
        ([object], &Method::POST) => {
            let body = req.json()?;
            let ids: Vec<String> = body["ids"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let fields = body["fields"].as_array().map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            });
            retrieve(org, ctx, object, &ids, fields.as_deref())
        }
        ([_], m) => Err(SfError::method_not_allowed(m.as_str(), "HEAD,GET,POST")),
        _ => Err(SfError::not_found()),
    }
}

fn write_all(org: &mut Org, ctx: &Ctx, body: &Value, creating: bool) -> SfResult<Reply> {
    let records = body["records"]
        .as_array()
        .ok_or_else(|| SfError::json_parser("records: required field is missing"))?;
    if records.len() > MAX_RECORDS {
        return Err(too_many());
    }
    let all_or_none = body["allOrNone"].as_bool().unwrap_or(false);
    let snapshot = all_or_none.then(|| org.data.clone());
    let mut outcomes = Vec::new();
    for record in records {
        outcomes.push(if creating {
            create_one(org, ctx, record)
        } else {
            update_one(org, ctx, record)
        });
    }
    let failed = outcomes.iter().any(|o| matches!(o, Outcome::Err(..)));
    if let (true, Some(data)) = (failed, snapshot) {
        org.data = data;
    }
    Ok(Reply::ok(render(outcomes, failed && all_or_none)))
}

fn record_type(record: &Value) -> Option<&str> {
    record["attributes"]["type"].as_str()
}

fn create_one(org: &mut Org, ctx: &Ctx, record: &Value) -> Outcome {
    let Some(object) = record_type(record) else {
        return Outcome::Err(
            None,
            SfError::dml(
                "INVALID_TYPE",
                "Must specify a type in the attributes of each record",
                &[],
            ),
        );
    };
    if record
        .get("Id")
        .or_else(|| record.get("id"))
        .is_some_and(|v| !v.is_null())
    {
        return Outcome::Err(
            None,
            SfError::dml(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "cannot specify Id in an insert call",
                &["Id"],
            ),
        );
    }
    let result = visible(org, ctx, object)
        .map_err(|_| SfError::dml("INVALID_TYPE", super::soql::not_supported_type(object), &[]))
        .and_then(|def| write::create(org, ctx, &def.name, record, None, WriteOpts::api()));
    match result {
        Ok(id) => Outcome::Ok(id),
        Err(e) => Outcome::Err(None, e),
    }
}

fn update_one(org: &mut Org, ctx: &Ctx, record: &Value) -> Outcome {
    let raw_id = record
        .get("id")
        .or_else(|| record.get("Id"))
        .and_then(Value::as_str);
    let Some(raw_id) = raw_id else {
        return Outcome::Err(
            None,
            SfError::dml(
                "MISSING_ARGUMENT",
                "Id not specified in an update call",
                &[],
            ),
        );
    };
    let Ok(id) = ids::to18(raw_id) else {
        return Outcome::Err(
            Some(raw_id.to_string()),
            SfError::dml("MALFORMED_ID", format!("malformed id {raw_id}"), &["Id"]),
        );
    };
    let mut body = record.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("id");
        map.remove("Id");
    }
    let result = match org.record(&id) {
        None => Err(SfError::dml(
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            &[],
        )),
        Some(r) if r.is_deleted() => {
            Err(SfError::dml("ENTITY_IS_DELETED", "entity is deleted", &[]))
        }
        Some(r) if record_type(record).is_some_and(|t| !t.eq_ignore_ascii_case(&r.object)) => Err(
            SfError::dml("MALFORMED_ID", format!("malformed id {raw_id}"), &["Id"]),
        ),
        Some(r) => {
            let object = r.object.clone();
            visible(org, ctx, &object)
                .and_then(|_| write::update(org, ctx, &id, &body, WriteOpts::api()))
        }
    };
    match result {
        Ok(()) => Outcome::Ok(id),
        Err(e) => Outcome::Err(Some(id), e),
    }
}

fn delete_all(org: &mut Org, ctx: &Ctx, req: &RestRequest) -> SfResult<Reply> {
    let raw: Vec<String> = req
        .param("ids")
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if raw.len() > MAX_RECORDS {
        return Err(too_many());
    }
    let all_or_none = req
        .param("allOrNone")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let snapshot = all_or_none.then(|| org.data.clone());
    let mut outcomes = Vec::new();
    for raw_id in raw {
        let Ok(id) = ids::to18(&raw_id) else {
            outcomes.push(Outcome::Err(
                Some(raw_id.clone()),
                SfError::dml("MALFORMED_ID", format!("malformed id {raw_id}"), &["Id"]),
            ));
            continue;
        };
        let result = match org.record(&id) {
            None => Err(SfError::dml(
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
                &[],
            )),
            Some(r) if r.is_deleted() => {
                Err(SfError::dml("ENTITY_IS_DELETED", "entity is deleted", &[]))
            }
            Some(r) => {
                let object = r.object.clone();
                visible(org, ctx, &object)
                    .and_then(|_| write::delete(org, ctx, &id, WriteOpts::api()))
            }
        };
        outcomes.push(match result {
            Ok(()) => Outcome::Ok(id),
            Err(e) => Outcome::Err(Some(id), e),
        });
    }
    let failed = outcomes.iter().any(|o| matches!(o, Outcome::Err(..)));
    if let (true, Some(data)) = (failed, snapshot) {
        org.data = data;
    }
    Ok(Reply::ok(render(outcomes, failed && all_or_none)))
}

fn retrieve(
    org: &Org,
    ctx: &Ctx,
    object: &str,
    raw_ids: &[String],
    fields: Option<&str>,
) -> SfResult<Reply> {
    let def = visible(org, ctx, object)?;
    if fields.is_none_or(|f| f.trim().is_empty()) {
        return Err(SfError::new(
            400,
            "MISSING_ARGUMENT",
            "fields: required parameter is missing",
        ));
    }
    if raw_ids.is_empty() {
        return Err(SfError::new(
            400,
            "MISSING_ARGUMENT",
            "ids: required parameter is missing",
        ));
    }
    if raw_ids.len() > MAX_RETRIEVE {
        return Err(SfError::new(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 2000 records into this call",
        ));
    }
    let fields = field_list(&def, fields)?;
    let mut out = Vec::new();
    for raw in raw_ids {
        let id = ids::to18(raw)
            .map_err(|_| SfError::new(400, "MALFORMED_ID", format!("malformed id {raw}")))?;
        let rec = org
            .record(&id)
            .filter(|r| !r.is_deleted() && r.object == def.name);
        out.push(rec.map_or(Value::Null, |r| {
            record_json(org, &def, r, &fields, &ctx.version)
        }));
    }
    Ok(Reply::ok(Value::Array(out)))
}
