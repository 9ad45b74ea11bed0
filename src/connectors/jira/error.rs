//! Everything that can go wrong talking to Jira, sorted by what the caller should do.
//!
//! Jira reports failures as an HTTP status plus `{"errorMessages": […], "errors": {field: msg}}`
//! (sometimes plain text, for 401 and the XSRF check). The status decides the kind: bad
//! credentials (401) and missing permissions (403) need an administrator, a missing issue (404)
//! is a fact the sync records, a 429 means "slow down" and says for how long (`Retry-After`),
//! and 5xx or a broken connection goes away on its own. [`JiraError`] keeps those apart.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::connectors::hosts::HostRefused;
use crate::connectors::retry::{is_transient_status, RetryClassified};

/// Jira's error body: general messages and per-field messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCollection {
    /// General messages.
    #[serde(default)]
    pub error_messages: Vec<String>,
    /// Messages per field.
    #[serde(default, deserialize_with = "string_map")]
    pub errors: BTreeMap<String, String>,
}

fn string_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let raw = Option::<BTreeMap<String, Value>>::deserialize(d)?.unwrap_or_default();
    Ok(raw
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect())
}

impl ErrorCollection {
    /// Reads an error body: Jira's JSON shape, or any text as one message.
    pub fn parse(body: &[u8]) -> Self {
        if let Ok(parsed) = serde_json::from_slice::<ErrorCollection>(body) {
            if !parsed.error_messages.is_empty() || !parsed.errors.is_empty() {
                return parsed;
            }
        }
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        Self {
            error_messages: if text.is_empty() || text == "{}" {
                Vec::new()
            } else {
                vec![text.chars().take(500).collect()]
            },
            errors: BTreeMap::new(),
        }
    }

    /// Whether any message (general or per field) contains `needle`, case-insensitively.
    pub fn mentions(&self, needle: &str) -> bool {
        let needle = needle.to_ascii_lowercase();
        self.error_messages
            .iter()
            .chain(self.errors.values())
            .any(|m| m.to_ascii_lowercase().contains(&needle))
    }
}

impl fmt::Display for ErrorCollection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self.error_messages.clone();
        parts.extend(self.errors.iter().map(|(k, v)| format!("{k}: {v}")));
        if parts.is_empty() {
            f.write_str("(no error details)")
        } else {
            f.write_str(&parts.join("; "))
        }
    }
}

/// Why a Jira call failed.
#[derive(Debug, thiserror::Error)]
pub enum JiraError {
    /// The settings lack a site URL or credentials.
    #[error("Jira is not configured: {0}")]
    NotConfigured(String),
    /// The site URL, or a URL the server handed back, is outside the outbound host policy.
    #[error(transparent)]
    HostRefused(#[from] HostRefused),
    /// 401: the email and API token (or bearer token) were not accepted.
    #[error("Jira did not accept the credentials (HTTP 401): {body}")]
    Unauthorized {
        /// The error body.
        body: ErrorCollection,
    },
    /// 403: the account lacks a permission (or the XSRF header was missing).
    #[error("Jira refused the request for lack of permission (HTTP 403): {body}")]
    Forbidden {
        /// The error body.
        body: ErrorCollection,
    },
    /// 404: the issue, comment, property or project does not exist or is not visible.
    #[error("Jira did not find it (HTTP 404): {body}")]
    NotFound {
        /// The error body.
        body: ErrorCollection,
    },
    /// 429: a rate limit was hit. Retried here while the wait asked for is short; otherwise
    /// returned so that the connector slows down for [`JiraError::retry_after`].
    #[error(
        "Jira rate limit hit (HTTP 429, retry after {retry_after:?}, reason {reason:?}): {body}"
    )]
    RateLimited {
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
        /// `RateLimit-Reason`, when sent (`jira-burst-based`, `jira-per-issue-on-write`, …).
        reason: Option<String>,
        /// The error body.
        body: ErrorCollection,
    },
    /// Any other error status.
    #[error("Jira answered HTTP {status}: {body}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: ErrorCollection,
        /// `Retry-After`, when sent (some 503s carry it).
        retry_after: Option<Duration>,
    },
    /// The request did not complete: connection refused or dropped, timeout, TLS failure.
    #[error("could not complete the Jira request: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// A response that does not have the documented shape.
    #[error("unexpected Jira response to {context}: {detail}")]
    Malformed {
        /// The call.
        context: String,
        /// What was wrong.
        detail: String,
    },
    /// The caller's input cannot make a valid request.
    #[error("invalid Jira request: {0}")]
    InvalidInput(String),
    /// A create was sent and its answer was lost (a timeout, a reset, a 5xx or a 429 after the
    /// request left): it may have happened. Never repeated as is; the caller looks for what it
    /// would have made. Everything else about the error is the wrapped cause's.
    #[error("{0} (the create may have happened)")]
    AnswerLost(Box<JiraError>),
}

impl JiraError {
    /// The error itself, seen through [`JiraError::AnswerLost`].
    pub fn cause(&self) -> &JiraError {
        match self {
            Self::AnswerLost(inner) => inner.cause(),
            other => other,
        }
    }

    /// Whether this is a create's lost answer ([`JiraError::AnswerLost`]).
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

    /// Builds the error for an HTTP status and body.
    pub(crate) fn from_status(
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        reason: Option<String>,
    ) -> Self {
        let body = ErrorCollection::parse(body);
        match status {
            401 => Self::Unauthorized { body },
            403 => Self::Forbidden { body },
            404 => Self::NotFound { body },
            429 => Self::RateLimited {
                retry_after,
                reason,
                body,
            },
            _ => Self::Api {
                status,
                body,
                retry_after,
            },
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self.cause() {
            Self::Unauthorized { .. } => Some(401),
            Self::Forbidden { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::RateLimited { .. } => Some(429),
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error body, when the server answered.
    pub fn body(&self) -> Option<&ErrorCollection> {
        match self.cause() {
            Self::Unauthorized { body }
            | Self::Forbidden { body }
            | Self::NotFound { body }
            | Self::RateLimited { body, .. }
            | Self::Api { body, .. } => Some(body),
            _ => None,
        }
    }

    /// A 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self.cause(), Self::NotFound { .. })
    }

    /// A 429.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self.cause(), Self::RateLimited { .. })
    }

    /// A credentials (401) or permission (403) problem that needs an administrator.
    pub fn is_auth(&self) -> bool {
        matches!(
            self.cause(),
            Self::Unauthorized { .. } | Self::Forbidden { .. }
        )
    }
}

impl RetryClassified for JiraError {
    /// 429, transient statuses (408, 5xx) and transport failures. Not: 400 validation, 401,
    /// 403, 404, 409, 413.
    fn is_retryable(&self) -> bool {
        match self.cause() {
            Self::RateLimited { .. } | Self::Transport { .. } => true,
            Self::Api { status, .. } => is_transient_status(*status),
            _ => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self.cause() {
            Self::RateLimited { retry_after, .. } | Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Only a connection that could not be opened proves Jira never saw the request; a timeout,
    /// a reset, a 5xx or a 429 after the request was sent leave the outcome unknown.
    fn unsent(&self) -> bool {
        matches!(self.cause(), Self::Transport { source: Some(e), .. } if e.is_connect())
    }

    fn answer_lost(self) -> Self {
        Self::AnswerLost(Box::new(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_json_or_text() {
        let body = ErrorCollection::parse(
            br#"{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue."}}"#,
        );
        assert_eq!(
            body.errors["summary"],
            "You must specify a summary of the issue."
        );
        assert!(body.mentions("specify a summary"));
        let body = ErrorCollection::parse(b"Client must be authenticated to access this resource.");
        assert_eq!(body.error_messages.len(), 1);
        let body =
            ErrorCollection::parse(br#"{"errorMessages":["x"],"errors":{"n":5},"status":400}"#);
        assert_eq!(body.errors["n"], "5");
        assert!(ErrorCollection::parse(b"").error_messages.is_empty());
        assert_eq!(ErrorCollection::default().to_string(), "(no error details)");
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert!(JiraError::from_status(401, b"", None, None).is_auth());
        assert!(JiraError::from_status(403, b"", None, None).is_auth());
        assert!(JiraError::from_status(404, b"", None, None).is_not_found());
        let limited = JiraError::from_status(
            429,
            br#"{"errorMessages":["Rate limit exceeded."],"errors":{}}"#,
            Some(Duration::from_secs(7)),
            Some("jira-burst-based".into()),
        );
        assert!(limited.is_rate_limited());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(limited.status(), Some(429));
    }

    #[test]
    fn retry_classification() {
        let retryable = [
            JiraError::from_status(429, b"", None, None),
            JiraError::from_status(500, b"", None, None),
            JiraError::from_status(503, b"", Some(Duration::from_secs(1)), None),
            JiraError::Transport {
                message: "reset".into(),
                source: None,
            },
        ];
        for e in &retryable {
            assert!(e.is_retryable(), "{e}");
        }
        for status in [400, 401, 403, 404, 409, 413] {
            assert!(
                !JiraError::from_status(status, b"", None, None).is_retryable(),
                "{status}"
            );
        }
        assert!(!JiraError::malformed("x", "y").is_retryable());
    }
}
