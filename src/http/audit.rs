//! Audit routes: the raw log as NDJSON for auditors' tools, and one link's history as a
//! timeline.
//!
//! `GET /api/audit/events?after=SEQ&limit=N` streams envelopes exactly as stored (hashes
//! included) so an auditor can re-verify the chain elsewhere. `GET /api/audit/links/{id}`
//! replays the link's stream (never a projection) up to `?until=SEQ|TIME`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::ApiError;
use crate::audit::replay::{replay, ReplayLine, Subject, Until};
use crate::domain::ids::LinkId;
use crate::http::AppState;

/// The audit routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(events, link_history))]
pub struct AuditApi;

/// Most events one audit page returns.
pub const MAX_LIMIT: usize = 10_000;

/// Query of `GET /api/audit/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Return events with a sequence number above this (default 0).
    #[serde(default)]
    pub after: u64,
    /// At most this many (default 1000, at most 10000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
}

/// `GET /api/audit/events`.
#[utoipa::path(
    get,
    path = "/api/audit/events",
    tag = "audit",
    params(EventsQuery),
    responses((
        status = 200,
        description = "Envelopes exactly as stored, one JSON object a line",
        body = String,
        content_type = "application/x-ndjson",
        headers(("X-Log-Head" = u64, description = "The log's head sequence number"))
    ))
)]
pub async fn events(
    state: web::Data<AppState>,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(1_000);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::BadRequest {
            code: "invalid_limit",
            message: format!("limit must be between 1 and {MAX_LIMIT}"),
            details: json!({"limit": limit}),
        });
    }
    let events = state
        .store
        .read_all(query.after, limit)
        .await
        .map_err(ApiError::internal)?;
    let mut body = String::new();
    for event in &events {
        body.push_str(&serde_json::to_string(event).map_err(ApiError::internal)?);
        body.push('\n');
    }
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .insert_header(("X-Log-Head", state.store.head().to_string()))
        .body(body))
}

/// Query of `GET /api/audit/links/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Stop at this sequence number or RFC 3339 time.
    pub until: Option<String>,
}

/// Body of `GET /api/audit/links/{id}`.
#[derive(Serialize, ToSchema)]
pub struct LinkHistory {
    /// The link.
    pub link_id: LinkId,
    /// Whether it was linked at the end of the replay.
    pub linked: bool,
    /// Its issue then, if linked.
    pub issue_key: Option<String>,
    /// Its record then, if linked.
    pub record_id: Option<String>,
    /// Its events, told for people.
    pub events: Vec<ReplayLine>,
}

/// `GET /api/audit/links/{id}`.
#[utoipa::path(
    get,
    path = "/api/audit/links/{id}",
    tag = "audit",
    params(("id" = uuid::Uuid, Path, description = "The link's id (a uuid)."), HistoryQuery),
    responses((status = 200, description = "The link's history", body = LinkHistory))
)]
pub async fn link_history(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let link_id = LinkId::parse(&path).map_err(|e| ApiError::BadRequest {
        code: "invalid_link_id",
        message: format!("{:?} is not a link id: {}", path.as_str(), e.reason),
        details: json!({"link_id": path.as_str()}),
    })?;
    let until = match &query.until {
        None => Until::End,
        Some(text) => Until::parse(text).map_err(|m| ApiError::BadRequest {
            code: "invalid_until",
            message: m,
            details: json!({"until": text}),
        })?,
    };
    let result = replay(&state.store, &Subject::Link(link_id), until)
        .await
        .map_err(ApiError::internal)?;
    if result.lines.is_empty() {
        return Err(ApiError::not_found(
            "link_not_found",
            format!("no link {link_id} in the log"),
        ));
    }
    let linked = result.states.get(&link_id).and_then(|s| s.link.as_ref());
    Ok(HttpResponse::Ok().json(LinkHistory {
        link_id,
        linked: linked.is_some(),
        issue_key: linked.map(|l| l.issue_key.to_string()),
        record_id: linked.map(|l| l.record_id.to_string()),
        events: result.lines,
    }))
}
