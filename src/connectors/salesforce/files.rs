//! Salesforce Files: uploading a ContentVersion and downloading its bytes, as streams.
//!
//! Attachments move between Jira and Salesforce in both directions and may be many megabytes.
//! The JSON form of a ContentVersion insert carries the file as base64 inside the body, which
//! means holding it (and a third more) in memory; the multipart form carries the raw bytes as
//! a second part, so the file can flow from a download stream straight into the upload without
//! ever being held whole. Downloads hand out the response body as a stream for the same reason.

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Map, Value};

use super::client::{SalesforceClient, Target};
use super::error::SalesforceError;
use super::model::SaveResult;
use crate::connectors::{download_from, ByteStream, Download};
use crate::domain::escape::soql_quote;
use crate::domain::ids::SalesforceId;

/// A ContentVersion to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContentVersion {
    /// Title shown in Salesforce.
    pub title: String,
    /// The file name; its extension decides the file type.
    pub path_on_client: String,
    /// A record (e.g. the Case) to link the new file to.
    pub first_publish_location: Option<SalesforceId>,
}

impl SalesforceClient {
    /// Uploads a file as a new ContentVersion with a multipart request (`entity_content` JSON
    /// part, then the `VersionData` bytes streamed from `body`, which must yield exactly `len`
    /// bytes) and returns the ContentVersion id (`068…`).
    ///
    /// The body is sent once: a failure is returned, not retried, since the stream cannot be
    /// replayed. When the session had expired, a fresh token is cached and the error is
    /// `SessionExpired { renewed: true }` (retryable with a new stream).
    pub async fn upload_content_version(
        &self,
        title: &str,
        path_on_client: &str,
        first_publish_location: Option<&SalesforceId>,
        len: u64,
        body: ByteStream,
    ) -> Result<SalesforceId, SalesforceError> {
        const WHAT: &str = "upload ContentVersion";
        let mut entity = Map::new();
        entity.insert("Title".into(), json!(title));
        entity.insert("PathOnClient".into(), json!(path_on_client));
        if let Some(parent) = first_publish_location {
            entity.insert("FirstPublishLocationId".into(), json!(parent.as_str()));
        }
        let entity = serde_json::to_vec(&Value::Object(entity))
            .map_err(|e| SalesforceError::InvalidInput(e.to_string()))?;
        let entity_part = Part::bytes(entity)
            .mime_str("application/json")
            .map_err(|e| SalesforceError::transport(WHAT, e))?;
        let data_part = Part::stream_with_length(reqwest::Body::wrap_stream(body), len)
            .file_name(path_on_client.to_string())
            .mime_str("application/octet-stream")
            .map_err(|e| SalesforceError::transport(WHAT, e))?;
        let form = Form::new()
            .part("entity_content", entity_part)
            .part("VersionData", data_part);
        let response = self
            .send_single(
                WHAT,
                Method::POST,
                Target::Data("sobjects/ContentVersion"),
                |r| r.multipart(form),
            )
            .await?;
        let result: SaveResult = super::client::read_json(WHAT, response).await?;
        match (result.success, result.id) {
            (true, Some(id)) => Ok(id),
            _ => Err(SalesforceError::malformed(
                WHAT,
                format!("a success status without a saved id: {:?}", result.errors),
            )),
        }
    }

    /// Uploads a file described by `file`; see [`Self::upload_content_version`].
    pub async fn upload_file(
        &self,
        file: &NewContentVersion,
        len: u64,
        body: ByteStream,
    ) -> Result<SalesforceId, SalesforceError> {
        self.upload_content_version(
            &file.title,
            &file.path_on_client,
            file.first_publish_location.as_ref(),
            len,
            body,
        )
        .await
    }

    /// The ContentDocument (`069…`) a ContentVersion belongs to; Salesforce does not return it
    /// on insert.
    pub async fn content_document_id(
        &self,
        content_version: &SalesforceId,
    ) -> Result<SalesforceId, SalesforceError> {
        let soql = format!(
            "SELECT ContentDocumentId FROM ContentVersion WHERE Id = {}",
            soql_quote(content_version.as_str())
        );
        let rows = self.query(&soql).await?;
        rows.first()
            .and_then(|r| r.get("ContentDocumentId"))
            .and_then(Value::as_str)
            .and_then(|s| SalesforceId::parse(s).ok())
            .ok_or_else(|| {
                SalesforceError::malformed(
                    "ContentDocumentId query",
                    format!("no ContentDocumentId for {content_version}"),
                )
            })
    }

    /// Starts downloading a ContentVersion's bytes (`…/ContentVersion/{id}/VersionData`).
    /// Failures before the body starts are retried as usual; the body is a stream.
    pub async fn download_content_version(
        &self,
        id: &SalesforceId,
    ) -> Result<Download, SalesforceError> {
        let path = format!("sobjects/ContentVersion/{id}/VersionData");
        let response = self
            .send(
                "download ContentVersion",
                Method::GET,
                Target::Data(&path),
                |r| r.header(reqwest::header::ACCEPT, "*/*"),
            )
            .await?;
        Ok(download_from(response))
    }
}
