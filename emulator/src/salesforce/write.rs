//! Creating, updating and deleting records, with Salesforce's checks in Salesforce's order:
//! object permission, unknown fields (`INVALID_FIELD`), read-only fields
//! (`INVALID_FIELD_FOR_INSERT_UPDATE`), value types and lengths (`JSON_PARSER_ERROR`,
//! `STRING_TOO_LONG`, `MALFORMED_ID`), required fields (`REQUIRED_FIELD_MISSING`), restricted
//! picklists (`INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`), lookups, then validation rules
//! (`FIELD_CUSTOM_VALIDATION_EXCEPTION`); then the org's own effects (audit fields, numbers,
//! derived fields, files) and cascade deletes.
//!
//! Every entry point here is shared by the sObject resource, composite and collections.

use base64::Engine;
use bytes::Bytes;
use serde_json::{Map, Value};

use super::effects;
use super::error::{SfError, SfResult};
use super::router::Ctx;
use super::schema::{FieldType, ObjectDef};
use super::soql::bind::Binder;
use super::soql::eval::Env;
use super::soql::{self};
use super::store::{Org, Record};
use super::values::{coerce, fmt_datetime};

/// How much of the API's protection applies to a write.
#[derive(Debug, Clone, Copy)]
pub struct WriteOpts {
    /// Skip object permissions and validation rules, and allow read-only fields
    /// (`CreatedDate`, `LastModifiedDate`…): the control API's seeding.
    pub system: bool,
}

impl WriteOpts {
    /// A normal API call.
    pub fn api() -> Self {
        Self { system: false }
    }

    /// A control-API data load.
    pub fn system() -> Self {
        Self { system: true }
    }
}

/// Audit and system fields the control API may set explicitly.
pub const SYSTEM_FIELDS: &[&str] = &[
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
];

fn object_def(org: &Org, name: &str) -> SfResult<ObjectDef> {
    org.schema.get(name).cloned().ok_or_else(SfError::not_found)
}

/// Field values of a body, and its base64 payload (field name, bytes) if any.
type Parsed = (Map<String, Value>, Option<(String, Bytes)>);

/// Converts a JSON body into field values; returns them and any base64 payload.
fn parse_body(def: &ObjectDef, body: &Value, creating: bool, opts: WriteOpts) -> SfResult<Parsed> {
    let map = body.as_object().ok_or_else(|| {
        SfError::json_parser(format!(
            "Cannot deserialize instance of {} from {} value or request may be missing a required field",
            def.name,
            if body.is_array() { "START_ARRAY" } else { "VALUE_STRING" }
        ))
    })?;
    let mut values = Map::new();
    let mut blob = None;
    let mut read_only = Vec::new();
    for (key, raw) in map {
        if key == "attributes" {
            continue;
        }
        let field = def.field(key).ok_or_else(|| {
            SfError::dml(
                "INVALID_FIELD",
                format!("No such column '{key}' on sobject of type {}", def.name),
                &[],
            )
        })?;
        let allowed = if creating {
            field.createable
        } else {
            field.updateable
        };
        let system_ok = opts.system && (field.ftype != FieldType::Id);
        if !allowed && !system_ok {
            read_only.push(field.name.clone());
            continue;
        }
        if field.ftype == FieldType::Base64 {
            let text = raw.as_str().unwrap_or("");
            let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(cleaned)
                .map_err(|_| {
                    SfError::json_parser(format!(
                        "Cannot deserialize instance of base64 from VALUE_STRING value {text} or request may be missing a required field"
                    ))
                })?;
            blob = Some((field.name.clone(), Bytes::from(bytes)));
            continue;
        }
        values.insert(field.name.clone(), coerce(field, raw)?);
    }
    if !read_only.is_empty() {
        let names: Vec<&str> = read_only.iter().map(String::as_str).collect();
        return Err(SfError::dml(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                names.join(", ")
            ),
            &names,
        ));
    }
    Ok((values, blob))
}

fn check_required(def: &ObjectDef, rec: &Record, extra: &[String]) -> SfResult<()> {
    let mut missing: Vec<String> = def
        .fields
        .iter()
        .filter(|f| f.required_on_create())
        .filter(|f| rec.get(&f.name).is_null())
        .map(|f| f.name.clone())
        .collect();
    for name in extra {
        if !missing.contains(name) {
            missing.push(name.clone());
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(String::as_str).collect();
    Err(SfError::dml(
        "REQUIRED_FIELD_MISSING",
        format!("Required fields are missing: [{}]", names.join(", ")),
        &names,
    ))
}

fn check_picklists(def: &ObjectDef, changed: &Map<String, Value>) -> SfResult<()> {
    for (name, value) in changed {
        let Some(field) = def.field(name) else {
            continue;
        };
        if !field.restricted_picklist {
            continue;
        }
        let Some(text) = value.as_str() else {
            continue;
        };
        let parts: Vec<&str> = if field.ftype == FieldType::Multipicklist {
            text.split(';').map(str::trim).collect()
        } else {
            vec![text]
        };
        for part in parts {
            if !field.picklist.iter().any(|p| p.active && p.value == part) {
                return Err(SfError::dml(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    format!(
                        "{}: bad value for restricted picklist field: {part}",
                        field.label
                    ),
                    &[&field.name],
                ));
            }
        }
    }
    Ok(())
}

fn check_references(
    org: &Org,
    ctx: &Ctx,
    def: &ObjectDef,
    changed: &Map<String, Value>,
    opts: WriteOpts,
) -> SfResult<()> {
    for (name, value) in changed {
        let (Some(field), Some(id)) = (def.field(name), value.as_str()) else {
            continue;
        };
        if field.ftype != FieldType::Reference {
            continue;
        }
        let target = org.object_of_id(id);
        if !target.is_some_and(|t| field.reference_to.contains(&t.name)) {
            return Err(SfError::dml(
                "MALFORMED_ID",
                format!("{}: id value of incorrect type: {id}", field.label),
                &[&field.name],
            ));
        }
        let target_name = target.map(|t| t.name.clone()).unwrap_or_default();
        if !opts.system && !org.perms(&ctx.user_id, &target_name).read {
            return Err(SfError::dml(
                "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
                "insufficient access rights on cross-reference id",
                &[],
            ));
        }
        match org.record(id) {
            None => {
                return Err(SfError::dml(
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                    &[],
                ))
            }
            Some(r) if r.is_deleted() => {
                return Err(SfError::dml("ENTITY_IS_DELETED", "entity is deleted", &[]))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks the active validation rules of the record's object against the record as it would
/// be saved.
fn check_rules(org: &Org, now: chrono::DateTime<chrono::Utc>, rec: &Record) -> SfResult<()> {
    for rule in org
        .rules
        .iter()
        .filter(|r| r.active && r.object == rec.object)
    {
        let src = format!("SELECT Id FROM {} WHERE {}", rule.object, rule.condition);
        let Ok(query) = soql::parse(&src) else {
            continue;
        };
        let binder = Binder {
            org,
            user_id: "",
            now,
            system: true,
        };
        let Ok(plan) = binder.bind(&query) else {
            continue;
        };
        let env = Env {
            org,
            include_deleted: false,
        };
        if plan.filter.as_ref().is_some_and(|f| env.test(f, rec)) {
            let fields: Vec<&str> = rule.field.iter().map(String::as_str).collect();
            return Err(SfError::dml(
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                rule.message.clone(),
                &fields,
            ));
        }
    }
    Ok(())
}

fn check_permission(
    org: &Org,
    ctx: &Ctx,
    def: &ObjectDef,
    pick: fn(super::store::Perms) -> bool,
    opts: WriteOpts,
) -> SfResult<()> {
    if opts.system || pick(org.perms(&ctx.user_id, &def.name)) {
        Ok(())
    } else {
        Err(SfError::insufficient_access())
    }
}

/// Creates a record of `object`; returns its id.
pub fn create(
    org: &mut Org,
    ctx: &Ctx,
    object: &str,
    body: &Value,
    upload: Option<(&str, Bytes)>,
    opts: WriteOpts,
) -> SfResult<String> {
    let def = object_def(org, object)?;
    check_permission(org, ctx, &def, |p| p.create, opts)?;
    if !def.createable && !opts.system {
        return Err(SfError::dml(
            "INVALID_TYPE_FOR_OPERATION",
            format!("entity type cannot be inserted: {}", def.name),
            &[],
        ));
    }
    let (values, mut blob) = parse_body(&def, body, true, opts)?;
    if let Some((part, bytes)) = upload {
        let field = def
            .fields
            .iter()
            .find(|f| f.ftype == FieldType::Base64)
            .filter(|f| f.name.eq_ignore_ascii_case(part))
            .ok_or_else(|| {
                SfError::new(
                    400,
                    "INVALID_MULTIPART_REQUEST",
                    format!(
                        "Binary part name {part} does not match a base64 field of {}",
                        def.name
                    ),
                )
            })?;
        blob = Some((field.name.clone(), bytes));
    }
    let mut rec = Record {
        object: def.name.clone(),
        fields: Map::new(),
    };
    for field in &def.fields {
        if let (Some(default), false) = (&field.default_value, values.contains_key(&field.name)) {
            rec.fields.insert(field.name.clone(), default.clone());
        }
    }
    for (k, v) in &values {
        rec.fields.insert(k.clone(), v.clone());
    }
    if def.field("OwnerId").is_some() && rec.get("OwnerId").is_null() {
        rec.fields
            .insert("OwnerId".into(), Value::String(ctx.user_id.clone()));
    }
    let extra = effects::extra_required(&def, &rec, blob.is_some());
    check_required(&def, &rec, &extra)?;
    check_picklists(&def, &rec.fields)?;
    check_references(org, ctx, &def, &values, opts)?;
    effects::before_insert(org, ctx, &def, &mut rec, blob.as_ref().map(|b| &b.1))?;
    if !opts.system {
        check_rules(org, ctx.now, &rec)?;
    }
    let id = org.new_id(&def);
    let now = fmt_datetime(ctx.now);
    let explicit: Map<String, Value> = values
        .iter()
        .filter(|(k, _)| SYSTEM_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    rec.fields.insert("Id".into(), Value::String(id.clone()));
    rec.fields.insert("IsDeleted".into(), Value::Bool(false));
    let created = explicit
        .get("CreatedDate")
        .cloned()
        .unwrap_or(Value::String(now));
    let modified = explicit
        .get("LastModifiedDate")
        .cloned()
        .unwrap_or(created.clone());
    let stamp = explicit
        .get("SystemModstamp")
        .cloned()
        .unwrap_or(modified.clone());
    let creator = explicit
        .get("CreatedById")
        .cloned()
        .unwrap_or(Value::String(ctx.user_id.clone()));
    let modifier = explicit
        .get("LastModifiedById")
        .cloned()
        .unwrap_or(creator.clone());
    for (name, value) in [
        ("CreatedDate", created),
        ("CreatedById", creator),
        ("LastModifiedDate", modified),
        ("LastModifiedById", modifier),
        ("SystemModstamp", stamp),
    ] {
        if def.field(name).is_some() {
            rec.fields.insert(name.into(), value);
        }
    }
    // Keep describe order so stored records read naturally.
    let mut ordered = Map::new();
    for f in &def.fields {
        if let Some(v) = rec.fields.remove(&f.name) {
            ordered.insert(f.name.clone(), v);
        }
    }
    rec.fields = ordered;
    effects::auto_numbers(org, &def, &mut rec);
    org.put(rec.clone());
    effects::after_insert(org, ctx, &def, &rec, blob.map(|b| b.1))?;
    tracing::debug!(object = %def.name, %id, "record created");
    Ok(id)
}

/// Updates the live record `id` with the fields in `body`.
pub fn update(org: &mut Org, ctx: &Ctx, id: &str, body: &Value, opts: WriteOpts) -> SfResult<()> {
    let old = org.record(id).cloned().ok_or_else(SfError::not_found)?;
    if old.is_deleted() {
        return Err(SfError::entity_deleted());
    }
    let def = object_def(org, &old.object)?;
    check_permission(org, ctx, &def, |p| p.edit, opts)?;
    if !def.updateable && !opts.system {
        return Err(SfError::dml(
            "INVALID_TYPE_FOR_OPERATION",
            format!("entity type cannot be updated: {}", def.name),
            &[],
        ));
    }
    let (values, _) = parse_body(&def, body, false, opts)?;
    let mut rec = old.clone();
    for (k, v) in &values {
        rec.fields.insert(k.clone(), v.clone());
    }
    let nulled: Vec<String> = values
        .iter()
        .filter(|(k, v)| v.is_null() && def.field(k).is_some_and(|f| !f.nillable))
        .map(|(k, _)| k.clone())
        .collect();
    if !nulled.is_empty() {
        let names: Vec<&str> = nulled.iter().map(String::as_str).collect();
        return Err(SfError::dml(
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", names.join(", ")),
            &names,
        ));
    }
    check_picklists(&def, &values)?;
    check_references(org, ctx, &def, &values, opts)?;
    effects::before_update(org, ctx, &def, &mut rec, &old, &values)?;
    if !opts.system {
        check_rules(org, ctx.now, &rec)?;
    }
    let now = Value::String(fmt_datetime(ctx.now));
    for (name, value) in [
        ("LastModifiedDate", now.clone()),
        ("LastModifiedById", Value::String(ctx.user_id.clone())),
        ("SystemModstamp", now),
    ] {
        if def.field(name).is_some() && !values.contains_key(name) {
            rec.fields.insert(name.into(), value);
        }
    }
    org.put(rec);
    Ok(())
}

/// Moves the live record `id` (and its cascade-delete children) to the recycle bin.
pub fn delete(org: &mut Org, ctx: &Ctx, id: &str, opts: WriteOpts) -> SfResult<()> {
    let rec = org.record(id).cloned().ok_or_else(SfError::not_found)?;
    if rec.is_deleted() {
        return Err(SfError::entity_deleted());
    }
    let def = object_def(org, &rec.object)?;
    check_permission(org, ctx, &def, |p| p.delete, opts)?;
    if !def.deletable && !opts.system {
        return Err(SfError::dml(
            "INVALID_TYPE_FOR_OPERATION",
            format!("entity type cannot be deleted: {}", def.name),
            &[],
        ));
    }
    soft_delete(org, ctx, id);
    effects::after_delete(org, ctx, &rec);
    Ok(())
}

fn soft_delete(org: &mut Org, ctx: &Ctx, id: &str) {
    let now = Value::String(fmt_datetime(ctx.now));
    let children: Vec<String> = {
        let Some(rec) = org.record(id) else { return };
        let parent = rec.object.clone();
        org.schema
            .children_of(&parent)
            .into_iter()
            .filter(|c| c.cascade_delete)
            .flat_map(|c| {
                org.records_of(&c.child)
                    .filter(|r| !r.is_deleted() && r.str(&c.field) == Some(id))
                    .map(|r| r.id().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    if let Some(mut rec) = org.record_mut(id) {
        rec.fields.insert("IsDeleted".into(), Value::Bool(true));
        for name in ["LastModifiedDate", "SystemModstamp"] {
            if rec.fields.contains_key(name) {
                rec.fields.insert(name.into(), now.clone());
            }
        }
    }
    for child in children {
        soft_delete(org, ctx, &child);
    }
}
