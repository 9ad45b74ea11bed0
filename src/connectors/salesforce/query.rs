//! Reading records: SOQL with paging, counts, bulk retrieval by id, and text search.
//!
//! Reconciliation reads Salesforce in bulk (one incremental query per item, paged at 2,000
//! rows; one retrieval of many ids at once) so that API calls grow with the number of changes,
//! not with the number of links. A query may match 100,000 rows, so besides the convenient
//! "give me every row" calls there is a [`QueryPager`] and [`SalesforceClient::query_pages`],
//! which hold one page at a time. Search text typed by people goes through
//! [`crate::domain::escape`] before it reaches SOSL.

use std::future::Future;
use std::ops::ControlFlow;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::client::{json_request, SalesforceClient, Target};
use super::error::SalesforceError;
use super::model::{QueryPage, Record};
use super::names::{api_name, field_list};
use crate::domain::escape::sosl_escape;
use crate::domain::ids::SalesforceId;

/// Ids per `composite/sobjects` retrieval: the documented maximum is 2,000, but long id lists
/// make the URL too long (414) well before that.
pub const RETRIEVE_CHUNK: usize = 800;

/// What a paged query went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuerySummary {
    /// `totalSize` reported by Salesforce.
    pub total_size: u64,
    /// Rows handed to the caller.
    pub rows: u64,
    /// Pages fetched.
    pub pages: u64,
    /// Whether the caller stopped before the last page.
    pub stopped_early: bool,
}

/// Walks the pages of one query, one request per page, holding nothing but the current page.
#[derive(Debug)]
pub struct QueryPager {
    client: SalesforceClient,
    soql: String,
    include_deleted: bool,
    batch_size: Option<u32>,
    next: PagerState,
    total_size: Option<u64>,
    answered_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PagerState {
    Start,
    Next(String),
    Done,
}

impl QueryPager {
    /// Includes deleted and archived rows (`queryAll`).
    pub fn include_deleted(mut self) -> Self {
        self.include_deleted = true;
        self
    }

    /// Asks for pages of `size` rows (`Sforce-Query-Options: batchSize`, 200–2,000; a hint).
    pub fn batch_size(mut self, size: u32) -> Self {
        self.batch_size = Some(size.clamp(200, 2000));
        self
    }

    /// `totalSize`, once the first page is read.
    pub fn total_size(&self) -> Option<u64> {
        self.total_size
    }

    /// Salesforce's clock when it answered the first page (its `Date` header, to the second):
    /// the query saw every transaction committed a moment before. Incremental windows use it
    /// to know when a late-committed change can no longer appear behind their watermark.
    pub fn answered_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.answered_at
    }

    /// The next page, or `None` after the last one.
    pub async fn next_page(&mut self) -> Result<Option<QueryPage>, SalesforceError> {
        let options = self.batch_size.map(|n| format!("batchSize={n}"));
        let timeout = self.client.call_timeout();
        let with_options = |r: reqwest::RequestBuilder| match &options {
            Some(o) => json_request(r.header("Sforce-Query-Options", o.as_str()), timeout),
            None => json_request(r, timeout),
        };
        let page: QueryPage = match &self.next {
            PagerState::Done => return Ok(None),
            PagerState::Start => {
                let resource = if self.include_deleted {
                    "queryAll"
                } else {
                    "query"
                };
                let query = [("q", self.soql.as_str())];
                let response = self
                    .client
                    .send(
                        "SOQL query",
                        reqwest::Method::GET,
                        Target::Data(resource),
                        |r| with_options(r.query(&query)),
                    )
                    .await?;
                self.answered_at = response
                    .headers()
                    .get(reqwest::header::DATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
                    .map(|t| t.with_timezone(&chrono::Utc));
                super::client::read_json("SOQL query", response).await?
            }
            PagerState::Next(url) => {
                let response = self
                    .client
                    .send(
                        "SOQL query page",
                        reqwest::Method::GET,
                        Target::Instance(url),
                        with_options,
                    )
                    .await?;
                super::client::read_json("SOQL query page", response).await?
            }
        };
        self.total_size = Some(page.total_size);
        self.next = match (&page.next_records_url, page.done) {
            (Some(url), false) => {
                if !url.starts_with('/') {
                    return Err(SalesforceError::malformed(
                        "SOQL query",
                        format!("nextRecordsUrl {url:?} is not a path"),
                    ));
                }
                PagerState::Next(url.clone())
            }
            (None, false) => {
                return Err(SalesforceError::malformed(
                    "SOQL query",
                    "done is false but there is no nextRecordsUrl",
                ))
            }
            (_, true) => PagerState::Done,
        };
        Ok(Some(page))
    }
}

impl SalesforceClient {
    /// A pager over the rows of `soql`.
    pub fn pager(&self, soql: &str) -> QueryPager {
        QueryPager {
            client: self.clone(),
            soql: soql.to_string(),
            include_deleted: false,
            batch_size: None,
            next: PagerState::Start,
            total_size: None,
            answered_at: None,
        }
    }

    /// Runs `soql` and follows `nextRecordsUrl` to the end; every row in one vector.
    pub async fn query(&self, soql: &str) -> Result<Vec<Record>, SalesforceError> {
        collect(self.pager(soql)).await
    }

    /// Like [`SalesforceClient::query`], including deleted and archived rows (`queryAll`).
    pub async fn query_all(&self, soql: &str) -> Result<Vec<Record>, SalesforceError> {
        collect(self.pager(soql).include_deleted()).await
    }

    /// Runs `soql` and deserialises every row into `T`.
    pub async fn query_as<T: DeserializeOwned>(
        &self,
        soql: &str,
    ) -> Result<Vec<T>, SalesforceError> {
        self.query(soql)
            .await?
            .into_iter()
            .map(|r| {
                serde_json::from_value(Value::Object(r))
                    .map_err(|e| SalesforceError::malformed("SOQL query row", e))
            })
            .collect()
    }

    /// Hands each page of `soql` to `on_page`, one at a time, until the last page or until
    /// `on_page` answers `ControlFlow::Break`. Only one page is held in memory.
    pub async fn query_pages<F, Fut>(
        &self,
        soql: &str,
        mut on_page: F,
    ) -> Result<QuerySummary, SalesforceError>
    where
        F: FnMut(QueryPage) -> Fut,
        Fut: Future<Output = ControlFlow<()>>,
    {
        let mut pager = self.pager(soql);
        let mut summary = QuerySummary::default();
        while let Some(page) = pager.next_page().await? {
            summary.total_size = page.total_size;
            summary.pages += 1;
            summary.rows += page.records.len() as u64;
            let last = page.done;
            if on_page(page).await.is_break() && !last {
                summary.stopped_early = true;
                break;
            }
        }
        Ok(summary)
    }

    /// `totalSize` of a query, typically `SELECT COUNT() FROM …`.
    pub async fn count(&self, soql: &str) -> Result<u64, SalesforceError> {
        let mut pager = self.pager(soql);
        let page = pager
            .next_page()
            .await?
            .ok_or_else(|| SalesforceError::malformed("COUNT query", "no page"))?;
        Ok(page.total_size)
    }

    /// Fetches many records of one object by id (`composite/sobjects`), in chunks of
    /// [`RETRIEVE_CHUNK`]. The answer is aligned with `ids`: `None` where a record does not
    /// exist or is not visible.
    pub async fn retrieve_many(
        &self,
        object: &str,
        ids: &[SalesforceId],
        fields: &[&str],
    ) -> Result<Vec<Option<Record>>, SalesforceError> {
        let object = api_name(object)?;
        let fields = field_list(fields)?;
        let path = format!("composite/sobjects/{object}");
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(RETRIEVE_CHUNK) {
            let ids = chunk
                .iter()
                .map(SalesforceId::as_str)
                .collect::<Vec<_>>()
                .join(",");
            let rows: Vec<Option<Record>> = self
                .get_json(
                    "retrieve records",
                    Target::Data(&path),
                    &[("ids", ids), ("fields", fields.clone())],
                )
                .await?;
            if rows.len() != chunk.len() {
                return Err(SalesforceError::malformed(
                    "retrieve records",
                    format!("asked for {} ids, got {} rows", chunk.len(), rows.len()),
                ));
            }
            out.extend(rows);
        }
        Ok(out)
    }

    /// Text search on one object (`parameterizedSearch`), returning `fields` of at most
    /// `limit` records. The text is escaped for SOSL, so it is searched literally. Search is
    /// eventually consistent: a record created a moment ago may not be found yet.
    pub async fn search(
        &self,
        object: &str,
        text: &str,
        fields: &[&str],
        limit: u32,
    ) -> Result<Vec<Record>, SalesforceError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct SearchResult {
            #[serde(default)]
            search_records: Vec<Record>,
        }
        let object = api_name(object)?;
        let fields = field_list(fields)?;
        let fields_key = format!("{object}.fields");
        let limit_key = format!("{object}.limit");
        let query = [
            ("q", sosl_escape(text)),
            ("sobject", object.to_string()),
            (fields_key.as_str(), fields),
            (limit_key.as_str(), limit.clamp(1, 2000).to_string()),
        ];
        let result: SearchResult = self
            .get_json(
                "parameterized search",
                Target::Data("parameterizedSearch/"),
                &query,
            )
            .await?;
        Ok(result.search_records)
    }
}

async fn collect(mut pager: QueryPager) -> Result<Vec<Record>, SalesforceError> {
    let mut rows = Vec::new();
    while let Some(page) = pager.next_page().await? {
        rows.extend(page.records);
    }
    Ok(rows)
}
