//! Attachments: multipart upload (parts named `file`, `X-Atlassian-Token: no-check` required,
//! 200 with an array, 413 over the upload limit), metadata, download (303 to a blob URL by
//! default, bytes with `redirect=false`, single byte ranges), delete, and `attachment/meta`.
//!
//! The blob URL stands in for Jira's media service: it needs no Jira credentials, only the
//! random token in its path, so a client following the redirect behaves as it would in Cloud.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures::StreamExt;
use rand::Rng;
use serde_json::{json, Value};

use super::auth::Ctx;
use super::error::{JiraError, JiraResult};
use super::fields;
use super::model::Attachment;
use super::params::Params;
use super::site::Site;
use super::webhooks::{self, Event};

/// Registers the API routes (inside a `/rest/api/{2,3}` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/issue/{key}/attachments", web::post().to(upload))
        .route("/attachment/meta", web::get().to(settings))
        .route("/attachment/content/{id}", web::get().to(content))
        .service(
            web::resource("/attachment/{id}")
                .route(web::get().to(metadata))
                .route(web::delete().to(delete)),
        );
}

/// Registers the blob route the content redirect points to.
pub fn configure_blobs(cfg: &mut web::ServiceConfig) {
    cfg.route("/media/file/{token}/binary", web::get().to(blob));
}

/// A MIME type from a file name, for parts sent as `application/octet-stream`.
pub fn guess_mime(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

fn too_large(site: &Site, name: &str) -> JiraError {
    JiraError::status(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "The file '{name}' is too large to attach. Attachments must be smaller than {} bytes.",
            site.upload_limit
        ),
    )
}

struct Upload {
    filename: String,
    mime: String,
    bytes: Vec<u8>,
}

async fn read_files(site: &Site, mut multipart: Multipart) -> JiraResult<Vec<Upload>> {
    let mut files = Vec::new();
    let mut total: u64 = 0;
    while let Some(part) = multipart.next().await {
        let mut field =
            part.map_err(|e| JiraError::bad_request(format!("Invalid multipart request: {e}")))?;
        if field.name() != Some("file") {
            while let Some(chunk) = field.next().await {
                chunk.map_err(|e| JiraError::bad_request(e.to_string()))?;
            }
            continue;
        }
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(String::from)
            .unwrap_or_else(|| "file".to_string());
        let declared = field.content_type().map(|m| m.essence_str().to_string());
        let mime = match declared.as_deref() {
            None | Some("application/octet-stream") => guess_mime(&filename).to_string(),
            Some(m) => m.to_string(),
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| JiraError::bad_request(e.to_string()))?;
            total += chunk.len() as u64;
            if bytes.len() as u64 + chunk.len() as u64 > site.upload_limit
                || total > site.upload_limit
            {
                return Err(too_large(site, &filename));
            }
            bytes.extend_from_slice(&chunk);
        }
        files.push(Upload {
            filename,
            mime,
            bytes,
        });
    }
    if files.is_empty() {
        return Err(JiraError::bad_request(
            "No attachments were found in the request. Send each file as a multipart part named 'file'.",
        ));
    }
    if files.len() > 60 {
        return Err(JiraError::status(
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            "You can upload at most 60 files at once.",
        ));
    }
    Ok(files)
}

fn xsrf_ok(req: &HttpRequest) -> bool {
    req.headers()
        .get("X-Atlassian-Token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("no-check") || v.eq_ignore_ascii_case("nocheck"))
}

async fn upload(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    multipart: Multipart,
) -> JiraResult<HttpResponse> {
    if !xsrf_ok(&req) {
        return Err(JiraError::Xsrf);
    }
    ctx.site.state.read().issue(&path)?;
    let files = read_files(&ctx.site, multipart).await?;
    let now = ctx.now();
    let mut state = ctx.site.state.write();
    let issue_id = state.issue(&path)?.id;
    let mut created = Vec::new();
    let mut items = Vec::new();
    for file in files {
        let id = state.ids.next("attachment");
        let token: String = rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        let attachment = Attachment {
            id,
            issue_id,
            filename: file.filename,
            author: ctx.caller.clone(),
            created: now,
            mime_type: file.mime,
            blob_token: token,
            content: file.bytes,
        };
        items.push(attachment_item(Some(&attachment), None));
        state.attachments.insert(id, attachment.clone());
        created.push(attachment);
    }
    let history = state.record_history(issue_id, &ctx.caller, now, items);
    let view = ctx.view(&state);
    let body: Vec<Value> = created.iter().map(|a| view.attachment(a)).collect();
    drop(state);
    let mut events: Vec<Event> = created
        .into_iter()
        .map(|a| Event::AttachmentCreated(Box::new(a)))
        .collect();
    events.push(Event::IssueUpdated {
        issue: issue_id,
        type_name: "issue_updated",
        history,
        comment: None,
    });
    webhooks::emit(&ctx.site, &ctx.caller, events);
    Ok(HttpResponse::Ok().json(body))
}

fn attachment_item(
    added: Option<&Attachment>,
    removed: Option<&Attachment>,
) -> super::model::ChangeItem {
    let mut item = fields::item(
        "Attachment",
        removed.map(|a| a.id.to_string()),
        removed.map(|a| a.filename.clone()),
        added.map(|a| a.id.to_string()),
        added.map(|a| a.filename.clone()),
    );
    item.field_id = "attachment".into();
    item
}

async fn settings(ctx: Ctx) -> JiraResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(json!({"enabled": true, "uploadLimit": ctx.site.upload_limit})))
}

fn not_found(id: &str) -> JiraError {
    JiraError::not_found(format!("The attachment with id '{id}' does not exist."))
}

fn find<'a>(state: &'a super::model::State, id: &str) -> JiraResult<&'a Attachment> {
    id.parse::<u64>()
        .ok()
        .and_then(|n| state.attachments.get(&n))
        .ok_or_else(|| not_found(id))
}

async fn metadata(ctx: Ctx, path: web::Path<String>) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let attachment = find(&state, &path)?;
    Ok(HttpResponse::Ok().json(ctx.view(&state).attachment_metadata(attachment)))
}

async fn delete(ctx: Ctx, path: web::Path<String>) -> JiraResult<HttpResponse> {
    let now = ctx.now();
    let mut state = ctx.site.state.write();
    let id = find(&state, &path)?.id;
    let Some(attachment) = state.attachments.remove(&id) else {
        return Err(not_found(&path));
    };
    let history = state.record_history(
        attachment.issue_id,
        &ctx.caller,
        now,
        vec![attachment_item(None, Some(&attachment))],
    );
    drop(state);
    let issue_id = attachment.issue_id;
    webhooks::emit(
        &ctx.site,
        &ctx.caller,
        vec![
            Event::AttachmentDeleted(Box::new(attachment)),
            Event::IssueUpdated {
                issue: issue_id,
                type_name: "issue_updated",
                history,
                comment: None,
            },
        ],
    );
    Ok(HttpResponse::NoContent().finish())
}

fn bytes_response(req: &HttpRequest, attachment: &Attachment) -> HttpResponse {
    let data = &attachment.content;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        attachment.filename.replace('"', "")
    );
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes="))
        .map(|r| r.split_once('-').unwrap_or((r, "")))
        .map(|(a, b)| {
            (
                a.trim().parse::<usize>().ok(),
                b.trim().parse::<usize>().ok(),
            )
        });
    match range {
        None => HttpResponse::Ok()
            .content_type(attachment.mime_type.as_str())
            .insert_header((header::CONTENT_DISPOSITION, disposition))
            .body(data.clone()),
        Some((start, end)) => {
            let len = data.len();
            let (start, end) = match (start, end) {
                (Some(s), Some(e)) => (s, e.min(len.saturating_sub(1))),
                (Some(s), None) => (s, len.saturating_sub(1)),
                (None, Some(n)) => (len.saturating_sub(n), len.saturating_sub(1)),
                (None, None) => (len, 0),
            };
            if start >= len || start > end {
                return HttpResponse::RangeNotSatisfiable()
                    .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
                    .finish();
            }
            HttpResponse::PartialContent()
                .content_type(attachment.mime_type.as_str())
                .insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")))
                .body(data[start..=end].to_vec())
        }
    }
}

async fn content(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    params: Params,
) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let attachment = find(&state, &path)?;
    if params.flag("redirect", true) {
        let name = percent_encoding::utf8_percent_encode(
            &attachment.filename,
            percent_encoding::NON_ALPHANUMERIC,
        );
        let location = format!(
            "{}/media/file/{}/binary?name={name}&dl=true",
            ctx.site.base_url, attachment.blob_token
        );
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish());
    }
    Ok(bytes_response(&req, attachment))
}

async fn blob(req: HttpRequest, site: web::Data<Site>, path: web::Path<String>) -> HttpResponse {
    let state = site.state.read();
    match state.attachments.values().find(|a| a.blob_token == *path) {
        Some(attachment) => bytes_response(&req, attachment),
        None => {
            HttpResponse::NotFound().json(json!({"error": "not_found", "message": "no such file"}))
        }
    }
}
