//! The one mapping from errors to HTTP responses.
//!
//! Every refusal has the same body, `{"error": "<stable_code>", "message": "<for people>",
//! "details": {...}}`: the code is for scripts and never changes meaning, the message is for
//! people, the details name what was wrong (a field, a version). Unexpected failures answer 500
//! with an opaque message; their cause goes to the log, never to the client. The engine's
//! [`SyncError`] is mapped here too, so the dependency points from HTTP to the engine and never
//! back.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::actors::LinkError;
use crate::connectors::jira::JiraError;
use crate::connectors::salesforce::SalesforceError;
use crate::domain::link::LinkRefusal;
use crate::engine::SyncError;

/// The body of every refusal, whatever the route (the OpenAPI document's `ErrorBody`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code for scripts, e.g. `invalid_item_id`; it never changes meaning.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
    /// What was wrong (a field, a version, a limit); `{}` when there is nothing more to say.
    #[schema(value_type = Object)]
    pub details: Value,
}

/// An HTTP-facing error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read.
    #[error("{message}")]
    BadRequest {
        /// Stable code, e.g. `invalid_json`.
        code: &'static str,
        /// For people.
        message: String,
        /// What was wrong.
        details: Value,
    },
    /// 401: no or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 401: a signed request (a Jira webhook delivery) whose signature is missing, wrong or
    /// cannot be checked. Same code as [`Self::Unauthorized`], but no bearer challenge: no
    /// token would help.
    #[error("{0}")]
    BadSignature(String),
    /// 403: authenticated, but this request may not do that (e.g. a cookie-authenticated
    /// change without the header that proves it comes from the admin pages).
    #[error("{message}")]
    Forbidden {
        /// Stable code, e.g. `csrf_header_missing`.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// 404: no such thing.
    #[error("{message}")]
    NotFound {
        /// Stable code, e.g. `link_not_found`.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// 409: the request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// For people.
        message: String,
        /// What conflicted.
        details: Value,
    },
    /// 413: the body is too large.
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 422: understood, but invalid.
    #[error("{message}")]
    Unprocessable {
        /// Stable code, e.g. `invalid_item`.
        code: &'static str,
        /// For people.
        message: String,
        /// Field-level messages.
        details: Value,
    },
    /// 502: a remote system refused or failed.
    #[error("{message}")]
    Upstream {
        /// Stable code, e.g. `salesforce_error`.
        code: &'static str,
        /// For people.
        message: String,
        /// The remote side's words.
        details: Value,
    },
    /// 429: too many failed credentials from this address; try again after `retry_after_secs`.
    #[error("too many failed attempts from this address; try again in {retry_after_secs} s")]
    TooManyAttempts {
        /// Seconds until the next attempt is considered (sent as `Retry-After`).
        retry_after_secs: u64,
    },
    /// 503: not ready (store still checking, projections catching up).
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an infrastructure failure; the cause is logged, not returned.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    /// A 404 with a code and message.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::NotFound {
            code,
            message: message.into(),
        }
    }

    /// A 500 wrapping any error.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Forbidden { code, .. }
            | Self::NotFound { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::Upstream { code, .. } => code,
            Self::Unauthorized(_) | Self::BadSignature(_) => "unauthorized",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::TooManyAttempts { .. } => "too_many_failed_attempts",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn details(&self) -> Value {
        match self {
            Self::BadRequest { details, .. }
            | Self::Conflict { details, .. }
            | Self::Unprocessable { details, .. }
            | Self::Upstream { details, .. }
                if !details.is_null() =>
            {
                details.clone()
            }
            Self::PayloadTooLarge { limit } => json!({ "limit_bytes": limit }),
            Self::TooManyAttempts { retry_after_secs } => {
                json!({ "retry_after_secs": retry_after_secs })
            }
            _ => json!({}),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) | Self::BadSignature(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Upstream { .. } => StatusCode::BAD_GATEWAY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            tracing::error!(error.cause_chain = ?cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, Self::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let Self::TooManyAttempts { retry_after_secs } = self {
            response.insert_header(("Retry-After", retry_after_secs.to_string()));
        }
        response.json(ErrorBody {
            error: self.code().to_string(),
            message: self.to_string(),
            details: self.details(),
        })
    }
}

/// Salesforce's own words about a refusal, for `details`.
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

/// How each engine failure answers over HTTP: refusals keep the remote system's own words in
/// `details`; anything unexpected is a 500 whose cause goes to the log.
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
            SyncError::Jira(JiraError::InvalidInput(_)) => ApiError::Unprocessable {
                code: "invalid_jira_request",
                message,
                details: json!({}),
            },
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
                    LinkRefusal::AutoManaged => "auto_managed_link",
                    LinkRefusal::LinkedElsewhere(_) => "already_linked",
                    LinkRefusal::NotLinked => "not_linked",
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

/// Turns actix's own extractor failures (bad JSON, bad query, bad path) into typed errors, so
/// they answer in the same shape as ours.
pub fn json_config(limit: usize) -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req| {
            use actix_web::error::JsonPayloadError;
            let api = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => {
                    ApiError::PayloadTooLarge { limit }
                }
                JsonPayloadError::ContentType => ApiError::bad_request(
                    "invalid_content_type",
                    "expected Content-Type: application/json",
                ),
                JsonPayloadError::Deserialize(e) if e.is_data() => json_body_error(e),
                other => ApiError::BadRequest {
                    code: "invalid_json",
                    message: format!("the body is not valid JSON: {other}"),
                    details: json!({}),
                },
            };
            api.into()
        })
}

/// A body serde could not read, saying where: `422 invalid_body` when it is JSON of the wrong
/// shape (a missing or unknown key, a wrong type), `400 invalid_json` when it is not JSON.
pub fn json_body_error(e: &serde_json::Error) -> ApiError {
    let details = json!({ "line": e.line(), "column": e.column() });
    if e.is_data() {
        ApiError::Unprocessable {
            code: "invalid_body",
            message: format!("the body does not fit: {e}"),
            details,
        }
    } else {
        ApiError::BadRequest {
            code: "invalid_json",
            message: format!("the body is not valid JSON: {e}"),
            details,
        }
    }
}

/// Query-string extractor failures in the same shape.
pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::bad_request("invalid_query", format!("bad query string: {err}")).into()
    })
}

/// Path extractor failures in the same shape.
pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default().error_handler(|err, _req| {
        ApiError::bad_request("invalid_path", format!("bad path parameter: {err}")).into()
    })
}

/// Gives actix's own `405 Method Not Allowed` (a known path called with a method it does not
/// serve) the same body as every other refusal, naming the method and path.
pub fn method_not_allowed_handlers<B: 'static>() -> actix_web::middleware::ErrorHandlers<B> {
    actix_web::middleware::ErrorHandlers::new()
        .handler(StatusCode::METHOD_NOT_ALLOWED, method_not_allowed)
}

fn method_not_allowed<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    let message = format!(
        "{} is not allowed on {}",
        res.request().method(),
        res.request().path()
    );
    let body = ErrorBody {
        error: "method_not_allowed".into(),
        message,
        details: json!({}),
    };
    let response = HttpResponse::MethodNotAllowed().json(body);
    Ok(actix_web::middleware::ErrorHandlerResponse::Response(
        res.into_response(response).map_into_right_body(),
    ))
}
