//! Where sfjira writes a comment of its own on a Salesforce record, and what a new one holds.
//!
//! Cases take CaseComments (private to the org, like an internal note); feed-enabled objects
//! take text posts on the record's feed; objects with neither take none. The link note, the
//! attachment note and mirrored Jira comments all follow this one rule. A mirrored Jira comment
//! too long for one feed post continues in replies to it (FeedComments), so the feed keeps the
//! whole text as one thread.

use serde_json::{Map, Value};

use crate::domain::catalog::CommentModel;
use crate::domain::ids::SalesforceId;
use crate::domain::link::events::SalesforceCommentKind;

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

/// The sObject and text field of part `index` (0-based) of a comment of `kind`: on a feed, the
/// first part is the post and the others are replies to it; CaseComments stand side by side.
pub fn part_sobject(kind: SalesforceCommentKind, index: usize) -> (&'static str, &'static str) {
    match kind {
        SalesforceCommentKind::FeedItem if index > 0 => {
            comment_sobject(SalesforceCommentKind::FeedComment)
        }
        _ => comment_sobject(kind),
    }
}

/// The sObject and text field of a comment part already written, told by its id's key prefix
/// (`0D7` is a FeedComment), so an edit updates the row where the part lives.
pub fn sobject_of_part(
    kind: SalesforceCommentKind,
    id: &SalesforceId,
) -> (&'static str, &'static str) {
    if id.as_str().starts_with("0D7") {
        comment_sobject(SalesforceCommentKind::FeedComment)
    } else {
        comment_sobject(kind)
    }
}

/// The fields of part `index` of a comment of `kind` on `record`: the first part as
/// [`new_comment_fields`] gives; on a feed, later parts as replies to the post `first_id`.
pub fn new_part_fields(
    kind: SalesforceCommentKind,
    record: &SalesforceId,
    index: usize,
    first_id: Option<&str>,
    text: &str,
) -> Map<String, Value> {
    match (part_sobject(kind, index), first_id) {
        (("FeedComment", body_field), Some(post)) => {
            let mut fields = Map::new();
            fields.insert("FeedItemId".into(), post.into());
            fields.insert(body_field.into(), text.into());
            fields.insert("CommentType".into(), "TextComment".into());
            fields
        }
        _ => new_comment_fields(kind, record, text),
    }
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

    #[test]
    fn a_long_feed_comment_continues_in_replies_to_its_first_post() {
        let record = SalesforceId::parse("500Hs000000000SIAQ").expect("id");
        let feed = SalesforceCommentKind::FeedItem;
        assert_eq!(part_sobject(feed, 0), ("FeedItem", "Body"));
        assert_eq!(part_sobject(feed, 1), ("FeedComment", "CommentBody"));
        let cases = SalesforceCommentKind::CaseComment;
        assert_eq!(part_sobject(cases, 2), ("CaseComment", "CommentBody"));
        let reply = new_part_fields(feed, &record, 1, Some("0D5Hs000000000AAAA"), "more");
        assert_eq!(reply["FeedItemId"], "0D5Hs000000000AAAA");
        assert_eq!(reply["CommentBody"], "more");
        assert!(reply.get("ParentId").is_none());
        let post = new_part_fields(feed, &record, 0, None, "first");
        assert_eq!(post["Body"], "first");
        let reply_id = SalesforceId::parse("0D7Hs000000000A").expect("id");
        let post_id = SalesforceId::parse("0D5Hs000000000A").expect("id");
        assert_eq!(
            sobject_of_part(feed, &reply_id),
            ("FeedComment", "CommentBody")
        );
        assert_eq!(sobject_of_part(feed, &post_id), ("FeedItem", "Body"));
    }
}
