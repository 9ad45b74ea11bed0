//! Field metadata and the small builder the object definitions are written with.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A field's describe `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// The record id.
    Id,
    /// Short text.
    String,
    /// Long text.
    Textarea,
    /// Single-select picklist.
    Picklist,
    /// Multi-select picklist (`a;b`).
    Multipicklist,
    /// Picklist that accepts free text.
    Combobox,
    /// Lookup to another record.
    Reference,
    /// Checkbox.
    Boolean,
    /// Integer.
    Int,
    /// Floating point number.
    Double,
    /// Money.
    Currency,
    /// Percentage.
    Percent,
    /// Calendar date.
    Date,
    /// Instant.
    Datetime,
    /// E-mail address.
    Email,
    /// Phone number.
    Phone,
    /// URL.
    Url,
    /// Binary content, served through a blob URL.
    Base64,
}

impl FieldType {
    /// The describe `soapType`.
    pub fn soap_type(self) -> &'static str {
        match self {
            Self::Id | Self::Reference => "tns:ID",
            Self::Boolean => "xsd:boolean",
            Self::Int => "xsd:int",
            Self::Double | Self::Currency | Self::Percent => "xsd:double",
            Self::Date => "xsd:date",
            Self::Datetime => "xsd:dateTime",
            Self::Base64 => "xsd:base64Binary",
            _ => "xsd:string",
        }
    }

    /// Whether values are text (strings compared as text).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::String
                | Self::Textarea
                | Self::Picklist
                | Self::Multipicklist
                | Self::Combobox
                | Self::Email
                | Self::Phone
                | Self::Url
        )
    }

    /// Whether values are numbers.
    pub fn is_number(self) -> bool {
        matches!(
            self,
            Self::Int | Self::Double | Self::Currency | Self::Percent
        )
    }

    /// The name SOQL error messages use for the type (`dateTime`, `boolean`…).
    pub fn soql_name(self) -> &'static str {
        match self {
            Self::Id | Self::Reference => "id",
            Self::Boolean => "boolean",
            Self::Int => "int",
            Self::Double | Self::Currency | Self::Percent => "double",
            Self::Date => "date",
            Self::Datetime => "dateTime",
            Self::Base64 => "base64",
            _ => "string",
        }
    }
}

/// One picklist value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PicklistEntry {
    /// API value.
    pub value: String,
    /// Label.
    pub label: String,
    /// Selectable.
    pub active: bool,
    /// Default on create.
    pub default: bool,
}

/// One field of an sObject.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldDef {
    /// API name.
    pub name: String,
    /// Label (used in error messages).
    pub label: String,
    /// Describe type.
    #[serde(rename = "type")]
    pub ftype: FieldType,
    /// Maximum length for text fields (characters, or bytes when `byte_limit`).
    pub length: u32,
    /// Digits for numbers.
    pub precision: u32,
    /// Decimal places for numbers.
    pub scale: u32,
    /// May be null.
    pub nillable: bool,
    /// May be set on create.
    pub createable: bool,
    /// May be set on update.
    pub updateable: bool,
    /// Gets a value on create when none is given.
    pub defaulted_on_create: bool,
    /// The value given on create when none is.
    pub default_value: Option<Value>,
    /// Picklist values.
    pub picklist: Vec<PicklistEntry>,
    /// Values outside the picklist are refused.
    pub restricted_picklist: bool,
    /// Target objects of a reference.
    pub reference_to: Vec<String>,
    /// Relationship name for parent paths (`Account` for `AccountId`).
    pub relationship_name: Option<String>,
    /// Name of this relationship seen from the parent (`CaseComments`).
    pub child_relationship: Option<String>,
    /// Deleting the parent deletes this record.
    pub cascade_delete: bool,
    /// The object's name field.
    pub name_field: bool,
    /// Auto-numbered.
    pub auto_number: bool,
    /// Computed by the org (formula, roll-up, compound name).
    pub calculated: bool,
    /// Custom field (`__c`).
    pub custom: bool,
    /// External id.
    pub external_id: bool,
    /// Unique.
    pub unique: bool,
    /// Length counts UTF-8 bytes instead of characters.
    pub byte_limit: bool,
    /// Included in text search.
    pub searchable: bool,
    /// Rich text.
    pub html_formatted: bool,
    /// Part of a compound field (`Name` for `FirstName`).
    pub compound_field_name: Option<String>,
}

impl FieldDef {
    /// A nillable, createable and updateable field; adjust with the builder methods.
    pub fn new(name: &str, label: &str, ftype: FieldType) -> Self {
        let (length, precision, scale) = match ftype {
            FieldType::Id | FieldType::Reference => (18, 0, 0),
            FieldType::String | FieldType::Combobox => (255, 0, 0),
            FieldType::Textarea => (32_000, 0, 0),
            FieldType::Picklist => (255, 0, 0),
            FieldType::Multipicklist => (4099, 0, 0),
            FieldType::Email | FieldType::Url => (255, 0, 0),
            FieldType::Phone => (40, 0, 0),
            FieldType::Int => (0, 9, 0),
            FieldType::Double | FieldType::Currency => (0, 18, 2),
            FieldType::Percent => (0, 3, 2),
            _ => (0, 0, 0),
        };
        Self {
            name: name.to_string(),
            label: label.to_string(),
            ftype,
            length,
            precision,
            scale,
            nillable: ftype != FieldType::Boolean && ftype != FieldType::Id,
            createable: ftype != FieldType::Id,
            updateable: ftype != FieldType::Id,
            defaulted_on_create: ftype == FieldType::Boolean,
            default_value: (ftype == FieldType::Boolean).then_some(Value::Bool(false)),
            picklist: Vec::new(),
            restricted_picklist: false,
            reference_to: Vec::new(),
            relationship_name: None,
            child_relationship: None,
            cascade_delete: false,
            name_field: false,
            auto_number: false,
            calculated: false,
            custom: name.ends_with("__c"),
            external_id: false,
            unique: false,
            byte_limit: false,
            searchable: false,
            html_formatted: false,
            compound_field_name: None,
        }
    }

    /// Sets the maximum length.
    pub fn len(mut self, length: u32) -> Self {
        self.length = length;
        self
    }

    /// Length is counted in bytes.
    pub fn bytes(mut self) -> Self {
        self.byte_limit = true;
        self
    }

    /// Must be given on create (and may not be nulled).
    pub fn required(mut self) -> Self {
        self.nillable = false;
        self
    }

    /// Set by the org only.
    pub fn read_only(mut self) -> Self {
        self.createable = false;
        self.updateable = false;
        self
    }

    /// Settable on create only.
    pub fn create_only(mut self) -> Self {
        self.updateable = false;
        self
    }

    /// Computed by the org (implies read-only).
    pub fn calculated(mut self) -> Self {
        self.calculated = true;
        self.read_only()
    }

    /// Gets `value` on create when none is given.
    pub fn default(mut self, value: Value) -> Self {
        self.defaulted_on_create = true;
        self.default_value = Some(value);
        self
    }

    /// Gets a value from the org on create (system and computed fields).
    pub fn defaulted(mut self) -> Self {
        self.defaulted_on_create = true;
        self
    }

    /// Picklist values; the value named `default` is the default on create.
    pub fn picklist(mut self, values: &[&str], default: Option<&str>) -> Self {
        self.picklist = values
            .iter()
            .map(|v| PicklistEntry {
                value: v.to_string(),
                label: v.to_string(),
                active: true,
                default: Some(*v) == default,
            })
            .collect();
        if let Some(d) = default {
            self = self.default(Value::String(d.to_string()));
        }
        self
    }

    /// Refuses values outside the picklist.
    pub fn restricted(mut self) -> Self {
        self.restricted_picklist = true;
        self
    }

    /// A lookup to `targets`, with its relationship name and the child relationship name.
    pub fn reference(mut self, targets: &[&str], relationship: &str, child: Option<&str>) -> Self {
        self.reference_to = targets.iter().map(|t| t.to_string()).collect();
        self.relationship_name = Some(relationship.to_string());
        self.child_relationship = child.map(str::to_string);
        self
    }

    /// Deleting the parent deletes this record.
    pub fn cascade(mut self) -> Self {
        self.cascade_delete = true;
        self
    }

    /// The object's name field.
    pub fn name_field(mut self) -> Self {
        self.name_field = true;
        self
    }

    /// Auto-numbered (read-only, set on create).
    pub fn auto_number(mut self) -> Self {
        self.auto_number = true;
        self.defaulted_on_create = true;
        self.read_only()
    }

    /// Included in text search.
    pub fn search(mut self) -> Self {
        self.searchable = true;
        self
    }

    /// Part of the compound field `name`.
    pub fn compound(mut self, name: &str) -> Self {
        self.compound_field_name = Some(name.to_string());
        self
    }

    /// Whether a value is required on create: not nillable, createable and not defaulted.
    pub fn required_on_create(&self) -> bool {
        !self.nillable && self.createable && !self.defaulted_on_create
    }

    /// Whether SOQL may filter on it (long text areas and blobs may not).
    pub fn filterable(&self) -> bool {
        !(self.ftype == FieldType::Base64 || self.ftype == FieldType::Textarea && self.length > 255)
    }

    /// Whether SOQL may order by it.
    pub fn sortable(&self) -> bool {
        self.filterable() && self.ftype != FieldType::Multipicklist
    }

    /// Whether it is a picklist of either kind.
    pub fn is_picklist(&self) -> bool {
        matches!(
            self.ftype,
            FieldType::Picklist | FieldType::Multipicklist | FieldType::Combobox
        )
    }
}
