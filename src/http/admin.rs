//! Admin routes: the Salesforce connection, the metadata pickers, Smart Connected Items and
//! "sync now". Each handler parses, calls the engine, and answers JSON; refusals go through
//! the one error mapping.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::ApiError;
use crate::actors::scheduler::{Scheduler, SchedulerError};
use crate::domain::ids::{ItemId, LinkId, ProjectKey};
use crate::domain::item::ItemDefinition;
use crate::events::scheduler::RunTrigger;
use crate::startup::AppState;
use crate::sync::connection::{self, ConnectRequest};
use crate::sync::{catalogue, deadletters, items, SyncError};

/// Registers the `/api/admin` routes on the (already guarded) `/api` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/connection")
            .route(web::get().to(get_connection))
            .route(web::put().to(put_connection))
            .route(web::delete().to(delete_connection)),
    )
    .route("/admin/salesforce/objects", web::get().to(objects))
    .route(
        "/admin/salesforce/objects/{name}/fields",
        web::get().to(object_fields),
    )
    .route("/admin/jira/projects", web::get().to(projects))
    .route(
        "/admin/jira/projects/{key}/issue-types",
        web::get().to(issue_types),
    )
    .route(
        "/admin/jira/projects/{key}/issue-types/{id}/fields",
        web::get().to(issue_type_fields),
    )
    .service(
        web::resource("/admin/items")
            .route(web::get().to(list_items))
            .route(web::post().to(create_item)),
    )
    .route("/admin/items/validate", web::post().to(validate_item))
    .service(
        web::resource("/admin/items/{id}")
            .route(web::get().to(get_item))
            .route(web::put().to(update_item))
            .route(web::delete().to(delete_item)),
    )
    .route("/admin/items/{id}/sync", web::post().to(sync_item))
    .route(
        "/admin/items/{id}/dead-letters",
        web::get().to(dead_letters),
    )
    .route(
        "/admin/items/{id}/dead-letters/{link}/{operation}/retry",
        web::post().to(retry_dead_letter),
    )
    .route(
        "/admin/items/{id}/dead-letters/{link}/{operation}/dismiss",
        web::post().to(dismiss_dead_letter),
    )
    .route("/admin/jira/webhook", web::post().to(register_webhook));
}

fn link_id(raw: &str) -> Result<LinkId, ApiError> {
    LinkId::parse(raw).map_err(|e| ApiError::BadRequest {
        code: "invalid_link_id",
        message: format!("{raw:?} is not a link id: {}", e.reason),
        details: json!({"link_id": raw}),
    })
}

async fn dead_letters(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = item_id(&path)?;
    Ok(HttpResponse::Ok()
        .json(json!({"item_id": id, "dead_letters": deadletters::list(&state.engine, id).await?})))
}

async fn retry_dead_letter(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (item, link, operation) = path.into_inner();
    let (item, link) = (item_id(&item)?, link_id(&link)?);
    let remaining = deadletters::retry(&state.engine, item, link, &operation).await?;
    Ok(HttpResponse::Ok().json(json!({"link_id": link, "remaining": remaining})))
}

async fn dismiss_dead_letter(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (item, link, operation) = path.into_inner();
    let (item, link) = (item_id(&item)?, link_id(&link)?);
    deadletters::dismiss(&state.engine, item, link, &operation).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `POST /api/admin/jira/webhook`.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WebhookRequest {
    /// The URL Jira should call; default: `http.public_url` (or this server) + `/webhooks/jira`.
    url: Option<String>,
}

/// Reads the optional body: none (or only whitespace) means the defaults; anything else must be
/// a [`WebhookRequest`], refused in the usual shape otherwise.
fn webhook_request(body: &[u8]) -> Result<WebhookRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(WebhookRequest::default());
    }
    serde_json::from_slice(body).map_err(|e| super::errors::json_body_error(&e))
}

async fn register_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = super::webhooks::read_capped(payload, state.settings.http.max_body_bytes).await?;
    let requested = webhook_request(&body)?;
    let url = match requested.url {
        Some(url) => url,
        None => {
            let base = state.settings.http.public_url.clone().unwrap_or_else(|| {
                let info = req.connection_info();
                format!("{}://{}", info.scheme(), info.host())
            });
            format!("{}/webhooks/jira", base.trim_end_matches('/'))
        }
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ApiError::Unprocessable {
            code: "invalid_webhook_url",
            message: format!("{url:?} is not an http(s) URL"),
            details: json!({"url": url}),
        });
    }
    let registration = crate::sync::webhook_setup::register(&state.engine, &url).await?;
    Ok(HttpResponse::Created().json(registration))
}

fn item_id(raw: &str) -> Result<ItemId, ApiError> {
    ItemId::parse(raw).map_err(|e| ApiError::BadRequest {
        code: "invalid_item_id",
        message: format!("{raw:?} is not an item id: {}", e.reason),
        details: json!({"item_id": raw}),
    })
}

fn project_key(raw: &str) -> Result<ProjectKey, ApiError> {
    ProjectKey::parse(raw).map_err(|e| ApiError::BadRequest {
        code: "invalid_project_key",
        message: format!("{raw:?} is not a Jira project key: {e}"),
        details: json!({"project": raw}),
    })
}

async fn get_connection(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(connection::summary(&state.engine).await?))
}

async fn put_connection(
    state: web::Data<AppState>,
    body: web::Json<ConnectRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(connection::connect(&state.engine, body.into_inner()).await?))
}

async fn delete_connection(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(connection::revoke(&state.engine).await?))
}

async fn objects(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(json!({"modules": catalogue::objects_by_module(&state.engine).await?})))
}

async fn object_fields(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let fields = catalogue::object_fields(&state.engine, &name)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "object_not_found",
                format!(
                    "Salesforce object {name} does not exist or the integration user cannot see it"
                ),
            )
        })?;
    Ok(HttpResponse::Ok().json(json!({"object": name, "fields": fields})))
}

async fn projects(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let projects = catalogue::jira_projects(&state.engine).await?;
    let list: Vec<_> = projects
        .iter()
        .map(|p| json!({"id": p.id, "key": p.key, "name": p.name, "type": p.project_type_key}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"projects": list})))
}

async fn issue_types(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = project_key(&path)?;
    let types = catalogue::issue_types(&state.engine, &key).await?;
    let list: Vec<_> = types
        .iter()
        .filter(|t| !t.subtask)
        .map(|t| json!({"id": t.id, "name": t.name}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"project": key, "issue_types": list})))
}

async fn issue_type_fields(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, type_id) = path.into_inner();
    let key = project_key(&key)?;
    let meta = catalogue::create_meta(&state.engine, &key, &type_id).await?;
    let fields: Vec<_> = meta
        .iter()
        .map(|f| {
            json!({
                "id": f.field_id, "name": f.name, "required": f.required,
                "has_default": f.has_default_value, "schema": f.schema,
                "allowed_values": f.allowed_values,
            })
        })
        .collect();
    Ok(
        HttpResponse::Ok()
            .json(json!({"project": key, "issue_type_id": type_id, "fields": fields})),
    )
}

async fn list_items(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(json!({"items": items::list(&state.engine).await?})))
}

async fn create_item(
    state: web::Data<AppState>,
    body: web::Json<ItemDefinition>,
) -> Result<HttpResponse, ApiError> {
    let row = items::create(&state.engine, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/admin/items/{}", row.id)))
        .insert_header(("ETag", format!("\"{}\"", row.version)))
        .json(row))
}

async fn validate_item(
    state: web::Data<AppState>,
    body: web::Json<ItemDefinition>,
) -> Result<HttpResponse, ApiError> {
    let (validation, _) = items::check(&state.engine, &body).await?;
    Ok(HttpResponse::Ok().json(json!({
        "valid": validation.is_valid(),
        "problems": validation.problems,
        "warnings": validation.warnings,
    })))
}

async fn get_item(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let detail = items::get(&state.engine, item_id(&path)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", format!("\"{}\"", detail.row.version)))
        .json(detail))
}

fn if_match(req: &HttpRequest) -> Result<Option<u64>, ApiError> {
    match req.headers().get("If-Match").and_then(|v| v.to_str().ok()) {
        None => Ok(None),
        Some(raw) => raw.trim().trim_matches('"').parse().map(Some).map_err(|_| {
            ApiError::bad_request(
                "invalid_if_match",
                "If-Match must be the item's version, as its ETag gives it",
            )
        }),
    }
}

async fn update_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<ItemDefinition>,
) -> Result<HttpResponse, ApiError> {
    let id = item_id(&path)?;
    let row = items::update(&state.engine, id, body.into_inner(), if_match(&req)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", format!("\"{}\"", row.version)))
        .json(row))
}

async fn delete_item(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    items::delete(&state.engine, item_id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn sync_item(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = item_id(&path)?;
    let item = items::get(&state.engine, id).await?;
    if !item.row.mode.synchronises() {
        return Err(SyncError::conflict(
            "display_only_item",
            "display-only items do not sync; there is nothing to run",
            json!({"item_id": id}),
        )
        .into());
    }
    let finished = Scheduler::run_now(&state.scheduler, RunTrigger::Manual, Some(vec![id]))
        .await
        .map_err(|e| match e {
            SchedulerError::AlreadyRunning => ApiError::Conflict {
                code: "run_in_progress",
                message: e.to_string(),
                details: json!({}),
            },
            other => ApiError::internal(other),
        })?;
    state
        .projections
        .wait_for_head(std::time::Duration::from_secs(5))
        .await;
    let run = finished.items.into_iter().find(|r| r.item_id == id);
    Ok(HttpResponse::Ok()
        .json(json!({"run_id": finished.run_id, "duration_ms": finished.duration_ms, "item": run})))
}
