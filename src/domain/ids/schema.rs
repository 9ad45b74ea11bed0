//! OpenAPI schemas of the id types.
//!
//! The ids serialize as plain strings through hand-written serde impls, so their schemas are
//! written here beside them rather than derived: each says the string form the API sends and
//! accepts, with the pattern its `parse` enforces, so a document generated from the handlers'
//! types describes the ids exactly as they appear on the wire.

use std::borrow::Cow;

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::{ItemId, JiraIssueKey, LinkId, ProjectKey, SalesforceId};

fn string_schema(description: &str, pattern: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .examples([example])
        .build()
        .into()
}

fn uuid_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .description(Some(description))
        .build()
        .into()
}

impl PartialSchema for SalesforceId {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "A Salesforce record id in its canonical 18-character form.",
            "^[A-Za-z0-9]{18}$",
            "500xx000000bRmDAAU",
        )
    }
}

impl ToSchema for SalesforceId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("SalesforceId")
    }
}

impl PartialSchema for ProjectKey {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "A Jira project key, upper case.",
            "^[A-Z][A-Z0-9_]{0,254}$",
            "SUP",
        )
    }
}

impl ToSchema for ProjectKey {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ProjectKey")
    }
}

impl PartialSchema for JiraIssueKey {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "A Jira issue key: project key, '-', issue number.",
            "^[A-Z][A-Z0-9_]{0,254}-[1-9][0-9]*$",
            "SUP-123",
        )
    }
}

impl ToSchema for JiraIssueKey {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("JiraIssueKey")
    }
}

impl PartialSchema for ItemId {
    fn schema() -> RefOr<Schema> {
        uuid_schema("The id of a Smart Connected Item.")
    }
}

impl ToSchema for ItemId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ItemId")
    }
}

impl PartialSchema for LinkId {
    fn schema() -> RefOr<Schema> {
        uuid_schema("The id of one issue-record link.")
    }
}

impl ToSchema for LinkId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("LinkId")
    }
}
