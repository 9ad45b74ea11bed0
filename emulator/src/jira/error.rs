//! The errors endpoints answer, in Jira's shapes.
//!
//! Jira reports most failures as an `ErrorCollection`, `{"errorMessages":[…],"errors":{field:
//! msg}}`, with the status code telling the kind; a few come as plain text (a failed login, the
//! XSRF check). Handlers return [`JiraError`] and never build error bodies themselves, so every
//! refusal has the same shape.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// Plain-text body of a 401 (what Jira Cloud sends for missing or wrong credentials).
pub const UNAUTHENTICATED: &str = "Client must be authenticated to access this resource.";

/// The common 404 text for issues.
pub const ISSUE_NOT_FOUND: &str = "Issue does not exist or you do not have permission to see it.";

/// An error answer of the emulated API.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JiraError {
    /// 401 with a plain-text body; `failed` when credentials were given but wrong.
    #[error("{UNAUTHENTICATED}")]
    Unauthenticated {
        /// Credentials were sent and rejected (adds `X-Seraph-LoginReason`).
        failed: bool,
    },
    /// An `ErrorCollection` with a status.
    #[error("{status}: {messages:?} {errors:?}")]
    Collection {
        /// HTTP status.
        status: StatusCode,
        /// `errorMessages`.
        messages: Vec<String>,
        /// `errors`, by field id.
        errors: BTreeMap<String, String>,
    },
    /// 403 `XSRF check failed` (plain text), for uploads without `X-Atlassian-Token: no-check`.
    #[error("XSRF check failed")]
    Xsrf,
}

/// Result of a handler step.
pub type JiraResult<T> = Result<T, JiraError>;

impl JiraError {
    /// An error collection with one message.
    pub fn status(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Collection {
            status,
            messages: vec![message.into()],
            errors: BTreeMap::new(),
        }
    }
    /// 400 with one message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::status(StatusCode::BAD_REQUEST, message)
    }
    /// 400 with several messages.
    pub fn bad_requests(messages: Vec<String>) -> Self {
        Self::Collection {
            status: StatusCode::BAD_REQUEST,
            messages,
            errors: BTreeMap::new(),
        }
    }
    /// 400 with per-field errors.
    pub fn fields(errors: BTreeMap<String, String>) -> Self {
        Self::Collection {
            status: StatusCode::BAD_REQUEST,
            messages: Vec::new(),
            errors,
        }
    }
    /// 400 with one field error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::fields(BTreeMap::from([(field.to_string(), message.into())]))
    }
    /// 404 with one message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::status(StatusCode::NOT_FOUND, message)
    }
    /// 404 for an issue.
    pub fn issue_not_found() -> Self {
        Self::not_found(ISSUE_NOT_FOUND)
    }
    /// 403 with one message.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::status(StatusCode::FORBIDDEN, message)
    }
}

impl ResponseError for JiraError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::Collection { status, .. } => *status,
            Self::Xsrf => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unauthenticated { failed } => {
                let mut response = HttpResponse::Unauthorized();
                response.content_type("text/plain;charset=UTF-8");
                if *failed {
                    response.insert_header(("X-Seraph-LoginReason", "AUTHENTICATED_FAILED"));
                }
                response.body(UNAUTHENTICATED)
            }
            Self::Xsrf => HttpResponse::Forbidden()
                .content_type("text/plain;charset=UTF-8")
                .body("XSRF check failed"),
            Self::Collection {
                status,
                messages,
                errors,
            } => HttpResponse::build(*status)
                .json(json!({"errorMessages": messages, "errors": errors})),
        }
    }
}
