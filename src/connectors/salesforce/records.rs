//! Writing and reading single records, many records at once (sObject Collections), and
//! composite requests.
//!
//! A sync cycle that pushes twenty Jira changes into Salesforce should cost one call, not
//! twenty, so updates go through sObject Collections in batches of up to 200 with a result per
//! record: one record failing a validation rule must not hide the nineteen that were saved.
//! Composite requests chain dependent steps (create a file, read its document id, link it) in
//! one round trip.

use reqwest::Method;
use serde_json::{json, Map, Value};

use super::client::{SalesforceClient, Target};
use super::error::SalesforceError;
use super::model::{
    CompositeRequest, CompositeResponse, Record, RecordCreate, RecordUpdate, SaveResult,
};
use super::names::{api_name, field_list};
use crate::domain::ids::SalesforceId;

/// Records per sObject Collections call.
pub const COLLECTION_CHUNK: usize = 200;

/// Subrequests per composite request.
pub const COMPOSITE_MAX: usize = 25;

impl SalesforceClient {
    /// Reads one record's `fields` (`GET /sobjects/{object}/{id}?fields=…`). A missing or
    /// deleted record is a 404 ([`SalesforceError::is_not_found`]).
    pub async fn get_record(
        &self,
        object: &str,
        id: &SalesforceId,
        fields: &[&str],
    ) -> Result<Record, SalesforceError> {
        let object = api_name(object)?;
        let path = format!("sobjects/{object}/{id}");
        let query: Vec<(&str, String)> = if fields.is_empty() {
            Vec::new()
        } else {
            vec![("fields", field_list(fields)?)]
        };
        self.get_json("get record", Target::Data(&path), &query)
            .await
    }

    /// Creates a record and returns its id.
    pub async fn create(
        &self,
        object: &str,
        body: &Map<String, Value>,
    ) -> Result<SalesforceId, SalesforceError> {
        let object = api_name(object)?;
        let path = format!("sobjects/{object}");
        let result: SaveResult = self
            .json_call(
                "create record",
                Method::POST,
                Target::Data(&path),
                &Value::Object(body.clone()),
            )
            .await?;
        match (result.success, result.id) {
            (true, Some(id)) => Ok(id),
            _ => Err(SalesforceError::malformed(
                "create record",
                format!("a success status without a saved id: {:?}", result.errors),
            )),
        }
    }

    /// Updates fields of a record (`PATCH`, answered 204).
    pub async fn update(
        &self,
        object: &str,
        id: &SalesforceId,
        body: &Map<String, Value>,
    ) -> Result<(), SalesforceError> {
        let object = api_name(object)?;
        let path = format!("sobjects/{object}/{id}");
        self.json_no_content(
            "update record",
            Method::PATCH,
            Target::Data(&path),
            &Value::Object(body.clone()),
        )
        .await
    }

    /// Updates many records through sObject Collections (`allOrNone: false`), 200 per call.
    /// The results are aligned with `records`; a record that failed carries its errors
    /// (`statusCode`), and [`SaveResult::is_retryable`] tells a row lock from a refusal.
    pub async fn update_many(
        &self,
        records: &[RecordUpdate],
    ) -> Result<Vec<SaveResult>, SalesforceError> {
        let mut results = Vec::with_capacity(records.len());
        for chunk in records.chunks(COLLECTION_CHUNK) {
            let rows = chunk
                .iter()
                .map(|r| {
                    let mut row = r.fields.clone();
                    row.insert("attributes".into(), json!({ "type": api_name(&r.object)? }));
                    row.insert("id".into(), json!(r.id.as_str()));
                    Ok(Value::Object(row))
                })
                .collect::<Result<Vec<_>, SalesforceError>>()?;
            results.extend(self.collection_call(Method::PATCH, rows).await?);
        }
        Ok(results)
    }

    /// Creates many records through sObject Collections (`allOrNone: false`), 200 per call,
    /// with one result per record, aligned with `records`.
    pub async fn create_many(
        &self,
        records: &[RecordCreate],
    ) -> Result<Vec<SaveResult>, SalesforceError> {
        let mut results = Vec::with_capacity(records.len());
        for chunk in records.chunks(COLLECTION_CHUNK) {
            let rows = chunk
                .iter()
                .map(|r| {
                    let mut row = r.fields.clone();
                    row.insert("attributes".into(), json!({ "type": api_name(&r.object)? }));
                    Ok(Value::Object(row))
                })
                .collect::<Result<Vec<_>, SalesforceError>>()?;
            results.extend(self.collection_call(Method::POST, rows).await?);
        }
        Ok(results)
    }

    async fn collection_call(
        &self,
        method: Method,
        rows: Vec<Value>,
    ) -> Result<Vec<SaveResult>, SalesforceError> {
        let expected = rows.len();
        let body = json!({ "allOrNone": false, "records": rows });
        let results: Vec<SaveResult> = self
            .json_call(
                "sObject collection",
                method,
                Target::Data("composite/sobjects"),
                &body,
            )
            .await?;
        if results.len() != expected {
            return Err(SalesforceError::malformed(
                "sObject collection",
                format!("sent {expected} records, got {} results", results.len()),
            ));
        }
        Ok(results)
    }

    /// Sends a composite request (at most [`COMPOSITE_MAX`] subrequests). Subrequest failures
    /// are in each [`super::model::CompositeSubresponse`], not in the `Err` of this call.
    pub async fn composite(
        &self,
        request: &CompositeRequest,
    ) -> Result<CompositeResponse, SalesforceError> {
        if request.composite_request.len() > COMPOSITE_MAX {
            return Err(SalesforceError::InvalidInput(format!(
                "a composite request holds at most {COMPOSITE_MAX} subrequests, not {}",
                request.composite_request.len()
            )));
        }
        let body = serde_json::to_value(request)
            .map_err(|e| SalesforceError::InvalidInput(e.to_string()))?;
        self.json_call("composite", Method::POST, Target::Data("composite"), &body)
            .await
    }

    /// The path prefix composite subrequest URLs start with: `/services/data/vXX.X`.
    pub fn data_path_prefix(&self) -> String {
        format!("/services/data/{}", self.api_version())
    }
}
