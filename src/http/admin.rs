//! Admin routes: the Salesforce connection, the metadata pickers, Smart Connected Items and
//! "sync now". Each handler parses, calls the engine, and answers JSON; refusals go through
//! the one error mapping.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::{OpenApi, ToSchema};

use super::ApiError;
use crate::actors::scheduler::{Scheduler, SchedulerError};
use crate::domain::ids::{ItemId, LinkId, ProjectKey};
use crate::domain::item::{ItemDefinition, Problem};
use crate::engine::connection::{self, ConnectRequest, ConnectionSummary};
use crate::engine::items::{ItemDetail, ItemRow};
use crate::engine::metadata::{FieldEntry, ModuleGroup};
use crate::engine::webhook_setup::Registration;
use crate::engine::{deadletters, items, metadata, SyncError};
use crate::events::scheduler::{ItemRun, RunTrigger};
use crate::http::AppState;
use crate::projections::admin::Attention;

/// The admin routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    get_connection,
    put_connection,
    delete_connection,
    objects,
    object_fields,
    projects,
    issue_types,
    issue_type_fields,
    list_items,
    create_item,
    validate_item,
    get_item,
    update_item,
    delete_item,
    sync_item,
    dead_letters,
    retry_dead_letter,
    dismiss_dead_letter,
    register_webhook,
))]
pub struct AdminApi;

/// The path parameter naming an item.
const ITEM_ID: &str = "The item's id (a uuid).";

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

/// Body of `GET /api/admin/items/{id}/dead-letters`.
#[derive(Serialize, ToSchema)]
struct DeadLetters {
    /// The item.
    item_id: ItemId,
    /// Its failures that wait for an admin.
    dead_letters: Vec<Attention>,
}

/// The failures of an item's links that wait for an admin.
#[utoipa::path(
    get,
    path = "/api/admin/items/{id}/dead-letters",
    tag = "items",
    params(("id" = uuid::Uuid, Path, description = ITEM_ID)),
    responses((status = 200, description = "The item's dead letters", body = DeadLetters))
)]
async fn dead_letters(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = item_id(&path)?;
    let dead_letters = deadletters::list(&state.engine, id).await?;
    Ok(HttpResponse::Ok().json(DeadLetters {
        item_id: id,
        dead_letters,
    }))
}

/// Body of a dead letter's retry.
#[derive(Serialize, ToSchema)]
struct Retried {
    /// The link.
    link_id: LinkId,
    /// The link's dead letters the retry left.
    remaining: Vec<Attention>,
}

/// Retries one dead-lettered operation of a link now.
#[utoipa::path(
    post,
    path = "/api/admin/items/{id}/dead-letters/{link}/{operation}/retry",
    tag = "items",
    params(
        ("id" = uuid::Uuid, Path, description = ITEM_ID),
        ("link" = uuid::Uuid, Path, description = "The link's id (a uuid)."),
        ("operation" = String, Path, description = "The failed operation, as the dead letter names it."),
    ),
    responses((status = 200, description = "Retried", body = Retried))
)]
async fn retry_dead_letter(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (item, link, operation) = path.into_inner();
    let (item, link) = (item_id(&item)?, link_id(&link)?);
    let remaining = deadletters::retry(&state.engine, item, link, &operation).await?;
    Ok(HttpResponse::Ok().json(Retried {
        link_id: link,
        remaining,
    }))
}

/// Dismisses one dead-lettered operation of a link: it will not be retried.
#[utoipa::path(
    post,
    path = "/api/admin/items/{id}/dead-letters/{link}/{operation}/dismiss",
    tag = "items",
    params(
        ("id" = uuid::Uuid, Path, description = ITEM_ID),
        ("link" = uuid::Uuid, Path, description = "The link's id (a uuid)."),
        ("operation" = String, Path, description = "The failed operation, as the dead letter names it."),
    ),
    responses((status = 204, description = "Dismissed"))
)]
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
#[derive(serde::Deserialize, Default, ToSchema)]
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

/// Registers (or re-registers) the Jira webhook that calls this server.
#[utoipa::path(
    post,
    path = "/api/admin/jira/webhook",
    tag = "jira",
    request_body(content = Option<WebhookRequest>, description = "Optional; an empty body uses the defaults"),
    responses((status = 201, description = "Registered", body = Registration))
)]
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
    let registration = crate::engine::webhook_setup::register(&state.engine, &url).await?;
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

/// The Salesforce connection as the admin page shows it.
#[utoipa::path(
    get,
    path = "/api/admin/connection",
    tag = "connection",
    responses((status = 200, description = "The connection", body = ConnectionSummary))
)]
async fn get_connection(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(connection::summary(&state.engine).await?))
}

/// Connects (or reconnects) Salesforce with an External Client App's credentials.
#[utoipa::path(
    put,
    path = "/api/admin/connection",
    tag = "connection",
    request_body = ConnectRequest,
    responses((status = 200, description = "Connected", body = ConnectionSummary))
)]
async fn put_connection(
    state: web::Data<AppState>,
    body: web::Json<ConnectRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(connection::connect(&state.engine, body.into_inner()).await?))
}

/// Revokes the Salesforce connection.
#[utoipa::path(
    delete,
    path = "/api/admin/connection",
    tag = "connection",
    responses((status = 200, description = "Disconnected", body = ConnectionSummary))
)]
async fn delete_connection(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(connection::revoke(&state.engine).await?))
}

/// Body of `GET /api/admin/salesforce/objects`.
#[derive(Serialize, ToSchema)]
struct Objects {
    /// The picker's modules with their objects.
    modules: Vec<ModuleGroup>,
}

/// The Salesforce objects an item can use, grouped by module.
#[utoipa::path(
    get,
    path = "/api/admin/salesforce/objects",
    tag = "salesforce",
    responses((status = 200, description = "The object picker", body = Objects))
)]
async fn objects(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let modules = metadata::objects_by_module(&state.engine).await?;
    Ok(HttpResponse::Ok().json(Objects { modules }))
}

/// Body of `GET /api/admin/salesforce/objects/{name}/fields`.
#[derive(Serialize, ToSchema)]
struct ObjectFields {
    /// The object's API name.
    object: String,
    /// Its fields.
    fields: Vec<FieldEntry>,
}

/// The fields of one Salesforce object.
#[utoipa::path(
    get,
    path = "/api/admin/salesforce/objects/{name}/fields",
    tag = "salesforce",
    params(("name" = String, Path, description = "The object's API name, e.g. `Case`.")),
    responses((status = 200, description = "The field picker", body = ObjectFields))
)]
async fn object_fields(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let fields = metadata::object_fields(&state.engine, &name)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "object_not_found",
                format!(
                    "Salesforce object {name} does not exist or the integration user cannot see it"
                ),
            )
        })?;
    Ok(HttpResponse::Ok().json(ObjectFields {
        object: name,
        fields,
    }))
}

/// One Jira project of the picker.
#[derive(Serialize, ToSchema)]
struct ProjectEntry {
    /// Jira's id.
    id: String,
    /// Its key.
    key: String,
    /// Its name.
    name: String,
    /// `software`, `service_desk`, `business`.
    #[serde(rename = "type")]
    project_type: Option<String>,
}

/// Body of `GET /api/admin/jira/projects`.
#[derive(Serialize, ToSchema)]
struct Projects {
    /// The projects the Jira account can see.
    projects: Vec<ProjectEntry>,
}

/// The Jira projects an item can apply to.
#[utoipa::path(
    get,
    path = "/api/admin/jira/projects",
    tag = "jira",
    responses((status = 200, description = "The project picker", body = Projects))
)]
async fn projects(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let projects = metadata::jira_projects(&state.engine).await?;
    let projects = projects
        .iter()
        .map(|p| ProjectEntry {
            id: p.id.clone(),
            key: p.key.clone(),
            name: p.name.clone(),
            project_type: p.project_type_key.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Projects { projects }))
}

/// One issue type of the picker.
#[derive(Serialize, ToSchema)]
struct IssueTypeEntry {
    /// Jira's id.
    id: String,
    /// Its name.
    name: String,
}

/// Body of `GET /api/admin/jira/projects/{key}/issue-types`.
#[derive(Serialize, ToSchema)]
struct IssueTypes {
    /// The project.
    project: ProjectKey,
    /// Its issue types, sub-tasks left out.
    issue_types: Vec<IssueTypeEntry>,
}

/// The issue types of one Jira project (sub-tasks left out).
#[utoipa::path(
    get,
    path = "/api/admin/jira/projects/{key}/issue-types",
    tag = "jira",
    params(("key" = ProjectKey, Path, description = "The project key, e.g. `SUP`.")),
    responses((status = 200, description = "The issue type picker", body = IssueTypes))
)]
async fn issue_types(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = project_key(&path)?;
    let types = metadata::issue_types(&state.engine, &key).await?;
    let issue_types = types
        .iter()
        .filter(|t| !t.subtask)
        .map(|t| IssueTypeEntry {
            id: t.id.clone(),
            name: t.name.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(IssueTypes {
        project: key,
        issue_types,
    }))
}

/// One field of an issue type's create screen.
#[derive(Serialize, ToSchema)]
struct ScreenFieldEntry {
    /// Field id (`summary`, `customfield_10000`).
    id: String,
    /// Its name.
    name: String,
    /// Jira requires it on create.
    required: bool,
    /// Jira fills it when absent.
    has_default: bool,
    /// Its type, as Jira describes it.
    #[schema(value_type = Object)]
    schema: Value,
    /// Allowed values (options, priorities, …), as Jira gives them.
    allowed_values: Vec<Value>,
}

/// Body of `GET /api/admin/jira/projects/{key}/issue-types/{id}/fields`.
#[derive(Serialize, ToSchema)]
struct ScreenFields {
    /// The project.
    project: ProjectKey,
    /// The issue type.
    issue_type_id: String,
    /// Its create screen's fields.
    fields: Vec<ScreenFieldEntry>,
}

/// The create-screen fields of one issue type in one project.
#[utoipa::path(
    get,
    path = "/api/admin/jira/projects/{key}/issue-types/{id}/fields",
    tag = "jira",
    params(
        ("key" = ProjectKey, Path, description = "The project key, e.g. `SUP`."),
        ("id" = String, Path, description = "The issue type's id."),
    ),
    responses((status = 200, description = "The field picker", body = ScreenFields))
)]
async fn issue_type_fields(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, type_id) = path.into_inner();
    let key = project_key(&key)?;
    let meta = metadata::create_meta(&state.engine, &key, &type_id).await?;
    let fields = meta
        .iter()
        .map(|f| ScreenFieldEntry {
            id: f.field_id.clone(),
            name: f.name.clone(),
            required: f.required,
            has_default: f.has_default_value,
            schema: json!(f.schema),
            allowed_values: f.allowed_values.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(ScreenFields {
        project: key,
        issue_type_id: type_id,
        fields,
    }))
}

/// Body of `GET /api/admin/items`.
#[derive(Serialize, ToSchema)]
struct Items {
    /// Every Smart Connected Item.
    items: Vec<ItemRow>,
}

/// The Smart Connected Items table.
#[utoipa::path(
    get,
    path = "/api/admin/items",
    tag = "items",
    responses((status = 200, description = "Every item", body = Items))
)]
async fn list_items(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = items::list(&state.engine).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// Defines a new Smart Connected Item.
#[utoipa::path(
    post,
    path = "/api/admin/items",
    tag = "items",
    request_body = ItemDefinition,
    responses((
        status = 201,
        description = "Created",
        body = ItemRow,
        headers(
            ("Location" = String, description = "The new item's URL"),
            ("ETag" = String, description = "The item's version, for If-Match"),
        )
    ))
)]
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

/// Body of `POST /api/admin/items/validate`.
#[derive(Serialize, ToSchema)]
struct Checked {
    /// Whether the item could be saved as it is.
    valid: bool,
    /// What prevents saving.
    problems: Vec<Problem>,
    /// What an admin should know before saving.
    warnings: Vec<String>,
}

/// Checks an item definition against both sites without saving it.
#[utoipa::path(
    post,
    path = "/api/admin/items/validate",
    tag = "items",
    request_body = ItemDefinition,
    responses((status = 200, description = "The verdict", body = Checked))
)]
async fn validate_item(
    state: web::Data<AppState>,
    body: web::Json<ItemDefinition>,
) -> Result<HttpResponse, ApiError> {
    let (validation, _) = items::check(&state.engine, &body).await?;
    Ok(HttpResponse::Ok().json(Checked {
        valid: validation.is_valid(),
        problems: validation.problems,
        warnings: validation.warnings,
    }))
}

/// One item with its attention list and recent runs.
#[utoipa::path(
    get,
    path = "/api/admin/items/{id}",
    tag = "items",
    params(("id" = uuid::Uuid, Path, description = ITEM_ID)),
    responses((
        status = 200,
        description = "The item",
        body = ItemDetail,
        headers(("ETag" = String, description = "The item's version, for If-Match"))
    ))
)]
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

/// Replaces an item's definition.
#[utoipa::path(
    put,
    path = "/api/admin/items/{id}",
    tag = "items",
    params(
        ("id" = uuid::Uuid, Path, description = ITEM_ID),
        ("If-Match" = Option<String>, Header, description = "The version the change is based on, as the ETag gave it"),
    ),
    request_body = ItemDefinition,
    responses((
        status = 200,
        description = "Changed",
        body = ItemRow,
        headers(("ETag" = String, description = "The item's new version"))
    ))
)]
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

/// Deletes an item; its links stop syncing.
#[utoipa::path(
    delete,
    path = "/api/admin/items/{id}",
    tag = "items",
    params(("id" = uuid::Uuid, Path, description = ITEM_ID)),
    responses((status = 204, description = "Deleted"))
)]
async fn delete_item(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    items::delete(&state.engine, item_id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `POST /api/admin/items/{id}/sync`.
#[derive(Serialize, ToSchema)]
struct SyncRun {
    /// The run.
    run_id: uuid::Uuid,
    /// Its wall time.
    duration_ms: u64,
    /// What it did for this item.
    item: Option<ItemRun>,
}

/// Runs the item's reconciliation now and answers when it is done.
#[utoipa::path(
    post,
    path = "/api/admin/items/{id}/sync",
    tag = "items",
    params(("id" = uuid::Uuid, Path, description = ITEM_ID)),
    responses((status = 200, description = "The run", body = SyncRun))
)]
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
    let item = finished.items.into_iter().find(|r| r.item_id == id);
    Ok(HttpResponse::Ok().json(SyncRun {
        run_id: finished.run_id,
        duration_ms: finished.duration_ms,
        item,
    }))
}
