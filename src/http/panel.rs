//! Issue panel routes: the cards of an issue, record search, link, refresh and unlink.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::ApiError;
use crate::domain::ids::{ItemId, JiraIssueKey};
use crate::engine::panel::{self, Panel, PanelCard, SearchResults};
use crate::http::AppState;

/// The panel routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(get_panel, search, link, unlink, refresh))]
pub struct PanelApi;

/// Registers the panel routes on the (already guarded) `/api` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/issues/{key}/panel", web::get().to(get_panel))
        .route("/issues/{key}/items/{item}/search", web::get().to(search))
        .service(
            web::resource("/issues/{key}/items/{item}/link")
                .route(web::post().to(link))
                .route(web::delete().to(unlink)),
        )
        .route(
            "/issues/{key}/items/{item}/refresh",
            web::post().to(refresh),
        );
}

fn issue_key(raw: &str) -> Result<JiraIssueKey, ApiError> {
    JiraIssueKey::parse(raw).map_err(|e| ApiError::BadRequest {
        code: "invalid_issue_key",
        message: format!("{raw:?} is not a Jira issue key: {e}"),
        details: json!({"issue_key": raw}),
    })
}

fn ids(path: &(String, String)) -> Result<(JiraIssueKey, ItemId), ApiError> {
    let key = issue_key(&path.0)?;
    let item = ItemId::parse(&path.1).map_err(|e| ApiError::BadRequest {
        code: "invalid_item_id",
        message: format!("{:?} is not an item id: {}", path.1, e.reason),
        details: json!({"item_id": path.1}),
    })?;
    Ok((key, item))
}

/// The cards of an issue: one per Smart Connected Item of its project.
#[utoipa::path(
    get,
    path = "/api/issues/{key}/panel",
    tag = "panel",
    params(("key" = JiraIssueKey, Path, description = "The issue key, e.g. `SUP-123`.")),
    responses((status = 200, description = "The panel", body = Panel))
)]
async fn get_panel(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = issue_key(&path)?;
    Ok(HttpResponse::Ok().json(panel::panel(&state.engine, &key).await?))
}

/// Query of the record search.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// The text to look for.
    q: String,
}

/// Searches the item's Salesforce object for records to link.
#[utoipa::path(
    get,
    path = "/api/issues/{key}/items/{item}/search",
    tag = "panel",
    params(
        ("key" = JiraIssueKey, Path, description = "The issue key, e.g. `SUP-123`."),
        ("item" = uuid::Uuid, Path, description = "The item's id (a uuid)."),
        SearchQuery,
    ),
    responses((status = 200, description = "The matches", body = SearchResults))
)]
async fn search(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let (key, item) = ids(&path)?;
    Ok(HttpResponse::Ok().json(panel::search(&state.engine, &key, item, &query.q).await?))
}

/// Body of the link route.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    /// The record's 15- or 18-character id.
    record_id: String,
}

/// Links a record to the issue under the item.
#[utoipa::path(
    post,
    path = "/api/issues/{key}/items/{item}/link",
    tag = "panel",
    params(
        ("key" = JiraIssueKey, Path, description = "The issue key, e.g. `SUP-123`."),
        ("item" = uuid::Uuid, Path, description = "The item's id (a uuid)."),
    ),
    request_body = LinkBody,
    responses((status = 200, description = "The card, now linked", body = PanelCard))
)]
async fn link(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<LinkBody>,
) -> Result<HttpResponse, ApiError> {
    let (key, item) = ids(&path)?;
    Ok(HttpResponse::Ok().json(panel::link(&state.engine, &key, item, &body.record_id).await?))
}

/// Unlinks the item's record from the issue.
#[utoipa::path(
    delete,
    path = "/api/issues/{key}/items/{item}/link",
    tag = "panel",
    params(
        ("key" = JiraIssueKey, Path, description = "The issue key, e.g. `SUP-123`."),
        ("item" = uuid::Uuid, Path, description = "The item's id (a uuid)."),
    ),
    responses((status = 200, description = "The card, now unlinked", body = PanelCard))
)]
async fn unlink(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, item) = ids(&path)?;
    Ok(HttpResponse::Ok().json(panel::unlink(&state.engine, &key, item).await?))
}

/// Reads the linked record's values again.
#[utoipa::path(
    post,
    path = "/api/issues/{key}/items/{item}/refresh",
    tag = "panel",
    params(
        ("key" = JiraIssueKey, Path, description = "The issue key, e.g. `SUP-123`."),
        ("item" = uuid::Uuid, Path, description = "The item's id (a uuid)."),
    ),
    responses((status = 200, description = "The card, refreshed", body = PanelCard))
)]
async fn refresh(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, item) = ids(&path)?;
    Ok(HttpResponse::Ok().json(panel::refresh(&state.engine, &key, item).await?))
}
