//! The ways a single value conversion can fail.

use thiserror::Error;

/// Why a value could not be converted. `field` names the target field.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConversionError {
    /// The value has the wrong JSON shape for its field.
    #[error("{field}: expected {expected}, got {found}")]
    WrongShape {
        /// Target field.
        field: String,
        /// What was expected.
        expected: &'static str,
        /// What arrived (JSON, shortened).
        found: String,
    },
    /// Not a number.
    #[error("{field}: {value:?} is not a number")]
    NotANumber {
        /// Target field.
        field: String,
        /// The value.
        value: String,
    },
    /// A fraction where a whole number is required.
    #[error("{field}: {value} is not a whole number")]
    NotAnInteger {
        /// Target field.
        field: String,
        /// The value.
        value: f64,
    },
    /// Too large for the field.
    #[error("{field}: {value} is too large; the field holds values below {limit} in size")]
    OutOfRange {
        /// Target field.
        field: String,
        /// The value.
        value: f64,
        /// The exclusive bound on the absolute value.
        limit: f64,
    },
    /// Not a `YYYY-MM-DD` date.
    #[error("{field}: {value:?} is not a date (expected YYYY-MM-DD)")]
    InvalidDate {
        /// Target field.
        field: String,
        /// The value.
        value: String,
    },
    /// Not a date-time.
    #[error("{field}: {value:?} is not a date-time (expected e.g. 2024-01-02T03:04:05.000+0000)")]
    InvalidDateTime {
        /// Target field.
        field: String,
        /// The value.
        value: String,
    },
    /// Not a yes/no value.
    #[error("{field}: {value:?} is not yes/no or true/false")]
    NotABoolean {
        /// Target field.
        field: String,
        /// The value.
        value: String,
    },
    /// No allowed value matches.
    #[error("{field}: {value:?} matches none of the allowed values ({})", allowed.join(", "))]
    NoMatchingValue {
        /// Target field.
        field: String,
        /// The value.
        value: String,
        /// What the field accepts.
        allowed: Vec<String>,
    },
    /// Longer than the field holds; refused rather than truncated.
    #[error("{field}: the text has {actual} characters but the field holds at most {max}")]
    TooLong {
        /// Target field.
        field: String,
        /// The text's length in characters.
        actual: usize,
        /// The field's limit.
        max: usize,
    },
    /// A required field would be cleared.
    #[error("{field} is required in Salesforce and cannot be cleared")]
    Required {
        /// Target field.
        field: String,
    },
    /// A value a Jira label cannot hold.
    #[error("{field}: {value:?} cannot be a Jira label (labels have no spaces)")]
    InvalidLabel {
        /// Target field.
        field: String,
        /// The value.
        value: String,
    },
    /// Not a Salesforce id.
    #[error("{field}: {value:?} is not a Salesforce record id ({reason})")]
    InvalidId {
        /// Target field.
        field: String,
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The field pair is not convertible at all.
    #[error("{field}: {what}")]
    Unsupported {
        /// Target field.
        field: String,
        /// Why.
        what: String,
    },
}
