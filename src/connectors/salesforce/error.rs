//! Everything that can go wrong talking to Salesforce, sorted by what the caller should do.
//!
//! Salesforce reports failures in three shapes: the OAuth endpoint's `{error,
//! error_description}`, the REST API's array of `{errorCode, message, fields}`, and the
//! per-record `{statusCode, message, fields}` of sObject Collections and composite results. The
//! sync engine needs to know which failures go away on their own (a 503, a row lock, a broken
//! connection: retried here, then reported as retryable), which need people (a bad secret, a
//! validation rule, a missing permission), and one that needs the whole connector to slow down
//! (`REQUEST_LIMIT_EXCEEDED`). [`SalesforceError`] makes that distinction a `match`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::auth::OAuthFailure;
use super::limits::ApiUsage;
use crate::connectors::hosts::HostRefused;
use crate::connectors::retry::{is_transient_status, RetryClassified};

/// Error codes that mean "the same request may succeed shortly".
pub const RETRYABLE_CODES: &[&str] = &["UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"];

/// One entry of a REST error array, or of a collection/composite result's `errors`.
///
/// Plain REST calls name the code `errorCode`; collections and SaveResults name it
/// `statusCode`. Both are read into [`ApiErrorItem::code`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorItem {
    /// `errorCode` or `statusCode`, e.g. `MALFORMED_ID`.
    #[serde(rename = "errorCode", alias = "statusCode", default)]
    pub code: String,
    /// The message for people.
    #[serde(default)]
    pub message: String,
    /// The fields concerned, often empty.
    #[serde(default, deserialize_with = "nullable_list")]
    pub fields: Vec<String>,
}

fn nullable_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

impl fmt::Display for ApiErrorItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message.trim())?;
        if !self.fields.is_empty() {
            write!(f, " [{}]", self.fields.join(", "))?;
        }
        Ok(())
    }
}

/// Why a Salesforce call failed.
#[derive(Debug, thiserror::Error)]
pub enum SalesforceError {
    /// A login or instance URL outside the outbound host policy.
    #[error(transparent)]
    HostRefused(#[from] HostRefused),
    /// The OAuth token request was refused, or the token cannot be used for the REST API.
    #[error("Salesforce authentication failed: {0}")]
    OAuth(OAuthFailure),
    /// The session stayed invalid after one renewal (`INVALID_SESSION_ID`). `renewed` is true
    /// when a fresh token is now cached and the request (whose streamed body could not be
    /// replayed) may be sent again.
    #[error("Salesforce session expired or invalid: {message}")]
    SessionExpired {
        /// Salesforce's message.
        message: String,
        /// Whether a fresh token was obtained after the failure.
        renewed: bool,
    },
    /// The org's rolling 24-hour API limit is used up (`REQUEST_LIMIT_EXCEEDED`). Not retried
    /// here: the whole connector should pause.
    #[error("Salesforce API request limit exceeded: {message}")]
    RequestLimitExceeded {
        /// Salesforce's message.
        message: String,
        /// The usage figure on that response, when it had one.
        usage: Option<ApiUsage>,
    },
    /// The REST API answered with an error status.
    #[error("Salesforce answered HTTP {status}: {}", join_items(.errors))]
    Api {
        /// HTTP status.
        status: u16,
        /// The errors in the body (possibly empty when the body was not an error array).
        errors: Vec<ApiErrorItem>,
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
    },
    /// The request did not complete: connection refused or dropped, timeout, TLS failure.
    #[error("could not complete the Salesforce request: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// A response that does not have the documented shape.
    #[error("unexpected Salesforce response to {context}: {detail}")]
    Malformed {
        /// The call.
        context: String,
        /// What was wrong.
        detail: String,
    },
    /// The caller's input cannot make a valid request (a bad object or field name).
    #[error("invalid Salesforce request: {0}")]
    InvalidInput(String),
    /// A create was sent and its answer was lost (a timeout, a reset, a 5xx or a 429 after the
    /// request left): it may have happened. Never repeated as is; the caller looks for what it
    /// would have made. Everything else about the error is the wrapped cause's.
    #[error("{0} (the create may have happened)")]
    AnswerLost(Box<SalesforceError>),
}

fn join_items(items: &[ApiErrorItem]) -> String {
    if items.is_empty() {
        return "(no error details)".into();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl SalesforceError {
    /// The error itself, seen through [`SalesforceError::AnswerLost`].
    pub fn cause(&self) -> &SalesforceError {
        match self {
            Self::AnswerLost(inner) => inner.cause(),
            other => other,
        }
    }

    /// Whether this is a create's lost answer ([`SalesforceError::AnswerLost`]).
    pub fn is_answer_lost(&self) -> bool {
        matches!(self, Self::AnswerLost(_))
    }

    /// A transport failure from reqwest.
    pub(crate) fn transport(context: &str, source: reqwest::Error) -> Self {
        let kind = if source.is_timeout() {
            "timed out"
        } else if source.is_connect() {
            "connection failed"
        } else if source.is_body() || source.is_decode() {
            "response body interrupted"
        } else {
            "request failed"
        };
        Self::Transport {
            message: format!("{context}: {kind}: {source}"),
            source: Some(source),
        }
    }

    /// A malformed response.
    pub(crate) fn malformed(context: &str, detail: impl fmt::Display) -> Self {
        Self::Malformed {
            context: context.to_string(),
            detail: detail.to_string(),
        }
    }

    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self.cause() {
            Self::Api { status, .. } => Some(*status),
            Self::SessionExpired { .. } => Some(401),
            Self::RequestLimitExceeded { .. } => Some(403),
            _ => None,
        }
    }

    /// The Salesforce error codes carried, for API errors.
    pub fn error_codes(&self) -> Vec<&str> {
        match self.cause() {
            Self::Api { errors, .. } => errors.iter().map(|e| e.code.as_str()).collect(),
            Self::SessionExpired { .. } => vec!["INVALID_SESSION_ID"],
            Self::RequestLimitExceeded { .. } => vec!["REQUEST_LIMIT_EXCEEDED"],
            _ => Vec::new(),
        }
    }

    /// Whether an API error carries this code.
    pub fn has_code(&self, code: &str) -> bool {
        self.error_codes().contains(&code)
    }

    /// A 404 (`NOT_FOUND` or `ENTITY_IS_DELETED`).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The org's daily API limit is used up: slow the whole connector down.
    pub fn is_request_limit(&self) -> bool {
        matches!(self.cause(), Self::RequestLimitExceeded { .. })
    }

    /// A credentials or session problem that needs an administrator.
    pub fn is_auth(&self) -> bool {
        matches!(self.cause(), Self::OAuth(f) if !f.is_transient())
            || matches!(self.cause(), Self::SessionExpired { renewed: false, .. })
    }
}

impl RetryClassified for SalesforceError {
    /// Transport failures, transient statuses (408, 429, 5xx), `UNABLE_TO_LOCK_ROW`,
    /// `SERVER_UNAVAILABLE`, a transient OAuth `unknown_error`, and a session renewed after a
    /// streamed upload. Not: validation, permission, bad ids, the request limit.
    fn is_retryable(&self) -> bool {
        match self.cause() {
            Self::Transport { .. } => true,
            Self::Api { status, errors, .. } => {
                is_transient_status(*status)
                    || errors
                        .iter()
                        .any(|e| RETRYABLE_CODES.contains(&e.code.as_str()))
            }
            Self::OAuth(failure) => failure.is_transient(),
            Self::SessionExpired { renewed, .. } => *renewed,
            Self::HostRefused(_)
            | Self::RequestLimitExceeded { .. }
            | Self::Malformed { .. }
            | Self::InvalidInput(_) => false,
            Self::AnswerLost(inner) => inner.is_retryable(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self.cause() {
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A connection that could not be opened, a token request that failed (the call itself was
    /// not sent yet) and an invalid session (refused before the call was handled) prove that
    /// nothing was written; anything else after sending leaves the outcome unknown.
    fn unsent(&self) -> bool {
        match self.cause() {
            Self::Transport {
                source: Some(e), ..
            } => e.is_connect(),
            Self::OAuth(_) | Self::SessionExpired { .. } => true,
            _ => false,
        }
    }

    fn answer_lost(self) -> Self {
        Self::AnswerLost(Box::new(self))
    }
}

/// Reads a REST error body: an array of items, a single item, an OAuth-style object, or text.
pub(crate) fn parse_error_body(body: &[u8]) -> Vec<ApiErrorItem> {
    if let Ok(items) = serde_json::from_slice::<Vec<ApiErrorItem>>(body) {
        return items;
    }
    if let Ok(item) = serde_json::from_slice::<ApiErrorItem>(body) {
        if !item.code.is_empty() || !item.message.is_empty() {
            return vec![item];
        }
    }
    #[derive(Deserialize)]
    struct OAuthShape {
        error: String,
        #[serde(default)]
        error_description: String,
    }
    if let Ok(o) = serde_json::from_slice::<OAuthShape>(body) {
        return vec![ApiErrorItem {
            code: o.error,
            message: o.error_description,
            fields: Vec::new(),
        }];
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    vec![ApiErrorItem {
        code: String::new(),
        message: text.chars().take(500).collect(),
        fields: Vec::new(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::salesforce::auth::OAuthFailureKind;

    fn api(status: u16, code: &str) -> SalesforceError {
        SalesforceError::Api {
            status,
            errors: vec![ApiErrorItem {
                code: code.into(),
                message: "m".into(),
                fields: vec![],
            }],
            retry_after: None,
        }
    }

    #[test]
    fn error_arrays_use_either_code_key() {
        let rest = br#"[{"message":"Required fields are missing: [Name]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Name"]}]"#;
        let items = parse_error_body(rest);
        assert_eq!(items[0].code, "REQUIRED_FIELD_MISSING");
        assert_eq!(items[0].fields, vec!["Name"]);
        let collection =
            br#"[{"statusCode":"MALFORMED_ID","message":"malformed id 001","fields":null}]"#;
        let items = parse_error_body(collection);
        assert_eq!(items[0].code, "MALFORMED_ID");
        assert!(items[0].fields.is_empty());
    }

    #[test]
    fn other_bodies_still_give_a_readable_error() {
        let items = parse_error_body(br#"{"errorCode":"NOT_FOUND","message":"gone"}"#);
        assert_eq!(items[0].code, "NOT_FOUND");
        let items = parse_error_body(br#"{"error":"invalid_grant","error_description":"x"}"#);
        assert_eq!(items[0].code, "invalid_grant");
        let items = parse_error_body(b"<html>Service Unavailable</html>");
        assert_eq!(items[0].message, "<html>Service Unavailable</html>");
        assert!(parse_error_body(b"").is_empty());
    }

    #[test]
    fn retry_classification() {
        assert!(api(503, "SERVER_UNAVAILABLE").is_retryable());
        assert!(api(500, "UNKNOWN_EXCEPTION").is_retryable());
        assert!(api(400, "UNABLE_TO_LOCK_ROW").is_retryable());
        assert!(!api(400, "FIELD_CUSTOM_VALIDATION_EXCEPTION").is_retryable());
        assert!(!api(400, "MALFORMED_ID").is_retryable());
        assert!(!api(403, "INSUFFICIENT_ACCESS_OR_READONLY").is_retryable());
        assert!(!api(404, "NOT_FOUND").is_retryable());
        let limit = SalesforceError::RequestLimitExceeded {
            message: "TotalRequests Limit exceeded.".into(),
            usage: None,
        };
        assert!(!limit.is_retryable());
        assert!(limit.is_request_limit());
        let transport = SalesforceError::Transport {
            message: "reset".into(),
            source: None,
        };
        assert!(transport.is_retryable());
        let transient_oauth = SalesforceError::OAuth(OAuthFailure::classify(
            "unknown_error",
            "retry your request",
        ));
        assert!(transient_oauth.is_retryable());
        let bad_secret = SalesforceError::OAuth(OAuthFailure::classify(
            "invalid_client",
            "invalid client credentials",
        ));
        assert!(!bad_secret.is_retryable());
        assert!(bad_secret.is_auth());
        assert!(matches!(
            bad_secret,
            SalesforceError::OAuth(OAuthFailure {
                kind: OAuthFailureKind::WrongSecret,
                ..
            })
        ));
    }

    #[test]
    fn codes_and_statuses_are_exposed() {
        let e = api(404, "ENTITY_IS_DELETED");
        assert!(e.is_not_found());
        assert!(e.has_code("ENTITY_IS_DELETED"));
        assert_eq!(e.status(), Some(404));
        let text = e.to_string();
        assert!(
            text.contains("404") && text.contains("ENTITY_IS_DELETED"),
            "{text}"
        );
    }

    #[test]
    fn retry_after_is_exposed() {
        let e = SalesforceError::Api {
            status: 503,
            errors: vec![],
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
    }
}
