//! The Salesforce REST client: OAuth client credentials, SOQL, describe, records, collections,
//! search, files, and the org's API budget.
//!
//! [`SalesforceClient`] is the only way the rest of sfjira talks to Salesforce. One module per
//! concern: [`auth`] (the token flow and what each refusal means), [`client`] (the request
//! path every call shares), [`error`] (failures sorted by what to do about them), [`limits`]
//! (`Sforce-Limit-Info` and call counting), [`names`] (what may go into a path or query),
//! [`model`] (typed answers), [`query`] (SOQL, paging, bulk retrieval, search), [`records`]
//! (single and bulk writes, composite), [`coalesce`] (writes from many links sharing one
//! call), [`metadata`] (organization, describe, Case statuses)
//! and [`files`] (ContentVersion upload and download).

pub mod auth;
pub mod client;
pub mod coalesce;
pub mod error;
pub mod files;
pub mod limits;
pub mod metadata;
pub mod model;
pub mod names;
pub mod query;
pub mod records;

pub use auth::{OAuthFailure, OAuthFailureKind, TokenInfo};
pub use client::{SalesforceClient, SalesforceConnection};
pub use error::{ApiErrorItem, SalesforceError};
pub use files::NewContentVersion;
pub use limits::ApiUsage;
pub use model::{
    CaseStatus, CompositeRequest, CompositeResponse, CompositeSubrequest, CompositeSubresponse,
    DescribeGlobal, FieldDescribe, Organization, PicklistValue, QueryPage, Record, RecordCreate,
    RecordUpdate, SObjectDescribe, SObjectSummary, SaveResult,
};
pub use query::{QueryPager, QuerySummary};
