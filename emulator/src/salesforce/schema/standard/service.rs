//! Service objects: Case and its statuses, comments, activities and the Chatter feed.

use super::{build, owner, query_only, Audit, FEED_PARENTS, FULL_AUDIT};
use crate::salesforce::schema::{FieldDef, FieldType as T, ObjectDef};

/// The default `CaseStatus` values: (value, closed).
pub const DEFAULT_CASE_STATUSES: &[(&str, bool)] = &[
    ("New", false),
    ("Working", false),
    ("Escalated", false),
    ("Waiting on Customer", false),
    ("Closed", true),
];

/// Case (`500`); `Status` values come from `CaseStatus`, `IsClosed`/`ClosedDate` follow them.
pub fn case() -> ObjectDef {
    let statuses: Vec<&str> = DEFAULT_CASE_STATUSES.iter().map(|(s, _)| *s).collect();
    let mut o = build(
        "Case",
        "Case",
        "Cases",
        "500",
        vec![
            FieldDef::new("CaseNumber", "Case Number", T::String)
                .len(30)
                .auto_number()
                .name_field()
                .search(),
            FieldDef::new("ContactId", "Contact ID", T::Reference).reference(
                &["Contact"],
                "Contact",
                Some("Cases"),
            ),
            FieldDef::new("AccountId", "Account ID", T::Reference).reference(
                &["Account"],
                "Account",
                Some("Cases"),
            ),
            FieldDef::new("ParentId", "Parent Case ID", T::Reference).reference(
                &["Case"],
                "Parent",
                Some("Cases"),
            ),
            FieldDef::new("SuppliedName", "Name", T::String)
                .len(80)
                .search(),
            FieldDef::new("SuppliedEmail", "Email Address", T::Email)
                .len(80)
                .search(),
            FieldDef::new("SuppliedPhone", "Phone", T::String)
                .len(40)
                .search(),
            FieldDef::new("SuppliedCompany", "Company", T::String)
                .len(80)
                .search(),
            FieldDef::new("Type", "Case Type", T::Picklist).picklist(
                &[
                    "Mechanical",
                    "Electrical",
                    "Electronic",
                    "Structural",
                    "Other",
                ],
                None,
            ),
            FieldDef::new("Status", "Status", T::Picklist)
                .picklist(&statuses, Some("New"))
                .restricted(),
            FieldDef::new("Reason", "Case Reason", T::Picklist).picklist(
                &[
                    "Installation",
                    "Equipment Complexity",
                    "Performance",
                    "Breakdown",
                    "Equipment Design",
                    "Feedback",
                    "Other",
                ],
                None,
            ),
            FieldDef::new("Origin", "Case Origin", T::Picklist)
                .picklist(&["Phone", "Email", "Web"], None),
            FieldDef::new("Subject", "Subject", T::String).search(),
            FieldDef::new("Priority", "Priority", T::Picklist)
                .picklist(&["High", "Medium", "Low"], Some("Medium")),
            FieldDef::new("Description", "Description", T::Textarea).search(),
            FieldDef::new("IsClosed", "Closed", T::Boolean).calculated(),
            FieldDef::new("ClosedDate", "Closed Date", T::Datetime).calculated(),
            FieldDef::new("IsEscalated", "Escalated", T::Boolean),
            owner(),
        ],
        FULL_AUDIT,
    );
    o.feed_enabled = true;
    o
}

/// CaseStatus (`01J`): the status values and whether each closes a case; query only.
pub fn case_status() -> ObjectDef {
    query_only(build(
        "CaseStatus",
        "Case Status Value",
        "Case Status Value",
        "01J",
        vec![
            FieldDef::new("MasterLabel", "Master Label", T::String).name_field(),
            FieldDef::new("ApiName", "Api Name", T::String),
            FieldDef::new("SortOrder", "Sort Order", T::Int),
            FieldDef::new("IsDefault", "Is Default", T::Boolean),
            FieldDef::new("IsClosed", "Is Closed", T::Boolean),
        ],
        FULL_AUDIT,
    ))
}

/// CaseComment (`00a`): `CommentBody` is limited to 4,000 bytes.
pub fn case_comment() -> ObjectDef {
    let mut o = build(
        "CaseComment",
        "Case Comment",
        "Case Comments",
        "00a",
        vec![
            FieldDef::new("ParentId", "Parent ID", T::Reference)
                .reference(&["Case"], "Parent", Some("CaseComments"))
                .required()
                .create_only()
                .cascade(),
            FieldDef::new("IsPublished", "Published", T::Boolean),
            FieldDef::new("CommentBody", "Body", T::Textarea)
                .len(4000)
                .bytes(),
            FieldDef::new(
                "IsNotificationSelected",
                "Notification Selected",
                T::Boolean,
            ),
        ],
        FULL_AUDIT,
    );
    o.searchable = false;
    o
}

fn who_what(child: &str) -> Vec<FieldDef> {
    vec![
        FieldDef::new("WhoId", "Name ID", T::Reference).reference(
            &["Contact", "Lead"],
            "Who",
            Some(child),
        ),
        FieldDef::new("WhatId", "Related To ID", T::Reference).reference(
            &[
                "Account",
                "Case",
                "Contract",
                "Opportunity",
                "Order",
                "Quote",
            ],
            "What",
            Some(child),
        ),
    ]
}

/// Task (`00T`).
pub fn task() -> ObjectDef {
    let mut fields = who_what("Tasks");
    fields.extend([
        FieldDef::new("Subject", "Subject", T::Combobox)
            .picklist(&["Call", "Send Letter", "Send Quote", "Other"], None)
            .name_field()
            .search(),
        FieldDef::new("ActivityDate", "Due Date Only", T::Date),
        FieldDef::new("Status", "Status", T::Picklist)
            .picklist(
                &[
                    "Not Started",
                    "In Progress",
                    "Completed",
                    "Waiting on someone else",
                    "Deferred",
                ],
                Some("Not Started"),
            )
            .required()
            .restricted(),
        FieldDef::new("Priority", "Priority", T::Picklist)
            .picklist(&["High", "Normal", "Low"], Some("Normal"))
            .required()
            .restricted(),
        FieldDef::new("Type", "Type", T::Picklist)
            .picklist(&["Call", "Email", "Meeting", "Other"], None),
        FieldDef::new("IsClosed", "Closed", T::Boolean).calculated(),
        FieldDef::new("Description", "Description", T::Textarea),
        owner(),
    ]);
    build("Task", "Task", "Tasks", "00T", fields, FULL_AUDIT)
}

/// Event (`00U`): `StartDateTime`/`EndDateTime` given, `DurationInMinutes` derived.
pub fn event() -> ObjectDef {
    let mut fields = who_what("Events");
    fields.extend([
        FieldDef::new("Subject", "Subject", T::Combobox)
            .picklist(
                &["Call", "Email", "Meeting", "Send Letter/Quote", "Other"],
                None,
            )
            .name_field()
            .search(),
        FieldDef::new("Location", "Location", T::String),
        FieldDef::new("IsAllDayEvent", "All-Day Event", T::Boolean),
        FieldDef::new("StartDateTime", "Start Date Time", T::Datetime),
        FieldDef::new("EndDateTime", "End Date Time", T::Datetime),
        FieldDef::new("ActivityDateTime", "Due Date Time", T::Datetime).calculated(),
        FieldDef::new("ActivityDate", "Due Date Only", T::Date).calculated(),
        FieldDef::new("DurationInMinutes", "Duration", T::Int).calculated(),
        FieldDef::new("ShowAs", "Show Time As", T::Picklist)
            .picklist(&["Busy", "OutOfOffice", "Free"], Some("Busy"))
            .restricted(),
        FieldDef::new("Type", "Type", T::Picklist)
            .picklist(&["Call", "Email", "Meeting", "Other"], None),
        FieldDef::new("Description", "Description", T::Textarea),
        owner(),
    ]);
    build("Event", "Event", "Events", "00U", fields, FULL_AUDIT)
}

/// FeedItem (`0D5`): a post on a record's feed; `Body` up to 10,000 characters.
pub fn feed_item() -> ObjectDef {
    let mut o = build(
        "FeedItem",
        "Feed Item",
        "Feed Items",
        "0D5",
        vec![
            FieldDef::new("ParentId", "Parent ID", T::Reference)
                .reference(FEED_PARENTS, "Parent", Some("Feeds"))
                .required()
                .create_only()
                .cascade(),
            FieldDef::new("Type", "Feed Item Type", T::Picklist)
                .picklist(
                    &[
                        "TextPost",
                        "LinkPost",
                        "ContentPost",
                        "QuestionPost",
                        "TrackedChange",
                        "CaseCommentPost",
                        "EmailMessageEvent",
                    ],
                    Some("TextPost"),
                )
                .restricted()
                .create_only(),
            FieldDef::new("Body", "Body", T::Textarea).len(10_000),
            FieldDef::new("Title", "Title", T::String),
            FieldDef::new("LinkUrl", "Link Url", T::Url).len(1000),
            FieldDef::new("IsRichText", "Is Rich Text", T::Boolean),
            FieldDef::new("RelatedRecordId", "Related Record ID", T::Reference).reference(
                &["ContentVersion"],
                "RelatedRecord",
                None,
            ),
            FieldDef::new("Visibility", "Visibility", T::Picklist)
                .picklist(&["AllUsers", "InternalUsers"], Some("AllUsers"))
                .restricted(),
            FieldDef::new("Status", "Status", T::Picklist)
                .picklist(&["Published", "PendingReview", "Draft"], Some("Published"))
                .restricted(),
            FieldDef::new("CommentCount", "Comment Count", T::Int).calculated(),
            FieldDef::new("LikeCount", "Like Count", T::Int).calculated(),
            FieldDef::new("LastEditDate", "Last Edit Date", T::Datetime).calculated(),
            FieldDef::new("LastEditById", "Last Edit By ID", T::Reference)
                .reference(&["User"], "LastEditBy", None)
                .calculated(),
            FieldDef::new("InsertedById", "InsertedBy ID", T::Reference)
                .reference(&["User"], "InsertedBy", None)
                .calculated(),
        ],
        FULL_AUDIT,
    );
    o.searchable = false;
    o
}

/// FeedComment (`0D7`): a reply to a feed item; has no `LastModifiedDate`.
pub fn feed_comment() -> ObjectDef {
    let mut o = build(
        "FeedComment",
        "Feed Comment",
        "Feed Comments",
        "0D7",
        vec![
            FieldDef::new("FeedItemId", "Feed Item ID", T::Reference)
                .reference(&["FeedItem"], "FeedItem", Some("FeedComments"))
                .required()
                .create_only()
                .cascade(),
            FieldDef::new("ParentId", "Parent ID", T::Reference)
                .reference(FEED_PARENTS, "Parent", None)
                .calculated(),
            FieldDef::new("CommentBody", "Comment Body", T::Textarea)
                .len(10_000)
                .required(),
            FieldDef::new("CommentType", "Comment Type", T::Picklist)
                .picklist(&["TextComment", "ContentComment"], Some("TextComment"))
                .restricted()
                .create_only(),
            FieldDef::new("IsRichText", "Is Rich Text", T::Boolean),
            FieldDef::new("RelatedRecordId", "Related Record ID", T::Reference).reference(
                &["ContentVersion"],
                "RelatedRecord",
                None,
            ),
            FieldDef::new("Status", "Status", T::Picklist)
                .picklist(&["Published", "PendingReview"], Some("Published"))
                .restricted(),
            FieldDef::new("ThreadParentId", "Thread Parent ID", T::Reference)
                .reference(&["FeedComment"], "ThreadParent", None)
                .create_only(),
            FieldDef::new("LastEditDate", "Last Edit Date", T::Datetime).calculated(),
            FieldDef::new("LastEditById", "Last Edit By ID", T::Reference)
                .reference(&["User"], "LastEditBy", None)
                .calculated(),
            FieldDef::new("InsertedById", "InsertedBy ID", T::Reference)
                .reference(&["User"], "InsertedBy", None)
                .calculated(),
        ],
        Audit {
            created: true,
            modified: false,
        },
    );
    o.searchable = false;
    o
}
