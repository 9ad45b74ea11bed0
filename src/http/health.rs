//! Liveness, readiness and metrics: the open routes monitoring scrapes.
//!
//! `/healthz` answers while the process runs. `/readyz` answers 200 only once the store is open
//! (its invariant check passed before the listener was even bound) and every projection has
//! folded what was in the log at start, no projection is stuck, and the store still accepts
//! writes (its writer stops after a failed write or flush, e.g. a full disk); otherwise 503 with
//! the reasons. `/metrics` is Prometheus text, with `sfjira_store_writable` 0 in that case.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::json;

use crate::http::AppState;

/// `GET /healthz`.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "The process runs: `{\"status\": \"ok\"}`", body = serde_json::Value))
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[derive(Serialize)]
struct ProjectionStatus {
    name: &'static str,
    checkpoint: u64,
    lag: u64,
    caught_up: bool,
    failure: Option<String>,
}

/// Why the store refuses writes, if it does; keeps the `sfjira_store_writable` gauge true.
fn store_failure(state: &AppState) -> Option<String> {
    let failure = state.store.write_failure();
    state
        .metrics
        .store_writable
        .set(i64::from(failure.is_none()));
    failure
}

/// `GET /readyz`.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready: the store is open and every projection caught up", body = serde_json::Value),
        (status = 503, description = "Not ready; the body names why", body = serde_json::Value),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store_failure = store_failure(&state);
    let projections: Vec<ProjectionStatus> = state
        .projections
        .handles()
        .iter()
        .map(|h| ProjectionStatus {
            name: h.name(),
            checkpoint: h.checkpoint(),
            lag: h.lag(),
            caught_up: h.caught_up(),
            failure: h.failure(),
        })
        .collect();
    let ready = store_failure.is_none()
        && projections
            .iter()
            .all(|p| p.caught_up && p.failure.is_none());
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "store": {
            "open": true,
            "invariants": "passed",
            "head": state.store.head(),
            "writable": store_failure.is_none(),
            "failure": store_failure,
        },
        "projections": projections,
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// `GET /metrics`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"))
)]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    store_failure(&state);
    state
        .metrics
        .active_link_actors
        .set(state.registry.active() as i64);
    for handle in state.projections.handles() {
        state
            .metrics
            .projection_lag
            .with_label_values(&[handle.name()])
            .set(handle.lag() as i64);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
