//! The HTTP face of the emulator: actix-web routes for the REST API (one entry point that
//! authenticates, counts API usage, reads the body and hands over to the router), the OAuth
//! endpoints, the identity URL, and the generic login host's small route set.

use std::sync::Arc;

use actix_web::http::header::{HeaderValue, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use parking_lot::Mutex;
use serde_json::Value;

use super::auth::{self, TokenRequest};
use super::error::{Payload, Reply, SfError};
use super::files;
use super::limits;
use super::pretty;
use super::router::{self, Body, Ctx, RestRequest};
use super::store::Org;
use crate::common::{Common, Seed};

/// Shared state of one emulator instance.
#[derive(Clone)]
pub struct SfState {
    /// The org.
    pub org: Arc<Mutex<Org>>,
    /// The My Domain (instance) URL.
    pub instance_url: String,
    /// The generic login host URL, when running.
    pub generic_login_url: Option<String>,
    /// Seed used at start and by default on reset.
    pub seed: Seed,
    /// Client id of the app `info` reports.
    pub primary_client_id: Arc<Mutex<String>>,
    /// Settings a reset returns to.
    pub default_settings: super::store::Settings,
}

/// Largest request body accepted (multipart uploads included).
pub const MAX_BODY: usize = 128 * 1024 * 1024;

/// The API version `info` and identity URLs point at.
pub const LATEST_VERSION: &str = "63.0";

const JSON_TYPE: &str = "application/json;charset=UTF-8";

/// Registers the REST, OAuth and identity routes of the My Domain host.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/services/oauth2/token", web::post().to(token))
        .route("/services/oauth2/revoke", web::post().to(revoke))
        .route("/id/{org}/{user}", web::get().to(identity))
        .route("/services/data", web::route().to(rest))
        .route("/services/data/{tail:.*}", web::route().to(rest));
}

/// Registers the generic login host's routes.
pub fn configure_login_host(cfg: &mut web::ServiceConfig) {
    cfg.route("/services/oauth2/token", web::post().to(login_host_token))
        .route("/services/data", web::get().to(versions))
        .route("/services/data/", web::get().to(versions))
        .default_service(web::route().to(not_found));
}

fn json_response(status: u16, body: &Value) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .insert_header((CONTENT_TYPE, JSON_TYPE))
        .body(serde_json::to_vec(body).unwrap_or_default())
}

fn reply_response(reply: Reply, extra: &[(String, String)]) -> HttpResponse {
    render(reply, extra, false)
}

/// Renders a reply; `pretty` follows the request's `X-PrettyPrint: 1`.
fn render(reply: Reply, extra: &[(String, String)], pretty: bool) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (k, v) in reply.headers.iter().chain(extra) {
        if let Ok(value) = HeaderValue::from_str(v) {
            builder.insert_header((k.as_str(), value));
        }
    }
    match reply.payload {
        Payload::None => builder.finish(),
        Payload::Json(v) => builder
            .insert_header((CONTENT_TYPE, JSON_TYPE))
            .body(if pretty {
                pretty::to_vec(&v)
            } else {
                serde_json::to_vec(&v).unwrap_or_default()
            }),
        Payload::Raw {
            content_type,
            bytes,
        } => builder
            .insert_header((CONTENT_TYPE, content_type))
            .body(bytes),
    }
}

fn params(req: &HttpRequest, body: &Bytes) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    out.extend(serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default());
    out
}

fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn token(
    req: HttpRequest,
    body: Bytes,
    state: web::Data<SfState>,
    common: web::Data<Common>,
) -> HttpResponse {
    let request = TokenRequest::from_parts(&params(&req, &body), header(&req, "authorization"));
    let now = common.clock.now();
    let result = auth::issue(&mut state.org.lock(), &request, now, &state.instance_url);
    match result {
        Ok(body) => json_response(200, &body),
        Err(e) => {
            tracing::debug!(error = %e, "token request refused");
            json_response(400, &e.body())
        }
    }
}

async fn revoke(req: HttpRequest, body: Bytes, state: web::Data<SfState>) -> HttpResponse {
    let p = params(&req, &body);
    let token = p
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str());
    match token.map(|t| auth::revoke(&mut state.org.lock(), t)) {
        Some(Ok(())) => HttpResponse::Ok().finish(),
        Some(Err(e)) => json_response(400, &e.body()),
        None => json_response(
            400,
            &serde_json::json!({"error": "invalid_request", "error_description": "token parameter is missing"}),
        ),
    }
}

async fn identity(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<SfState>,
    common: web::Data<Common>,
) -> HttpResponse {
    let now = common.clock.now();
    let mut org = state.org.lock();
    match auth::authenticate(&mut org, auth::bearer(header(&req, "authorization")), now) {
        Ok(user) if user == path.1 && org.org_id == path.0 => json_response(
            200,
            &auth::identity(&org, &user, &state.instance_url, LATEST_VERSION),
        ),
        Ok(_) => json_response(403, &Value::String("Forbidden".into())),
        Err(e) => reply_response(Reply::error(&e), &[]),
    }
}

async fn versions() -> HttpResponse {
    json_response(200, &router::versions_body())
}

async fn not_found() -> HttpResponse {
    reply_response(Reply::error(&SfError::not_found()), &[])
}

async fn login_host_token(req: HttpRequest, body: Bytes) -> HttpResponse {
    let request = TokenRequest::from_parts(&params(&req, &body), header(&req, "authorization"));
    json_response(400, &auth::login_host_token(&request).body())
}

fn batch_size(req: &HttpRequest) -> Option<usize> {
    header(req, "sforce-query-options")?
        .split([',', ';'])
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("batchSize"))
        .and_then(|(_, v)| v.trim().parse().ok())
}

async fn read_body(req: &HttpRequest, body: Bytes) -> Body {
    let content_type = header(req, "content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/") {
        return match files::parse_multipart(req.headers(), body).await {
            Ok(upload) => Body::Upload(upload),
            Err(e) => Body::Invalid(e),
        };
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Body::None;
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) => Body::Json(v),
        Err(e) => Body::Invalid(SfError::json_parser(format!(
            "Unexpected character in request body at [line:{}, column:{}]",
            e.line(),
            e.column()
        ))),
    }
}

/// Every call under `/services/data`.
async fn rest(
    req: HttpRequest,
    body: Bytes,
    state: web::Data<SfState>,
    common: web::Data<Common>,
) -> HttpResponse {
    let path = req.path().trim_end_matches('/');
    let Some(tail) = path.strip_prefix("/services/data") else {
        return not_found().await;
    };
    let tail = tail.trim_start_matches('/');
    if tail.is_empty() {
        return versions().await;
    }
    let (version, rest_path) = tail.split_once('/').unwrap_or((tail, ""));
    if !router::known_version(version) {
        return not_found().await;
    }
    let pretty = header(&req, "x-prettyprint").is_some_and(|v| v.trim() == "1");
    let body = read_body(&req, body).await;
    let now = common.clock.now();
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let mut org = state.org.lock();
    let user_id =
        match auth::authenticate(&mut org, auth::bearer(header(&req, "authorization")), now) {
            Ok(u) => u,
            Err(e) => {
                return render(
                    Reply::error(&e).header("WWW-Authenticate", "Token"),
                    &[],
                    pretty,
                );
            }
        };
    let max = org.settings.daily_api_limit;
    let used = org.usage.used(now);
    if used >= max {
        let info = [(
            "Sforce-Limit-Info".to_string(),
            limits::header_value(used, max),
        )];
        return render(Reply::error(&limits::exceeded()), &info, pretty);
    }
    org.usage.record(now);
    let ctx = Ctx {
        identity_url: auth::identity_url(&state.instance_url, &org.org_id, &user_id),
        user_id,
        version: version.to_string(),
        now,
        batch_size: batch_size(&req),
    };
    let decoded = percent_encoding::percent_decode_str(rest_path).decode_utf8_lossy();
    let request = RestRequest {
        method: req.method().clone(),
        path: format!("/{decoded}"),
        query,
        body,
    };
    let reply = router::dispatch(&mut org, &ctx, &request);
    let info = [(
        "Sforce-Limit-Info".to_string(),
        limits::header_value(used + 1, max),
    )];
    drop(org);
    render(reply, &info, pretty)
}
