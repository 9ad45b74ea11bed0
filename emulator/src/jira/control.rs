//! The Jira emulator's own control routes under `/__emulator/` (beside the shared clock, faults
//! and request log): connection info, users and API tokens, projects with their issue types,
//! custom fields, statuses and transitions, a read-out of all issues, the webhook delivery log,
//! rate-limit injection, and reset to a seed.
//!
//! Tests set up exactly the site they need through these routes without going through the
//! emulated API (whose calls are counted and may be faulted). Bad input is a 400
//! `{"error","message"}`.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::model::{
    Category, CustomField, CustomKind, IssueType, Project, ScreenField, SelectOption, State,
    Status, Transition, Workflow,
};
use super::ratelimit::{self, RateLimitSpec};
use super::seed;
use super::site::Site;
use crate::common::control::bad_request;
use crate::common::Seed;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/__emulator/info", web::get().to(info))
        .service(
            web::resource("/__emulator/users")
                .route(web::get().to(list_users))
                .route(web::post().to(create_user)),
        )
        .route("/__emulator/users/{id}/tokens", web::post().to(add_token))
        .route(
            "/__emulator/users/{id}/tokens/{token}",
            web::delete().to(revoke_token),
        )
        .service(
            web::resource("/__emulator/projects")
                .route(web::get().to(list_projects))
                .route(web::post().to(create_project)),
        )
        .service(
            web::resource("/__emulator/issues")
                .route(web::get().to(list_issues))
                .route(web::post().to(seed_issues)),
        )
        .route("/__emulator/issues/{key}", web::get().to(get_issue))
        .service(
            web::resource("/__emulator/webhooks/deliveries")
                .route(web::get().to(deliveries))
                .route(web::delete().to(clear_deliveries)),
        )
        .route(
            "/__emulator/webhooks/in-flight",
            web::get().to(deliveries_in_flight),
        )
        .route("/__emulator/rate-limit", web::post().to(rate_limit))
        .route("/__emulator/search-index", web::post().to(search_index))
        .route("/__emulator/reset", web::post().to(reset));
}

fn json_error(error: impl std::fmt::Display) -> HttpResponse {
    bad_request("invalid_body", error.to_string())
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(body)
}

async fn info(site: web::Data<Site>) -> HttpResponse {
    HttpResponse::Ok().json(site.info())
}

fn user_json(u: &super::model::User) -> Value {
    json!({
        "account_id": u.account_id,
        "email": u.email,
        "display_name": u.display_name,
        "active": u.active,
        "admin": u.admin,
        "api_tokens": u.api_tokens,
        "bearer_tokens": u.bearer_tokens,
    })
}

async fn list_users(site: web::Data<Site>) -> HttpResponse {
    let state = site.state.read();
    HttpResponse::Ok().json(state.users.iter().map(user_json).collect::<Vec<_>>())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    email: String,
    display_name: String,
    #[serde(default)]
    admin: bool,
    #[serde(default = "yes")]
    active: bool,
    #[serde(default)]
    api_token: Option<String>,
}

fn yes() -> bool {
    true
}

async fn create_user(site: web::Data<Site>, body: web::Bytes) -> HttpResponse {
    let spec: NewUser = match parse(&body) {
        Ok(s) => s,
        Err(e) => return json_error(e),
    };
    if !spec.email.contains('@') {
        return bad_request(
            "invalid_email",
            format!("{:?} is not an email address", spec.email),
        );
    }
    let mut state = site.state.write();
    if state
        .users
        .iter()
        .any(|u| u.email.eq_ignore_ascii_case(&spec.email))
    {
        return bad_request(
            "duplicate_user",
            format!("a user with email {} exists", spec.email),
        );
    }
    let mut user = seed::make_user(&spec.email, &spec.display_name, spec.admin);
    user.active = spec.active;
    if let Some(token) = spec.api_token {
        user.api_tokens = vec![token];
    }
    let value = user_json(&user);
    state.users.push(user);
    HttpResponse::Created().json(value)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NewToken {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    bearer: bool,
}

async fn add_token(
    site: web::Data<Site>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let spec: NewToken = if body.is_empty() {
        NewToken::default()
    } else {
        match parse(&body) {
            Ok(s) => s,
            Err(e) => return json_error(e),
        }
    };
    let mut state = site.state.write();
    let Some(user) = state.users.iter_mut().find(|u| u.account_id == *path) else {
        return bad_request("unknown_user", format!("no user with account id {path}"));
    };
    let token = spec
        .token
        .unwrap_or_else(|| format!("ATATT3xFfGF0{}", uuid::Uuid::new_v4().simple()));
    if spec.bearer {
        user.bearer_tokens.push(token.clone());
    } else {
        user.api_tokens.push(token.clone());
    }
    HttpResponse::Created().json(json!({"token": token, "bearer": spec.bearer}))
}

async fn revoke_token(site: web::Data<Site>, path: web::Path<(String, String)>) -> HttpResponse {
    let (id, token) = path.into_inner();
    let mut state = site.state.write();
    let Some(user) = state.users.iter_mut().find(|u| u.account_id == id) else {
        return bad_request("unknown_user", format!("no user with account id {id}"));
    };
    let before = user.api_tokens.len() + user.bearer_tokens.len();
    user.api_tokens.retain(|t| *t != token);
    user.bearer_tokens.retain(|t| *t != token);
    if before == user.api_tokens.len() + user.bearer_tokens.len() {
        return bad_request("unknown_token", "the user has no such token");
    }
    HttpResponse::NoContent().finish()
}

async fn list_projects(site: web::Data<Site>) -> HttpResponse {
    let state = site.state.read();
    HttpResponse::Ok().json(json!({
        "projects": state.projects,
        "statuses": state.statuses,
        "issue_types": state.issue_types,
        "custom_fields": state.custom_fields,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStatus {
    name: String,
    category: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTransition {
    name: String,
    #[serde(default)]
    from: Vec<String>,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewField {
    name: String,
    kind: CustomKind,
    #[serde(default)]
    options: Vec<String>,
    #[serde(default)]
    issue_types: Option<Vec<String>>,
    #[serde(default)]
    required_for: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProject {
    key: String,
    name: String,
    #[serde(default = "software", rename = "type")]
    project_type: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    lead: Option<String>,
    #[serde(default = "default_types")]
    issue_types: Vec<String>,
    #[serde(default)]
    statuses: Option<Vec<NewStatus>>,
    #[serde(default)]
    transitions: Option<Vec<NewTransition>>,
    #[serde(default)]
    custom_fields: Vec<NewField>,
}

fn software() -> String {
    "software".into()
}

fn default_types() -> Vec<String> {
    vec!["Task".into(), "Bug".into()]
}

fn build_project(state: &mut State, spec: NewProject) -> Result<Project, String> {
    let key_ok = spec.key.len() >= 2
        && spec.key.len() <= 10
        && spec.key.starts_with(|c: char| c.is_ascii_uppercase())
        && spec
            .key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !key_ok {
        return Err(format!(
            "project key {:?} must be 2-10 upper-case letters or digits, starting with a letter",
            spec.key
        ));
    }
    if state.project(&spec.key).is_some() {
        return Err(format!("project {} exists", spec.key));
    }
    if !matches!(
        spec.project_type.as_str(),
        "software" | "service_desk" | "business"
    ) {
        return Err("type must be software, service_desk or business".into());
    }
    let lead = match spec.lead {
        Some(l) if state.user(&l).is_some() => l,
        Some(l) => return Err(format!("no user with account id {l}")),
        None => state
            .users
            .first()
            .map(|u| u.account_id.clone())
            .unwrap_or_default(),
    };
    let mut type_ids = Vec::new();
    for name in &spec.issue_types {
        let id = match state
            .issue_types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
        {
            Some(t) => t.id.clone(),
            None => {
                let id = state.ids.next("issuetype").to_string();
                state.issue_types.push(IssueType {
                    id: id.clone(),
                    name: name.clone(),
                    description: String::new(),
                    subtask: false,
                    hierarchy_level: 0,
                    avatar_id: 10318,
                });
                id
            }
        };
        type_ids.push(id);
    }
    if type_ids.is_empty() {
        return Err("a project needs at least one issue type".into());
    }
    let status_ids: Vec<String> = match spec.statuses {
        None => state.statuses.iter().map(|s| s.id.clone()).collect(),
        Some(list) => {
            let mut ids = Vec::new();
            for s in list {
                let category = Category::from_key(&s.category)
                    .ok_or_else(|| format!("unknown status category {:?}", s.category))?;
                let id = match state
                    .statuses
                    .iter()
                    .find(|x| x.name.eq_ignore_ascii_case(&s.name))
                {
                    Some(x) => x.id.clone(),
                    None => {
                        let id = state.ids.next("status").to_string();
                        state.statuses.push(Status {
                            id: id.clone(),
                            name: s.name.clone(),
                            description: String::new(),
                            category,
                        });
                        id
                    }
                };
                ids.push(id);
            }
            ids
        }
    };
    if status_ids.is_empty() {
        return Err("a workflow needs at least one status".into());
    }
    let status_by_name = |state: &State, name: &str| {
        status_ids
            .iter()
            .find(|id| {
                state
                    .status(id)
                    .is_some_and(|s| s.name.eq_ignore_ascii_case(name))
            })
            .cloned()
            .ok_or_else(|| format!("status {name:?} is not in the project's workflow"))
    };
    let transitions = match spec.transitions {
        None => status_ids
            .iter()
            .enumerate()
            .map(|(n, id)| Transition {
                id: format!("{}", (n + 1) * 10 + 1),
                name: state.status(id).map(|s| s.name.clone()).unwrap_or_default(),
                from: Vec::new(),
                to: id.clone(),
            })
            .collect(),
        Some(list) => {
            let mut out = Vec::new();
            for (n, t) in list.into_iter().enumerate() {
                let from = t
                    .from
                    .iter()
                    .map(|f| status_by_name(state, f))
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(Transition {
                    id: format!("{}", (n + 1) * 10 + 1),
                    name: t.name,
                    from,
                    to: status_by_name(state, &t.to)?,
                });
            }
            out
        }
    };
    let mut screens: BTreeMap<String, Vec<ScreenField>> =
        type_ids.iter().map(|t| (t.clone(), Vec::new())).collect();
    for f in spec.custom_fields {
        let existing = state
            .custom_fields
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&f.name) && c.kind == f.kind)
            .map(|c| c.field_id());
        let field_id = match existing {
            Some(id) => id,
            None => {
                let id = state.ids.next("customfield");
                let options = f
                    .options
                    .iter()
                    .map(|v| SelectOption {
                        id: state.ids.next("option").to_string(),
                        value: v.clone(),
                    })
                    .collect();
                let cf = CustomField {
                    id,
                    name: f.name.clone(),
                    description: String::new(),
                    kind: f.kind,
                    options,
                };
                let field_id = cf.field_id();
                state.custom_fields.push(cf);
                field_id
            }
        };
        for (type_id, name) in type_ids.iter().zip(&spec.issue_types) {
            let on = f
                .issue_types
                .as_ref()
                .is_none_or(|l| l.iter().any(|x| x.eq_ignore_ascii_case(name)));
            let required = f.required_for.iter().any(|x| x.eq_ignore_ascii_case(name));
            if on || required {
                screens
                    .entry(type_id.clone())
                    .or_default()
                    .push(ScreenField {
                        field_id: field_id.clone(),
                        required,
                    });
            }
        }
    }
    Ok(Project {
        id: state.ids.next("project").to_string(),
        key: spec.key,
        name: spec.name,
        description: spec.description,
        project_type: spec.project_type,
        lead,
        issue_types: type_ids,
        screens,
        workflow: Workflow {
            name: "Custom Workflow".into(),
            initial: status_ids[0].clone(),
            statuses: status_ids,
            transitions,
        },
        last_issue_number: 0,
    })
}

async fn create_project(site: web::Data<Site>, body: web::Bytes) -> HttpResponse {
    let spec: NewProject = match parse(&body) {
        Ok(s) => s,
        Err(e) => return json_error(e),
    };
    let mut state = site.state.write();
    let mut draft = state.clone();
    match build_project(&mut draft, spec) {
        Ok(project) => {
            draft.projects.push(project.clone());
            *state = draft;
            HttpResponse::Created().json(project)
        }
        Err(message) => bad_request("invalid_project", message),
    }
}

/// One issue of a bulk load (`POST /__emulator/issues`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewIssue {
    /// Project key or id.
    project: String,
    /// Issue type name or id; the project's first type when absent.
    #[serde(default)]
    issuetype: Option<String>,
    summary: String,
    /// Plain text, stored as one ADF paragraph per line.
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    properties: BTreeMap<String, Value>,
    /// When it was created (and last updated); the emulated now when absent.
    #[serde(default)]
    created: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<NewIssue>),
    One(Box<NewIssue>),
}

/// A data load: creates issues directly (no webhooks, no history), all or none; answers their
/// ids and keys in order.
async fn seed_issues(site: web::Data<Site>, body: web::Bytes) -> HttpResponse {
    let specs = match parse::<OneOrMany>(&body) {
        Ok(OneOrMany::Many(specs)) => specs,
        Ok(OneOrMany::One(spec)) => vec![*spec],
        Err(e) => return json_error(e),
    };
    let now = site.now();
    let mut state = site.state.write();
    let mut planned = Vec::with_capacity(specs.len());
    for (n, spec) in specs.iter().enumerate() {
        let Some(project) = state.project(&spec.project) else {
            return bad_request(
                "invalid_issue",
                format!("issue {n}: no project {:?}", spec.project),
            );
        };
        let issue_type = match &spec.issuetype {
            None => project.issue_types.first().cloned(),
            Some(wanted) => project
                .issue_types
                .iter()
                .find(|id| {
                    *id == wanted
                        || state
                            .issue_type(id)
                            .is_some_and(|t| t.name.eq_ignore_ascii_case(wanted))
                })
                .cloned(),
        };
        let Some(issue_type) = issue_type else {
            return bad_request(
                "invalid_issue",
                format!("issue {n}: project {} has no such issue type", project.key),
            );
        };
        if spec.summary.trim().is_empty() {
            return bad_request("invalid_issue", format!("issue {n}: summary is empty"));
        }
        planned.push((project.id.clone(), issue_type));
    }
    let admin = state
        .users
        .iter()
        .find(|u| u.admin)
        .map(|u| u.account_id.clone())
        .unwrap_or_default();
    let mut created = Vec::with_capacity(specs.len());
    for (spec, (project_id, issue_type)) in specs.into_iter().zip(planned) {
        let Some((key, initial)) = state.project_mut(&project_id).map(|p| {
            p.last_issue_number += 1;
            (
                format!("{}-{}", p.key, p.last_issue_number),
                p.workflow.initial.clone(),
            )
        }) else {
            continue;
        };
        let at = spec.created.unwrap_or(now);
        let id = state.ids.next("issue");
        let issue = super::model::Issue {
            id,
            key: key.clone(),
            project_id,
            issue_type_id: issue_type,
            summary: spec.summary,
            description: spec.description.as_deref().map(super::adf::from_text),
            environment: None,
            status_id: initial,
            resolution_id: None,
            resolution_date: None,
            status_category_changed: at,
            priority_id: Some(super::store::DEFAULT_PRIORITY.into()),
            labels: spec.labels,
            reporter: Some(admin.clone()),
            assignee: None,
            creator: admin.clone(),
            duedate: None,
            created: at,
            updated: at,
            custom: BTreeMap::new(),
            properties: spec.properties,
            comments: Vec::new(),
            changelog: Vec::new(),
        };
        state.issues.insert(id, issue);
        created.push(json!({"id": id.to_string(), "key": key}));
    }
    HttpResponse::Created().json(json!({"issues": created}))
}

fn issue_json(state: &State, issue: &super::model::Issue) -> Value {
    let mut value = serde_json::to_value(issue).unwrap_or(Value::Null);
    let attachments: Vec<Value> = state
        .attachments
        .values()
        .filter(|a| a.issue_id == issue.id)
        .map(|a| {
            json!({"id": a.id, "filename": a.filename, "mime_type": a.mime_type,
                   "size": a.content.len(), "author": a.author, "created": a.created})
        })
        .collect();
    value["attachments"] = Value::Array(attachments);
    value
}

async fn list_issues(site: web::Data<Site>) -> HttpResponse {
    let state = site.state.read();
    let all: Vec<Value> = state
        .issues
        .values()
        .map(|i| issue_json(&state, i))
        .collect();
    HttpResponse::Ok().json(all)
}

async fn get_issue(site: web::Data<Site>, path: web::Path<String>) -> HttpResponse {
    let state = site.state.read();
    match state.issue(&path) {
        Ok(issue) => HttpResponse::Ok().json(issue_json(&state, issue)),
        Err(_) => bad_request("unknown_issue", format!("no issue {path}")),
    }
}

async fn deliveries(site: web::Data<Site>) -> HttpResponse {
    HttpResponse::Ok().json(site.deliveries.list())
}

async fn deliveries_in_flight(site: web::Data<Site>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "in_flight": site.deliveries.in_flight() }))
}

async fn clear_deliveries(site: web::Data<Site>) -> HttpResponse {
    site.deliveries.reset();
    HttpResponse::NoContent().finish()
}

async fn rate_limit(site: web::Data<Site>, body: web::Bytes) -> HttpResponse {
    let spec: RateLimitSpec = match parse(&body) {
        Ok(s) => s,
        Err(e) => return json_error(e),
    };
    if spec.times == 0 {
        return bad_request("invalid_rate_limit", "`times` must be at least 1");
    }
    HttpResponse::Created().json(ratelimit::arm(&site.common, spec))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchIndexSpec {
    lag_millis: u64,
}

/// `POST /__emulator/search-index {"lag_millis": N}`: new issues join JQL results N ms after
/// they are created (0: at once, the default).
async fn search_index(site: web::Data<Site>, body: web::Bytes) -> HttpResponse {
    let spec: SearchIndexSpec = match parse(&body) {
        Ok(s) => s,
        Err(e) => return json_error(e),
    };
    site.search_index
        .set(std::time::Duration::from_millis(spec.lag_millis));
    HttpResponse::Ok().json(serde_json::json!({"lag_millis": spec.lag_millis}))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Reset {
    #[serde(default)]
    seed: Option<String>,
}

async fn reset(site: web::Data<Site>, body: web::Bytes) -> HttpResponse {
    let spec: Reset = if body.is_empty() {
        Reset::default()
    } else {
        match parse(&body) {
            Ok(s) => s,
            Err(e) => return json_error(e),
        }
    };
    let seed: Seed = match spec.seed.as_deref().unwrap_or("demo").parse() {
        Ok(s) => s,
        Err(message) => return bad_request("invalid_seed", message),
    };
    site.reset(seed);
    HttpResponse::Ok().json(site.info())
}
