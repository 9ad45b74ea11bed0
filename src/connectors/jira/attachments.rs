//! Attachments: list, upload and download, as streams.
//!
//! Files move between Jira and Salesforce in both directions and may be large, so uploads send
//! a byte stream as the multipart part `file` (with the `X-Atlassian-Token: no-check` header
//! Jira requires against XSRF) and downloads hand out the body as a stream. Downloads ask for
//! the bytes directly (`redirect=false`) rather than following Jira's redirect to its media
//! host, which would take the request outside the outbound host policy; a redirect that does
//! come back is followed only when it stays on the site.

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use url::Url;

use super::client::{numeric_id, JiraClient};
use super::error::JiraError;
use super::model::{Attachment, AttachmentSettings};
use crate::connectors::hosts::HostRule;
use crate::connectors::{download_from, ByteStream, Download};
use crate::domain::ids::JiraIssueKey;

impl JiraClient {
    /// The site's attachment settings (`uploadLimit`).
    pub async fn attachment_meta(&self) -> Result<AttachmentSettings, JiraError> {
        self.get_json(
            "attachment settings",
            &self.api(&["attachment", "meta"]),
            &[],
        )
        .await
    }

    /// The attachments of an issue (its `attachment` field).
    pub async fn attachments(&self, key: &JiraIssueKey) -> Result<Vec<Attachment>, JiraError> {
        let issue = self.get_issue(key, &["attachment"], &[], &[]).await?;
        Ok(issue.attachments())
    }

    /// One attachment's metadata.
    pub async fn attachment(&self, id: &str) -> Result<Attachment, JiraError> {
        let id = numeric_id("attachment", id)?;
        self.get_json("attachment", &self.api(&["attachment", id]), &[])
            .await
    }

    /// Uploads a file to an issue, streaming `body` (exactly `len` bytes) as the multipart part
    /// `file`. The body is sent once: failures are returned, not retried, because the stream
    /// cannot be replayed. A file over the site's limit is a 413
    /// ([`JiraError::Api`] with status 413).
    pub async fn upload_attachment(
        &self,
        key: &JiraIssueKey,
        filename: &str,
        len: u64,
        body: ByteStream,
    ) -> Result<Attachment, JiraError> {
        const WHAT: &str = "upload attachment";
        let part = Part::stream_with_length(reqwest::Body::wrap_stream(body), len)
            .file_name(filename.to_string())
            .mime_str("application/octet-stream")
            .map_err(|e| JiraError::transport(WHAT, e))?;
        let key = key.to_string();
        let request = self
            .base_request(Method::POST, self.api(&["issue", &key, "attachments"]))
            .header("X-Atlassian-Token", "no-check")
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(Form::new().part("file", part));
        let response = self.send_single(WHAT, request).await?;
        let mut created: Vec<Attachment> = super::client::read_json(WHAT, response).await?;
        if created.is_empty() {
            return Err(JiraError::malformed(WHAT, "no attachment in the answer"));
        }
        Ok(created.remove(0))
    }

    /// Starts downloading an attachment's bytes. Failures before the body starts are retried
    /// as usual; the body is a stream.
    pub async fn download_attachment(&self, id: &str) -> Result<Download, JiraError> {
        const WHAT: &str = "download attachment";
        let id = numeric_id("attachment", id)?;
        let url = self.api(&["attachment", "content", id]);
        let response = self
            .send(WHAT, Method::GET, &url, |r| {
                r.query(&[("redirect", "false")])
            })
            .await?;
        if !response.status().is_redirection() {
            return Ok(download_from(response));
        }
        // Jira answered with a redirect anyway: follow it once, on the same site only.
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| JiraError::malformed(WHAT, "a redirect without Location"))?;
        let target: Url = url
            .join(location)
            .map_err(|e| JiraError::malformed(WHAT, format!("bad Location: {e}")))?;
        self.inner
            .hosts
            .same_origin(&self.inner.site, &target, HostRule::JiraSite)?;
        let response = self.send(WHAT, Method::GET, &target, |r| r).await?;
        if response.status().is_redirection() {
            return Err(JiraError::malformed(WHAT, "redirected twice"));
        }
        Ok(download_from(response))
    }
}
