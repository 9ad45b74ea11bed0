//! Platform objects: the organization, users, and Salesforce Files (ContentVersion,
//! ContentDocument, ContentDocumentLink).

use super::{build, owner, query_only, Audit, FEED_PARENTS, FULL_AUDIT};
use crate::salesforce::schema::{FieldDef, FieldType as T, ObjectDef};

/// Organization (`00D`): exactly one row; query only.
pub fn organization() -> ObjectDef {
    query_only(build(
        "Organization",
        "Organization",
        "Organizations",
        "00D",
        vec![
            FieldDef::new("Name", "Name", T::String)
                .len(80)
                .name_field(),
            FieldDef::new("Division", "Division", T::String).len(80),
            FieldDef::new("City", "City", T::String).len(40),
            FieldDef::new("Country", "Country", T::String).len(80),
            FieldDef::new("Phone", "Phone", T::Phone),
            FieldDef::new("OrganizationType", "Edition", T::Picklist).picklist(
                &[
                    "Team Edition",
                    "Professional Edition",
                    "Enterprise Edition",
                    "Developer Edition",
                    "Unlimited Edition",
                ],
                None,
            ),
            FieldDef::new("InstanceName", "Instance Name", T::String).len(5),
            FieldDef::new("IsSandbox", "Is Sandbox", T::Boolean),
            FieldDef::new("NamespacePrefix", "Namespace Prefix", T::String).len(15),
            FieldDef::new("LanguageLocaleKey", "Language", T::Picklist).picklist(&["en_US"], None),
            FieldDef::new("DefaultLocaleSidKey", "Locale", T::Picklist).picklist(&["en_US"], None),
            FieldDef::new("TimeZoneSidKey", "Default Time Zone", T::Picklist)
                .picklist(&["GMT", "America/Los_Angeles"], None),
        ],
        FULL_AUDIT,
    ))
}

/// User (`005`): managed through the control API, query only through REST.
pub fn user() -> ObjectDef {
    let mut o = query_only(build(
        "User",
        "User",
        "Users",
        "005",
        vec![
            FieldDef::new("Username", "Username", T::String)
                .len(80)
                .required(),
            FieldDef::new("LastName", "Last Name", T::String)
                .len(80)
                .required()
                .compound("Name"),
            FieldDef::new("FirstName", "First Name", T::String)
                .len(40)
                .compound("Name"),
            FieldDef::new("Name", "Full Name", T::String)
                .len(121)
                .name_field()
                .calculated(),
            FieldDef::new("Alias", "Alias", T::String).len(8),
            FieldDef::new("Email", "Email", T::Email).len(128),
            FieldDef::new("IsActive", "Active", T::Boolean),
            FieldDef::new("UserType", "User Type", T::Picklist)
                .picklist(&["Standard", "AutomatedProcess"], Some("Standard")),
            FieldDef::new("Title", "Title", T::String).len(80),
            FieldDef::new("Department", "Department", T::String).len(80),
            FieldDef::new("CompanyName", "Company Name", T::String).len(80),
            FieldDef::new("TimeZoneSidKey", "Time Zone", T::Picklist)
                .picklist(&["GMT", "America/Los_Angeles"], None),
            FieldDef::new("LanguageLocaleKey", "Language", T::Picklist).picklist(&["en_US"], None),
        ],
        FULL_AUDIT,
    ));
    o.searchable = true;
    o
}

/// ContentVersion (`068`): one version of a file; creating one creates its ContentDocument.
pub fn content_version() -> ObjectDef {
    let mut o = build(
        "ContentVersion",
        "Content Version",
        "Content Versions",
        "068",
        vec![
            FieldDef::new("ContentDocumentId", "ContentDocument ID", T::Reference)
                .reference(
                    &["ContentDocument"],
                    "ContentDocument",
                    Some("ContentVersions"),
                )
                .create_only()
                .cascade()
                .defaulted(),
            FieldDef::new("IsLatest", "Is Latest", T::Boolean).calculated(),
            FieldDef::new("ContentUrl", "Content URL", T::Url),
            FieldDef::new("VersionNumber", "Version Number", T::String)
                .len(20)
                .calculated(),
            FieldDef::new("Title", "Title", T::String)
                .required()
                .defaulted()
                .name_field()
                .search(),
            FieldDef::new("Description", "Description", T::Textarea)
                .len(1000)
                .search(),
            FieldDef::new("ReasonForChange", "Reason For Change", T::String).len(1000),
            FieldDef::new(
                "SharingOption",
                "Prevent others from sharing and unsharing",
                T::Picklist,
            )
            .picklist(&["A", "R"], Some("A"))
            .restricted(),
            FieldDef::new("SharingPrivacy", "File Privacy on Records", T::Picklist)
                .picklist(&["N", "P"], Some("N"))
                .restricted(),
            FieldDef::new("PathOnClient", "Path On Client", T::String)
                .len(500)
                .create_only(),
            FieldDef::new("ContentModifiedDate", "Content Modified Date", T::Datetime).calculated(),
            FieldDef::new("ContentSize", "Size", T::Int).calculated(),
            FieldDef::new("FileType", "File Type", T::String)
                .len(20)
                .calculated(),
            FieldDef::new("FileExtension", "File Extension", T::String)
                .len(40)
                .calculated(),
            FieldDef::new("VersionData", "Version Data", T::Base64).create_only(),
            FieldDef::new("Checksum", "Checksum", T::String)
                .len(50)
                .calculated(),
            FieldDef::new("Origin", "Content Origin", T::Picklist)
                .picklist(&["C", "H"], Some("C"))
                .restricted()
                .create_only(),
            FieldDef::new("ContentLocation", "Content Location", T::Picklist)
                .picklist(&["S", "E", "L"], Some("S"))
                .restricted()
                .create_only(),
            FieldDef::new(
                "FirstPublishLocationId",
                "First Publish Location ID",
                T::Reference,
            )
            .reference(FEED_PARENTS, "FirstPublishLocation", None)
            .create_only(),
            owner(),
        ],
        FULL_AUDIT,
    );
    o.deletable = false;
    o
}

/// ContentDocument (`069`): a file, pointing at its latest published version.
pub fn content_document() -> ObjectDef {
    let mut o = build(
        "ContentDocument",
        "Content Document",
        "Content Documents",
        "069",
        vec![
            FieldDef::new("Title", "Title", T::String)
                .required()
                .name_field()
                .search(),
            FieldDef::new("PublishStatus", "Publish Status", T::Picklist)
                .picklist(&["U", "P", "R"], Some("P"))
                .read_only(),
            FieldDef::new(
                "LatestPublishedVersionId",
                "Latest Published Version ID",
                T::Reference,
            )
            .reference(&["ContentVersion"], "LatestPublishedVersion", None)
            .calculated(),
            FieldDef::new("Description", "Description", T::Textarea).len(1000),
            FieldDef::new("ContentModifiedDate", "Content Modified Date", T::Datetime).calculated(),
            FieldDef::new("ContentSize", "Size", T::Int).calculated(),
            FieldDef::new("FileType", "File Type", T::String)
                .len(20)
                .calculated(),
            FieldDef::new("FileExtension", "File Extension", T::String)
                .len(40)
                .calculated(),
            owner(),
        ],
        FULL_AUDIT,
    );
    o.createable = false;
    o
}

/// ContentDocumentLink (`06A`): shares a file with a record; has no `CreatedDate`.
pub fn content_document_link() -> ObjectDef {
    let mut o = build(
        "ContentDocumentLink",
        "Content Document Link",
        "Content Document Link",
        "06A",
        vec![
            FieldDef::new("LinkedEntityId", "Linked Entity ID", T::Reference)
                .reference(FEED_PARENTS, "LinkedEntity", Some("ContentDocumentLinks"))
                .required()
                .create_only()
                .cascade(),
            FieldDef::new("ContentDocumentId", "ContentDocument ID", T::Reference)
                .reference(
                    &["ContentDocument"],
                    "ContentDocument",
                    Some("ContentDocumentLinks"),
                )
                .required()
                .create_only()
                .cascade(),
            FieldDef::new("ShareType", "Share Type", T::Picklist)
                .picklist(&["V", "C", "I"], Some("V"))
                .restricted(),
            FieldDef::new("Visibility", "Visibility", T::Picklist)
                .picklist(
                    &["AllUsers", "InternalUsers", "SharedUsers"],
                    Some("AllUsers"),
                )
                .restricted(),
        ],
        Audit {
            created: false,
            modified: false,
        },
    );
    o.searchable = false;
    o
}
