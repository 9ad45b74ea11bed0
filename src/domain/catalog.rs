//! The curated catalogue of Salesforce objects the connector knows well.
//!
//! Live describe metadata says which fields an object has, but not which of them a person
//! searches by, which make a readable one-line label, which one behaves like a status, or
//! whether comments live in `CaseComment` or in the feed. Those are product decisions, made here
//! once per standard object, with a rule for custom objects (`__c`) so they work without a code
//! change. Everything is static data and small pure functions; the admin API and the panel read
//! it, nothing here talks to Salesforce.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The module (object group) an object belongs to in the admin picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    /// Service Cloud: Case.
    ServiceCloud,
    /// CRM: Account, Contact, Lead, Opportunity.
    Crm,
    /// Activities: Task, Event.
    Activities,
    /// Revenue: Quote, Order, Contract.
    Revenue,
    /// Any custom object (`…__c`) found in the org's describe metadata.
    CustomObjects,
}

impl Module {
    /// Every module, in picker order.
    pub const ALL: [Module; 5] = [
        Module::ServiceCloud,
        Module::Crm,
        Module::Activities,
        Module::Revenue,
        Module::CustomObjects,
    ];

    /// The label shown in the picker.
    pub fn label(self) -> &'static str {
        match self {
            Module::ServiceCloud => "Salesforce Service Cloud",
            Module::Crm => "Salesforce CRM",
            Module::Activities => "Salesforce Activities",
            Module::Revenue => "Salesforce Revenue",
            Module::CustomObjects => "Custom objects",
        }
    }
}

/// Where an object's comments live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentModel {
    /// Top-level comments are `CaseComment` rows (4,000 bytes); feed replies are read from
    /// `FeedItem`/`FeedComment` as well.
    CaseComment,
    /// Top-level notes are `FeedItem` rows (10,000), replies are `FeedComment` rows.
    Feed,
    /// The object has no feed, so comments cannot be synchronised.
    Unsupported,
}

/// How a record's one-line label is built: a primary field and optional secondary fields,
/// the first non-empty one shown in brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelFormat {
    /// Fields tried in order for the main part of the label.
    pub primary: &'static [&'static str],
    /// Fields tried in order for the bracketed part.
    pub secondary: &'static [&'static str],
}

/// A curated standard object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogObject {
    /// The API name (`Case`).
    pub api_name: &'static str,
    /// The default English label.
    pub label: &'static str,
    /// The module it is listed under.
    pub module: Module,
    /// Its standard three-character id prefix.
    pub key_prefix: &'static str,
    /// Fields searched by free-text lookup, in priority order.
    pub search_fields: &'static [&'static str],
    /// How a search result or preview is labelled.
    pub label_format: LabelFormat,
    /// Fields that behave like a status, best first.
    pub status_fields: &'static [&'static str],
    /// Whether the object normally has a Chatter feed (describe's `feedEnabled` overrides).
    pub feed_enabled_by_default: bool,
}

// A positional constructor keeps the catalogue below readable as a table.
#[allow(clippy::too_many_arguments)]
const fn obj(
    api_name: &'static str,
    label: &'static str,
    module: Module,
    key_prefix: &'static str,
    search_fields: &'static [&'static str],
    label_format: LabelFormat,
    status_fields: &'static [&'static str],
    feed_enabled_by_default: bool,
) -> CatalogObject {
    CatalogObject {
        api_name,
        label,
        module,
        key_prefix,
        search_fields,
        label_format,
        status_fields,
        feed_enabled_by_default,
    }
}

const fn fmt(primary: &'static [&'static str], secondary: &'static [&'static str]) -> LabelFormat {
    LabelFormat { primary, secondary }
}

/// The curated objects, in picker order.
#[rustfmt::skip]
pub const CURATED: &[CatalogObject] = &[
    obj("Case", "Case", Module::ServiceCloud, "500",
        &["CaseNumber", "Subject"], fmt(&["CaseNumber"], &["Subject"]), &["Status"], true),
    obj("Account", "Account", Module::Crm, "001",
        &["Name", "Phone", "Website"], fmt(&["Name"], &["Website", "Phone"]), &[], true),
    obj("Contact", "Contact", Module::Crm, "003",
        &["Name", "Email", "Phone"], fmt(&["Name"], &["Email", "Phone"]), &[], true),
    obj("Lead", "Lead", Module::Crm, "00Q",
        &["Name", "Company", "Email"], fmt(&["Name"], &["Email", "Company"]), &["Status"], true),
    obj("Opportunity", "Opportunity", Module::Crm, "006",
        &["Name"], fmt(&["Name"], &["StageName"]), &["StageName"], true),
    obj("Task", "Task", Module::Activities, "00T",
        &["Subject"], fmt(&["Subject"], &["Status"]), &["Status"], false),
    obj("Event", "Event", Module::Activities, "00U",
        &["Subject"], fmt(&["Subject"], &["StartDateTime", "ActivityDate"]), &["ShowAs"], false),
    obj("Quote", "Quote", Module::Revenue, "0Q0",
        &["Name", "QuoteNumber"], fmt(&["QuoteNumber", "Name"], &["Name", "Status"]), &["Status"], true),
    obj("Order", "Order", Module::Revenue, "801",
        &["OrderNumber"], fmt(&["OrderNumber"], &["Status"]), &["Status"], true),
    obj("Contract", "Contract", Module::Revenue, "800",
        &["ContractNumber"], fmt(&["ContractNumber"], &["Status"]), &["Status"], true),
];

/// Standard key prefixes of objects the connector reads or writes but does not offer as a
/// synchronised object (comments, feed, files, users, the org itself).
pub const SUPPORTING_KEY_PREFIXES: &[(&str, &str)] = &[
    ("CaseComment", "00a"),
    ("FeedItem", "0D5"),
    ("FeedComment", "0D7"),
    ("ContentVersion", "068"),
    ("ContentDocument", "069"),
    ("ContentDocumentLink", "06A"),
    ("User", "005"),
    ("Organization", "00D"),
];

/// Search fields for custom objects.
const CUSTOM_SEARCH_FIELDS: &[&str] = &["Name"];
/// Label format for custom and unknown objects.
const FALLBACK_LABEL: LabelFormat = LabelFormat {
    primary: &[
        "Name",
        "Subject",
        "CaseNumber",
        "OrderNumber",
        "ContractNumber",
        "Title",
    ],
    secondary: &["Status", "Status__c", "Email"],
};

/// Finds a curated object by API name (case-insensitive, as Salesforce names are).
pub fn curated_object(api_name: &str) -> Option<&'static CatalogObject> {
    CURATED
        .iter()
        .find(|o| o.api_name.eq_ignore_ascii_case(api_name.trim()))
}

/// Whether an API name is a custom object (`Widget__c`, `ns__Widget__c`). Any text may come
/// in (an admin's typing), so the suffix is compared on bytes: slicing a `str` at a fixed byte
/// offset would panic inside a multi-byte character.
pub fn is_custom_object(api_name: &str) -> bool {
    let name = api_name.trim().as_bytes();
    name.len() > 3 && name[name.len() - 3..].eq_ignore_ascii_case(b"__c")
}

/// The module an object is listed under, or `None` when it is neither curated nor custom.
pub fn module_of(api_name: &str) -> Option<Module> {
    curated_object(api_name)
        .map(|o| o.module)
        .or_else(|| is_custom_object(api_name).then_some(Module::CustomObjects))
}

/// The standard key prefix of a curated or supporting object.
pub fn standard_key_prefix(api_name: &str) -> Option<&'static str> {
    curated_object(api_name).map(|o| o.key_prefix).or_else(|| {
        SUPPORTING_KEY_PREFIXES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(api_name.trim()))
            .map(|(_, prefix)| *prefix)
    })
}

/// The standard object a key prefix belongs to (case-sensitive: `00a` is CaseComment while
/// `00A` is not one of ours).
pub fn object_for_key_prefix(prefix: &str) -> Option<&'static str> {
    CURATED
        .iter()
        .map(|o| (o.api_name, o.key_prefix))
        .chain(SUPPORTING_KEY_PREFIXES.iter().copied())
        .find(|(_, p)| *p == prefix)
        .map(|(name, _)| name)
}

/// The fields a free-text lookup searches for this object: the curated list, `Name` for
/// custom objects, and `Name` as a best guess for anything else.
pub fn search_fields(api_name: &str) -> &'static [&'static str] {
    curated_object(api_name).map_or(CUSTOM_SEARCH_FIELDS, |o| o.search_fields)
}

fn label_format(api_name: &str) -> LabelFormat {
    curated_object(api_name).map_or(FALLBACK_LABEL, |o| o.label_format)
}

/// The fields to select so that [`format_record_label`] has what it needs: `Id`, then the
/// label's primary and secondary fields, without duplicates. For custom objects only `Id` and
/// `Name` are guaranteed to exist, so only those are returned.
pub fn display_fields(api_name: &str) -> Vec<&'static str> {
    let mut fields = vec!["Id"];
    if curated_object(api_name).is_none() {
        fields.push("Name");
        return fields;
    }
    let format = label_format(api_name);
    for field in format.primary.iter().chain(format.secondary) {
        if !fields.contains(field) {
            fields.push(field);
        }
    }
    fields
}

/// Renders a scalar JSON value for a label; `None` for null, empty strings and containers.
fn scalar_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => {
            let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
            (!t.is_empty()).then_some(t)
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn first_present(record: &Map<String, Value>, fields: &[&str]) -> Option<(String, String)> {
    fields
        .iter()
        .find_map(|f| scalar_text(record.get(*f)).map(|text| ((*f).to_string(), text)))
}

/// A one-line label for a record in search results and previews, such as
/// `00001026 [Printer on fire]` for a Case, `Ada Lovelace [ada@example.com]` for a Contact or
/// `00000100 [Activated]` for a Contract. When the preferred fields are missing it falls back
/// to the best available identifier (`Name`, `FirstName LastName`, `Subject`, …) and finally to
/// the record id; the bracketed part is left out when empty or equal to the main part.
pub fn format_record_label(api_name: &str, record: &Map<String, Value>) -> String {
    let format = label_format(api_name);
    let primary = first_present(record, format.primary)
        .or_else(|| {
            let first = scalar_text(record.get("FirstName"));
            let last = scalar_text(record.get("LastName"));
            match (first, last) {
                (Some(f), Some(l)) => Some(("Name".into(), format!("{f} {l}"))),
                (None, Some(l)) => Some(("LastName".into(), l)),
                _ => None,
            }
        })
        .or_else(|| first_present(record, FALLBACK_LABEL.primary))
        .or_else(|| first_present(record, &["Id"]));
    let Some((primary_field, primary_text)) = primary else {
        return "(unnamed record)".to_string();
    };
    let secondary = format
        .secondary
        .iter()
        .filter(|f| **f != primary_field)
        .find_map(|f| scalar_text(record.get(*f)))
        .filter(|s| *s != primary_text);
    match secondary {
        Some(s) => format!("{primary_text} [{s}]"),
        None => primary_text,
    }
}

/// The fields that can drive status sync for this object, best first.
///
/// Curated objects have a fixed answer (Case/Lead/Task/Contract/Order/Quote: `Status`,
/// Opportunity: `StageName`, Event: `ShowAs`, Account/Contact: none). For a custom object, the
/// candidates are its picklist fields named like a status or stage (`Status__c`,
/// `Support_Status__c`, `ns__Stage__c`); pass the names of the object's picklist fields.
pub fn status_field_candidates(api_name: &str, picklist_fields: &[&str]) -> Vec<String> {
    if let Some(o) = curated_object(api_name) {
        return o.status_fields.iter().map(|f| f.to_string()).collect();
    }
    if !is_custom_object(api_name) {
        return Vec::new();
    }
    let mut candidates: Vec<(u8, String)> = picklist_fields
        .iter()
        .filter_map(|name| status_rank(name).map(|rank| (rank, name.to_string())))
        .collect();
    candidates.sort_by_key(|(rank, _)| *rank);
    candidates.into_iter().map(|(_, name)| name).collect()
}

/// 0 for an exact `Status__c`, 1 for `…Status__c`, 2 for stage-like names; `None` otherwise.
fn status_rank(field_name: &str) -> Option<u8> {
    let lower = field_name.trim().to_ascii_lowercase();
    let base = lower.strip_suffix("__c")?;
    // Drop a namespace prefix (`ns__Status`).
    let base = base.rsplit("__").next().unwrap_or(base);
    if base == "status" {
        Some(0)
    } else if base.ends_with("status") {
        Some(1)
    } else if base == "stage" || base.ends_with("stage") {
        Some(2)
    } else {
        None
    }
}

/// Labels that read ambiguously once a picker mixes fields of several objects.
const GENERIC_LABELS: &[&str] = &[
    "name",
    "number",
    "type",
    "status",
    "stage",
    "source",
    "description",
    "owner",
    "owner id",
    "date",
    "title",
    "category",
    "reason",
    "record type",
    "record type id",
    "id",
];

/// A field label that reads unambiguously in a picker: generic labels such as `Name`, `Type`,
/// `Number` or `Status` get the object label in front (`Account Name`), other labels are kept.
/// An empty label falls back to the field's API name. Labels that already start with the
/// object label are left alone.
pub fn expand_field_label(object_label: &str, field_name: &str, field_label: &str) -> String {
    let label = match field_label.trim() {
        "" => field_name.trim(),
        l => l,
    };
    let object = object_label.trim();
    let lower = label.to_lowercase();
    let is_generic = GENERIC_LABELS.contains(&lower.as_str());
    let already_prefixed = !object.is_empty() && lower.starts_with(&object.to_lowercase());
    if is_generic && !already_prefixed && !object.is_empty() {
        format!("{object} {label}")
    } else {
        label.to_string()
    }
}

/// Where comments for records of this object live. `feed_enabled` is describe's `feedEnabled`
/// when known; without it the catalogue's default is used (custom objects: feed assumed off).
pub fn comment_model(api_name: &str, feed_enabled: Option<bool>) -> CommentModel {
    if api_name.trim().eq_ignore_ascii_case("Case") {
        return CommentModel::CaseComment;
    }
    let default = curated_object(api_name).is_some_and(|o| o.feed_enabled_by_default);
    if feed_enabled.unwrap_or(default) {
        CommentModel::Feed
    } else {
        CommentModel::Unsupported
    }
}

#[cfg(test)]
mod tests;
