//! What the sync engine's admin and panel operations can refuse or fail with.
//!
//! Remote refusals keep the remote system's own error, because "Salesforce said
//! FIELD_CUSTOM_VALIDATION_EXCEPTION: Reason is required" is what an admin can act on. How each
//! answers over HTTP is decided in `crate::http::errors`, not here: the engine knows nothing of
//! HTTP.

use serde_json::Value;

use crate::actors::LinkError;
use crate::connectors::jira::JiraError;
use crate::connectors::retry::RetryClassified;
use crate::connectors::salesforce::SalesforceError;
use crate::events::store::StoreError;
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
