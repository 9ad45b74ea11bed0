//! Typed shapes of the Salesforce REST answers the sync engine reads.
//!
//! Records themselves stay JSON maps ([`Record`]): which fields they carry depends on the admin's
//! mappings, not on this code. Everything with a fixed shape (describe results, save results,
//! composite answers, the organization, case statuses) is typed here, tolerant of fields the
//! API adds later and of the ones it leaves out.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ApiErrorItem;
use crate::domain::ids::SalesforceId;

/// A record as a JSON object (`attributes` included when Salesforce sent it).
pub type Record = Map<String, Value>;

/// The `Id` of a record, when it has a valid one.
pub fn record_id(record: &Record) -> Option<SalesforceId> {
    record
        .get("Id")
        .and_then(Value::as_str)
        .and_then(|s| SalesforceId::parse(s).ok())
}

/// The org, from `SELECT Id, Name FROM Organization`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// `00D…`.
    #[serde(rename = "Id")]
    pub id: SalesforceId,
    /// The org's name.
    #[serde(rename = "Name")]
    pub name: String,
}

/// `GET /sobjects`: every object the Run-As user can see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeGlobal {
    /// Character encoding (`UTF-8`).
    #[serde(default)]
    pub encoding: Option<String>,
    /// Largest batch for collections (200).
    #[serde(default)]
    pub max_batch_size: Option<u32>,
    /// The objects.
    pub sobjects: Vec<SObjectSummary>,
}

/// One object's flags, as in describe-global and at the top of a describe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SObjectSummary {
    /// API name, e.g. `Case` or `Invoice__c`.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// Plural label.
    #[serde(default)]
    pub label_plural: String,
    /// Id prefix (`500`); absent for some system objects.
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// A custom object.
    #[serde(default)]
    pub custom: bool,
    /// A custom setting.
    #[serde(default)]
    pub custom_setting: bool,
    /// Records can be created.
    #[serde(default)]
    pub createable: bool,
    /// Records can be updated.
    #[serde(default)]
    pub updateable: bool,
    /// Records can be deleted.
    #[serde(default)]
    pub deletable: bool,
    /// Can be queried with SOQL.
    #[serde(default)]
    pub queryable: bool,
    /// Can be searched with SOSL.
    #[serde(default)]
    pub searchable: bool,
    /// Records can be retrieved by id.
    #[serde(default)]
    pub retrieveable: bool,
    /// Has a Chatter feed.
    #[serde(default)]
    pub feed_enabled: bool,
    /// Can be laid out (shown in the UI).
    #[serde(default)]
    pub layoutable: bool,
    /// Replicable (getUpdated / getDeleted).
    #[serde(default)]
    pub replicateable: bool,
    /// Hidden and deprecated.
    #[serde(default)]
    pub deprecated_and_hidden: bool,
}

/// `GET /sobjects/{name}/describe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SObjectDescribe {
    /// The object's flags.
    #[serde(flatten)]
    pub object: SObjectSummary,
    /// Its fields.
    #[serde(default)]
    pub fields: Vec<FieldDescribe>,
    /// Child relationships.
    #[serde(default)]
    pub child_relationships: Vec<ChildRelationship>,
    /// Record types.
    #[serde(default)]
    pub record_type_infos: Vec<RecordTypeInfo>,
}

impl SObjectDescribe {
    /// The field with this API name (case-insensitive, as Salesforce compares them).
    pub fn field(&self, name: &str) -> Option<&FieldDescribe> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The object's name field (`CaseNumber` for Case, `Name` for most).
    pub fn name_field(&self) -> Option<&FieldDescribe> {
        self.fields.iter().find(|f| f.name_field)
    }
}

/// One field of a describe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDescribe {
    /// API name.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// `string`, `picklist`, `reference`, `datetime`, `textarea`, …
    #[serde(rename = "type")]
    pub field_type: String,
    /// `xsd:string`, `tns:ID`, …
    #[serde(default)]
    pub soap_type: Option<String>,
    /// Can be set on create.
    #[serde(default)]
    pub createable: bool,
    /// Can be set on update.
    #[serde(default)]
    pub updateable: bool,
    /// Accepts null.
    #[serde(default)]
    pub nillable: bool,
    /// Gets a default on create.
    #[serde(default)]
    pub defaulted_on_create: bool,
    /// Characters for text fields (0 otherwise).
    #[serde(default)]
    pub length: u64,
    /// Bytes for text fields.
    #[serde(default)]
    pub byte_length: u64,
    /// Digits for numbers.
    #[serde(default)]
    pub precision: u32,
    /// Decimal places for numbers.
    #[serde(default)]
    pub scale: u32,
    /// Digits for integers.
    #[serde(default)]
    pub digits: u32,
    /// The object's name field.
    #[serde(default)]
    pub name_field: bool,
    /// A custom field.
    #[serde(default)]
    pub custom: bool,
    /// A formula field.
    #[serde(default)]
    pub calculated: bool,
    /// An auto-number field.
    #[serde(default)]
    pub auto_number: bool,
    /// Can appear in WHERE.
    #[serde(default)]
    pub filterable: bool,
    /// Can appear in ORDER BY.
    #[serde(default)]
    pub sortable: bool,
    /// Values are unique.
    #[serde(default)]
    pub unique: bool,
    /// Marked as an external id.
    #[serde(default)]
    pub external_id: bool,
    /// Holds HTML.
    #[serde(default)]
    pub html_formatted: bool,
    /// Picklist values outside the list are refused.
    #[serde(default)]
    pub restricted_picklist: bool,
    /// Picklist values depend on a controlling field.
    #[serde(default)]
    pub dependent_picklist: bool,
    /// Picklist values.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub picklist_values: Vec<PicklistValue>,
    /// Objects a reference field may point to.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub reference_to: Vec<String>,
    /// Relationship name of a reference field (`Account`).
    #[serde(default)]
    pub relationship_name: Option<String>,
    /// Controlling field of a dependent picklist.
    #[serde(default)]
    pub controller_name: Option<String>,
    /// Default value.
    #[serde(default)]
    pub default_value: Option<Value>,
    /// Help text.
    #[serde(default)]
    pub inline_help_text: Option<String>,
}

impl FieldDescribe {
    /// The active picklist values.
    pub fn active_values(&self) -> impl Iterator<Item = &PicklistValue> {
        self.picklist_values.iter().filter(|v| v.active)
    }
}

/// One picklist value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PicklistValue {
    /// API value.
    pub value: String,
    /// Label.
    #[serde(default)]
    pub label: Option<String>,
    /// Offered to users.
    #[serde(default)]
    pub active: bool,
    /// The default.
    #[serde(default)]
    pub default_value: bool,
}

/// A child relationship of a describe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildRelationship {
    /// Child object.
    pub child_s_object: String,
    /// Field on the child.
    pub field: String,
    /// Relationship name, when queryable.
    #[serde(default)]
    pub relationship_name: Option<String>,
    /// Deleting the parent deletes the children.
    #[serde(default)]
    pub cascade_delete: bool,
}

/// A record type of a describe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordTypeInfo {
    /// Id (`012…`).
    #[serde(default)]
    pub record_type_id: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Available to the user.
    #[serde(default)]
    pub available: bool,
    /// The master record type.
    #[serde(default)]
    pub master: bool,
    /// The user's default.
    #[serde(default)]
    pub default_record_type_mapping: bool,
}

/// A `CaseStatus` row: whether a Case status value closes the Case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseStatus {
    /// Id.
    #[serde(rename = "Id", default)]
    pub id: Option<String>,
    /// The value stored in `Case.Status`.
    #[serde(rename = "ApiName", default)]
    pub api_name: Option<String>,
    /// The label (equals the value in most orgs).
    #[serde(rename = "MasterLabel")]
    pub master_label: String,
    /// Choosing it closes the Case.
    #[serde(rename = "IsClosed")]
    pub is_closed: bool,
    /// The default for new Cases.
    #[serde(rename = "IsDefault", default)]
    pub is_default: bool,
    /// Display order.
    #[serde(rename = "SortOrder", default)]
    pub sort_order: Option<i64>,
}

impl CaseStatus {
    /// The value to write into `Case.Status`: the API name, else the label.
    pub fn value(&self) -> &str {
        self.api_name.as_deref().unwrap_or(&self.master_label)
    }
}

/// The result of saving one record (create, collection create/update/delete).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveResult {
    /// The record's id (absent for some failures).
    #[serde(default, deserialize_with = "lenient_id")]
    pub id: Option<SalesforceId>,
    /// Whether it was saved.
    pub success: bool,
    /// Why not (`statusCode` inside collections).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub errors: Vec<ApiErrorItem>,
    /// For upserts: inserted rather than updated.
    #[serde(default)]
    pub created: Option<bool>,
}

impl SaveResult {
    /// Whether a failed record may succeed if sent again (a row lock, the server busy).
    pub fn is_retryable(&self) -> bool {
        !self.success
            && self
                .errors
                .iter()
                .any(|e| super::error::RETRYABLE_CODES.contains(&e.code.as_str()))
    }
}

/// A record to update through sObject Collections.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordUpdate {
    /// Object API name.
    pub object: String,
    /// The record.
    pub id: SalesforceId,
    /// Fields to set.
    pub fields: Map<String, Value>,
}

/// A record to create through sObject Collections.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordCreate {
    /// Object API name.
    pub object: String,
    /// Fields to set.
    pub fields: Map<String, Value>,
}

/// A composite request (`POST /composite`): up to 25 subrequests referring to each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompositeRequest {
    /// Roll everything back when one subrequest fails.
    pub all_or_none: bool,
    /// Let Salesforce group independent subrequests.
    #[serde(default)]
    pub collate_subrequests: bool,
    /// The subrequests.
    pub composite_request: Vec<CompositeSubrequest>,
}

/// One subrequest of a composite request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompositeSubrequest {
    /// `GET`, `POST`, `PATCH`, `DELETE`.
    pub method: String,
    /// Path under `/services/data/vXX.X/`, starting with `/services/data`.
    pub url: String,
    /// Name later subrequests use in `@{ref.field}`.
    pub reference_id: String,
    /// JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// The answer to a composite request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompositeResponse {
    /// One result per subrequest, in order.
    pub composite_response: Vec<CompositeSubresponse>,
}

/// One subrequest's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompositeSubresponse {
    /// Its body (`null` for 204).
    #[serde(default)]
    pub body: Value,
    /// Its headers (`Location` after a create).
    #[serde(default)]
    pub http_headers: Map<String, Value>,
    /// Its status.
    pub http_status_code: u16,
    /// Its reference id.
    pub reference_id: String,
}

impl CompositeSubresponse {
    /// Whether the subrequest succeeded.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.http_status_code)
    }

    /// The errors of a failed subrequest (`errorCode` or `statusCode` entries).
    pub fn errors(&self) -> Vec<ApiErrorItem> {
        if self.is_success() {
            return Vec::new();
        }
        serde_json::from_value(self.body.clone()).unwrap_or_default()
    }
}

/// One page of a SOQL query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage {
    /// Rows matching the whole query.
    pub total_size: u64,
    /// Whether this is the last page.
    pub done: bool,
    /// Path of the next page, present while `done` is false.
    #[serde(default)]
    pub next_records_url: Option<String>,
    /// The rows on this page.
    #[serde(default)]
    pub records: Vec<Record>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

fn lenient_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SalesforceId>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.and_then(|s| SalesforceId::parse(&s).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_describe_reads_flags_fields_and_picklists() {
        let body = serde_json::json!({
            "name": "Case", "label": "Case", "labelPlural": "Cases", "keyPrefix": "500",
            "createable": true, "updateable": true, "queryable": true, "custom": false,
            "someNewFlag": true,
            "fields": [
                {"name": "CaseNumber", "label": "Case Number", "type": "string", "nameField": true,
                 "length": 30, "createable": false, "updateable": false, "nillable": false,
                 "picklistValues": [], "referenceTo": []},
                {"name": "Status", "label": "Status", "type": "picklist", "length": 40,
                 "createable": true, "updateable": true, "nillable": true,
                 "picklistValues": [{"active": true, "defaultValue": true, "label": "New",
                                     "validFor": null, "value": "New"}],
                 "referenceTo": null},
                {"name": "AccountId", "type": "reference", "referenceTo": ["Account"],
                 "relationshipName": "Account"}
            ],
            "childRelationships": [{"childSObject": "CaseComment", "field": "ParentId",
                                    "relationshipName": "CaseComments", "cascadeDelete": true}],
            "recordTypeInfos": []
        });
        let d: SObjectDescribe = serde_json::from_value(body).expect("parses");
        assert_eq!(d.object.key_prefix.as_deref(), Some("500"));
        assert_eq!(d.name_field().map(|f| f.name.as_str()), Some("CaseNumber"));
        let status = d.field("status").expect("case-insensitive lookup");
        assert_eq!(status.active_values().count(), 1);
        assert!(status.reference_to.is_empty());
        assert_eq!(
            d.field("AccountId").map(|f| f.reference_to.clone()),
            Some(vec!["Account".to_string()])
        );
    }

    #[test]
    fn save_results_read_collection_errors() {
        let body = r#"[{"id":"500xx000000bQ2LAAU","success":true,"errors":[]},
                       {"success":false,"errors":[{"statusCode":"UNABLE_TO_LOCK_ROW","message":"x","fields":[]}]},
                       {"id":null,"success":false,"errors":[{"statusCode":"MALFORMED_ID","message":"bad","fields":["Id"]}]}]"#;
        let results: Vec<SaveResult> = serde_json::from_str(body).expect("parses");
        assert!(results[0].success && results[0].id.is_some());
        assert!(results[1].is_retryable());
        assert!(!results[2].is_retryable());
        assert_eq!(results[2].errors[0].code, "MALFORMED_ID");
    }

    #[test]
    fn case_status_value_prefers_the_api_name() {
        let s: CaseStatus = serde_json::from_value(serde_json::json!({
            "Id": "01J000000000001", "ApiName": "Closed_Won", "MasterLabel": "Closed (won)",
            "IsClosed": true, "IsDefault": false, "SortOrder": 4
        }))
        .expect("parses");
        assert_eq!(s.value(), "Closed_Won");
    }

    #[test]
    fn composite_subresponse_errors() {
        let r: CompositeSubresponse = serde_json::from_value(serde_json::json!({
            "body": [{"errorCode": "PROCESSING_HALTED", "message": "rolled back"}],
            "httpHeaders": {}, "httpStatusCode": 400, "referenceId": "a"
        }))
        .expect("parses");
        assert!(!r.is_success());
        assert_eq!(r.errors()[0].code, "PROCESSING_HALTED");
    }
}
