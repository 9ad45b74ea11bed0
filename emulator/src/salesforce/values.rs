//! Field values on the wire: the datetime format Salesforce prints, and the conversion of JSON
//! input into a field's stored value with Salesforce's errors for wrong types, ids, e-mail
//! addresses and lengths.
//!
//! Stored values are plain JSON: text as strings, numbers as numbers, booleans, dates as
//! `YYYY-MM-DD`, datetimes as `2024-01-02T03:04:05.000+0000`, ids in their 18-character form.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::error::{SfError, SfResult};
use super::ids;
use super::schema::{FieldDef, FieldType};

/// Formats an instant the way Salesforce prints datetimes: `2024-01-02T03:04:05.000+0000`.
/// Salesforce keeps datetimes to the second, so the milliseconds always read `.000`.
pub fn fmt_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000+0000").to_string()
}

/// Formats a date: `2024-01-02`.
pub fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// RFC 3339 with milliseconds, for the control API.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses the datetime forms Salesforce accepts on input (`…Z`, `…+00:00`, `…+0000`, with or
/// without fractional seconds).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The stored value of a datetime field as an instant.
pub fn stored_datetime(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().and_then(parse_datetime)
}

fn cannot_deserialize(kind: &str, raw: &Value) -> SfError {
    let (token, text) = match raw {
        Value::String(s) => ("VALUE_STRING", s.clone()),
        Value::Number(n) => (
            if n.is_f64() {
                "VALUE_NUMBER_FLOAT"
            } else {
                "VALUE_NUMBER_INT"
            },
            n.to_string(),
        ),
        Value::Bool(b) => (if *b { "VALUE_TRUE" } else { "VALUE_FALSE" }, b.to_string()),
        Value::Array(_) => ("START_ARRAY", "[".into()),
        Value::Object(_) => ("START_OBJECT", "{".into()),
        Value::Null => ("VALUE_NULL", "null".into()),
    };
    SfError::json_parser(format!(
        "Cannot deserialize instance of {kind} from {token} value {text} or request may be missing a required field"
    ))
}

/// A text value from JSON: strings as they are, numbers and booleans as their text.
fn text_of(field: &FieldDef, raw: &Value) -> SfResult<String> {
    match raw {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(cannot_deserialize(
            if field.ftype == FieldType::Id || field.ftype == FieldType::Reference {
                "reference"
            } else {
                "string"
            },
            raw,
        )),
    }
}

/// The `STRING_TOO_LONG` check for text fields.
pub fn check_length(field: &FieldDef, text: &str) -> SfResult<()> {
    if field.length == 0 {
        return Ok(());
    }
    let size = if field.byte_limit {
        text.len()
    } else {
        text.chars().count()
    };
    if size > field.length as usize {
        return Err(SfError::dml(
            "STRING_TOO_LONG",
            format!(
                "{}: data value too large: {} (max length={})",
                field.label, text, field.length
            ),
            &[&field.name],
        ));
    }
    Ok(())
}

/// An id value for a reference or id field, normalized to 18 characters.
pub fn id_value(field: &FieldDef, text: &str) -> SfResult<String> {
    ids::to18(text).map_err(|_| {
        SfError::dml(
            "MALFORMED_ID",
            format!("{}: id value of incorrect type: {}", field.label, text),
            &[&field.name],
        )
    })
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// Converts JSON input into the stored value of `field` (null stays null). Base64 fields are
/// handled by the caller (their bytes are not stored in the record).
pub fn coerce(field: &FieldDef, raw: &Value) -> SfResult<Value> {
    if raw.is_null() {
        return Ok(Value::Null);
    }
    match field.ftype {
        FieldType::Boolean => match raw {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(cannot_deserialize("boolean", raw)),
        },
        FieldType::Int => {
            let n = match raw {
                Value::Number(n) => n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                        .map(|f| f as i64)
                }),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            n.map(Value::from)
                .ok_or_else(|| cannot_deserialize("int", raw))
        }
        FieldType::Double | FieldType::Currency | FieldType::Percent => {
            let n = match raw {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            n.and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| cannot_deserialize("double", raw))
        }
        FieldType::Date => raw
            .as_str()
            .and_then(parse_date)
            .map(|d| Value::String(fmt_date(d)))
            .ok_or_else(|| cannot_deserialize("date", raw)),
        FieldType::Datetime => raw
            .as_str()
            .and_then(parse_datetime)
            .map(|t| Value::String(fmt_datetime(t)))
            .ok_or_else(|| cannot_deserialize("datetime", raw)),
        FieldType::Id | FieldType::Reference => {
            let text = text_of(field, raw)?;
            if text.is_empty() {
                return Ok(Value::Null);
            }
            id_value(field, &text).map(Value::String)
        }
        FieldType::Email => {
            let text = text_of(field, raw)?;
            if text.is_empty() {
                return Ok(Value::Null);
            }
            if !looks_like_email(&text) {
                return Err(SfError::dml(
                    "INVALID_EMAIL_ADDRESS",
                    format!("{}: invalid email address: {}", field.label, text),
                    &[&field.name],
                ));
            }
            check_length(field, &text)?;
            Ok(Value::String(text))
        }
        FieldType::Base64 => Err(SfError::json_parser(format!(
            "{} can only be set on create",
            field.name
        ))),
        _ => {
            let text = text_of(field, raw)?;
            if text.is_empty() {
                return Ok(Value::Null);
            }
            check_length(field, &text)?;
            Ok(Value::String(text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(t: FieldType) -> FieldDef {
        FieldDef::new("F", "Label", t)
    }

    #[test]
    fn datetimes_print_with_milliseconds_and_a_colonless_offset() {
        let t = parse_datetime("2024-01-02T03:04:05Z").unwrap();
        assert_eq!(fmt_datetime(t), "2024-01-02T03:04:05.000+0000");
        assert_eq!(
            parse_datetime("2024-01-02T04:04:05.000+0100"),
            Some(t),
            "the +hhmm form Salesforce itself prints is accepted on input"
        );
        assert_eq!(parse_datetime("2024-01-02T04:04:05+01:00"), Some(t));
    }

    #[test]
    fn input_is_converted_or_refused_like_salesforce() {
        assert_eq!(
            coerce(
                &field(FieldType::Datetime),
                &Value::from("2024-01-02T03:04:05Z")
            )
            .unwrap(),
            Value::from("2024-01-02T03:04:05.000+0000")
        );
        assert_eq!(
            coerce(&field(FieldType::Boolean), &Value::from("x"))
                .unwrap_err()
                .code,
            "JSON_PARSER_ERROR"
        );
        let too_long = coerce(&field(FieldType::String).len(3), &Value::from("abcd")).unwrap_err();
        assert_eq!(too_long.code, "STRING_TOO_LONG");
        assert_eq!(
            too_long.message,
            "Label: data value too large: abcd (max length=3)"
        );
        assert_eq!(
            coerce(&field(FieldType::Reference), &Value::from("nope"))
                .unwrap_err()
                .message,
            "Label: id value of incorrect type: nope"
        );
        assert_eq!(
            coerce(&field(FieldType::Email), &Value::from("not-an-email"))
                .unwrap_err()
                .code,
            "INVALID_EMAIL_ADDRESS"
        );
        let bytes = field(FieldType::Textarea).len(4).bytes();
        assert!(coerce(&bytes, &Value::from("éé")).is_ok());
        assert!(coerce(&bytes, &Value::from("ééé")).is_err());
    }
}
