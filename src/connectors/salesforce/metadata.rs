//! What the org is and what it holds: the organization, describe metadata, Case statuses.
//!
//! The admin page builds its object and field pickers from live describe metadata (custom
//! objects included), and validating a connection means naming the org it reached. Whether a
//! Case status closes the Case is not in the picklist metadata at all but in the `CaseStatus`
//! object, which status sync needs to close Cases the supported way.

use super::client::{SalesforceClient, Target};
use super::error::SalesforceError;
use super::model::{CaseStatus, DescribeGlobal, Organization, SObjectDescribe};
use super::names::api_name;

impl SalesforceClient {
    /// The org this client reached (`SELECT Id, Name FROM Organization`).
    pub async fn organization(&self) -> Result<Organization, SalesforceError> {
        let mut rows: Vec<Organization> =
            self.query_as("SELECT Id, Name FROM Organization").await?;
        match rows.len() {
            1 => Ok(rows.remove(0)),
            n => Err(SalesforceError::malformed(
                "organization query",
                format!("expected one Organization row, got {n}"),
            )),
        }
    }

    /// Every object the Run-As user can see (`GET /sobjects`).
    pub async fn describe_global(&self) -> Result<DescribeGlobal, SalesforceError> {
        self.get_json("describe global", Target::Data("sobjects"), &[])
            .await
    }

    /// One object's metadata: flags, fields, picklist values, relationships.
    pub async fn describe(&self, object: &str) -> Result<SObjectDescribe, SalesforceError> {
        let path = format!("sobjects/{}/describe", api_name(object)?);
        self.get_json("describe", Target::Data(&path), &[]).await
    }

    /// The Case status values with whether each closes the Case, in display order.
    pub async fn case_statuses(&self) -> Result<Vec<CaseStatus>, SalesforceError> {
        let mut rows: Vec<CaseStatus> = self
            .query_as(
                "SELECT Id, ApiName, MasterLabel, IsClosed, IsDefault, SortOrder FROM CaseStatus",
            )
            .await?;
        rows.sort_by_key(|s| s.sort_order.unwrap_or(i64::MAX));
        Ok(rows)
    }
}
