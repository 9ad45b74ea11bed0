//! Metadata resources: describeGlobal (`/sobjects`), sObject basic information
//! (`/sobjects/{type}`) and describe (`/sobjects/{type}/describe`).
//!
//! Every key jsforce declares as required on `DescribeGlobalSObjectResult`,
//! `DescribeSObjectResult` and `Field` is present, with Salesforce's types. Objects the running
//! user cannot read are absent, and `createable`/`updateable`/`deletable` reflect the user's
//! object permissions, as Salesforce's describe does.

use serde_json::{json, Map, Value};

use super::error::{Reply, SfResult};
use super::router::Ctx;
use super::schema::{FieldDef, FieldType, ObjectDef};
use super::store::{Org, Perms};

/// The master record type id every org has.
pub const MASTER_RECORD_TYPE: &str = "012000000000000AAA";

fn urls(def: &ObjectDef, version: &str) -> Value {
    let base = format!("/services/data/{version}/sobjects/{}", def.name);
    json!({
        "compactLayouts": format!("{base}/describe/compactLayouts"),
        "rowTemplate": format!("{base}/{{ID}}"),
        "describe": format!("{base}/describe"),
        "sobject": base,
    })
}

/// The describeGlobal entry of one object, as the user sees it.
fn summary(def: &ObjectDef, perms: Perms, version: &str) -> Map<String, Value> {
    let createable = def.createable && perms.create;
    let updateable = def.updateable && perms.edit;
    let deletable = def.deletable && perms.delete;
    let standard_layout = def.createable || def.updateable;
    let value = json!({
        "activateable": false,
        "associateEntityType": null,
        "associateParentEntity": null,
        "createable": createable,
        "custom": def.custom,
        "customSetting": false,
        "deepCloneable": false,
        "deletable": deletable,
        "deprecatedAndHidden": false,
        "feedEnabled": def.feed_enabled,
        "hasSubtypes": false,
        "isInterface": false,
        "isSubtype": false,
        "keyPrefix": def.key_prefix,
        "label": def.label,
        "labelPlural": def.label_plural,
        "layoutable": standard_layout,
        "mergeable": matches!(def.name.as_str(), "Account" | "Contact" | "Lead" | "Case"),
        "mruEnabled": standard_layout,
        "name": def.name,
        "queryable": def.queryable(),
        "replicateable": true,
        "retrieveable": true,
        "searchable": def.searchable,
        "triggerable": standard_layout,
        "undeletable": deletable,
        "updateable": updateable,
        "urls": urls(def, version),
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `GET …/sobjects`.
pub fn global(org: &Org, ctx: &Ctx) -> SfResult<Reply> {
    let sobjects: Vec<Value> = org
        .schema
        .iter()
        .filter_map(|def| {
            let perms = org.perms(&ctx.user_id, &def.name);
            perms
                .read
                .then(|| Value::Object(summary(def, perms, &ctx.version)))
        })
        .collect();
    Ok(Reply::ok(json!({
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": sobjects,
    })))
}

/// `GET …/sobjects/{type}`.
pub fn basic(org: &Org, ctx: &Ctx, def: &ObjectDef) -> SfResult<Reply> {
    let perms = org.perms(&ctx.user_id, &def.name);
    Ok(Reply::ok(json!({
        "objectDescribe": summary(def, perms, &ctx.version),
        "recentItems": [],
    })))
}

/// `GET …/sobjects/{type}/describe`.
pub fn object(org: &Org, ctx: &Ctx, def: &ObjectDef) -> SfResult<Reply> {
    let perms = org.perms(&ctx.user_id, &def.name);
    let mut map = summary(def, perms, &ctx.version);
    let children: Vec<Value> = org
        .schema
        .children_of(&def.name)
        .into_iter()
        .filter(|c| org.perms(&ctx.user_id, &c.child).read)
        .map(|c| {
            json!({
                "cascadeDelete": c.cascade_delete,
                "childSObject": c.child,
                "deprecatedAndHidden": false,
                "field": c.field,
                "junctionIdListNames": [],
                "junctionReferenceTo": [],
                "relationshipName": c.name,
                "restrictedDelete": false,
            })
        })
        .collect();
    let fields: Vec<Value> = def.fields.iter().map(field_json).collect();
    let extra = json!({
        "actionOverrides": [],
        "childRelationships": children,
        "compactLayoutable": true,
        "defaultImplementation": null,
        "extendedBy": null,
        "extendsInterfaces": null,
        "fields": fields,
        "implementedBy": null,
        "implementsInterfaces": null,
        "listviewable": null,
        "lookupLayoutable": null,
        "namedLayoutInfos": [],
        "networkScopeFieldName": null,
        "recordTypeInfos": [{
            "active": true,
            "available": true,
            "defaultRecordTypeMapping": true,
            "developerName": "Master",
            "master": true,
            "name": "Master",
            "recordTypeId": MASTER_RECORD_TYPE,
            "urls": {"layout": format!("/services/data/{}/sobjects/{}/describe/layouts/{MASTER_RECORD_TYPE}", ctx.version, def.name)},
        }],
        "searchLayoutable": def.searchable,
        "sobjectDescribeOption": "FULL",
        "supportedScopes": [
            {"label": format!("All {}", def.label_plural.to_lowercase()), "name": "everything"},
            {"label": format!("My {}", def.label_plural.to_lowercase()), "name": "mine"},
        ],
    });
    if let Value::Object(extra) = extra {
        map.extend(extra);
    }
    let mut sorted: Vec<(String, Value)> = map.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Reply::ok(Value::Object(sorted.into_iter().collect())))
}

/// One entry of describe's `fields`.
pub fn field_json(f: &FieldDef) -> Value {
    let t = f.ftype;
    let text_like = t.is_text() || matches!(t, FieldType::Id | FieldType::Reference);
    let long_text = t == FieldType::Textarea && f.length > 255;
    let byte_length = match t {
        FieldType::Id | FieldType::Reference => 18,
        _ if text_like => f.length * 3,
        _ => 0,
    };
    let picklist: Vec<Value> = f
        .picklist
        .iter()
        .map(|p| json!({"active": p.active, "defaultValue": p.default, "label": p.label, "validFor": null, "value": p.value}))
        .collect();
    let extra_type = match t {
        FieldType::Textarea if f.html_formatted => Value::from("richtextarea"),
        FieldType::Textarea => Value::from("plaintextarea"),
        _ if f.name == "Name" && f.calculated => Value::from("personname"),
        _ => Value::Null,
    };
    let polymorphic = t == FieldType::Reference && f.reference_to.len() > 1;
    let default_value = match (&f.default_value, t) {
        (Some(v), FieldType::Boolean) => v.clone(),
        _ => Value::Null,
    };
    let pairs: Vec<(&str, Value)> = vec![
        ("aggregatable", json!(!long_text && t != FieldType::Base64)),
        ("aiPredictionField", json!(false)),
        ("autoNumber", json!(f.auto_number)),
        ("byteLength", json!(byte_length)),
        ("calculated", json!(f.calculated)),
        ("calculatedFormula", json!(null)),
        ("cascadeDelete", json!(f.cascade_delete)),
        ("caseSensitive", json!(false)),
        ("compoundFieldName", json!(f.compound_field_name)),
        ("controllerName", json!(null)),
        ("createable", json!(f.createable)),
        ("custom", json!(f.custom)),
        ("defaultValue", json!(default_value)),
        ("defaultValueFormula", json!(null)),
        ("defaultedOnCreate", json!(f.defaulted_on_create)),
        ("dependentPicklist", json!(false)),
        ("deprecatedAndHidden", json!(false)),
        (
            "digits",
            json!(if t == FieldType::Int { f.precision } else { 0 }),
        ),
        ("displayLocationInDecimal", json!(false)),
        ("encrypted", json!(false)),
        ("externalId", json!(f.external_id)),
        ("extraTypeInfo", json!(extra_type)),
        ("filterable", json!(f.filterable())),
        ("filteredLookupInfo", json!(null)),
        ("formulaTreatNullNumberAsZero", json!(false)),
        (
            "groupable",
            json!(
                !long_text
                    && !matches!(
                        t,
                        FieldType::Double
                            | FieldType::Currency
                            | FieldType::Percent
                            | FieldType::Datetime
                            | FieldType::Base64
                    )
            ),
        ),
        ("highScaleNumber", json!(false)),
        ("htmlFormatted", json!(f.html_formatted)),
        (
            "idLookup",
            json!(t == FieldType::Id || f.external_id || f.auto_number || f.name == "Username"),
        ),
        ("inlineHelpText", json!(null)),
        ("label", json!(f.label)),
        ("length", json!(if text_like { f.length } else { 0 })),
        ("mask", json!(null)),
        ("maskType", json!(null)),
        ("name", json!(f.name)),
        ("nameField", json!(f.name_field)),
        ("namePointing", json!(polymorphic)),
        ("nillable", json!(f.nillable)),
        (
            "permissionable",
            json!(f.nillable && f.updateable && !f.calculated),
        ),
        ("picklistValues", json!(picklist)),
        ("polymorphicForeignKey", json!(polymorphic)),
        (
            "precision",
            json!(if t.is_number() && t != FieldType::Int {
                f.precision
            } else {
                0
            }),
        ),
        ("queryByDistance", json!(false)),
        ("referenceTargetField", json!(null)),
        ("referenceTo", json!(f.reference_to)),
        ("relationshipName", json!(f.relationship_name)),
        ("relationshipOrder", json!(null)),
        ("restrictedDelete", json!(false)),
        ("restrictedPicklist", json!(f.restricted_picklist)),
        (
            "scale",
            json!(if t.is_number() && t != FieldType::Int {
                f.scale
            } else {
                0
            }),
        ),
        ("searchPrefilterable", json!(t == FieldType::Reference)),
        ("soapType", json!(t.soap_type())),
        ("sortable", json!(f.sortable())),
        ("type", json!(t)),
        ("unique", json!(f.unique)),
        ("updateable", json!(f.updateable)),
        ("writeRequiresMasterRead", json!(false)),
    ];
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
