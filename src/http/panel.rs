//! Issue panel routes: the cards of an issue, record search, link, refresh and unlink.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use crate::domain::ids::{ItemId, JiraIssueKey};
use crate::startup::AppState;
use crate::sync::panel;

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

async fn get_panel(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = issue_key(&path)?;
    Ok(HttpResponse::Ok().json(panel::panel(&state.engine, &key).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    q: String,
}

async fn search(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let (key, item) = ids(&path)?;
    Ok(HttpResponse::Ok().json(panel::search(&state.engine, &key, item, &query.q).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    record_id: String,
}

async fn link(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<LinkBody>,
) -> Result<HttpResponse, ApiError> {
    let (key, item) = ids(&path)?;
    Ok(HttpResponse::Ok().json(panel::link(&state.engine, &key, item, &body.record_id).await?))
}

async fn unlink(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, item) = ids(&path)?;
    Ok(HttpResponse::Ok().json(panel::unlink(&state.engine, &key, item).await?))
}

async fn refresh(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, item) = ids(&path)?;
    Ok(HttpResponse::Ok().json(panel::refresh(&state.engine, &key, item).await?))
}
