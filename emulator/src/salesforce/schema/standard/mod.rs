//! The standard objects a connector touches, with the fields, types, lengths, picklists and
//! relationships of the Salesforce object reference (field-reference pages per object; key
//! prefixes as real orgs issue them).
//!
//! Only what a sync connector reads or writes is modelled; the lists are deliberately not
//! exhaustive, and describe shows exactly these fields.

mod crm;
mod platform;
pub mod service;

use super::{FieldDef, FieldType, ObjectDef};

/// Every standard object, in no particular order.
pub fn objects() -> Vec<ObjectDef> {
    vec![
        platform::organization(),
        platform::user(),
        crm::account(),
        crm::contact(),
        crm::lead(),
        crm::opportunity(),
        crm::quote(),
        crm::order(),
        crm::contract(),
        service::case(),
        service::case_status(),
        service::case_comment(),
        service::task(),
        service::event(),
        service::feed_item(),
        service::feed_comment(),
        platform::content_version(),
        platform::content_document(),
        platform::content_document_link(),
    ]
}

/// Objects whose records can be the parent of a feed item, a file link or an activity.
pub const FEED_PARENTS: &[&str] = &[
    "Account",
    "Case",
    "Contact",
    "Contract",
    "Lead",
    "Opportunity",
    "Order",
    "Quote",
    "User",
];

/// Which audit fields an object has (every object has `SystemModstamp`).
#[derive(Debug, Clone, Copy)]
pub struct Audit {
    /// `CreatedDate` and `CreatedById`.
    pub created: bool,
    /// `LastModifiedDate` and `LastModifiedById`.
    pub modified: bool,
}

/// All audit fields.
pub const FULL_AUDIT: Audit = Audit {
    created: true,
    modified: true,
};

/// Assembles an object: `Id`, `IsDeleted`, the given fields, then the audit fields.
pub fn build(
    name: &str,
    label: &str,
    plural: &str,
    key_prefix: &str,
    body: Vec<FieldDef>,
    audit: Audit,
) -> ObjectDef {
    let mut fields = vec![
        FieldDef::new("Id", &format!("{label} ID"), FieldType::Id).defaulted(),
        FieldDef::new("IsDeleted", "Deleted", FieldType::Boolean)
            .read_only()
            .defaulted(),
    ];
    fields.extend(body);
    if audit.created {
        fields.push(
            FieldDef::new("CreatedDate", "Created Date", FieldType::Datetime)
                .required()
                .read_only()
                .defaulted(),
        );
        fields.push(
            FieldDef::new("CreatedById", "Created By ID", FieldType::Reference)
                .reference(&["User"], "CreatedBy", None)
                .required()
                .read_only()
                .defaulted(),
        );
    }
    if audit.modified {
        fields.push(
            FieldDef::new(
                "LastModifiedDate",
                "Last Modified Date",
                FieldType::Datetime,
            )
            .required()
            .read_only()
            .defaulted(),
        );
        fields.push(
            FieldDef::new(
                "LastModifiedById",
                "Last Modified By ID",
                FieldType::Reference,
            )
            .reference(&["User"], "LastModifiedBy", None)
            .required()
            .read_only()
            .defaulted(),
        );
    }
    fields.push(
        FieldDef::new("SystemModstamp", "System Modstamp", FieldType::Datetime)
            .required()
            .read_only()
            .defaulted(),
    );
    ObjectDef {
        name: name.to_string(),
        label: label.to_string(),
        label_plural: plural.to_string(),
        key_prefix: key_prefix.to_string(),
        custom: name.ends_with("__c"),
        createable: true,
        updateable: true,
        deletable: true,
        searchable: true,
        feed_enabled: false,
        fields,
    }
}

/// `OwnerId`, a lookup to the owning user, defaulted to the caller.
pub fn owner() -> FieldDef {
    FieldDef::new("OwnerId", "Owner ID", FieldType::Reference)
        .reference(&["User"], "Owner", None)
        .required()
        .defaulted()
}

/// Makes an object read-only through the API (query and describe only).
pub fn query_only(mut object: ObjectDef) -> ObjectDef {
    object.createable = false;
    object.updateable = false;
    object.deletable = false;
    object.searchable = false;
    object
}
