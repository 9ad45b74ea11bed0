//! The HTTP surface: routes, request parsing and the one mapping from errors to responses.
//!
//! Handlers translate and route; they hold no sync rules. Admin, panel and audit routes sit in
//! one `/api` scope behind the admin guard (bearer token, or a signed-in page's session cookie);
//! the web pages ([`pages`]) need the same sign-in; health and metrics are open; webhooks are
//! verified by signature instead. The API's OpenAPI document ([`openapi`]) is generated from
//! the handlers' annotations and types, and is open too.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod errors;
pub mod health;
pub mod openapi;
pub mod pages;
pub mod panel;
pub mod secrets;
pub mod session;
pub mod state;
pub mod throttle;
pub mod webhooks;

use actix_web::web;

pub use errors::ApiError;
pub use state::AppState;

use crate::config::Settings;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig, settings: &Settings) {
    cfg.app_data(errors::json_config(settings.http.max_body_bytes))
        .app_data(errors::query_config())
        .app_data(errors::path_config())
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/webhooks/jira", web::post().to(webhooks::receive))
        .configure(pages::configure)
        // Public, and registered before the guarded scope so that it is matched first.
        .route(openapi::PATH, web::get().to(openapi::serve))
        .service(
            web::scope("/api")
                .wrap(actix_web::middleware::from_fn(auth::require_admin_token))
                .configure(admin::configure)
                .configure(secrets::configure)
                .configure(panel::configure)
                .route("/audit/events", web::get().to(audit::events))
                .route("/audit/links/{id}", web::get().to(audit::link_history))
                .default_service(web::to(not_found)),
        )
        .default_service(web::to(not_found));
}

async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found(
        "route_not_found",
        format!("no route for {} {}", req.method(), req.path()),
    ))
}
