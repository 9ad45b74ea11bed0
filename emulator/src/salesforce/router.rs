//! Routing of REST calls under `/services/data/vXX.X/` to their operations.
//!
//! The router works on a plain [`RestRequest`] and answers a [`Reply`], with no HTTP types in
//! between, so the composite resource can run its subrequests through exactly the same code
//! as top-level calls.

use actix_web::http::Method;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::error::{Reply, SfError, SfResult};
use super::store::Org;
use super::{collections, composite, describe, limits, query, records, search};

/// API versions served, oldest first, with their release names.
pub const VERSIONS: &[(&str, &str)] = &[
    ("58.0", "Summer '23"),
    ("59.0", "Winter '24"),
    ("60.0", "Spring '24"),
    ("61.0", "Summer '24"),
    ("62.0", "Winter '25"),
    ("63.0", "Spring '25"),
];

/// Who is calling, when, and with which options.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The running user's id.
    pub user_id: String,
    /// `v60.0`.
    pub version: String,
    /// Emulated now.
    pub now: DateTime<Utc>,
    /// `Sforce-Query-Options: batchSize=N`.
    pub batch_size: Option<usize>,
    /// The identity URL of the session, for the resources list.
    pub identity_url: String,
}

/// A multipart upload: the JSON entity part and the binary part.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The non-binary fields.
    pub entity: Value,
    /// Name of the binary part (`VersionData`).
    pub part: String,
    /// The bytes.
    pub bytes: Bytes,
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// Empty.
    None,
    /// JSON.
    Json(Value),
    /// Multipart with a binary part.
    Upload(Upload),
    /// A body that could not be read.
    Invalid(SfError),
}

/// A REST call, already authenticated.
#[derive(Debug, Clone)]
pub struct RestRequest {
    /// HTTP method.
    pub method: Method,
    /// Path after `/services/data/vXX.X`, e.g. `/sobjects/Case/500…`.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Body.
    pub body: Body,
}

impl RestRequest {
    /// First value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The JSON body, or the error Salesforce gives for a missing or unreadable one.
    pub fn json(&self) -> SfResult<&Value> {
        match &self.body {
            Body::Json(v) => Ok(v),
            Body::Invalid(e) => Err(e.clone()),
            Body::None => Err(SfError::json_parser(
                "No content to map due to end-of-input at [line:1, column:0]",
            )),
            Body::Upload(u) => Ok(&u.entity),
        }
    }
}

/// Whether `v60.0` is a served version.
pub fn known_version(segment: &str) -> bool {
    segment
        .strip_prefix('v')
        .is_some_and(|v| VERSIONS.iter().any(|(n, _)| *n == v))
}

/// The body of `GET /services/data`.
pub fn versions_body() -> Value {
    Value::Array(
        VERSIONS
            .iter()
            .map(|(v, label)| json!({"label": label, "url": format!("/services/data/v{v}"), "version": v}))
            .collect(),
    )
}

fn resources(ctx: &Ctx) -> Value {
    let v = &ctx.version;
    json!({
        "composite": format!("/services/data/{v}/composite"),
        "identity": ctx.identity_url,
        "limits": format!("/services/data/{v}/limits"),
        "parameterizedSearch": format!("/services/data/{v}/parameterizedSearch"),
        "query": format!("/services/data/{v}/query"),
        "queryAll": format!("/services/data/{v}/queryAll"),
        "search": format!("/services/data/{v}/search"),
        "sobjects": format!("/services/data/{v}/sobjects"),
    })
}

fn only(method: &Method, allowed: &[Method], shown: &str) -> SfResult<()> {
    if allowed.contains(method) || method == Method::HEAD && allowed.contains(&Method::GET) {
        Ok(())
    } else {
        Err(SfError::method_not_allowed(method.as_str(), shown))
    }
}

/// Runs one REST call.
pub fn dispatch(org: &mut Org, ctx: &Ctx, req: &RestRequest) -> Reply {
    route(org, ctx, req).unwrap_or_else(|e| Reply::error(&e))
}

fn route(org: &mut Org, ctx: &Ctx, req: &RestRequest) -> SfResult<Reply> {
    let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let m = &req.method;
    match segments.as_slice() {
        [] => {
            only(m, &[Method::GET], "HEAD,GET")?;
            Ok(Reply::ok(resources(ctx)))
        }
        ["sobjects"] => {
            only(m, &[Method::GET], "HEAD,GET")?;
            describe::global(org, ctx)
        }
        ["sobjects", object, rest @ ..] => records::route(org, ctx, req, object, rest),
        ["query"] | ["queryAll"] => {
            only(m, &[Method::GET], "HEAD,GET")?;
            query::run_query(org, ctx, req.param("q"), segments[0] == "queryAll")
        }
        ["query", locator] | ["queryAll", locator] => {
            only(m, &[Method::GET], "HEAD,GET")?;
            query::query_more(org, ctx, locator)
        }
        ["search"] => {
            only(m, &[Method::GET], "HEAD,GET")?;
            search::sosl(org, ctx, req.param("q"))
        }
        ["parameterizedSearch"] => {
            only(m, &[Method::GET, Method::POST], "HEAD,GET,POST")?;
            search::parameterized(org, ctx, req)
        }
        ["composite"] => {
            only(m, &[Method::POST], "POST")?;
            composite::run(org, ctx, req.json()?)
        }
        ["composite", "sobjects", rest @ ..] => collections::route(org, ctx, req, rest),
        ["limits"] => {
            only(m, &[Method::GET], "HEAD,GET")?;
            let max = org.settings.daily_api_limit;
            let used = org.usage.used(ctx.now);
            Ok(Reply::ok(limits::limits_body(used, max)))
        }
        _ => Err(SfError::not_found()),
    }
}
