//! JQL search endpoints: `GET|POST /search/jql` (token paging: `nextPageToken` absent on the
//! last page, `fields` defaulting to `id`, unbounded queries refused),
//! `POST /search/approximate-count`, and the older `GET|POST /search` (`startAt`/`total`) that
//! some clients still call.
//!
//! The emulator is strongly consistent unless a search index lag is armed (see
//! [`super::index_lag`]); then new issues join results only after the lag, except those named in
//! `reconcileIssues`.

use actix_web::{web, HttpResponse};
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::auth::Ctx;
use super::bean::{issue_bean, split_list, BeanOptions, FieldSelection};
use super::error::{JiraError, JiraResult};
use super::fields;
use super::jql::{self, Env};
use super::params::Params;
use super::render::View;

/// Registers the routes (inside a `/rest/api/{2,3}` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/search/jql")
            .route(web::get().to(jql_get))
            .route(web::post().to(jql_post)),
    )
    .route(
        "/search/approximate-count",
        web::post().to(approximate_count),
    )
    .service(
        web::resource("/search")
            .route(web::get().to(old_get))
            .route(web::post().to(old_post)),
    );
}

/// Jira's refusal of a query without a search restriction.
pub const UNBOUNDED: &str =
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.";

/// A search request, from the query string or a JSON body.
#[derive(Debug, Default)]
struct Request {
    jql: String,
    token: Option<String>,
    start_at: Option<i64>,
    max_results: Option<i64>,
    fields: Vec<String>,
    expand: Vec<String>,
    properties: Option<Vec<String>>,
    reconcile: Vec<u64>,
}

impl Request {
    fn from_params(params: &Params) -> JiraResult<Self> {
        Ok(Self {
            jql: params.get("jql").unwrap_or_default().to_string(),
            token: params
                .get("nextPageToken")
                .filter(|t| !t.is_empty())
                .map(String::from),
            start_at: params.int("startAt")?,
            max_results: params.int("maxResults")?,
            fields: params.all("fields"),
            expand: split_list(&params.all("expand")),
            properties: params
                .has("properties")
                .then(|| split_list(&params.all("properties"))),
            reconcile: split_list(&params.all("reconcileIssues"))
                .iter()
                .filter_map(|i| i.parse().ok())
                .collect(),
        })
    }

    fn from_body(body: &Value) -> JiraResult<Self> {
        let strings = |v: Option<&Value>| -> Vec<String> {
            match v {
                Some(Value::Array(items)) => items.iter().map(fields::scalar_text).collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            }
        };
        let int = |key: &str| -> JiraResult<Option<i64>> {
            match body.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_i64().map(Some).ok_or_else(|| {
                    JiraError::bad_request(format!("The value of '{key}' must be a number."))
                }),
            }
        };
        Ok(Self {
            jql: body
                .get("jql")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            token: body
                .get("nextPageToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(String::from),
            start_at: int("startAt")?,
            max_results: int("maxResults")?,
            fields: strings(body.get("fields")),
            expand: split_list(&strings(body.get("expand"))),
            properties: body
                .get("properties")
                .map(|p| split_list(&strings(Some(p)))),
            reconcile: body
                .get("reconcileIssues")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default(),
        })
    }

    fn options(&self, default_fields: &str) -> BeanOptions {
        BeanOptions {
            fields: FieldSelection::parse(&self.fields, default_fields),
            expand: self
                .expand
                .iter()
                .filter(|e| *e != "names" && *e != "schema")
                .cloned()
                .collect(),
            properties: self.properties.clone(),
        }
    }
}

fn digest(jql: &str) -> String {
    hex::encode(&Sha256::digest(jql.trim().as_bytes())[..6])
}

fn encode_token(offset: usize, jql: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{offset}:{}", digest(jql)))
}

fn decode_token(token: &str, jql: &str) -> JiraResult<usize> {
    let invalid = || JiraError::bad_request("The provided next page token is invalid or expired.");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(raw).map_err(|_| invalid())?;
    let mut parts = text.split(':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("v1"), Some(offset), Some(hash)) if hash == digest(jql) => {
            offset.parse().map_err(|_| invalid())
        }
        _ => Err(invalid()),
    }
}

fn names_and_schema(
    view: &View,
    options: &BeanOptions,
    expand: &[String],
    out: &mut Map<String, Value>,
) {
    let ids = options.fields.resolve(view);
    if expand.iter().any(|e| e == "names") {
        let names: Map<String, Value> = ids
            .iter()
            .filter_map(|f| fields::field_name(view.state, f).map(|n| (f.clone(), json!(n))))
            .collect();
        out.insert("names".into(), Value::Object(names));
    }
    if expand.iter().any(|e| e == "schema") {
        let schema: Map<String, Value> = ids
            .iter()
            .filter_map(|f| fields::schema_of(view.state, f).map(|s| (f.clone(), s)))
            .collect();
        out.insert("schema".into(), Value::Object(schema));
    }
}

fn run(ctx: &Ctx, request: &Request, bounded_only: bool) -> JiraResult<Vec<u64>> {
    let state = ctx.site.state.read();
    let query = jql::parse(&request.jql)?;
    let env = Env {
        caller: ctx.caller.clone(),
        now: ctx.now(),
    };
    let compiled = jql::Compiled::new(&state, &query, &env)?;
    if bounded_only && !compiled.is_bounded() {
        return Err(JiraError::bad_request(UNBOUNDED));
    }
    let mut hits: Vec<_> = state
        .issues
        .values()
        .filter(|i| ctx.site.search_index.searchable(i.id) || request.reconcile.contains(&i.id))
        .filter(|i| compiled.matches(&state, i))
        .collect();
    compiled.sort(&state, &mut hits);
    Ok(hits.into_iter().map(|i| i.id).collect())
}

fn enhanced(ctx: Ctx, request: Request) -> JiraResult<HttpResponse> {
    let options = request.options("id");
    let ids = run(&ctx, &request, true)?;
    let offset = match &request.token {
        Some(token) => decode_token(token, &request.jql)?,
        None => 0,
    };
    let cap = if options.fields.id_only() { 5000 } else { 100 };
    let max = request.max_results.unwrap_or(50).clamp(0, cap) as usize;
    let state = ctx.site.state.read();
    let view = ctx.view(&state);
    let page: Vec<Value> = ids
        .iter()
        .skip(offset)
        .take(max)
        .filter_map(|id| state.issues.get(id))
        .map(|i| issue_bean(&view, i, &options))
        .collect();
    let next = offset + page.len();
    let is_last = next >= ids.len() || max == 0;
    let mut body = Map::new();
    body.insert("issues".into(), Value::Array(page));
    body.insert("isLast".into(), json!(is_last));
    if !is_last {
        body.insert(
            "nextPageToken".into(),
            json!(encode_token(next, &request.jql)),
        );
    }
    names_and_schema(&view, &options, &request.expand, &mut body);
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

async fn jql_get(ctx: Ctx, params: Params) -> JiraResult<HttpResponse> {
    let request = Request::from_params(&params)?;
    enhanced(ctx, request)
}

async fn jql_post(ctx: Ctx, body: web::Json<Value>) -> JiraResult<HttpResponse> {
    let request = Request::from_body(&body)?;
    enhanced(ctx, request)
}

async fn approximate_count(ctx: Ctx, body: web::Json<Value>) -> JiraResult<HttpResponse> {
    let request = Request::from_body(&body)?;
    let ids = run(&ctx, &request, true)?;
    Ok(HttpResponse::Ok().json(json!({"count": ids.len()})))
}

fn old(ctx: Ctx, request: Request) -> JiraResult<HttpResponse> {
    let options = request.options("*navigable");
    let ids = run(&ctx, &request, false)?;
    let start = request.start_at.unwrap_or(0).max(0) as usize;
    let max = request.max_results.unwrap_or(50).clamp(0, 100) as usize;
    let state = ctx.site.state.read();
    let view = ctx.view(&state);
    let page: Vec<Value> = ids
        .iter()
        .skip(start)
        .take(max)
        .filter_map(|id| state.issues.get(id))
        .map(|i| issue_bean(&view, i, &options))
        .collect();
    let mut body = Map::new();
    body.insert("expand".into(), json!("schema,names"));
    body.insert("startAt".into(), json!(start));
    body.insert("maxResults".into(), json!(max));
    body.insert("total".into(), json!(ids.len()));
    body.insert("issues".into(), Value::Array(page));
    names_and_schema(&view, &options, &request.expand, &mut body);
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

async fn old_get(ctx: Ctx, params: Params) -> JiraResult<HttpResponse> {
    let request = Request::from_params(&params)?;
    old(ctx, request)
}

async fn old_post(ctx: Ctx, body: web::Json<Value>) -> JiraResult<HttpResponse> {
    let request = Request::from_body(&body)?;
    old(ctx, request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_are_bound_to_their_query() {
        let token = encode_token(50, "project = SUP");
        assert_eq!(decode_token(&token, "project = SUP").ok(), Some(50));
        assert!(decode_token(&token, "project = ENG").is_err());
        assert!(decode_token("garbage", "project = SUP").is_err());
    }
}
