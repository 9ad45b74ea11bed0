//! The admin webhook resource, `/rest/webhooks/1.0/webhook`: register (201 with `self`),
//! list, read, replace and delete webhooks with `events`, a JQL filter under
//! `filters["issue-related-events-section"]`, `excludeBody`, and an optional `secret` for
//! `X-Hub-Signature`.
//!
//! Only Jira administrators may manage them; the JQL filter is checked on registration so a bad
//! filter is refused at once rather than silently matching nothing.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::jira::auth::Ctx;
use crate::jira::error::{JiraError, JiraResult};
use crate::jira::jql::{self, Env};
use crate::jira::model::{State, Webhook};

/// Events a webhook may subscribe to.
pub const KNOWN_EVENTS: &[&str] = &[
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "attachment_created",
    "attachment_deleted",
    "issue_property_set",
    "issue_property_deleted",
    "worklog_created",
    "worklog_updated",
    "worklog_deleted",
    "issuelink_created",
    "issuelink_deleted",
    "project_created",
    "project_updated",
    "project_deleted",
    "jira:version_created",
    "jira:version_updated",
    "jira:version_released",
    "jira:version_deleted",
    "user_created",
    "user_updated",
    "user_deleted",
    "sprint_created",
    "sprint_started",
    "sprint_closed",
    "board_created",
];

/// Registers the routes (inside `/rest/webhooks/1.0`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhook")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/webhook/{id}")
            .route(web::get().to(get))
            .route(web::put().to(replace))
            .route(web::delete().to(delete)),
    );
}

/// The representation Jira answers.
pub fn render(state: &State, base: &str, hook: &Webhook) -> Value {
    let mut value = json!({
        "name": hook.name,
        "url": hook.url,
        "excludeBody": hook.exclude_body,
        "filters": {"issue-related-events-section": hook.jql_filter.clone().unwrap_or_default()},
        "events": hook.events,
        "enabled": hook.enabled,
        "self": format!("{base}/rest/webhooks/1.0/webhook/{}", hook.id),
        "lastUpdatedUser": hook.last_updated_user,
        "lastUpdatedDisplayName": state.user(&hook.last_updated_user).map(|u| u.display_name.clone()),
        "lastUpdated": hook.last_updated.timestamp_millis(),
    });
    if let Some(d) = &hook.description {
        value["description"] = json!(d);
    }
    value
}

/// A registration request, checked.
struct Spec {
    name: String,
    url: String,
    events: Vec<String>,
    jql_filter: Option<String>,
    exclude_body: bool,
    enabled: bool,
    secret: Option<String>,
    description: Option<String>,
}

fn read_spec(state: &State, body: &Value, env: &Env) -> JiraResult<Spec> {
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(String::from);
    let mut errors = Vec::new();
    let name = text("name").unwrap_or_default();
    if name.trim().is_empty() {
        errors.push("The webhook name must not be empty.".to_string());
    }
    let url = text("url").unwrap_or_default();
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => errors.push(format!("The webhook URL '{url}' is not a valid URL.")),
    }
    let events: Vec<String> = body
        .get("events")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    for e in &events {
        if !KNOWN_EVENTS.contains(&e.as_str()) {
            errors.push(format!("The event '{e}' is not a valid webhook event."));
        }
    }
    let jql_filter = body
        .pointer("/filters/issue-related-events-section")
        .or_else(|| body.get("jqlFilter"))
        .and_then(Value::as_str)
        .map(String::from)
        .filter(|f| !f.trim().is_empty());
    if let Some(filter) = &jql_filter {
        let checked = jql::parse(filter).and_then(|q| jql::Compiled::new(state, &q, env));
        if let Err(e) = checked {
            errors.extend(e.0);
        }
    }
    if !errors.is_empty() {
        return Err(JiraError::bad_requests(errors));
    }
    Ok(Spec {
        name,
        url,
        events,
        jql_filter,
        exclude_body: body
            .get("excludeBody")
            .or_else(|| body.get("excludeIssueDetails"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        enabled: body.get("enabled").and_then(Value::as_bool).unwrap_or(true),
        secret: text("secret").filter(|s| !s.is_empty()),
        description: text("description"),
    })
}

fn not_found(id: &str) -> JiraError {
    JiraError::not_found(format!("Webhook with id '{id}' does not exist."))
}

async fn list(ctx: Ctx) -> JiraResult<HttpResponse> {
    ctx.require_admin()?;
    let state = ctx.site.state.read();
    let all: Vec<Value> = state
        .webhooks
        .values()
        .map(|h| render(&state, &ctx.site.base_url, h))
        .collect();
    Ok(HttpResponse::Ok().json(all))
}

async fn get(ctx: Ctx, path: web::Path<String>) -> JiraResult<HttpResponse> {
    ctx.require_admin()?;
    let state = ctx.site.state.read();
    let hook = path
        .parse::<u64>()
        .ok()
        .and_then(|id| state.webhooks.get(&id))
        .ok_or_else(|| not_found(&path))?;
    Ok(HttpResponse::Ok().json(render(&state, &ctx.site.base_url, hook)))
}

async fn create(ctx: Ctx, body: web::Json<Value>) -> JiraResult<HttpResponse> {
    ctx.require_admin()?;
    let env = Env {
        caller: ctx.caller.clone(),
        now: ctx.now(),
    };
    let mut state = ctx.site.state.write();
    let spec = read_spec(&state, &body, &env)?;
    let id = state.ids.next("webhook");
    let hook = Webhook {
        id,
        name: spec.name,
        url: spec.url,
        events: spec.events,
        jql_filter: spec.jql_filter,
        exclude_body: spec.exclude_body,
        enabled: spec.enabled,
        secret: spec.secret,
        description: spec.description,
        last_updated_user: ctx.caller.clone(),
        last_updated: env.now,
    };
    let value = render(&state, &ctx.site.base_url, &hook);
    state.webhooks.insert(id, hook);
    tracing::info!(webhook = id, "webhook registered");
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            value["self"].as_str().unwrap_or_default().to_string(),
        ))
        .json(value))
}

async fn replace(
    ctx: Ctx,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> JiraResult<HttpResponse> {
    ctx.require_admin()?;
    let env = Env {
        caller: ctx.caller.clone(),
        now: ctx.now(),
    };
    let mut state = ctx.site.state.write();
    let id = path
        .parse::<u64>()
        .ok()
        .filter(|id| state.webhooks.contains_key(id))
        .ok_or_else(|| not_found(&path))?;
    let spec = read_spec(&state, &body, &env)?;
    let Some(hook) = state.webhooks.get_mut(&id) else {
        return Err(not_found(&path));
    };
    hook.name = spec.name;
    hook.url = spec.url;
    hook.events = spec.events;
    hook.jql_filter = spec.jql_filter;
    hook.exclude_body = spec.exclude_body;
    hook.enabled = spec.enabled;
    if spec.secret.is_some() {
        hook.secret = spec.secret;
    }
    hook.description = spec.description;
    hook.last_updated_user = ctx.caller.clone();
    hook.last_updated = env.now;
    let hook = hook.clone();
    Ok(HttpResponse::Ok().json(render(&state, &ctx.site.base_url, &hook)))
}

async fn delete(ctx: Ctx, path: web::Path<String>) -> JiraResult<HttpResponse> {
    ctx.require_admin()?;
    let mut state = ctx.site.state.write();
    let removed = path
        .parse::<u64>()
        .ok()
        .and_then(|id| state.webhooks.remove(&id));
    match removed {
        Some(_) => Ok(HttpResponse::NoContent().finish()),
        None => Err(not_found(&path)),
    }
}
