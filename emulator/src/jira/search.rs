//! JQL search endpoints: `GET|POST /search/jql` (token paging: `nextPageToken` absent on the
//! last page, `fields` defaulting to `id`, unbounded queries refused),
//! `POST /search/approximate-count`, and the older `GET|POST /search` (`startAt`/`total`) that
//! some clients still call.
//!
//! The emulator is strongly consistent unless a search index lag is armed (see
//! [`super::index_lag`]); then new issues join results only after the lag, except those named in
//! `reconcileIssues`.
//!
//! A query ordered by `updated` ascending (how connectors sweep for changes) is answered from
//! the site's `updated` index, starting at its `updated >=` bound, and its page token holds the
//! position after the last issue returned: each page costs what it returns, not the whole site.
//! Other orders page by offset over the sorted matches.

use actix_web::{web, HttpResponse};
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::auth::Ctx;
use super::bean::{issue_bean, split_list, BeanOptions, FieldSelection};
use super::error::{JiraError, JiraResult};
use super::fields;
use super::jql::{self, Env};
use super::model::{Issue, State};
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

/// Where the next page of a search starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// After this many matches (any order).
    Offset(usize),
    /// After this issue (updated in milliseconds, id) in `updated` order.
    After(i64, u64),
}

fn encode_token(position: Position, jql: &str) -> String {
    let text = match position {
        Position::Offset(offset) => format!("v1:{offset}:{}", digest(jql)),
        Position::After(updated, id) => format!("v2:{updated}.{id}:{}", digest(jql)),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn decode_token(token: &str, jql: &str) -> JiraResult<Position> {
    let invalid = || JiraError::bad_request("The provided next page token is invalid or expired.");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(raw).map_err(|_| invalid())?;
    let mut parts = text.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("v1"), Some(offset), Some(hash), None) if hash == digest(jql) => {
            offset.parse().map(Position::Offset).map_err(|_| invalid())
        }
        (Some("v2"), Some(position), Some(hash), None) if hash == digest(jql) => {
            let (updated, id) = position.split_once('.').ok_or_else(invalid)?;
            Ok(Position::After(
                updated.parse().map_err(|_| invalid())?,
                id.parse().map_err(|_| invalid())?,
            ))
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

fn compile(
    state: &State,
    ctx: &Ctx,
    request: &Request,
    bounded_only: bool,
) -> JiraResult<jql::Compiled> {
    let query = jql::parse(&request.jql)?;
    let env = Env {
        caller: ctx.caller.clone(),
        now: ctx.now(),
    };
    let compiled = jql::Compiled::new(state, &query, &env)?;
    if bounded_only && !compiled.is_bounded() {
        return Err(JiraError::bad_request(UNBOUNDED));
    }
    Ok(compiled)
}

/// Whether an issue is in the search index (or named to be reconciled) and matches.
fn hit(
    ctx: &Ctx,
    request: &Request,
    compiled: &jql::Compiled,
    state: &State,
    issue: &Issue,
) -> bool {
    (ctx.site.search_index.searchable(issue.id) || request.reconcile.contains(&issue.id))
        && compiled.matches(state, issue)
}

fn run(ctx: &Ctx, request: &Request, bounded_only: bool) -> JiraResult<Vec<u64>> {
    let state = ctx.site.state.read();
    let compiled = compile(&state, ctx, request, bounded_only)?;
    Ok(matches(ctx, request, &compiled, &state))
}

/// The ids of every match, in result order.
fn matches(ctx: &Ctx, request: &Request, compiled: &jql::Compiled, state: &State) -> Vec<u64> {
    if compiled.ordered_by_updated() {
        return state
            .issues
            .by_updated(compiled.updated_from(), None)
            .filter(|i| hit(ctx, request, compiled, state, i))
            .map(|i| i.id)
            .collect();
    }
    let mut hits: Vec<_> = state
        .issues
        .values()
        .filter(|i| hit(ctx, request, compiled, state, i))
        .collect();
    compiled.sort(state, &mut hits);
    hits.into_iter().map(|i| i.id).collect()
}

/// One page of matches from `position`: the ids, and where the next page starts if any.
fn page(
    ctx: &Ctx,
    request: &Request,
    compiled: &jql::Compiled,
    state: &State,
    position: Position,
    max: usize,
) -> (Vec<u64>, Option<Position>) {
    match position {
        Position::After(..) | Position::Offset(0) if compiled.ordered_by_updated() => {
            let after = match position {
                Position::After(updated, id) => Some((updated, id)),
                Position::Offset(_) => None,
            };
            let mut found = state
                .issues
                .by_updated(compiled.updated_from(), after)
                .filter(|i| hit(ctx, request, compiled, state, i))
                .take(max + 1);
            let ids: Vec<&Issue> = found.by_ref().take(max).collect();
            let more = max > 0 && found.next().is_some();
            let next = more
                .then(|| ids.last())
                .flatten()
                .map(|i| Position::After(i.updated.timestamp_millis(), i.id));
            (ids.into_iter().map(|i| i.id).collect(), next)
        }
        Position::After(..) => (Vec::new(), None),
        Position::Offset(offset) => {
            let all = matches(ctx, request, compiled, state);
            let ids: Vec<u64> = all.iter().skip(offset).take(max).copied().collect();
            let next = offset + ids.len();
            let more = next < all.len() && max > 0;
            (ids, more.then_some(Position::Offset(next)))
        }
    }
}

fn enhanced(ctx: Ctx, request: Request) -> JiraResult<HttpResponse> {
    let options = request.options("id");
    let state = ctx.site.state.read();
    let compiled = compile(&state, &ctx, &request, true)?;
    let position = match &request.token {
        Some(token) => decode_token(token, &request.jql)?,
        None => Position::Offset(0),
    };
    let cap = if options.fields.id_only() { 5000 } else { 100 };
    let max = request.max_results.unwrap_or(50).clamp(0, cap) as usize;
    let (ids, next) = page(&ctx, &request, &compiled, &state, position, max);
    let view = ctx.view(&state);
    let page: Vec<Value> = ids
        .iter()
        .filter_map(|id| state.issues.get(id))
        .map(|i| issue_bean(&view, i, &options))
        .collect();
    let mut body = Map::new();
    body.insert("issues".into(), Value::Array(page));
    body.insert("isLast".into(), json!(next.is_none()));
    if let Some(next) = next {
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
        let token = encode_token(Position::Offset(50), "project = SUP");
        assert_eq!(
            decode_token(&token, "project = SUP").ok(),
            Some(Position::Offset(50))
        );
        assert!(decode_token(&token, "project = ENG").is_err());
        assert!(decode_token("garbage", "project = SUP").is_err());
        let after = Position::After(1_700_000_000_123, 10042);
        let token = encode_token(after, "project = SUP ORDER BY updated");
        assert_eq!(
            decode_token(&token, "project = SUP ORDER BY updated").ok(),
            Some(after)
        );
        assert!(decode_token(&token, "project = SUP").is_err());
    }
}
