//! Field mapping: which Salesforce field may feed which Jira field, and value conversion.
//!
//! A mapping is checked once when the admin saves it ([`compatibility`]) so that problems show
//! up as a sentence in the admin page rather than as failed syncs later; each value is then
//! converted on every sync ([`sf_to_jira`], [`jira_to_sf`]). The rules are conservative: a
//! two-way mapping must land on a Salesforce field the integration user can update, and onto a
//! Jira field whose type constrains input to something Salesforce accepts (free Jira text is
//! not written back into a number, date or picklist field).
//!
//! Text that does not fit the target is **refused**, never truncated: a truncated value would be
//! written, read back as a change and overwrite the longer original on the other side. The
//! error says how long the text is and what the field holds.
//!
//! Empty values clear the target: `null`, `""` and `[]` from either side become `null` (or `[]`
//! for Jira array fields), a Salesforce checkbox reads emptiness as `false`, and a required
//! (non-nillable) Salesforce field refuses to be cleared.

mod conflict;
mod convert;
mod error;

pub use conflict::{decide_field_winner, FieldReason, FieldSides, FieldVerdict};
pub use convert::{format_datetime, jira_to_sf, parse_datetime_lenient, sf_to_jira};
pub use error::ConversionError;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// A Salesforce field type, as describe's `type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SfFieldType {
    /// The record id.
    Id,
    /// Single-line text.
    String,
    /// Long or rich text.
    Textarea,
    /// Single-select picklist.
    Picklist,
    /// Multi-select picklist, values joined by `;`.
    Multipicklist,
    /// Lookup to another record.
    Reference,
    /// Checkbox.
    Boolean,
    /// Whole number.
    Int,
    /// Decimal number.
    Double,
    /// Money amount.
    Currency,
    /// Percentage (12.5 means 12.5 %).
    Percent,
    /// Date (`YYYY-MM-DD`).
    Date,
    /// Date and time.
    Datetime,
    /// Email address.
    Email,
    /// Phone number.
    Phone,
    /// URL.
    Url,
    /// Picklist that also accepts free text.
    Combobox,
    /// Anything else (`base64`, `address`, `location`, …): not mappable.
    #[serde(other)]
    Other,
}

impl SfFieldType {
    /// Reads describe's `type` string.
    pub fn from_describe(name: &str) -> SfFieldType {
        serde_json::from_value(Value::String(name.trim().to_ascii_lowercase()))
            .unwrap_or(SfFieldType::Other)
    }

    /// The describe name (`picklist`); `other` for unmappable types.
    pub fn as_str(self) -> &'static str {
        match self {
            SfFieldType::Id => "id",
            SfFieldType::String => "string",
            SfFieldType::Textarea => "textarea",
            SfFieldType::Picklist => "picklist",
            SfFieldType::Multipicklist => "multipicklist",
            SfFieldType::Reference => "reference",
            SfFieldType::Boolean => "boolean",
            SfFieldType::Int => "int",
            SfFieldType::Double => "double",
            SfFieldType::Currency => "currency",
            SfFieldType::Percent => "percent",
            SfFieldType::Date => "date",
            SfFieldType::Datetime => "datetime",
            SfFieldType::Email => "email",
            SfFieldType::Phone => "phone",
            SfFieldType::Url => "url",
            SfFieldType::Combobox => "combobox",
            SfFieldType::Other => "other",
        }
    }

    fn is_text(self) -> bool {
        matches!(
            self,
            SfFieldType::String
                | SfFieldType::Textarea
                | SfFieldType::Email
                | SfFieldType::Phone
                | SfFieldType::Url
                | SfFieldType::Combobox
        )
    }

    fn is_number(self) -> bool {
        matches!(
            self,
            SfFieldType::Int | SfFieldType::Double | SfFieldType::Currency | SfFieldType::Percent
        )
    }
}

/// One mapping of an item with the conversion specs of both its fields.
#[derive(Debug, Clone)]
pub struct MappedField {
    /// The mapping.
    pub mapping: crate::domain::item::FieldMapping,
    /// The Salesforce field, from describe.
    pub salesforce: SfFieldSpec,
    /// The Jira field, from the issue type's create screen.
    pub jira: JiraFieldSpec,
}

/// One value of a Salesforce picklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PicklistValue {
    /// The API value.
    pub value: String,
    /// The label.
    pub label: String,
    /// Inactive values cannot be written.
    pub active: bool,
}

/// What the conversion needs to know about a Salesforce field (from describe).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SfFieldSpec {
    /// API name.
    pub name: String,
    /// Label.
    pub label: String,
    /// Type.
    pub field_type: SfFieldType,
    /// Maximum length in characters, for text.
    pub length: Option<usize>,
    /// Total digits, for double/currency/percent.
    pub precision: Option<u32>,
    /// Digits after the decimal point, for double/currency/percent.
    pub scale: Option<u32>,
    /// Maximum digits, for int.
    pub digits: Option<u32>,
    /// Whether the integration user can update it.
    pub updateable: bool,
    /// Whether it may be empty.
    pub nillable: bool,
    /// Picklist values, for picklist, multipicklist and combobox.
    pub picklist_values: Vec<PicklistValue>,
}

impl SfFieldSpec {
    /// A spec with no limits, updateable and nillable; adjust the public fields as needed.
    pub fn new(name: &str, field_type: SfFieldType) -> SfFieldSpec {
        SfFieldSpec {
            name: name.to_string(),
            label: name.to_string(),
            field_type,
            length: None,
            precision: None,
            scale: None,
            digits: None,
            updateable: true,
            nillable: true,
            picklist_values: Vec::new(),
        }
    }

    /// Reads one entry of describe's `fields[]`. Missing keys take safe defaults: not
    /// updateable, nillable, no limits, no picklist values.
    pub fn from_describe(field: &Value) -> SfFieldSpec {
        let text = |k: &str| {
            field
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let num = |k: &str| {
            field
                .get(k)
                .and_then(Value::as_u64)
                .filter(|n| *n > 0)
                .map(|n| n as u32)
        };
        let flag =
            |k: &str, default: bool| field.get(k).and_then(Value::as_bool).unwrap_or(default);
        let picklist_values = field
            .get("picklistValues")
            .and_then(Value::as_array)
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| {
                        let value = v.get("value")?.as_str()?.to_string();
                        let label = v
                            .get("label")
                            .and_then(Value::as_str)
                            .unwrap_or(&value)
                            .to_string();
                        let active = v.get("active").and_then(Value::as_bool).unwrap_or(true);
                        Some(PicklistValue {
                            value,
                            label,
                            active,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        SfFieldSpec {
            name: text("name"),
            label: text("label"),
            field_type: SfFieldType::from_describe(&text("type")),
            length: num("length").map(|n| n as usize),
            precision: num("precision"),
            scale: field.get("scale").and_then(Value::as_u64).map(|n| n as u32),
            digits: num("digits"),
            updateable: flag("updateable", false),
            nillable: flag("nillable", true),
            picklist_values,
        }
    }

    pub(crate) fn display(&self) -> String {
        if self.label.is_empty() || self.label == self.name {
            self.name.clone()
        } else {
            format!("{} ({})", self.label, self.name)
        }
    }
}

/// The kind of a Jira field, from its schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JiraFieldKind {
    /// Single-line text (`summary`, text custom fields).
    String,
    /// Rich text in ADF (`description`, `environment`, textarea custom fields).
    Doc,
    /// Number.
    Number,
    /// Date.
    Date,
    /// Date-time.
    DateTime,
    /// Single select: `{"value": …}`.
    Option,
    /// Multi-select or checkboxes: `[{"value": …}]`.
    Options,
    /// Labels: an array of strings without spaces.
    Labels,
    /// Priority: `{"name": …}`.
    Priority,
    /// A user picker: not supported.
    User,
    /// Anything else, with its schema type.
    Other(String),
}

impl JiraFieldKind {
    /// Reads a field's `schema` (`{type, items?, system?, custom?}`).
    pub fn from_schema(schema: &Value) -> JiraFieldKind {
        let get = |k: &str| schema.get(k).and_then(Value::as_str).unwrap_or("");
        let custom = get("custom");
        match get("type") {
            "string" if matches!(get("system"), "description" | "environment") => {
                JiraFieldKind::Doc
            }
            "string" if custom.ends_with(":textarea") => JiraFieldKind::Doc,
            "string" => JiraFieldKind::String,
            "doc" => JiraFieldKind::Doc,
            "number" => JiraFieldKind::Number,
            "date" => JiraFieldKind::Date,
            "datetime" => JiraFieldKind::DateTime,
            "option" => JiraFieldKind::Option,
            "priority" => JiraFieldKind::Priority,
            "user" => JiraFieldKind::User,
            "array" => match get("items") {
                "option" => JiraFieldKind::Options,
                "string" => JiraFieldKind::Labels,
                "user" => JiraFieldKind::User,
                other => JiraFieldKind::Other(format!("array of {other}")),
            },
            other => JiraFieldKind::Other(other.to_string()),
        }
    }

    fn describe(&self) -> String {
        match self {
            JiraFieldKind::String => "a text field".into(),
            JiraFieldKind::Doc => "a rich-text field".into(),
            JiraFieldKind::Number => "a number field".into(),
            JiraFieldKind::Date => "a date field".into(),
            JiraFieldKind::DateTime => "a date-time field".into(),
            JiraFieldKind::Option => "a single-select field".into(),
            JiraFieldKind::Options => "a multi-select field".into(),
            JiraFieldKind::Labels => "a labels field".into(),
            JiraFieldKind::Priority => "the priority field".into(),
            JiraFieldKind::User => "a user field".into(),
            JiraFieldKind::Other(t) => format!("a field of type {t}"),
        }
    }
}

/// An allowed value of a Jira select or priority field (`value` for options, `name` for
/// priorities).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraOption {
    /// Jira's id, when known.
    pub id: Option<String>,
    /// The option value or priority name.
    pub value: String,
}

/// What the conversion needs to know about a Jira field (from createmeta or `/field`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraFieldSpec {
    /// Field id (`summary`, `customfield_10050`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind.
    pub kind: JiraFieldKind,
    /// Allowed values for selects and priority; empty when unknown.
    pub allowed_values: Vec<JiraOption>,
    /// Maximum text length; `None` means the default (255 for single-line text).
    pub max_length: Option<usize>,
}

/// Jira's limit for single-line text fields.
pub const JIRA_SINGLE_LINE_MAX: usize = 255;

impl JiraFieldSpec {
    /// A spec with no allowed values and default limits.
    pub fn new(id: &str, kind: JiraFieldKind) -> JiraFieldSpec {
        JiraFieldSpec {
            id: id.to_string(),
            name: id.to_string(),
            kind,
            allowed_values: Vec::new(),
            max_length: None,
        }
    }

    /// Reads a createmeta field entry (`{fieldId|key, name, schema, allowedValues?}`).
    pub fn from_createmeta(field: &Value) -> JiraFieldSpec {
        let id = ["fieldId", "key", "id"]
            .iter()
            .find_map(|k| field.get(*k).and_then(Value::as_str))
            .unwrap_or("")
            .to_string();
        let allowed_values = field
            .get("allowedValues")
            .and_then(Value::as_array)
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| {
                        let value = v.get("value").or_else(|| v.get("name"))?.as_str()?;
                        Some(JiraOption {
                            id: v.get("id").and_then(Value::as_str).map(str::to_string),
                            value: value.to_string(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        JiraFieldSpec {
            name: field
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&id)
                .to_string(),
            kind: JiraFieldKind::from_schema(field.get("schema").unwrap_or(&Value::Null)),
            id,
            allowed_values,
            max_length: None,
        }
    }
}

/// Which way a mapping carries values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncDirection {
    /// Salesforce → Jira only.
    OneWay,
    /// Both ways.
    TwoWay,
}

/// A mapping that cannot work, with the reason for the admin.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{reason}")]
pub struct Incompatible {
    /// Why, for people.
    pub reason: String,
}

/// Checks that `sf` can feed `jira` (and, for two-way, that `jira` can be written back to
/// `sf`).
pub fn compatibility(
    sf: &SfFieldSpec,
    jira: &JiraFieldSpec,
    direction: SyncDirection,
) -> Result<(), Incompatible> {
    use JiraFieldKind as J;
    use SfFieldType as S;
    let refuse = |why: String| Err(Incompatible { reason: why });
    let pair = || format!("Salesforce {} → Jira {}", sf.display(), jira.name);
    if matches!(jira.kind, J::User) {
        return refuse(format!("{}: Jira user fields are not supported", pair()));
    }
    if sf.field_type == S::Other {
        return refuse(format!(
            "{}: this Salesforce field type cannot be mapped",
            pair()
        ));
    }
    let one_way_ok = match &jira.kind {
        J::String => true,
        J::Doc => sf.field_type.is_text(),
        J::Number => sf.field_type.is_number(),
        J::Date => matches!(sf.field_type, S::Date | S::Datetime),
        J::DateTime => matches!(sf.field_type, S::Date | S::Datetime),
        J::Option => matches!(sf.field_type, S::Picklist | S::Combobox | S::Boolean),
        J::Options => matches!(sf.field_type, S::Multipicklist | S::Boolean),
        J::Labels => sf.field_type == S::Multipicklist,
        J::Priority => matches!(sf.field_type, S::Picklist | S::Combobox),
        J::User | J::Other(_) => false,
    };
    if !one_way_ok {
        return refuse(format!(
            "{}: a Salesforce {} field cannot fill {}",
            pair(),
            sf.field_type.as_str(),
            jira.kind.describe()
        ));
    }
    if direction == SyncDirection::OneWay {
        return Ok(());
    }
    if !sf.updateable {
        return refuse(format!(
            "{}: two-way sync writes to Salesforce, but {} is not updateable by the integration user",
            pair(),
            sf.display()
        ));
    }
    if sf.field_type == S::Id {
        return refuse(format!("{}: a record id is never written back", pair()));
    }
    let back_ok = match &jira.kind {
        J::String | J::Doc => sf.field_type.is_text() || sf.field_type == S::Reference,
        J::Date => sf.field_type == S::Date,
        J::DateTime => sf.field_type == S::Datetime,
        _ => true,
    };
    if !back_ok {
        return refuse(format!(
            "{}: {} in Jira can hold values that the Salesforce field cannot take, so this \
             mapping can only be one-way",
            pair(),
            jira.kind.describe()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
