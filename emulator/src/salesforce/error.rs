//! Salesforce's error shapes and the emulator's reply type.
//!
//! Salesforce answers REST errors as a JSON **array** of `{message, errorCode, fields?}`; inside
//! sObject Collections the same error is an object keyed `statusCode`; the OAuth endpoint uses
//! `{error, error_description}`. Getting these shapes wrong is the most common way an emulator
//! lies, so every error the emulator produces goes through [`SfError`].

use bytes::Bytes;
use serde_json::{json, Value};

/// One Salesforce API error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SfError {
    /// HTTP status.
    pub status: u16,
    /// `errorCode` / `statusCode`.
    pub code: String,
    /// Human-readable message, exactly as Salesforce words it.
    pub message: String,
    /// `fields`, when Salesforce reports them for this error.
    pub fields: Option<Vec<String>>,
}

impl SfError {
    /// An error with no `fields` key.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            fields: None,
        }
    }

    /// A 400 error about record data, which always carries `fields`.
    pub fn dml(code: &str, message: impl Into<String>, fields: &[&str]) -> Self {
        Self {
            status: 400,
            code: code.to_string(),
            message: message.into(),
            fields: Some(fields.iter().map(|f| f.to_string()).collect()),
        }
    }

    /// 404 `NOT_FOUND`: unknown URL, sObject or record.
    pub fn not_found() -> Self {
        Self::new(404, "NOT_FOUND", "The requested resource does not exist")
    }

    /// 404 `ENTITY_IS_DELETED`.
    pub fn entity_deleted() -> Self {
        Self {
            status: 404,
            ..Self::dml("ENTITY_IS_DELETED", "entity is deleted", &[])
        }
    }

    /// 401 `INVALID_SESSION_ID` for a missing, unknown or expired token.
    pub fn invalid_session() -> Self {
        Self::new(401, "INVALID_SESSION_ID", "Session expired or invalid")
    }

    /// 401 `INVALID_SESSION_ID` for a token whose app lacks the `api` scope.
    pub fn session_not_for_rest() -> Self {
        Self::new(
            401,
            "INVALID_SESSION_ID",
            "This session is not valid for use with the REST API",
        )
    }

    /// 405 `METHOD_NOT_ALLOWED`.
    pub fn method_not_allowed(method: &str, allowed: &str) -> Self {
        Self::new(
            405,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
        )
    }

    /// 400 `JSON_PARSER_ERROR`.
    pub fn json_parser(message: impl Into<String>) -> Self {
        Self::new(400, "JSON_PARSER_ERROR", message)
    }

    /// 400 `MALFORMED_ID` as the record URL form reports it.
    pub fn malformed_id_in_url(object: &str, id: &str) -> Self {
        Self::new(
            400,
            "MALFORMED_ID",
            format!("{object} ID: id value of incorrect type: {id}"),
        )
        .with_fields(&["Id"])
    }

    /// 400 `INSUFFICIENT_ACCESS_OR_READONLY` for a missing object permission.
    pub fn insufficient_access() -> Self {
        Self::dml(
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "insufficient access rights on object id",
            &[],
        )
    }

    /// Replaces `fields`.
    pub fn with_fields(mut self, fields: &[&str]) -> Self {
        self.fields = Some(fields.iter().map(|f| f.to_string()).collect());
        self
    }

    /// The REST body: `[{"message","errorCode","fields"?}]`.
    pub fn rest_body(&self) -> Value {
        let mut item = json!({"message": self.message, "errorCode": self.code});
        if let (Some(fields), Some(map)) = (&self.fields, item.as_object_mut()) {
            map.insert("fields".into(), json!(fields));
        }
        Value::Array(vec![item])
    }

    /// The sObject Collections form: `{"statusCode","message","fields"}`.
    pub fn collection_item(&self) -> Value {
        json!({
            "statusCode": self.code,
            "message": self.message,
            "fields": self.fields.clone().unwrap_or_default(),
        })
    }
}

/// A reply body.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// No body (204).
    None,
    /// JSON.
    Json(Value),
    /// Raw bytes, e.g. a file download.
    Raw {
        /// Content type to announce.
        content_type: String,
        /// The bytes.
        bytes: Bytes,
    },
}

/// What a REST operation answers, before it becomes an HTTP response (or a composite item).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub payload: Payload,
    /// Extra headers (e.g. `Location`).
    pub headers: Vec<(String, String)>,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Self {
        Self::json(200, body)
    }

    /// A JSON body with the given status.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            payload: Payload::Json(body),
            headers: Vec::new(),
        }
    }

    /// 204 with no body.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            payload: Payload::None,
            headers: Vec::new(),
        }
    }

    /// The REST form of an error.
    pub fn error(error: &SfError) -> Self {
        Self::json(error.status, error.rest_body())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The JSON body, if any.
    pub fn body_json(&self) -> Option<&Value> {
        match &self.payload {
            Payload::Json(v) => Some(v),
            _ => None,
        }
    }
}

impl From<SfError> for Reply {
    fn from(e: SfError) -> Self {
        Reply::error(&e)
    }
}

/// Result of a REST operation.
pub type SfResult<T> = Result<T, SfError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_errors_are_arrays_and_collection_errors_use_status_code() {
        let e = SfError::dml(
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Name]",
            &["Name"],
        );
        assert_eq!(
            e.rest_body(),
            json!([{"message": "Required fields are missing: [Name]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Name"]}])
        );
        assert_eq!(e.collection_item()["statusCode"], "REQUIRED_FIELD_MISSING");
        assert!(SfError::not_found().rest_body()[0].get("fields").is_none());
    }
}
