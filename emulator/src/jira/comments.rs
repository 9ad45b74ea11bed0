//! Issue comments: list (paged, `orderBy`), add (201, with `properties` and `visibility`), get,
//! update (200) and delete (204); ADF bodies in v3, plain-text bodies in v2.
//!
//! Comments are how Salesforce case feed and Jira discussion meet, so adding one bumps the
//! issue's `updated` (poll windows see it) and raises `comment_*` events along with the
//! `jira:issue_updated` Jira sends beside them.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::adf;
use super::auth::Ctx;
use super::bean::split_list;
use super::error::{JiraError, JiraResult};
use super::issues::read_properties;
use super::model::{Comment, State};
use super::params::Params;
use super::render::Version;
use super::webhooks::{self, Event};

/// Registers the routes (inside a `/rest/api/{2,3}` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/issue/{key}/comment")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/issue/{key}/comment/{id}")
            .route(web::get().to(get))
            .route(web::put().to(update))
            .route(web::delete().to(delete)),
    );
}

/// Reads a comment body: an ADF document in v3, a string in v2.
pub fn parse_body(body: &Value, version: Version) -> Result<Value, String> {
    match (version, body) {
        (Version::V3, doc) if adf::is_document(doc) => {
            if adf::to_text(doc).trim().is_empty() {
                Err("Comment body can not be empty!".into())
            } else {
                Ok(doc.clone())
            }
        }
        (Version::V2, Value::String(s)) if s.trim().is_empty() => {
            Err("Comment body can not be empty!".into())
        }
        (Version::V2, Value::String(s)) => Ok(adf::from_text(s)),
        _ => Err("Comment body is not valid!".into()),
    }
}

/// Adds a comment to an issue and bumps `updated`; `None` when the issue is gone.
pub fn add(
    state: &mut State,
    issue_id: u64,
    author: &str,
    body: Value,
    visibility: Option<Value>,
    properties: Vec<(String, Value)>,
    now: DateTime<Utc>,
) -> Option<Comment> {
    let id = state.ids.next("comment");
    let internal = properties.iter().any(|(k, v)| {
        k == "sd.public.comment" && v.get("internal").and_then(Value::as_bool) == Some(true)
    });
    let comment = Comment {
        id,
        author: author.to_string(),
        update_author: author.to_string(),
        body,
        created: now,
        updated: now,
        visibility,
        jsd_public: !internal,
        properties: properties.into_iter().collect::<BTreeMap<_, _>>(),
    };
    let mut issue = state.issues.get_mut(&issue_id)?;
    issue.comments.push(comment.clone());
    issue.updated = now;
    Some(comment)
}

/// The events a new comment raises.
pub fn comment_events(issue_id: u64, comment: &Comment) -> Vec<Event> {
    vec![
        Event::CommentCreated(issue_id, comment.clone()),
        Event::IssueUpdated {
            issue: issue_id,
            type_name: "issue_commented",
            history: None,
            comment: Some(comment.clone()),
        },
    ]
}

fn visibility(body: &Value) -> JiraResult<Option<Value>> {
    match body.get("visibility") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let kind = v.get("type").and_then(Value::as_str);
            let value = v
                .get("value")
                .or_else(|| v.get("identifier"))
                .and_then(Value::as_str);
            match (kind, value) {
                (Some(kind @ ("group" | "role")), Some(value)) => {
                    let mut out = json!({"type": kind, "value": value});
                    if let Some(id) = v.get("identifier") {
                        out["identifier"] = id.clone();
                    }
                    Ok(Some(out))
                }
                _ => Err(JiraError::field(
                    "commentLevel",
                    "The visibility must have a 'type' of 'group' or 'role' and a 'value'.",
                )),
            }
        }
    }
}

fn comment_not_found(id: &str) -> JiraError {
    JiraError::not_found(format!("Can not find a comment for the id: {id}."))
}

fn expands(params: &Params) -> (bool, bool) {
    let e = split_list(&params.all("expand"));
    (
        e.iter().any(|x| x == "renderedBody"),
        e.iter().any(|x| x == "properties"),
    )
}

async fn list(ctx: Ctx, path: web::Path<String>, params: Params) -> JiraResult<HttpResponse> {
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = params.int("maxResults")?.unwrap_or(100).clamp(0, 5000) as usize;
    let order = params.get("orderBy").unwrap_or("created").to_string();
    if !matches!(order.as_str(), "created" | "+created" | "-created") {
        return Err(JiraError::bad_request(format!(
            "Invalid orderBy value '{order}'. Valid values are 'created', '+created' and '-created'."
        )));
    }
    let (rendered, props) = expands(&params);
    let state = ctx.site.state.read();
    let issue = state.issue(&path)?;
    let view = ctx.view(&state);
    let mut comments: Vec<&Comment> = issue.comments.iter().collect();
    comments.sort_by_key(|c| (c.created, c.id));
    if order == "-created" {
        comments.reverse();
    }
    let total = comments.len();
    let page: Vec<Value> = comments
        .into_iter()
        .skip(start)
        .take(max)
        .map(|c| view.comment(issue, c, rendered, props))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "comments": page, "maxResults": max, "startAt": start, "total": total,
    })))
}

async fn create(
    ctx: Ctx,
    path: web::Path<String>,
    params: Params,
    body: web::Json<Value>,
) -> JiraResult<HttpResponse> {
    let body = body.into_inner();
    let adf = parse_body(body.get("body").unwrap_or(&Value::Null), ctx.version)
        .map_err(JiraError::bad_request)?;
    let visibility = visibility(&body)?;
    let properties = read_properties(&body)?;
    let now = ctx.now();
    let (rendered, props) = expands(&params);
    let mut state = ctx.site.state.write();
    let issue_id = state.issue(&path)?.id;
    let comment = add(
        &mut state,
        issue_id,
        &ctx.caller,
        adf,
        visibility,
        properties,
        now,
    )
    .ok_or_else(JiraError::issue_not_found)?;
    let issue = state.issue(&path)?;
    let value = ctx.view(&state).comment(issue, &comment, rendered, props);
    drop(state);
    webhooks::emit(&ctx.site, &ctx.caller, comment_events(issue_id, &comment));
    Ok(HttpResponse::Created().json(value))
}

async fn get(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    params: Params,
) -> JiraResult<HttpResponse> {
    let (key, id) = path.into_inner();
    let (rendered, props) = expands(&params);
    let state = ctx.site.state.read();
    let issue = state.issue(&key)?;
    let comment = issue
        .comments
        .iter()
        .find(|c| c.id.to_string() == id)
        .ok_or_else(|| comment_not_found(&id))?;
    Ok(HttpResponse::Ok().json(ctx.view(&state).comment(issue, comment, rendered, props)))
}

async fn update(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    params: Params,
    body: web::Json<Value>,
) -> JiraResult<HttpResponse> {
    let (key, id) = path.into_inner();
    let body = body.into_inner();
    let adf = parse_body(body.get("body").unwrap_or(&Value::Null), ctx.version)
        .map_err(JiraError::bad_request)?;
    let new_visibility = visibility(&body)?;
    let properties = read_properties(&body)?;
    let (rendered, props) = expands(&params);
    let now = ctx.now();
    let mut state = ctx.site.state.write();
    let mut issue = state.issue_mut(&key)?;
    let issue_id = issue.id;
    let comment = issue
        .comments
        .iter_mut()
        .find(|c| c.id.to_string() == id)
        .ok_or_else(|| comment_not_found(&id))?;
    comment.body = adf;
    comment.updated = now;
    comment.update_author = ctx.caller.clone();
    if body.get("visibility").is_some() {
        comment.visibility = new_visibility;
    }
    comment.properties.extend(properties);
    let comment = comment.clone();
    issue.updated = now;
    drop(issue);
    let issue = state.issue(&key)?;
    let value = ctx.view(&state).comment(issue, &comment, rendered, props);
    drop(state);
    webhooks::emit(
        &ctx.site,
        &ctx.caller,
        vec![
            Event::CommentUpdated(issue_id, comment.clone()),
            Event::IssueUpdated {
                issue: issue_id,
                type_name: "issue_comment_edited",
                history: None,
                comment: Some(comment),
            },
        ],
    );
    Ok(HttpResponse::Ok().json(value))
}

async fn delete(ctx: Ctx, path: web::Path<(String, String)>) -> JiraResult<HttpResponse> {
    let (key, id) = path.into_inner();
    let now = ctx.now();
    let mut state = ctx.site.state.write();
    let mut issue = state.issue_mut(&key)?;
    let issue_id = issue.id;
    let at = issue
        .comments
        .iter()
        .position(|c| c.id.to_string() == id)
        .ok_or_else(|| comment_not_found(&id))?;
    let comment = issue.comments.remove(at);
    issue.updated = now;
    drop(issue);
    drop(state);
    webhooks::emit(
        &ctx.site,
        &ctx.caller,
        vec![
            Event::CommentDeleted(issue_id, comment.clone()),
            Event::IssueUpdated {
                issue: issue_id,
                type_name: "issue_comment_deleted",
                history: None,
                comment: Some(comment),
            },
        ],
    );
    Ok(HttpResponse::NoContent().finish())
}
