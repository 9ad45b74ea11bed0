//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the whole HTTP API.
//!
//! The document is generated, not written: each handler carries a `#[utoipa::path]` annotation
//! naming its route, parameters and answers, and the request and response bodies are the very
//! types the handlers (de)serialize, deriving their schemas. Each route module contributes its
//! part ([`super::admin::AdminApi`], [`super::panel::PanelApi`], [`super::audit::AuditApi`],
//! [`super::secrets::SecretsApi`]);
//! this module merges them with the open routes and then states, once for every route under
//! `/api`, what the guard and the shared extractors add: the admin token (or the page session)
//! as security, and the refusals any such route can answer, all in the one [`ErrorBody`] shape.
//!
//! The document itself is public: it describes routes, never data, and clients fetch it before
//! they hold a token. The web pages (HTML for people) are not part of the API and not listed.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

use super::errors::ErrorBody;
use super::session::COOKIE;

/// Where the document is served.
pub const PATH: &str = "/api/openapi.json";

/// Name of the bearer-token security scheme.
const ADMIN_TOKEN: &str = "admin_token";
/// Name of the page-session security scheme.
const SESSION: &str = "session";

/// The refusals every guarded route can answer, with what each means there.
const REFUSALS: &[(u16, &str)] = &[
    (
        400,
        "The request could not be read: a path parameter, the query or the body is malformed",
    ),
    (
        401,
        "No or wrong admin token (send `Authorization: Bearer <token>`)",
    ),
    (
        403,
        "A change authenticated by the page session without the page's header or from another site",
    ),
    (404, "No such route or thing"),
    (
        409,
        "Conflicts with the current state (not connected, a newer version, a run in progress)",
    ),
    (413, "The body is larger than `http.max_body_bytes`"),
    (422, "Understood, but invalid; `details` names what"),
    (
        429,
        "Too many failed sign-ins from this address; see `Retry-After`",
    ),
    (
        502,
        "Salesforce or Jira refused or failed; `details` gives their words",
    ),
    (503, "Not ready yet"),
];

/// The open routes, and the shared parts every module's paths point to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "sfjira",
        description = "The HTTP API of sfjira, the self-hosted Salesforce ⇄ Jira connector. \
            Every route under `/api` needs the admin token as `Authorization: Bearer <token>` \
            (or a signed-in page's session cookie); every refusal answers `ErrorBody`."
    ),
    paths(
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
        super::webhooks::receive,
        serve,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Guarded),
    tags(
        (name = "connection", description = "The Salesforce connection"),
        (name = "salesforce", description = "Salesforce metadata pickers"),
        (name = "jira", description = "Jira metadata pickers and the webhook registration"),
        (name = "items", description = "Smart Connected Items, their runs and dead letters"),
        (name = "panel", description = "The issue panel: cards, search, link, refresh, unlink"),
        (name = "audit", description = "The raw log and link histories"),
        (name = "secrets", description = "Jira credentials kept in the encrypted vault"),
        (name = "health", description = "Liveness, readiness and metrics"),
        (name = "webhooks", description = "Jira's signed deliveries"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

/// Adds the route modules' paths, then the guard's security and refusals to every `/api`
/// route (the modifier runs when [`ApiDoc::openapi`] builds the document).
struct Guarded;

impl Modify for Guarded {
    fn modify(&self, doc: &mut Document) {
        doc.merge(super::admin::AdminApi::openapi());
        doc.merge(super::panel::PanelApi::openapi());
        doc.merge(super::audit::AuditApi::openapi());
        doc.merge(super::secrets::SecretsApi::openapi());
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            ADMIN_TOKEN,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                COOKIE,
                "The session of a signed-in admin page (changes also need X-Requested-With)",
            ))),
        );
        let security = vec![
            SecurityRequirement::new(ADMIN_TOKEN, Vec::<String>::new()),
            SecurityRequirement::new(SESSION, Vec::<String>::new()),
        ];
        for (path, item) in doc.paths.paths.iter_mut() {
            let guarded = path.starts_with("/api/") && path != PATH;
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                if guarded {
                    operation.security = Some(security.clone());
                    add_refusals(operation);
                }
            }
        }
    }
}

fn add_refusals(operation: &mut Operation) {
    for (status, meaning) in REFUSALS {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(meaning));
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .into()
}

/// The document, built once.
pub fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(ApiDoc::openapi)
}

/// `GET /api/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = serde_json::Value)),
    security(())
)]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
