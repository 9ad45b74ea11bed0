//! Entity properties of issues and comments: PUT (201 when created, 200 when replaced, empty
//! body), GET (`{key, value}`), list keys, DELETE (204).
//!
//! sfjira writes its idempotency markers here, so the size limits and the 201/200 distinction
//! match Jira's: a client that retries a PUT sees 200 the second time.

use actix_web::{web, HttpResponse};
use bytes::Bytes;
use serde_json::{json, Value};

use super::auth::Ctx;
use super::error::{JiraError, JiraResult};
use super::webhooks::{self, Event};

/// Registers the routes (inside a `/rest/api/{2,3}` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/issue/{key}/properties", web::get().to(issue_keys))
        .service(
            web::resource("/issue/{key}/properties/{prop}")
                .route(web::get().to(issue_get))
                .route(web::put().to(issue_put))
                .route(web::delete().to(issue_delete)),
        )
        .route("/comment/{id}/properties", web::get().to(comment_keys))
        .service(
            web::resource("/comment/{id}/properties/{prop}")
                .route(web::get().to(comment_get))
                .route(web::put().to(comment_put))
                .route(web::delete().to(comment_delete)),
        );
}

/// Jira's limits on a property: a key of 1–255 characters, a value of at most 32,768.
pub fn check_property(key: &str, value: &Value) -> JiraResult<()> {
    if key.trim().is_empty() {
        return Err(JiraError::bad_request("The property key can not be empty."));
    }
    if key.chars().count() > 255 {
        return Err(JiraError::bad_request(
            "The property key cannot be longer than 255 characters.",
        ));
    }
    if value.to_string().chars().count() > 32_768 {
        return Err(JiraError::bad_request(
            "The property value cannot be longer than 32768 characters.",
        ));
    }
    Ok(())
}

fn read_value(body: &Bytes) -> JiraResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(JiraError::bad_request(
            "The property value must be a valid JSON.",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|_| JiraError::bad_request("The property value must be a valid JSON."))
}

fn missing(key: &str) -> JiraError {
    JiraError::not_found(format!("The property with key '{key}' does not exist."))
}

fn comment_missing(id: &str) -> JiraError {
    JiraError::not_found(format!("Can not find a comment for the id: {id}."))
}

fn keys_body(base: &str, keys: impl Iterator<Item = String>) -> Value {
    let keys: Vec<Value> = keys
        .map(|k| {
            let encoded =
                percent_encoding::utf8_percent_encode(&k, percent_encoding::NON_ALPHANUMERIC);
            json!({"key": k, "self": format!("{base}/{encoded}")})
        })
        .collect();
    json!({ "keys": keys })
}

async fn issue_keys(ctx: Ctx, path: web::Path<String>) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let issue = state.issue(&path)?;
    let view = ctx.view(&state);
    let base = view.api(&format!("issue/{}/properties", issue.key));
    Ok(HttpResponse::Ok().json(keys_body(&base, issue.properties.keys().cloned())))
}

async fn issue_get(ctx: Ctx, path: web::Path<(String, String)>) -> JiraResult<HttpResponse> {
    let (key, prop) = path.into_inner();
    let state = ctx.site.state.read();
    let issue = state.issue(&key)?;
    let value = issue.properties.get(&prop).ok_or_else(|| missing(&prop))?;
    Ok(HttpResponse::Ok().json(json!({"key": prop, "value": value})))
}

async fn issue_put(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    body: Bytes,
) -> JiraResult<HttpResponse> {
    let (key, prop) = path.into_inner();
    let value = read_value(&body)?;
    check_property(&prop, &value)?;
    let mut state = ctx.site.state.write();
    let mut issue = state.issue_mut(&key)?;
    let id = issue.id;
    let existed = issue.properties.insert(prop.clone(), value).is_some();
    drop(issue);
    drop(state);
    webhooks::emit(&ctx.site, &ctx.caller, vec![Event::PropertySet(id, prop)]);
    Ok(if existed {
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::Created().finish()
    })
}

async fn issue_delete(ctx: Ctx, path: web::Path<(String, String)>) -> JiraResult<HttpResponse> {
    let (key, prop) = path.into_inner();
    let mut state = ctx.site.state.write();
    let mut issue = state.issue_mut(&key)?;
    let id = issue.id;
    issue
        .properties
        .remove(&prop)
        .ok_or_else(|| missing(&prop))?;
    drop(issue);
    drop(state);
    webhooks::emit(
        &ctx.site,
        &ctx.caller,
        vec![Event::PropertyDeleted(id, prop)],
    );
    Ok(HttpResponse::NoContent().finish())
}

async fn comment_keys(ctx: Ctx, path: web::Path<String>) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let (_, comment) = state.comment(&path).ok_or_else(|| comment_missing(&path))?;
    let base = ctx
        .view(&state)
        .api(&format!("comment/{}/properties", comment.id));
    Ok(HttpResponse::Ok().json(keys_body(&base, comment.properties.keys().cloned())))
}

async fn comment_get(ctx: Ctx, path: web::Path<(String, String)>) -> JiraResult<HttpResponse> {
    let (id, prop) = path.into_inner();
    let state = ctx.site.state.read();
    let (_, comment) = state.comment(&id).ok_or_else(|| comment_missing(&id))?;
    let value = comment
        .properties
        .get(&prop)
        .ok_or_else(|| missing(&prop))?;
    Ok(HttpResponse::Ok().json(json!({"key": prop, "value": value})))
}

async fn comment_put(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    body: Bytes,
) -> JiraResult<HttpResponse> {
    let (id, prop) = path.into_inner();
    let value = read_value(&body)?;
    check_property(&prop, &value)?;
    let mut state = ctx.site.state.write();
    let (issue_id, at) = state
        .comment_location(&id)
        .ok_or_else(|| comment_missing(&id))?;
    let mut issue = state
        .issues
        .get_mut(&issue_id)
        .ok_or_else(|| comment_missing(&id))?;
    let comment = issue
        .comments
        .get_mut(at)
        .ok_or_else(|| comment_missing(&id))?;
    let existed = comment.properties.insert(prop, value).is_some();
    Ok(if existed {
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::Created().finish()
    })
}

async fn comment_delete(ctx: Ctx, path: web::Path<(String, String)>) -> JiraResult<HttpResponse> {
    let (id, prop) = path.into_inner();
    let mut state = ctx.site.state.write();
    let (issue_id, at) = state
        .comment_location(&id)
        .ok_or_else(|| comment_missing(&id))?;
    let mut issue = state
        .issues
        .get_mut(&issue_id)
        .ok_or_else(|| comment_missing(&id))?;
    let comment = issue
        .comments
        .get_mut(at)
        .ok_or_else(|| comment_missing(&id))?;
    comment
        .properties
        .remove(&prop)
        .ok_or_else(|| missing(&prop))?;
    Ok(HttpResponse::NoContent().finish())
}
