//! Salesforce Files: a ContentVersion upload (base64 JSON or multipart) creates or extends a
//! ContentDocument, links it to its owner and to `FirstPublishLocationId`, and stores the bytes
//! for `GET …/ContentVersion/{id}/VersionData`.
//!
//! Multipart follows the REST guide's "Insert or Update Blob Data": one JSON part with the
//! non-binary fields (named `entity_content` by the docs, after the sObject by jsforce — any
//! JSON part is accepted) and one binary part named after the blob field (`VersionData`).

use actix_web::http::header::HeaderMap;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use md5::{Digest, Md5};
use serde_json::{json, Value};

use super::error::{SfError, SfResult};
use super::router::{Ctx, Upload};
use super::store::{Blob, Org, Record};
use super::values::fmt_datetime;
use super::write::{self, WriteOpts};

/// Salesforce's `FileType` for a file extension.
pub fn file_type(ext: &str) -> &'static str {
    match ext {
        "txt" | "log" => "TEXT",
        "csv" => "CSV",
        "pdf" => "PDF",
        "png" => "PNG",
        "jpg" | "jpeg" => "JPG",
        "gif" => "GIF",
        "bmp" => "BMP",
        "doc" => "WORD",
        "docx" => "WORD_X",
        "xls" => "EXCEL",
        "xlsx" => "EXCEL_X",
        "ppt" => "POWER_POINT",
        "pptx" => "POWER_POINT_X",
        "zip" => "ZIP",
        "htm" | "html" => "HTML",
        "xml" => "XML",
        "json" => "JSON",
        "rtf" => "RTF",
        "mp4" => "MP4",
        "mp3" => "MP3",
        _ => "UNKNOWN",
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn extension(path: &str) -> Option<String> {
    let name = base_name(path);
    name.rsplit_once('.')
        .filter(|(stem, ext)| !stem.is_empty() && !ext.is_empty())
        .map(|(_, ext)| ext.to_ascii_lowercase())
}

/// Fills the derived fields of a new ContentVersion from its path and bytes.
pub fn prepare_version(
    org: &Org,
    ctx: &Ctx,
    rec: &mut Record,
    blob: Option<&Bytes>,
) -> SfResult<()> {
    let path = rec.str("PathOnClient").unwrap_or("").to_string();
    let ext = extension(&path);
    if rec.get("Title").is_null() {
        let name = base_name(&path);
        let title = match &ext {
            Some(e) => name[..name.len() - e.len() - 1].to_string(),
            None => name.to_string(),
        };
        rec.fields.insert("Title".into(), Value::String(title));
    }
    let bytes = blob.cloned().unwrap_or_default();
    let version = match rec.str("ContentDocumentId") {
        Some(doc) => {
            org.records_of("ContentVersion")
                .filter(|v| v.str("ContentDocumentId") == Some(doc))
                .count()
                + 1
        }
        None => 1,
    };
    let fields = [
        (
            "FileExtension",
            ext.clone().map_or(Value::Null, Value::String),
        ),
        (
            "FileType",
            Value::String(file_type(ext.as_deref().unwrap_or("")).into()),
        ),
        ("ContentSize", Value::from(bytes.len())),
        ("Checksum", Value::String(hex::encode(Md5::digest(&bytes)))),
        ("ContentModifiedDate", Value::String(fmt_datetime(ctx.now))),
        ("IsLatest", Value::Bool(true)),
        ("VersionNumber", Value::String(version.to_string())),
    ];
    for (k, v) in fields {
        rec.fields.insert(k.into(), v);
    }
    Ok(())
}

/// Refuses a second link between the same document and record.
pub fn check_new_link(org: &Org, rec: &Record) -> SfResult<()> {
    let (Some(doc), Some(entity)) = (rec.str("ContentDocumentId"), rec.str("LinkedEntityId"))
    else {
        return Ok(());
    };
    let exists = org.records_of("ContentDocumentLink").any(|l| {
        !l.is_deleted()
            && l.str("ContentDocumentId") == Some(doc)
            && l.str("LinkedEntityId") == Some(entity)
    });
    if exists {
        return Err(SfError::dml(
            "DUPLICATE_VALUE",
            format!("Document with ID: {doc} is already linked with the entity with ID: {entity}"),
            &["LinkedEntityId"],
        ));
    }
    Ok(())
}

/// Stores the bytes and creates or advances the ContentDocument and its links.
pub fn after_insert_version(
    org: &mut Org,
    ctx: &Ctx,
    version: &Record,
    blob: Option<Bytes>,
) -> SfResult<()> {
    let version_id = version.id().to_string();
    if let Some(bytes) = blob {
        org.data.blobs.insert(version_id.clone(), Blob(bytes));
    }
    let owner = version.str("OwnerId").unwrap_or(&ctx.user_id).to_string();
    let summary = json!({
        "Title": version.get("Title"),
        "FileType": version.get("FileType"),
        "FileExtension": version.get("FileExtension"),
        "ContentSize": version.get("ContentSize"),
        "ContentModifiedDate": version.get("ContentModifiedDate"),
        "LatestPublishedVersionId": version_id,
    });
    if let Some(doc_id) = version.str("ContentDocumentId").map(str::to_string) {
        let others: Vec<String> = org
            .records_of("ContentVersion")
            .filter(|v| v.str("ContentDocumentId") == Some(doc_id.as_str()) && v.id() != version_id)
            .map(|v| v.id().to_string())
            .collect();
        for id in others {
            if let Some(mut v) = org.record_mut(&id) {
                v.fields.insert("IsLatest".into(), Value::Bool(false));
            }
        }
        return write::update(org, ctx, &doc_id, &summary, WriteOpts::system());
    }
    let mut doc = summary;
    if let Some(map) = doc.as_object_mut() {
        map.insert("OwnerId".into(), Value::String(owner.clone()));
        map.insert("PublishStatus".into(), Value::String("P".into()));
    }
    let doc_id = write::create(org, ctx, "ContentDocument", &doc, None, WriteOpts::system())?;
    if let Some(mut v) = org.record_mut(&version_id) {
        v.fields
            .insert("ContentDocumentId".into(), Value::String(doc_id.clone()));
    }
    let link = |entity: &str, share: &str| json!({"ContentDocumentId": doc_id, "LinkedEntityId": entity, "ShareType": share, "Visibility": "AllUsers"});
    write::create(
        org,
        ctx,
        "ContentDocumentLink",
        &link(&owner, "I"),
        None,
        WriteOpts::system(),
    )?;
    if let Some(location) = version.str("FirstPublishLocationId") {
        if location != owner {
            write::create(
                org,
                ctx,
                "ContentDocumentLink",
                &link(location, "V"),
                None,
                WriteOpts::system(),
            )?;
        }
    }
    Ok(())
}

fn multipart_error(message: impl Into<String>) -> SfError {
    SfError::new(400, "INVALID_MULTIPART_REQUEST", message)
}

/// Reads a multipart body into the entity JSON and the binary part.
pub async fn parse_multipart(headers: &HeaderMap, body: Bytes) -> SfResult<Upload> {
    let stream =
        futures::stream::once(async move { Ok::<Bytes, actix_web::error::PayloadError>(body) });
    let mut parts = actix_multipart::Multipart::new(headers, stream);
    let mut entity = None;
    let mut binary = None;
    while let Some(part) = parts.next().await {
        let mut part =
            part.map_err(|e| multipart_error(format!("Unable to read multipart body: {e}")))?;
        let name = part.name().unwrap_or("").to_string();
        let is_json = part
            .content_type()
            .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let has_file = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .is_some();
        let mut data = BytesMut::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk
                .map_err(|e| multipart_error(format!("Unable to read multipart body: {e}")))?;
            data.extend_from_slice(&chunk);
        }
        let data = data.freeze();
        let parsed = (!has_file)
            .then(|| serde_json::from_slice::<Value>(&data).ok())
            .flatten()
            .filter(Value::is_object);
        match parsed {
            Some(json) if is_json || entity.is_none() => entity = Some(json),
            _ => binary = Some((name, data)),
        }
    }
    let entity = entity
        .ok_or_else(|| multipart_error("Multipart message must include a non-binary part"))?;
    let (part, bytes) =
        binary.ok_or_else(|| multipart_error("Multipart message must include a binary part"))?;
    Ok(Upload {
        entity,
        part,
        bytes,
    })
}
