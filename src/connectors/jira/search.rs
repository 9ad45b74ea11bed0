//! JQL search over `/rest/api/3/search/jql`, paged by token.
//!
//! Reconciliation finds changed issues with one JQL query per item and finds our own markers
//! in bulk, so it reads many issues per call and follows `nextPageToken` until Jira stops
//! sending one (there is no `total` and no `startAt` on this endpoint; the old offset search
//! is being removed). JQL built from outside text must quote it with
//! [`crate::domain::escape::jql_quote`]; the client sends the query as given.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::client::{json_request, read_json, JiraClient};
use super::error::JiraError;
use super::model::Issue;
use crate::connectors::retry::Repeat;

/// Issues asked for per page (Jira returns fewer when many fields are requested).
pub const SEARCH_PAGE: usize = 100;
/// Largest number of property keys the search returns per issue.
pub const MAX_SEARCH_PROPERTIES: usize = 5;

/// One page of a JQL search.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    /// The issues on this page.
    #[serde(default)]
    pub issues: Vec<Issue>,
    /// Token of the next page; absent on the last one.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// Whether this is the last page.
    #[serde(default)]
    pub is_last: Option<bool>,
    /// Jira's clock when it answered (its `Date` header, to the second).
    #[serde(skip)]
    pub answered_at: Option<DateTime<Utc>>,
}

/// Walks the pages of one JQL search, holding one page at a time.
#[derive(Debug)]
pub struct JqlPager {
    client: JiraClient,
    jql: String,
    fields: Vec<String>,
    properties: Vec<String>,
    page_size: usize,
    next: Option<Option<String>>,
}

impl JqlPager {
    /// Asks for pages of `size` issues (1–5,000; Jira caps at 100 unless only ids are asked).
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.clamp(1, 5000);
        self
    }

    /// The next page, or `None` after the last one.
    pub async fn next_page(&mut self) -> Result<Option<SearchPage>, JiraError> {
        let Some(token) = self.next.take() else {
            return Ok(None);
        };
        let mut body = json!({
            "jql": self.jql,
            "maxResults": self.page_size,
            "fields": self.fields,
        });
        if !self.properties.is_empty() {
            body["properties"] = json!(self.properties);
        }
        if let Some(token) = &token {
            body["nextPageToken"] = Value::String(token.clone());
        }
        let url = self.client.api(&["search", "jql"]);
        let response = self
            .client
            .send_as(Repeat::Safe, "JQL search", Method::POST, &url, |r| {
                json_request(r.json(&body), self.client.call_timeout())
            })
            .await?;
        let answered_at = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|t| t.with_timezone(&Utc));
        let mut page: SearchPage = read_json("JQL search", response).await?;
        page.answered_at = answered_at;
        let last = page.is_last.unwrap_or(false) || page.next_page_token.is_none();
        self.next = if last {
            None
        } else {
            if page.next_page_token == token {
                return Err(JiraError::malformed(
                    "JQL search",
                    "the next page token did not change",
                ));
            }
            Some(page.next_page_token.clone())
        };
        Ok(Some(page))
    }
}

impl JiraClient {
    /// A pager over the issues matching `jql`, returning `fields` (empty: ids only, as Jira's
    /// default) and up to five `properties` per issue.
    pub fn jql_pager(
        &self,
        jql: &str,
        fields: &[&str],
        properties: &[&str],
    ) -> Result<JqlPager, JiraError> {
        if properties.len() > MAX_SEARCH_PROPERTIES {
            return Err(JiraError::InvalidInput(format!(
                "a search returns at most {MAX_SEARCH_PROPERTIES} properties per issue"
            )));
        }
        let fields = if fields.is_empty() {
            vec!["id".to_string()]
        } else {
            fields.iter().map(|f| f.to_string()).collect()
        };
        Ok(JqlPager {
            client: self.clone(),
            jql: jql.to_string(),
            fields,
            properties: properties.iter().map(|p| p.to_string()).collect(),
            page_size: SEARCH_PAGE,
            next: Some(None),
        })
    }

    /// Every issue matching `jql` (at most `max` when given), following `nextPageToken` to the
    /// end.
    pub async fn search_jql(
        &self,
        jql: &str,
        fields: &[&str],
        properties: &[&str],
        max: Option<usize>,
    ) -> Result<Vec<Issue>, JiraError> {
        let mut pager = self.jql_pager(jql, fields, properties)?;
        if let Some(max) = max {
            pager = pager.page_size(max.clamp(1, SEARCH_PAGE));
        }
        let mut out = Vec::new();
        while let Some(page) = pager.next_page().await? {
            out.extend(page.issues);
            if max.is_some_and(|m| out.len() >= m) {
                out.truncate(max.unwrap_or(usize::MAX));
                break;
            }
        }
        Ok(out)
    }

    /// Jira's approximate count of the issues matching `jql`.
    pub async fn approximate_count(&self, jql: &str) -> Result<u64, JiraError> {
        #[derive(Deserialize)]
        struct Count {
            count: u64,
        }
        let answer: Count = self
            .json_read(
                "approximate count",
                &self.api(&["search", "approximate-count"]),
                &json!({ "jql": jql }),
            )
            .await?;
        Ok(answer.count)
    }
}
