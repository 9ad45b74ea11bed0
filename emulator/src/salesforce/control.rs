//! The Salesforce part of the control API under `/__emulator/`: connection info, settings
//! (daily limit, usage, token TTL), reset to a seed, External Client Apps, users and their
//! permissions, custom objects and fields, seeding and reading raw records, validation rules,
//! case statuses and token revocation. Bad input answers 400 `{"error", "message"}`.

use actix_web::{web, HttpResponse};
use bytes::Bytes;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use super::http::{SfState, LATEST_VERSION};
use super::seed;
use super::setup::{self, system_ctx, FieldSpec, ObjectSpec, UserSpec};
use super::store::{App, Perms, ValidationRule};
use super::write::{self, WriteOpts};
use super::SalesforceInfo;
use crate::common::control::bad_request;
use crate::common::{Common, Seed};

/// Registers the Salesforce control routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/__emulator/info", web::get().to(get_info))
        .route("/__emulator/settings", web::get().to(get_settings))
        .route("/__emulator/settings", web::patch().to(patch_settings))
        .route("/__emulator/reset", web::post().to(reset))
        .route("/__emulator/apps", web::get().to(list_apps))
        .route("/__emulator/apps", web::post().to(create_app))
        .route("/__emulator/apps/{client_id}", web::patch().to(patch_app))
        .route("/__emulator/apps/{client_id}", web::delete().to(delete_app))
        .route("/__emulator/users", web::get().to(list_users))
        .route("/__emulator/users", web::post().to(create_user))
        .route("/__emulator/users/{user}", web::patch().to(patch_user))
        .route(
            "/__emulator/users/{user}/permissions/{object}",
            web::put().to(put_permission),
        )
        .route("/__emulator/objects", web::get().to(list_objects))
        .route("/__emulator/objects", web::post().to(create_object))
        .route(
            "/__emulator/objects/{object}/fields",
            web::post().to(create_field),
        )
        .route("/__emulator/records/{object}", web::get().to(list_records))
        .route("/__emulator/records/{object}", web::post().to(seed_records))
        .route(
            "/__emulator/records/{object}/{id}",
            web::get().to(get_record),
        )
        .route("/__emulator/validation-rules", web::get().to(list_rules))
        .route("/__emulator/validation-rules", web::post().to(create_rule))
        .route(
            "/__emulator/validation-rules",
            web::delete().to(clear_rules),
        )
        .route(
            "/__emulator/case-statuses",
            web::put().to(put_case_statuses),
        )
        .route("/__emulator/tokens", web::delete().to(revoke_tokens));
}

/// A refusal already rendered (boxed: responses are large).
type Refusal = Box<HttpResponse>;

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| Box::new(bad_request("invalid_json", e.to_string())))
}

fn fail((code, message): (String, String)) -> HttpResponse {
    bad_request(&code, message)
}

fn not_found(what: &str) -> HttpResponse {
    HttpResponse::NotFound()
        .json(json!({"error": "not_found", "message": format!("{what} does not exist")}))
}

/// `Some(None)` when the key is present with `null`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The connection info of the primary app.
pub fn info(state: &SfState) -> SalesforceInfo {
    let org = state.org.lock();
    let primary = state.primary_client_id.lock().clone();
    let app = org.apps.get(&primary).or_else(|| org.apps.values().next());
    let username = app
        .and_then(|a| a.run_as.as_deref())
        .and_then(|u| org.record(u))
        .and_then(|u| u.str("Username"))
        .unwrap_or("")
        .to_string();
    SalesforceInfo {
        client_id: app.map(|a| a.client_id.clone()).unwrap_or_default(),
        client_secret: app.map(|a| a.client_secret.clone()).unwrap_or_default(),
        login_url: state.instance_url.clone(),
        instance_url: state.instance_url.clone(),
        generic_login_url: state.generic_login_url.clone(),
        org_id: org.org_id.clone(),
        username,
        api_version: LATEST_VERSION.to_string(),
    }
}

async fn get_info(state: web::Data<SfState>) -> HttpResponse {
    HttpResponse::Ok().json(info(&state))
}

fn settings_json(state: &SfState, common: &Common) -> Value {
    let mut org = state.org.lock();
    let used = org.usage.used(common.clock.now());
    json!({
        "daily_api_limit": org.settings.daily_api_limit,
        "api_usage": used,
        "token_ttl_secs": org.settings.token_ttl_secs,
    })
}

async fn get_settings(state: web::Data<SfState>, common: web::Data<Common>) -> HttpResponse {
    HttpResponse::Ok().json(settings_json(&state, &common))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsPatch {
    daily_api_limit: Option<u64>,
    api_usage: Option<u64>,
    token_ttl_secs: Option<i64>,
}

async fn patch_settings(
    body: Bytes,
    state: web::Data<SfState>,
    common: web::Data<Common>,
) -> HttpResponse {
    let patch: SettingsPatch = match parse(&body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if patch.token_ttl_secs.is_some_and(|t| t <= 0) {
        return bad_request("invalid_settings", "token_ttl_secs must be positive");
    }
    {
        let mut org = state.org.lock();
        if let Some(limit) = patch.daily_api_limit {
            org.settings.daily_api_limit = limit;
        }
        if let Some(used) = patch.api_usage {
            org.usage.set(common.clock.now(), used);
        }
        if let Some(ttl) = patch.token_ttl_secs {
            org.settings.token_ttl_secs = ttl;
        }
    }
    HttpResponse::Ok().json(settings_json(&state, &common))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    seed: Option<String>,
}

async fn reset(body: Bytes, state: web::Data<SfState>, common: web::Data<Common>) -> HttpResponse {
    let spec: ResetBody = if body.is_empty() {
        ResetBody::default()
    } else {
        match parse(&body) {
            Ok(s) => s,
            Err(r) => return *r,
        }
    };
    let seed = match spec.seed.as_deref().map(str::parse::<Seed>) {
        None => state.seed,
        Some(Ok(s)) => s,
        Some(Err(e)) => return bad_request("invalid_seed", e),
    };
    let (org, primary) = seed::build(seed, state.default_settings.clone(), common.clock.now());
    *state.org.lock() = org;
    *state.primary_client_id.lock() = primary;
    HttpResponse::Ok().json(info(&state))
}

fn app_json(org: &super::store::Org, app: &App) -> Value {
    let username = app
        .run_as
        .as_deref()
        .and_then(|u| org.record(u))
        .and_then(|u| u.str("Username"));
    json!({
        "name": app.name, "client_id": app.client_id, "client_secret": app.client_secret,
        "run_as": app.run_as, "run_as_username": username,
        "client_credentials": app.client_credentials, "scopes": app.scopes,
    })
}

async fn list_apps(state: web::Data<SfState>) -> HttpResponse {
    let org = state.org.lock();
    let apps: Vec<Value> = org.apps.values().map(|a| app_json(&org, a)).collect();
    HttpResponse::Ok().json(apps)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppSpec {
    name: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    run_as: Option<Option<String>>,
    client_credentials: Option<bool>,
    scopes: Option<Vec<String>>,
}

fn random_text(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

fn resolve_run_as(
    org: &super::store::Org,
    run_as: &Option<Option<String>>,
) -> Result<Option<Option<String>>, Refusal> {
    match run_as {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(key)) => setup::find_user(org, key)
            .map(|id| Some(Some(id)))
            .ok_or_else(|| Box::new(bad_request("invalid_app", format!("no user {key}")))),
    }
}

async fn create_app(body: Bytes, state: web::Data<SfState>) -> HttpResponse {
    let spec: AppSpec = match parse(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let mut org = state.org.lock();
    let run_as = match resolve_run_as(&org, &spec.run_as) {
        Ok(r) => r.flatten(),
        Err(r) => return *r,
    };
    let client_id = spec.client_id.unwrap_or_else(|| {
        format!(
            "3MVG9{}",
            random_text(
                80,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"
            )
        )
    });
    if org.apps.contains_key(&client_id) {
        return bad_request(
            "duplicate_app",
            format!("an app with client_id {client_id} exists"),
        );
    }
    let app = App {
        name: spec.name.unwrap_or_else(|| "Connected_App".into()),
        client_id: client_id.clone(),
        client_secret: spec
            .client_secret
            .unwrap_or_else(|| random_text(64, b"0123456789ABCDEF")),
        run_as,
        client_credentials: spec.client_credentials.unwrap_or(true),
        scopes: spec.scopes.unwrap_or_else(|| vec!["api".into()]),
    };
    if let Err(e) = setup::put_app(&mut org, app) {
        return fail(e);
    }
    let created = org.apps.get(&client_id).map(|a| app_json(&org, a));
    HttpResponse::Created().json(created)
}

async fn patch_app(
    path: web::Path<String>,
    body: Bytes,
    state: web::Data<SfState>,
) -> HttpResponse {
    let spec: AppSpec = match parse(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let mut org = state.org.lock();
    let Some(mut app) = org.apps.get(path.as_str()).cloned() else {
        return not_found("app");
    };
    if spec.client_id.is_some() {
        return bad_request("invalid_app", "client_id cannot change");
    }
    match resolve_run_as(&org, &spec.run_as) {
        Ok(Some(r)) => app.run_as = r,
        Ok(None) => {}
        Err(r) => return *r,
    }
    if let Some(v) = spec.name {
        app.name = v;
    }
    if let Some(v) = spec.client_secret {
        app.client_secret = v;
    }
    if let Some(v) = spec.client_credentials {
        app.client_credentials = v;
    }
    if let Some(v) = spec.scopes {
        app.scopes = v;
    }
    if let Err(e) = setup::put_app(&mut org, app) {
        return fail(e);
    }
    let updated = org.apps.get(path.as_str()).map(|a| app_json(&org, a));
    HttpResponse::Ok().json(updated)
}

async fn delete_app(path: web::Path<String>, state: web::Data<SfState>) -> HttpResponse {
    match state.org.lock().apps.remove(path.as_str()) {
        Some(_) => HttpResponse::NoContent().finish(),
        None => not_found("app"),
    }
}

fn user_json(org: &super::store::Org, id: &str) -> Value {
    let rec = org.record(id);
    let access = org.access_of(id);
    json!({
        "id": id,
        "username": rec.and_then(|r| r.str("Username")),
        "name": rec.and_then(|r| r.str("Name")),
        "active": rec.and_then(|r| r.get("IsActive").as_bool()),
        "api_enabled": access.api_enabled,
        "default_permissions": access.default,
        "permissions": access.objects,
    })
}

async fn list_users(state: web::Data<SfState>) -> HttpResponse {
    let org = state.org.lock();
    let users: Vec<Value> = org
        .records_of("User")
        .map(|u| user_json(&org, u.id()))
        .collect();
    HttpResponse::Ok().json(users)
}

async fn create_user(
    body: Bytes,
    state: web::Data<SfState>,
    common: web::Data<Common>,
) -> HttpResponse {
    let spec: UserSpec = match parse(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let mut org = state.org.lock();
    match setup::add_user(&mut org, common.clock.now(), &spec) {
        Ok(id) => HttpResponse::Created().json(user_json(&org, &id)),
        Err(e) => fail(e),
    }
}

async fn patch_user(
    path: web::Path<String>,
    body: Bytes,
    state: web::Data<SfState>,
    common: web::Data<Common>,
) -> HttpResponse {
    let spec: UserSpec = match parse(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let mut org = state.org.lock();
    let Some(id) = setup::find_user(&org, &path) else {
        return not_found("user");
    };
    match setup::update_user(&mut org, common.clock.now(), &id, &spec) {
        Ok(()) => HttpResponse::Ok().json(user_json(&org, &id)),
        Err(e) => fail(e),
    }
}

async fn put_permission(
    path: web::Path<(String, String)>,
    body: Bytes,
    state: web::Data<SfState>,
) -> HttpResponse {
    let perms: Perms = match parse(&body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let mut org = state.org.lock();
    let Some(id) = setup::find_user(&org, &path.0) else {
        return not_found("user");
    };
    let Some(object) = org.schema.get(&path.1).map(|o| o.name.to_ascii_lowercase()) else {
        return bad_request("unknown_object", format!("no object named {}", path.1));
    };
    if let Some(access) = org.access.get_mut(&id) {
        access.objects.insert(object, perms);
    }
    HttpResponse::Ok().json(user_json(&org, &id))
}

async fn list_objects(state: web::Data<SfState>) -> HttpResponse {
    let org = state.org.lock();
    let objects: Vec<Value> = org
        .schema
        .iter()
        .map(|o| json!({"name": o.name, "label": o.label, "key_prefix": o.key_prefix, "custom": o.custom}))
        .collect();
    HttpResponse::Ok().json(objects)
}

async fn create_object(body: Bytes, state: web::Data<SfState>) -> HttpResponse {
    let spec: ObjectSpec = match parse(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let mut org = state.org.lock();
    match setup::add_object(&mut org, &spec) {
        Ok(()) => {
            let prefix = org.schema.get(&spec.name).map(|o| o.key_prefix.clone());
            HttpResponse::Created().json(json!({"name": spec.name, "key_prefix": prefix}))
        }
        Err(e) => fail(e),
    }
}

async fn create_field(
    path: web::Path<String>,
    body: Bytes,
    state: web::Data<SfState>,
) -> HttpResponse {
    let spec: FieldSpec = match parse(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let mut org = state.org.lock();
    match setup::add_field(&mut org, &path, &spec) {
        Ok(()) => {
            HttpResponse::Created().json(json!({"object": path.as_str(), "field": spec.name}))
        }
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    include_deleted: Option<bool>,
}

async fn list_records(
    path: web::Path<String>,
    q: web::Query<ListQuery>,
    state: web::Data<SfState>,
) -> HttpResponse {
    let org = state.org.lock();
    let Some(def) = org.schema.get(&path) else {
        return bad_request("unknown_object", format!("no object named {path}"));
    };
    let include_deleted = q.include_deleted.unwrap_or(true);
    let records: Vec<Value> = org
        .records_of(&def.name)
        .filter(|r| include_deleted || !r.is_deleted())
        .map(|r| Value::Object(r.fields.clone()))
        .collect();
    HttpResponse::Ok().json(records)
}

/// One record's fields, deleted or not, by 15- or 18-character id.
async fn get_record(path: web::Path<(String, String)>, state: web::Data<SfState>) -> HttpResponse {
    let (object, id) = path.into_inner();
    let org = state.org.lock();
    let Some(def) = org.schema.get(&object) else {
        return bad_request("unknown_object", format!("no object named {object}"));
    };
    let found = super::ids::to18(&id)
        .ok()
        .and_then(|id| org.record(&id))
        .filter(|r| r.object == def.name);
    match found {
        Some(record) => HttpResponse::Ok().json(&record.fields),
        None => HttpResponse::NotFound().json(json!({
            "error": "unknown_record",
            "message": format!("no {} with id {id}", def.name),
        })),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<Value>),
    One(Value),
}

async fn seed_records(
    path: web::Path<String>,
    body: Bytes,
    state: web::Data<SfState>,
    common: web::Data<Common>,
) -> HttpResponse {
    let records = match parse::<OneOrMany>(&body) {
        Ok(OneOrMany::Many(v)) => v,
        Ok(OneOrMany::One(v)) => vec![v],
        Err(r) => return *r,
    };
    let mut org = state.org.lock();
    let Some(object) = org.schema.get(&path).map(|o| o.name.clone()) else {
        return bad_request("unknown_object", format!("no object named {path}"));
    };
    let primary = state.primary_client_id.lock().clone();
    let owner = org
        .apps
        .get(&primary)
        .and_then(|a| a.run_as.clone())
        .or_else(|| org.records_of("User").next().map(|u| u.id().to_string()))
        .unwrap_or_default();
    let ctx = system_ctx(&owner, common.clock.now());
    let snapshot = org.data.clone();
    let mut ids = Vec::new();
    for record in &records {
        match write::create(&mut org, &ctx, &object, record, None, WriteOpts::system()) {
            Ok(id) => ids.push(id),
            Err(e) => {
                org.data = snapshot;
                return HttpResponse::BadRequest().json(json!({
                    "error": "invalid_record",
                    "message": format!("record {}: {}: {}", ids.len(), e.code, e.message),
                }));
            }
        }
    }
    HttpResponse::Created().json(json!({"ids": ids}))
}

async fn list_rules(state: web::Data<SfState>) -> HttpResponse {
    HttpResponse::Ok().json(&state.org.lock().rules)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    object: String,
    name: String,
    condition: String,
    message: String,
    field: Option<String>,
    active: Option<bool>,
}

async fn create_rule(
    body: Bytes,
    state: web::Data<SfState>,
    common: web::Data<Common>,
) -> HttpResponse {
    let spec: RuleSpec = match parse(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let rule = ValidationRule {
        name: spec.name,
        object: spec.object,
        condition: spec.condition,
        message: spec.message,
        field: spec.field,
        active: spec.active.unwrap_or(true),
    };
    let mut org = state.org.lock();
    match setup::add_rule(&mut org, common.clock.now(), rule) {
        Ok(()) => HttpResponse::Created().json(&org.rules),
        Err(e) => fail(e),
    }
}

async fn clear_rules(state: web::Data<SfState>) -> HttpResponse {
    state.org.lock().rules.clear();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusSpec {
    value: String,
    #[serde(default)]
    closed: bool,
    #[serde(default)]
    default: bool,
}

async fn put_case_statuses(
    body: Bytes,
    state: web::Data<SfState>,
    common: web::Data<Common>,
) -> HttpResponse {
    let specs: Vec<StatusSpec> = match parse(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let statuses: Vec<(String, bool, bool)> = specs
        .into_iter()
        .map(|s| (s.value, s.closed, s.default))
        .collect();
    let mut org = state.org.lock();
    match setup::set_case_statuses(&mut org, common.clock.now(), &statuses) {
        Ok(()) => {
            let rows: Vec<Value> = org
                .records_of("CaseStatus")
                .map(|r| Value::Object(r.fields.clone()))
                .collect();
            HttpResponse::Ok().json(rows)
        }
        Err(e) => fail(e),
    }
}

async fn revoke_tokens(state: web::Data<SfState>) -> HttpResponse {
    state.org.lock().tokens.clear();
    HttpResponse::NoContent().finish()
}
