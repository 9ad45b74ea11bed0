//! Value conversion between a Salesforce field and a Jira field.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{json, Number, Value};

use super::error::ConversionError;
use super::{
    JiraFieldKind, JiraFieldSpec, JiraOption, SfFieldSpec, SfFieldType, JIRA_SINGLE_LINE_MAX,
};
use crate::domain::adf::{adf_to_text, text_to_adf, wiki_to_text};
use crate::domain::ids::SalesforceId;

fn shorten(value: &Value) -> String {
    let s = value.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}

/// Parses a date-time leniently: `2024-01-02T03:04:05.000+0000`, `+00:00`, `Z`, with or
/// without fractional seconds; a value without an offset is taken as UTC.
pub fn parse_datetime_lenient(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(t, format) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, format) {
            return Some(d.and_utc());
        }
    }
    None
}

/// The wire form both systems use: `2024-01-02T03:04:05.000+0000`, in UTC.
pub fn format_datetime(at: &DateTime<Utc>) -> String {
    let rfc = at.to_rfc3339_opts(SecondsFormat::Millis, true);
    format!("{}+0000", rfc.trim_end_matches('Z'))
}

/// Where a conversion is going, for error messages and limits.
struct Target<'a> {
    field: &'a str,
}

impl Target<'_> {
    fn shape(&self, expected: &'static str, found: &Value) -> ConversionError {
        ConversionError::WrongShape {
            field: self.field.to_string(),
            expected,
            found: shorten(found),
        }
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A JSON scalar as text (numbers without a trailing `.0`).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(number_value(n.as_f64()?).to_string()),
        _ => None,
    }
}

/// A number as JSON, integral values without a fraction.
fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.007_199_254_740_992e15 {
        json!(x as i64)
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

fn parse_number(value: &Value, target: &Target) -> Result<f64, ConversionError> {
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    parsed
        .filter(|x| x.is_finite())
        .ok_or_else(|| ConversionError::NotANumber {
            field: target.field.to_string(),
            value: scalar_text(value).unwrap_or_else(|| shorten(value)),
        })
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "true" | "y" | "1" | "on" | "checked" => Some(true),
        "no" | "false" | "n" | "0" | "off" | "unchecked" => Some(false),
        _ => None,
    }
}

fn date_of(text: &str, target: &Target) -> Result<NaiveDate, ConversionError> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_datetime_lenient(t).map(|d| d.date_naive()))
        .ok_or_else(|| ConversionError::InvalidDate {
            field: target.field.to_string(),
            value: t.to_string(),
        })
}

fn datetime_of(text: &str, target: &Target) -> Result<DateTime<Utc>, ConversionError> {
    let t = text.trim();
    parse_datetime_lenient(t)
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
        .ok_or_else(|| ConversionError::InvalidDateTime {
            field: target.field.to_string(),
            value: t.to_string(),
        })
}

fn check_length(text: &str, max: Option<usize>, target: &Target) -> Result<(), ConversionError> {
    let actual = text.chars().count();
    match max {
        Some(max) if actual > max => Err(ConversionError::TooLong {
            field: target.field.to_string(),
            actual,
            max,
        }),
        _ => Ok(()),
    }
}

fn same(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

fn find_option<'a>(candidates: &[&str], allowed: &'a [JiraOption]) -> Option<&'a JiraOption> {
    candidates
        .iter()
        .find_map(|c| allowed.iter().find(|o| same(&o.value, c)))
}

/// Picks the Jira option for a Salesforce text value (matching the Salesforce value or its
/// label); with no known allowed values the value itself is used.
fn jira_option(
    text: &str,
    sf: &SfFieldSpec,
    jira: &JiraFieldSpec,
) -> Result<String, ConversionError> {
    if jira.allowed_values.is_empty() {
        return Ok(text.trim().to_string());
    }
    let label = sf
        .picklist_values
        .iter()
        .find(|p| same(&p.value, text))
        .map(|p| p.label.as_str());
    let candidates: Vec<&str> = std::iter::once(text).chain(label).collect();
    find_option(&candidates, &jira.allowed_values)
        .map(|o| o.value.clone())
        .ok_or_else(|| ConversionError::NoMatchingValue {
            field: jira.name.clone(),
            value: text.to_string(),
            allowed: jira
                .allowed_values
                .iter()
                .map(|o| o.value.clone())
                .collect(),
        })
}

/// The Jira option standing for a checkbox value.
fn jira_bool_option(flag: bool, jira: &JiraFieldSpec) -> Result<Option<String>, ConversionError> {
    if jira.allowed_values.is_empty() {
        return Ok(Some(if flag { "Yes" } else { "No" }.to_string()));
    }
    if let Some(o) = jira
        .allowed_values
        .iter()
        .find(|o| parse_bool(&o.value) == Some(flag))
    {
        return Ok(Some(o.value.clone()));
    }
    // A checkbox field with a single option: checked means that option, unchecked means none.
    match (
        jira.kind == JiraFieldKind::Options,
        jira.allowed_values.as_slice(),
        flag,
    ) {
        (true, [only], true) => Ok(Some(only.value.clone())),
        (true, _, false) => Ok(None),
        _ => Err(ConversionError::NoMatchingValue {
            field: jira.name.clone(),
            value: flag.to_string(),
            allowed: jira
                .allowed_values
                .iter()
                .map(|o| o.value.clone())
                .collect(),
        }),
    }
}

/// Converts a Salesforce field value into the JSON Jira expects for `jira`.
pub fn sf_to_jira(
    value: &Value,
    sf: &SfFieldSpec,
    jira: &JiraFieldSpec,
) -> Result<Value, ConversionError> {
    use JiraFieldKind as J;
    let target = Target { field: &jira.name };
    let empty = is_empty(value) && sf.field_type != SfFieldType::Boolean;
    if empty {
        return Ok(match jira.kind {
            J::Options | J::Labels => json!([]),
            _ => Value::Null,
        });
    }
    let flag = || -> Result<bool, ConversionError> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::Null => Ok(false),
            other => scalar_text(other)
                .and_then(|t| parse_bool(&t))
                .ok_or_else(|| target.shape("true or false", other)),
        }
    };
    let text = || -> Result<String, ConversionError> {
        if sf.field_type == SfFieldType::Boolean {
            return Ok(if flag()? { "Yes" } else { "No" }.to_string());
        }
        if sf.field_type == SfFieldType::Datetime {
            if let Some(t) = value.as_str() {
                return Ok(format_datetime(&datetime_of(t, &target)?));
            }
        }
        scalar_text(value).ok_or_else(|| target.shape("a text, number or checkbox value", value))
    };
    let multi = || -> Result<Vec<String>, ConversionError> {
        Ok(text()?
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect())
    };
    match &jira.kind {
        J::String => {
            let t = text()?.split_whitespace().collect::<Vec<_>>().join(" ");
            check_length(
                &t,
                Some(jira.max_length.unwrap_or(JIRA_SINGLE_LINE_MAX)),
                &target,
            )?;
            Ok(json!(t))
        }
        J::Doc => {
            let t = text()?;
            check_length(&t, jira.max_length, &target)?;
            Ok(text_to_adf(&t))
        }
        J::Number => Ok(number_value(parse_number(value, &target)?)),
        J::Date => Ok(json!(date_of(&text()?, &target)?
            .format("%Y-%m-%d")
            .to_string())),
        J::DateTime => Ok(json!(format_datetime(&datetime_of(&text()?, &target)?))),
        J::Option if sf.field_type == SfFieldType::Boolean => {
            Ok(json!({"value": jira_bool_option(flag()?, jira)?}))
        }
        J::Option => Ok(json!({"value": jira_option(&text()?, sf, jira)?})),
        J::Options if sf.field_type == SfFieldType::Boolean => {
            Ok(match jira_bool_option(flag()?, jira)? {
                Some(v) => json!([{"value": v}]),
                None => json!([]),
            })
        }
        J::Options => {
            let values = multi()?
                .iter()
                .map(|v| jira_option(v, sf, jira).map(|o| json!({"value": o})))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array(values))
        }
        J::Labels => {
            let values = multi()?;
            if let Some(bad) = values.iter().find(|v| v.contains(char::is_whitespace)) {
                return Err(ConversionError::InvalidLabel {
                    field: jira.name.clone(),
                    value: bad.clone(),
                });
            }
            Ok(json!(values))
        }
        J::Priority => Ok(json!({"name": jira_option(&text()?, sf, jira)?})),
        J::User | J::Other(_) => Err(ConversionError::Unsupported {
            field: jira.name.clone(),
            what: "this Jira field type is not supported".into(),
        }),
    }
}

/// The textual values carried by a Jira field value: option `value`, priority `name`, labels,
/// plain strings, numbers, rich text rendered as plain text.
fn jira_texts(
    value: &Value,
    jira: &JiraFieldSpec,
    target: &Target,
) -> Result<Vec<String>, ConversionError> {
    let one = |v: &Value| -> Option<String> {
        match v {
            Value::Object(map) => ["value", "name"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_str))
                .map(str::to_string),
            other => scalar_text(other),
        }
    };
    match (value, &jira.kind) {
        (_, JiraFieldKind::Doc) if value.is_object() => Ok(vec![adf_to_text(value)]),
        (Value::String(s), JiraFieldKind::Doc) => Ok(vec![wiki_to_text(s)]),
        (Value::Array(items), _) => items
            .iter()
            .map(|v| one(v).ok_or_else(|| target.shape("a list of values", v)))
            .collect(),
        (other, _) => one(other)
            .map(|t| vec![t])
            .ok_or_else(|| target.shape("a single value", other)),
    }
}

/// Matches a Jira value against a Salesforce picklist's active values (value or label).
fn sf_picklist_value(text: &str, sf: &SfFieldSpec) -> Result<String, ConversionError> {
    let active: Vec<_> = sf.picklist_values.iter().filter(|p| p.active).collect();
    if active.is_empty() || sf.field_type == SfFieldType::Combobox {
        if let Some(p) = active
            .iter()
            .find(|p| same(&p.value, text) || same(&p.label, text))
        {
            return Ok(p.value.clone());
        }
        return Ok(text.trim().to_string());
    }
    active
        .iter()
        .find(|p| same(&p.value, text))
        .or_else(|| active.iter().find(|p| same(&p.label, text)))
        .map(|p| p.value.clone())
        .ok_or_else(|| ConversionError::NoMatchingValue {
            field: sf.display(),
            value: text.to_string(),
            allowed: active.iter().map(|p| p.value.clone()).collect(),
        })
}

fn check_number(x: f64, sf: &SfFieldSpec, target: &Target) -> Result<Value, ConversionError> {
    let out_of_range = |limit: f64| ConversionError::OutOfRange {
        field: target.field.to_string(),
        value: x,
        limit,
    };
    if sf.field_type == SfFieldType::Int {
        if x.fract() != 0.0 {
            return Err(ConversionError::NotAnInteger {
                field: target.field.to_string(),
                value: x,
            });
        }
        let limit = sf.digits.map_or(2_147_483_648.0, |d| {
            10f64.powi(d as i32).min(2_147_483_648.0)
        });
        if x.abs() >= limit {
            return Err(out_of_range(limit));
        }
        return Ok(json!(x as i64));
    }
    let scale = sf.scale.unwrap_or(0);
    let rounded = match sf.scale {
        Some(s) => {
            let factor = 10f64.powi(s as i32);
            (x * factor).round() / factor
        }
        None => x,
    };
    if let Some(precision) = sf.precision {
        let limit = 10f64.powi(precision as i32 - scale as i32);
        if rounded.abs() >= limit {
            return Err(out_of_range(limit));
        }
    }
    Ok(number_value(rounded))
}

/// Converts a Jira field value into the JSON Salesforce expects for `sf`.
pub fn jira_to_sf(
    value: &Value,
    jira: &JiraFieldSpec,
    sf: &SfFieldSpec,
) -> Result<Value, ConversionError> {
    use SfFieldType as S;
    let field = sf.display();
    let target = Target { field: &field };
    let is_rich_empty =
        jira.kind == JiraFieldKind::Doc && value.is_object() && adf_to_text(value).is_empty();
    if is_empty(value) || is_rich_empty {
        return match sf.field_type {
            S::Boolean => Ok(json!(false)),
            _ if !sf.nillable => Err(ConversionError::Required { field }),
            _ => Ok(Value::Null),
        };
    }
    let texts = jira_texts(value, jira, &target)?;
    let single = || -> Result<String, ConversionError> {
        match texts.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(target.shape("a single value", value)),
        }
    };
    match sf.field_type {
        t if t.is_text() => {
            let text = if texts.len() > 1 {
                texts.join("; ")
            } else {
                single()?
            };
            let text = match t {
                S::Textarea => text,
                S::Combobox => sf_picklist_value(&text, sf)?,
                _ => text.split_whitespace().collect::<Vec<_>>().join(" "),
            };
            check_length(&text, sf.length, &target)?;
            Ok(json!(text))
        }
        S::Picklist => Ok(json!(sf_picklist_value(&single()?, sf)?)),
        S::Multipicklist => {
            let mut values: Vec<String> = Vec::new();
            for t in texts
                .iter()
                .flat_map(|t| t.split(';'))
                .map(str::trim)
                .filter(|t| !t.is_empty())
            {
                let v = sf_picklist_value(t, sf)?;
                if !values.contains(&v) {
                    values.push(v);
                }
            }
            Ok(json!(values.join(";")))
        }
        S::Boolean => {
            if let Value::Bool(b) = value {
                return Ok(json!(b));
            }
            let parsed = texts.iter().find_map(|t| parse_bool(t));
            match (parsed, value) {
                (Some(b), _) => Ok(json!(b)),
                // A checkbox field whose option is not a yes/no word: any tick means true.
                (None, Value::Array(_)) => Ok(json!(true)),
                (None, _) => Err(ConversionError::NotABoolean {
                    field,
                    value: texts.join(", "),
                }),
            }
        }
        S::Int | S::Double | S::Currency | S::Percent => {
            let text = single()?;
            let x = match value {
                Value::Number(_) => parse_number(value, &target)?,
                _ => parse_number(&json!(text), &target)?,
            };
            check_number(x, sf, &target)
        }
        S::Date => Ok(json!(date_of(&single()?, &target)?
            .format("%Y-%m-%d")
            .to_string())),
        S::Datetime => Ok(json!(format_datetime(&datetime_of(&single()?, &target)?))),
        S::Reference => {
            let text = single()?;
            SalesforceId::parse(&text)
                .map(|id| json!(id.as_str()))
                .map_err(|e| ConversionError::InvalidId {
                    field,
                    value: text,
                    reason: e.to_string(),
                })
        }
        _ => Err(ConversionError::Unsupported {
            field,
            what: "this Salesforce field cannot be written from Jira".into(),
        }),
    }
}
