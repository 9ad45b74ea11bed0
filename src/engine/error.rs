//! What the sync engine's admin and panel operations can refuse or fail with, and how each
//! answers over HTTP.
//!
//! Remote refusals keep the remote system's own words in `details`, because "Salesforce said
//! FIELD_CUSTOM_VALIDATION_EXCEPTION: Reason is required" is what an admin can act on.

use serde_json::{json, Value};

use crate::actors::LinkError;
use crate::connectors::jira::JiraError;
use crate::connectors::retry::RetryClassified;
use crate::connectors::salesforce::SalesforceError;
use crate::events::store::StoreError;
use crate::http::ApiError;
use crate::projections::ProjectionError;
use crate::secrets::SecretError;

/// A failed engine operation.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Salesforce is not connected yet.
    #[error("Salesforce is not connected: connect it first (PUT /api/admin/connection)")]
    NotConnected,
    /// Jira is not configured.
    #[error("Jira is not configured: set jira.base_url and credentials in the configuration")]
    JiraNotConfigured,
    /// The input is invalid; `details` names each problem.
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// For people.
        message: String,
        /// Field-level problems and warnings.
        details: Value,
    },
    /// Something named does not exist.
    #[error("{message}")]
    NotFound {
        /// Stable code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// For people.
        message: String,
        /// Context.
        details: Value,
    },
    /// Salesforce refused or failed.
    #[error("Salesforce: {0}")]
    Salesforce(#[from] SalesforceError),
    /// Jira refused or failed.
    #[error("Jira: {0}")]
    Jira(#[from] JiraError),
    /// A link actor refused or failed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The event store failed.
    #[error("event store: {0}")]
    Store(#[from] StoreError),
    /// A view could not be read.
    #[error("view: {0}")]
    Projection(#[from] ProjectionError),
    /// The secret store failed.
    #[error("secrets: {0}")]
    Secret(#[from] SecretError),
    /// A create's answer was lost and its marker is not visible yet: it is not sent again
    /// before `absent_if_unseen_after`, when not finding it proves it absent.
    #[error("the outcome of an earlier attempt ({operation}) is unknown and its marker is not visible yet; it will not be created again before {absent_if_unseen_after}")]
    CreateOutcomeUnknown {
        /// The operation.
        operation: String,
        /// The first moment an empty lookup proves absence.
        absent_if_unseen_after: chrono::DateTime<chrono::Utc>,
    },
}

impl SyncError {
    /// A 422 with a code and message.
    pub fn invalid(code: &'static str, message: impl Into<String>, details: Value) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
            details,
        }
    }

    /// A 404 with a code and message.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::NotFound {
            code,
            message: message.into(),
        }
    }

    /// A 409 with a code and message.
    pub fn conflict(code: &'static str, message: impl Into<String>, details: Value) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
            details,
        }
    }

    /// Whether trying again later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Salesforce(e) => e.is_retryable() || e.is_request_limit(),
            Self::Jira(e) => e.is_retryable(),
            Self::Store(_) | Self::CreateOutcomeUnknown { .. } => true,
            Self::Link(LinkError::Unavailable(_) | LinkError::Conflict { .. }) => true,
            _ => false,
        }
    }

    /// Whether a create that failed this way may have happened all the same: the create request
    /// left, and its answer (a timeout, a reset, a 5xx, a 429) does not say it was refused. A
    /// failure of anything read before the create (a download, a lookup) is not such a case.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Salesforce(e) => e.is_answer_lost(),
            Self::Jira(e) => e.is_answer_lost(),
            _ => false,
        }
    }
}

fn salesforce_details(e: &SalesforceError) -> Value {
    match e.cause() {
        SalesforceError::OAuth(failure) => json!({
            "cause": failure.cause(),
            "fix": failure.fix(),
            "salesforce_error": failure.error,
            "salesforce_description": failure.description,
        }),
        SalesforceError::Api { status, errors, .. } => json!({
            "status": status,
            "salesforce_errors": errors,
        }),
        _ => json!({}),
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        let message = e.to_string();
        match e {
            SyncError::NotConnected => ApiError::Conflict {
                code: "salesforce_not_connected",
                message,
                details: json!({}),
            },
            SyncError::JiraNotConfigured => ApiError::Conflict {
                code: "jira_not_configured",
                message,
                details: json!({}),
            },
            SyncError::Invalid { code, details, .. } => ApiError::Unprocessable {
                code,
                message,
                details,
            },
            SyncError::NotFound { code, .. } => ApiError::NotFound { code, message },
            SyncError::Conflict { code, details, .. } => ApiError::Conflict {
                code,
                message,
                details,
            },
            SyncError::Salesforce(ref se) => match se.cause() {
                SalesforceError::OAuth(_) => ApiError::Unprocessable {
                    code: "salesforce_auth_failed",
                    message,
                    details: salesforce_details(se),
                },
                SalesforceError::HostRefused(_) => ApiError::Unprocessable {
                    code: "salesforce_url_refused",
                    message,
                    details: json!({}),
                },
                SalesforceError::InvalidInput(_) => ApiError::Unprocessable {
                    code: "invalid_salesforce_request",
                    message,
                    details: json!({}),
                },
                _ if se.is_not_found() => ApiError::NotFound {
                    code: "salesforce_not_found",
                    message,
                },
                _ => ApiError::Upstream {
                    code: "salesforce_error",
                    message,
                    details: salesforce_details(se),
                },
            },
            SyncError::Jira(crate::connectors::jira::JiraError::InvalidInput(_)) => {
                ApiError::Unprocessable {
                    code: "invalid_jira_request",
                    message,
                    details: json!({}),
                }
            }
            SyncError::Jira(ref je) => {
                if je.is_not_found() {
                    ApiError::NotFound {
                        code: "jira_not_found",
                        message,
                    }
                } else {
                    ApiError::Upstream {
                        code: "jira_error",
                        message,
                        details: je
                            .body()
                            .map(|b| json!({"jira_errors": b}))
                            .unwrap_or_else(|| json!({})),
                    }
                }
            }
            SyncError::Link(LinkError::Refused(refusal)) => ApiError::Conflict {
                code: match refusal {
                    crate::domain::link::LinkRefusal::AutoManaged => "auto_managed_link",
                    crate::domain::link::LinkRefusal::LinkedElsewhere(_) => "already_linked",
                    crate::domain::link::LinkRefusal::NotLinked => "not_linked",
                },
                message,
                details: json!({}),
            },
            SyncError::Link(LinkError::Unavailable(_)) | SyncError::CreateOutcomeUnknown { .. } => {
                ApiError::Unavailable(message)
            }
            other => ApiError::internal(other),
        }
    }
}
