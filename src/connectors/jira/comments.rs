//! Comments and their properties.
//!
//! Comments mirrored from Salesforce carry the Salesforce id in a comment property, set in the
//! same request that adds the comment, so that a comment we wrote is recognised when it comes
//! back and never posted twice. Reading comments follows every page (Jira pages at 100) and can
//! return the properties with them, which spares one call per comment. Bodies are sent as ADF;
//! bodies read may be ADF or v2 strings, and [`super::model::Comment::body_text`] reads both.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::client::{numeric_id, JiraClient};
use super::error::JiraError;
use super::issues::{read_property, write_property};
use super::model::{Comment, PropertyWrite};
use crate::domain::adf::text_to_adf;
use crate::domain::ids::JiraIssueKey;

/// Comments per page (Jira's default and maximum).
const COMMENT_PAGE: u32 = 100;
/// Safety bound on paging.
const MAX_PAGES: usize = 10_000;

impl JiraClient {
    /// Every comment of an issue, oldest first, all pages.
    pub async fn comments(&self, key: &JiraIssueKey) -> Result<Vec<Comment>, JiraError> {
        self.comment_pages(key, false).await
    }

    /// Every comment of an issue with its properties (`expand=properties`), all pages.
    ///
    /// The OpenAPI document lists only `renderedBody` as an expansion of this resource, though
    /// `Comment` carries `properties`; a site that ignores the expansion returns comments with
    /// no properties, and the caller then reads markers with [`Self::comment_property`].
    pub async fn comments_with_properties(
        &self,
        key: &JiraIssueKey,
    ) -> Result<Vec<Comment>, JiraError> {
        self.comment_pages(key, true).await
    }

    async fn comment_pages(
        &self,
        key: &JiraIssueKey,
        with_properties: bool,
    ) -> Result<Vec<Comment>, JiraError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Page {
            #[serde(default)]
            comments: Vec<Comment>,
            #[serde(default)]
            total: Option<u64>,
        }
        let key = key.to_string();
        let url = self.api(&["issue", &key, "comment"]);
        let mut out: Vec<Comment> = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                ("startAt", out.len().to_string()),
                ("maxResults", COMMENT_PAGE.to_string()),
                ("orderBy", "created".to_string()),
            ];
            if with_properties {
                query.push(("expand", "properties".to_string()));
            }
            let page: Page = self.get_json("comments", &url, &query).await?;
            let got = page.comments.len();
            out.extend(page.comments);
            if got == 0 || page.total.is_none_or(|t| out.len() as u64 >= t) {
                break;
            }
        }
        Ok(out)
    }

    /// Adds a comment with an ADF body and `properties` set atomically with it.
    pub async fn add_comment(
        &self,
        key: &JiraIssueKey,
        adf_body: &Value,
        properties: &[(String, Value)],
    ) -> Result<Comment, JiraError> {
        check_adf(adf_body)?;
        let mut body = json!({ "body": adf_body });
        if !properties.is_empty() {
            body["properties"] = Value::Array(
                properties
                    .iter()
                    .map(|(k, v)| json!({ "key": k, "value": v }))
                    .collect(),
            );
        }
        let key = key.to_string();
        self.json_call(
            "add comment",
            Method::POST,
            &self.api(&["issue", &key, "comment"]),
            &body,
        )
        .await
    }

    /// Adds a comment from plain text (turned into ADF).
    pub async fn add_text_comment(
        &self,
        key: &JiraIssueKey,
        text: &str,
        properties: &[(String, Value)],
    ) -> Result<Comment, JiraError> {
        self.add_comment(key, &text_to_adf(text), properties).await
    }

    /// Replaces a comment's body (ADF).
    pub async fn update_comment(
        &self,
        key: &JiraIssueKey,
        comment_id: &str,
        adf_body: &Value,
    ) -> Result<Comment, JiraError> {
        check_adf(adf_body)?;
        let comment_id = numeric_id("comment", comment_id)?;
        let key = key.to_string();
        self.json_call(
            "update comment",
            Method::PUT,
            &self.api(&["issue", &key, "comment", comment_id]),
            &json!({ "body": adf_body }),
        )
        .await
    }

    /// The property keys set on a comment.
    pub async fn comment_properties(&self, comment_id: &str) -> Result<Vec<String>, JiraError> {
        #[derive(Deserialize)]
        struct Keys {
            #[serde(default)]
            keys: Vec<KeyRef>,
        }
        #[derive(Deserialize)]
        struct KeyRef {
            key: String,
        }
        let comment_id = numeric_id("comment", comment_id)?;
        let keys: Keys = self
            .get_json(
                "comment property keys",
                &self.api(&["comment", comment_id, "properties"]),
                &[],
            )
            .await?;
        Ok(keys.keys.into_iter().map(|k| k.key).collect())
    }

    /// A comment property's value, or `None` when it is not set.
    pub async fn comment_property(
        &self,
        comment_id: &str,
        property: &str,
    ) -> Result<Option<Value>, JiraError> {
        let comment_id = numeric_id("comment", comment_id)?;
        let url = self.api(&["comment", comment_id, "properties", property]);
        read_property(self.get_json("comment property", &url, &[]).await)
    }

    /// Sets a comment property.
    pub async fn set_comment_property(
        &self,
        comment_id: &str,
        property: &str,
        value: &Value,
    ) -> Result<PropertyWrite, JiraError> {
        let comment_id = numeric_id("comment", comment_id)?;
        let url = self.api(&["comment", comment_id, "properties", property]);
        write_property(self, "set comment property", &url, value).await
    }
}

/// v3 refuses anything but an ADF document as a comment body; say so before sending.
fn check_adf(body: &Value) -> Result<(), JiraError> {
    if body.get("type").and_then(Value::as_str) == Some("doc") {
        Ok(())
    } else {
        Err(JiraError::InvalidInput(
            "a comment body must be an ADF document (use add_text_comment for plain text)".into(),
        ))
    }
}
