//! The route table: every emulated endpoint under `/rest/api/3` and `/rest/api/2`, the admin
//! webhook resource, the attachment blob store, and the control API.
//!
//! Both API versions share the same handlers (each reads its version from the path), so v2 and
//! v3 can only differ where Jira's do: rich-text bodies and `self` links.

use actix_web::{web, HttpRequest, HttpResponse};

use super::error::JiraError;
use super::{
    attachments, comments, control, issues, projects, properties, search, transitions, webhooks,
};

/// JSON bodies: Jira answers malformed JSON with a 400 `ErrorCollection`.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(16 * 1024 * 1024)
        .content_type_required(false)
        .error_handler(|error, _req| JiraError::bad_request(error.to_string()).into())
}

/// Registers all routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(crate::common::control::configure)
        .configure(control::configure)
        .service(web::scope("/rest/api/3").configure(api_routes))
        .service(web::scope("/rest/api/2").configure(api_routes))
        .service(web::scope("/rest/webhooks/1.0").configure(webhooks::registry::configure))
        .configure(attachments::configure_blobs)
        .default_service(web::to(not_found));
}

/// The REST API routes, mounted once per version.
fn api_routes(cfg: &mut web::ServiceConfig) {
    projects::configure(cfg);
    search::configure(cfg);
    attachments::configure(cfg);
    transitions::configure(cfg);
    comments::configure(cfg);
    properties::configure(cfg);
    issues::configure(cfg);
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    tracing::debug!(path = %req.path(), "no such Jira endpoint");
    HttpResponse::NotFound()
        .content_type("text/html;charset=UTF-8")
        .body("<!DOCTYPE html><html><head><title>Oops, you've found a dead link. - Jira</title></head><body><h1>Oops, you've found a dead link.</h1></body></html>")
}
