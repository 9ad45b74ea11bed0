//! Where sfjira writes a comment of its own on a Salesforce record, and what a new one holds.
//!
//! Cases take CaseComments (private to the org, like an internal note); feed-enabled objects
//! take text posts on the record's feed; objects with neither take none. The link note, the
//! attachment note and mirrored Jira comments all follow this one rule.

use serde_json::{Map, Value};

use crate::domain::catalog::CommentModel;
use crate::domain::ids::SalesforceId;
use crate::events::link::SalesforceCommentKind;

/// The kind of comment sfjira writes on a record of an object with `model`; `None` when the
/// object takes no comments.
pub fn written_comment_kind(model: CommentModel) -> Option<SalesforceCommentKind> {
    match model {
        CommentModel::CaseComment => Some(SalesforceCommentKind::CaseComment),
        CommentModel::Feed => Some(SalesforceCommentKind::FeedItem),
        CommentModel::Unsupported => None,
    }
}

/// The sObject a comment of `kind` is stored in, and the field that holds its text.
pub fn comment_sobject(kind: SalesforceCommentKind) -> (&'static str, &'static str) {
    match kind {
        SalesforceCommentKind::CaseComment => ("CaseComment", "CommentBody"),
        SalesforceCommentKind::FeedItem => ("FeedItem", "Body"),
        SalesforceCommentKind::FeedComment => ("FeedComment", "CommentBody"),
    }
}

/// The fields of a new comment of `kind` on `record` saying `text`: a CaseComment unpublished
/// (internal), a feed post as a plain text post.
pub fn new_comment_fields(
    kind: SalesforceCommentKind,
    record: &SalesforceId,
    text: &str,
) -> Map<String, Value> {
    let (_, body_field) = comment_sobject(kind);
    let mut fields = Map::new();
    fields.insert("ParentId".into(), record.to_string().into());
    fields.insert(body_field.into(), text.into());
    match kind {
        SalesforceCommentKind::CaseComment => {
            fields.insert("IsPublished".into(), false.into());
        }
        SalesforceCommentKind::FeedItem => {
            fields.insert("Type".into(), "TextPost".into());
        }
        SalesforceCommentKind::FeedComment => {}
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_take_private_case_comments_and_feeds_take_text_posts() {
        let record = SalesforceId::parse("500Hs000000000SIAQ").expect("id");
        assert_eq!(
            written_comment_kind(CommentModel::CaseComment),
            Some(SalesforceCommentKind::CaseComment)
        );
        assert_eq!(written_comment_kind(CommentModel::Unsupported), None);
        let case = new_comment_fields(SalesforceCommentKind::CaseComment, &record, "hi");
        assert_eq!(case["CommentBody"], "hi");
        assert_eq!(case["IsPublished"], false);
        assert_eq!(case["ParentId"], "500Hs000000000SIAQ");
        let post = new_comment_fields(SalesforceCommentKind::FeedItem, &record, "hi");
        assert_eq!(post["Body"], "hi");
        assert_eq!(post["Type"], "TextPost");
    }
}
