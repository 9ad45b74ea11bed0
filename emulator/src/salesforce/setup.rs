//! Org administration, the emulator's equivalent of Salesforce Setup: users and their
//! permissions, External Client Apps, case status values, custom objects and fields, and
//! validation rules. Seeds and the control API both go through here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::router::Ctx;
use super::schema::standard::{build, owner, FULL_AUDIT};
use super::schema::{FieldDef, FieldType};
use super::soql::bind::Binder;
use super::soql::{self};
use super::store::{App, Org, Perms, UserAccess, ValidationRule};
use super::write::{self, WriteOpts};

/// A control-API failure: a short code and a message.
pub type SetupResult<T> = Result<T, (String, String)>;

fn bad<T>(code: &str, message: impl Into<String>) -> SetupResult<T> {
    Err((code.to_string(), message.into()))
}

/// A context acting as `user_id` at `now`, for system writes.
pub fn system_ctx(user_id: &str, now: DateTime<Utc>) -> Ctx {
    Ctx {
        user_id: user_id.to_string(),
        version: format!("v{}", super::http::LATEST_VERSION),
        now,
        batch_size: None,
        identity_url: String::new(),
    }
}

/// A user to create or change.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// Username (unique).
    pub username: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Active.
    pub active: Option<bool>,
    /// "API Enabled".
    pub api_enabled: Option<bool>,
    /// Permissions on objects not listed in `permissions`.
    pub default_permissions: Option<Perms>,
    /// Per-object permissions.
    pub permissions: Option<BTreeMap<String, Perms>>,
}

/// Creates a user (record and API access); returns its id.
pub fn add_user(org: &mut Org, now: DateTime<Utc>, spec: &UserSpec) -> SetupResult<String> {
    let Some(username) = spec.username.clone().filter(|u| u.contains('@')) else {
        return bad(
            "invalid_user",
            "username is required and must look like an e-mail address",
        );
    };
    if org.records_of("User").any(|u| {
        u.str("Username")
            .is_some_and(|n| n.eq_ignore_ascii_case(&username))
    }) {
        return bad(
            "duplicate_username",
            format!("a user named {username} already exists"),
        );
    }
    let creator = org.records_of("User").next().map(|u| u.id().to_string());
    let ctx = system_ctx(creator.as_deref().unwrap_or(""), now);
    let last = spec.last_name.clone().unwrap_or_else(|| "User".into());
    let alias: String = format!("{}{}", spec.first_name.as_deref().unwrap_or(""), last)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect::<String>()
        .to_lowercase();
    let body = json!({
        "Username": username,
        "FirstName": spec.first_name,
        "LastName": last,
        "Email": spec.email.clone().unwrap_or_else(|| username.clone()),
        "Alias": alias,
        "IsActive": spec.active.unwrap_or(true),
        "UserType": "Standard",
        "TimeZoneSidKey": "GMT",
        "LanguageLocaleKey": "en_US",
    });
    let id = write::create(org, &ctx, "User", &body, None, WriteOpts::system())
        .map_err(|e| ("invalid_user".to_string(), e.message))?;
    if creator.is_none() {
        if let Some(mut rec) = org.record_mut(&id) {
            for f in ["CreatedById", "LastModifiedById"] {
                rec.fields.insert(f.into(), Value::String(id.clone()));
            }
        }
    }
    org.access.insert(
        id.clone(),
        UserAccess {
            api_enabled: spec.api_enabled.unwrap_or(true),
            default: spec.default_permissions.unwrap_or(Perms::ALL),
            objects: lower_keys(spec.permissions.clone().unwrap_or_default()),
        },
    );
    Ok(id)
}

fn lower_keys(map: BTreeMap<String, Perms>) -> BTreeMap<String, Perms> {
    map.into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect()
}

/// A user id from an id or a username.
pub fn find_user(org: &Org, key: &str) -> Option<String> {
    org.records_of("User")
        .find(|u| {
            u.id() == key
                || u.str("Username")
                    .is_some_and(|n| n.eq_ignore_ascii_case(key))
        })
        .map(|u| u.id().to_string())
}

/// Changes a user; only the given fields change.
pub fn update_user(
    org: &mut Org,
    now: DateTime<Utc>,
    id: &str,
    spec: &UserSpec,
) -> SetupResult<()> {
    let mut body = serde_json::Map::new();
    for (field, value) in [
        ("Username", spec.username.clone().map(Value::String)),
        ("FirstName", spec.first_name.clone().map(Value::String)),
        ("LastName", spec.last_name.clone().map(Value::String)),
        ("Email", spec.email.clone().map(Value::String)),
        ("IsActive", spec.active.map(Value::Bool)),
    ] {
        if let Some(v) = value {
            body.insert(field.into(), v);
        }
    }
    if !body.is_empty() {
        let ctx = system_ctx(id, now);
        write::update(org, &ctx, id, &Value::Object(body), WriteOpts::system())
            .map_err(|e| ("invalid_user".to_string(), e.message))?;
    }
    let access = org.access.entry(id.to_string()).or_insert(UserAccess {
        api_enabled: true,
        default: Perms::ALL,
        objects: BTreeMap::new(),
    });
    if let Some(v) = spec.api_enabled {
        access.api_enabled = v;
    }
    if let Some(d) = spec.default_permissions {
        access.default = d;
    }
    if let Some(p) = &spec.permissions {
        access.objects.extend(lower_keys(p.clone()));
    }
    Ok(())
}

/// Replaces the `CaseStatus` values (and `Case.Status`'s picklist): `(value, closed, default)`.
pub fn set_case_statuses(
    org: &mut Org,
    now: DateTime<Utc>,
    statuses: &[(String, bool, bool)],
) -> SetupResult<()> {
    if statuses.is_empty() || !statuses.iter().any(|s| !s.1) {
        return bad(
            "invalid_statuses",
            "give at least one status, and at least one open status",
        );
    }
    let creator = org
        .records_of("User")
        .next()
        .map(|u| u.id().to_string())
        .unwrap_or_default();
    let ctx = system_ctx(&creator, now);
    org.data.records.remove("CaseStatus");
    let default = statuses
        .iter()
        .find(|s| s.2)
        .unwrap_or(&statuses[0])
        .0
        .clone();
    for (i, (value, closed, _)) in statuses.iter().enumerate() {
        let body = json!({"MasterLabel": value, "ApiName": value, "SortOrder": i + 1, "IsClosed": closed, "IsDefault": *value == default});
        write::create(org, &ctx, "CaseStatus", &body, None, WriteOpts::system())
            .map_err(|e| ("invalid_statuses".to_string(), e.message))?;
    }
    if let Some(field) = org
        .schema
        .get_mut("Case")
        .and_then(|c| c.fields.iter_mut().find(|f| f.name == "Status"))
    {
        let values: Vec<&str> = statuses.iter().map(|s| s.0.as_str()).collect();
        *field = field.clone().picklist(&values, Some(&default));
    }
    Ok(())
}

/// Adds or replaces an External Client App.
pub fn put_app(org: &mut Org, app: App) -> SetupResult<()> {
    if app.client_id.is_empty() || app.client_secret.is_empty() {
        return bad(
            "invalid_app",
            "client_id and client_secret must not be empty",
        );
    }
    if let Some(user) = &app.run_as {
        if org.record(user).is_none_or(|r| r.object != "User") {
            return bad("invalid_app", format!("run_as user {user} does not exist"));
        }
    }
    org.apps.insert(app.client_id.clone(), app);
    Ok(())
}

fn valid_custom_name(name: &str) -> bool {
    name.strip_suffix("__c").is_some_and(|stem| {
        stem.starts_with(|c: char| c.is_ascii_alphabetic())
            && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !stem.contains("__")
            && !stem.ends_with('_')
    })
}

/// A custom object to add.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectSpec {
    /// API name, ending in `__c`.
    pub name: String,
    /// Label (default: the name without `__c`).
    pub label: Option<String>,
    /// Plural label (default: label + "s").
    pub label_plural: Option<String>,
    /// Has a Chatter feed and can own files.
    #[serde(default)]
    pub feed_enabled: bool,
    /// Custom fields to add at once.
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

/// Adds a custom object with `Name`, `OwnerId` and the audit fields.
pub fn add_object(org: &mut Org, spec: &ObjectSpec) -> SetupResult<()> {
    if !valid_custom_name(&spec.name) {
        return bad(
            "invalid_object",
            format!(
                "{} is not a valid custom object name (e.g. Widget__c)",
                spec.name
            ),
        );
    }
    if org.schema.get(&spec.name).is_some() {
        return bad("duplicate_object", format!("{} already exists", spec.name));
    }
    let label = spec
        .label
        .clone()
        .unwrap_or_else(|| spec.name.trim_end_matches("__c").replace('_', " "));
    let plural = spec
        .label_plural
        .clone()
        .unwrap_or_else(|| format!("{label}s"));
    let prefix = org.schema.next_custom_prefix();
    let mut def = build(
        &spec.name,
        &label,
        &plural,
        &prefix,
        vec![
            FieldDef::new("Name", &format!("{label} Name"), FieldType::String)
                .len(80)
                .required()
                .name_field()
                .search(),
            owner(),
        ],
        FULL_AUDIT,
    );
    def.custom = true;
    def.feed_enabled = spec.feed_enabled;
    org.schema.insert(def);
    if spec.feed_enabled {
        for (object, field) in [
            ("FeedItem", "ParentId"),
            ("FeedComment", "ParentId"),
            ("ContentDocumentLink", "LinkedEntityId"),
            ("ContentVersion", "FirstPublishLocationId"),
        ] {
            if let Some(f) = org
                .schema
                .get_mut(object)
                .and_then(|o| o.fields.iter_mut().find(|f| f.name == field))
            {
                f.reference_to.push(spec.name.clone());
            }
        }
    }
    for field in &spec.fields {
        add_field(org, &spec.name, field)?;
    }
    Ok(())
}

/// A custom field to add.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// API name, ending in `__c`.
    pub name: String,
    /// Label (default: the name without `__c`).
    pub label: Option<String>,
    /// Describe type: string, textarea, picklist, multipicklist, reference, boolean, int,
    /// double, currency, percent, date, datetime, email, phone, url.
    #[serde(rename = "type")]
    pub ftype: FieldType,
    /// Maximum length for text.
    pub length: Option<u32>,
    /// Picklist values.
    #[serde(default)]
    pub values: Vec<String>,
    /// Default picklist value.
    pub default: Option<String>,
    /// Refuse values outside the picklist (default true, as for new custom picklists).
    pub restricted: Option<bool>,
    /// Required.
    #[serde(default)]
    pub required: bool,
    /// Target object of a lookup.
    pub reference_to: Option<String>,
    /// Child relationship name on the parent (default: plural label without spaces + `__r`).
    pub child_relationship: Option<String>,
    /// External id.
    #[serde(default)]
    pub external_id: bool,
    /// Unique.
    #[serde(default)]
    pub unique: bool,
}

/// Adds a custom field to an object (standard or custom).
pub fn add_field(org: &mut Org, object: &str, spec: &FieldSpec) -> SetupResult<()> {
    let Some(def) = org.schema.get(object) else {
        return bad("unknown_object", format!("no object named {object}"));
    };
    if !valid_custom_name(&spec.name) {
        return bad(
            "invalid_field",
            format!(
                "{} is not a valid custom field name (e.g. Severity__c)",
                spec.name
            ),
        );
    }
    if def.field(&spec.name).is_some() {
        return bad(
            "duplicate_field",
            format!("{}.{} already exists", def.name, spec.name),
        );
    }
    let object_name = def.name.clone();
    let label = spec
        .label
        .clone()
        .unwrap_or_else(|| spec.name.trim_end_matches("__c").replace('_', " "));
    let mut field = FieldDef::new(&spec.name, &label, spec.ftype);
    if matches!(spec.ftype, FieldType::Id | FieldType::Base64) {
        return bad(
            "invalid_field",
            "custom fields cannot be of type id or base64",
        );
    }
    if let Some(len) = spec.length {
        field = field.len(len);
    }
    if spec.ftype.is_text()
        && spec.ftype != FieldType::Picklist
        && spec.ftype != FieldType::Multipicklist
    {
        field = field.search();
    }
    if field.is_picklist() {
        if spec.values.is_empty() {
            return bad("invalid_field", "a picklist needs values");
        }
        let values: Vec<&str> = spec.values.iter().map(String::as_str).collect();
        field = field.picklist(&values, spec.default.as_deref());
        if spec.restricted.unwrap_or(spec.ftype != FieldType::Combobox) {
            field = field.restricted();
        }
    }
    if spec.ftype == FieldType::Reference {
        let Some(target) = spec.reference_to.as_deref().and_then(|t| org.schema.get(t)) else {
            return bad(
                "invalid_field",
                "a reference needs reference_to naming an existing object",
            );
        };
        let child = spec.child_relationship.clone().unwrap_or_else(|| {
            format!(
                "{}__r",
                org.schema
                    .get(&object_name)
                    .map_or(String::new(), |o| o.label_plural.replace(' ', "_"))
            )
        });
        let rel = spec.name.trim_end_matches("__c").to_string() + "__r";
        field = field.reference(&[target.name.as_str()], &rel, Some(&child));
    }
    if spec.required {
        field = field.required();
    }
    field.external_id = spec.external_id;
    field.unique = spec.unique;
    field.custom = true;
    if let Some(o) = org.schema.get_mut(&object_name) {
        let at = o
            .fields
            .iter()
            .position(|f| f.name == "CreatedDate" || f.name == "SystemModstamp")
            .unwrap_or(o.fields.len());
        o.fields.insert(at, field);
    }
    Ok(())
}

/// Arms a validation rule after checking its condition compiles against the object.
pub fn add_rule(org: &mut Org, now: DateTime<Utc>, rule: ValidationRule) -> SetupResult<()> {
    let Some(def) = org.schema.get(&rule.object) else {
        return bad("unknown_object", format!("no object named {}", rule.object));
    };
    let object = def.name.clone();
    if let Some(field) = &rule.field {
        if def.field(field).is_none() {
            return bad("invalid_rule", format!("no field {field} on {object}"));
        }
    }
    let src = format!("SELECT Id FROM {object} WHERE {}", rule.condition);
    let parsed =
        soql::parse(&src).map_err(|e| ("invalid_rule".to_string(), e.into_sf(&src).message))?;
    Binder {
        org,
        user_id: "",
        now,
        system: true,
    }
    .bind(&parsed)
    .map_err(|e| ("invalid_rule".to_string(), e.into_sf(&src).message))?;
    org.rules
        .retain(|r| !(r.object == object && r.name == rule.name));
    org.rules.push(ValidationRule { object, ..rule });
    Ok(())
}
