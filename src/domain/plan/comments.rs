//! Comments both ways, as plans: which comments are new, which are our own coming back (echo),
//! and which Jira-written comments were edited since they were mirrored.
//!
//! A comment is paired once (the link remembers both ids); a comment sfjira wrote itself (a
//! mirrored comment, a link note, a file note) is recognised by its marker and never mirrored
//! back. A Jira comment longer than Salesforce allows is split into numbered parts; an edit
//! keeps the parts it has and folds the rest into the last one.

use chrono::{DateTime, Utc};

use super::{CreatedRef, Effect, Plan, Step};
use crate::domain::catalog::format_record_label;
use crate::domain::comments::{
    format_jira_comment_parts, format_salesforce_comment_for_jira, is_connector_text,
    truncate_with_note, JiraComment, ParentComment, SalesforceComment, CASE_COMMENT_LIMIT_BYTES,
    FEED_BODY_LIMIT_BYTES,
};
use crate::domain::echo::fingerprint_text;
use crate::domain::ids::{JiraIssueKey, SalesforceId};
use crate::domain::item::ItemDefinition;
use crate::domain::link::events::{
    CommentPaired, CommentUpdated, LinkEvent, SalesforceCommentKind,
};
use crate::domain::link::LinkState;
use crate::domain::side::Side;

/// A short label for the linked record, from the last observed values.
pub fn record_label(state: &LinkState, definition: &ItemDefinition) -> String {
    match (&state.observed, &state.link) {
        (Some(observed), _) => format_record_label(&definition.object, &observed.values),
        (None, Some(link)) => link.record_id.to_string(),
        (None, None) => String::new(),
    }
}

/// A Salesforce comment, feed post or feed reply as read.
#[derive(Debug, Clone, PartialEq)]
pub struct SalesforceCommentSeen {
    /// Its id.
    pub id: SalesforceId,
    /// CaseComment, FeedItem or FeedComment.
    pub kind: SalesforceCommentKind,
    /// Plain text.
    pub body: String,
    /// Author's name.
    pub author: String,
    /// When it was written.
    pub created: DateTime<Utc>,
    /// For a feed reply: the post it answers.
    pub parent: Option<ParentComment>,
}

/// A Salesforce comment to create in Jira, and what its settlement records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentToJira {
    /// The Salesforce comment.
    pub salesforce_id: SalesforceId,
    /// Its kind.
    pub kind: SalesforceCommentKind,
    /// The Jira comment's text (with who wrote it where).
    pub text: String,
    /// Fingerprint of the Salesforce text.
    pub fingerprint: String,
}

impl CommentToJira {
    /// `link.comment_paired` for the created (or found) Jira comment.
    pub fn settled(&self, created: &CreatedRef) -> Vec<LinkEvent> {
        vec![LinkEvent::CommentPaired(CommentPaired {
            origin: Side::Salesforce,
            salesforce_ids: vec![self.salesforce_id.clone()],
            salesforce_kind: self.kind,
            jira_comment_id: created.id.clone(),
            fingerprint: self.fingerprint.clone(),
        })]
    }
}

/// Plans the Salesforce comments to mirror into the linked issue: each one not paired yet and
/// not written by sfjira. Each is its own step: one refused does not hold up the others.
pub fn plan_comments_to_jira(
    state: &LinkState,
    definition: &ItemDefinition,
    object_label: &str,
    comments: &[SalesforceCommentSeen],
) -> Plan {
    if !state.is_linked() {
        return Plan::nothing();
    }
    let record_label = record_label(state, definition);
    let steps = comments
        .iter()
        .filter(|c| !state.comments_by_salesforce.contains(&c.id) && !is_connector_text(&c.body))
        .map(|c| {
            let text = format_salesforce_comment_for_jira(&SalesforceComment {
                author: c.author.clone(),
                object_label: object_label.to_string(),
                record_label: record_label.clone(),
                created_at: c.created,
                body: c.body.clone(),
                reply_to: c.parent.clone(),
            });
            Step::write(
                Effect::CreateJiraComment(CommentToJira {
                    salesforce_id: c.id.clone(),
                    kind: c.kind,
                    text,
                    fingerprint: fingerprint_text(&c.body).as_str().to_string(),
                }),
                Vec::new(),
            )
        })
        .collect();
    Plan::of(steps)
}

/// A Jira comment as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraCommentSeen {
    /// Jira's comment id.
    pub id: String,
    /// The author's display name.
    pub author: String,
    /// The comment as plain text.
    pub body: String,
    /// Whether it carries sfjira's property (sfjira wrote it).
    pub marked: bool,
}

/// What the Jira → Salesforce comment step sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentsToSalesforceObservation {
    /// The kind of comment the record takes (None: the object has no comment surface).
    pub kind: Option<SalesforceCommentKind>,
    /// The linked issue.
    pub issue_key: JiraIssueKey,
    /// The issue's browse URL.
    pub issue_url: String,
    /// The issue's comments.
    pub comments: Vec<JiraCommentSeen>,
}

/// A Jira comment to create in Salesforce, in parts, and what its settlement records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentToSalesforce {
    /// Jira's comment id.
    pub jira_comment_id: String,
    /// The kind of the first part (replies continue a feed post).
    pub kind: SalesforceCommentKind,
    /// The parts' texts, in order.
    pub parts: Vec<String>,
    /// Fingerprint of the Jira text.
    pub fingerprint: String,
}

impl CommentToSalesforce {
    /// `link.comment_paired` naming every part (the settlement's id lists them, comma-separated).
    pub fn settled(&self, created: &CreatedRef) -> Vec<LinkEvent> {
        let ids = created
            .id
            .split(',')
            .filter_map(|i| SalesforceId::parse(i).ok())
            .collect();
        vec![LinkEvent::CommentPaired(CommentPaired {
            origin: Side::Jira,
            salesforce_ids: ids,
            salesforce_kind: self.kind,
            jira_comment_id: self.jira_comment_id.clone(),
            fingerprint: self.fingerprint.clone(),
        })]
    }
}

/// An edit of a Jira-written comment to carry onto its Salesforce parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentUpdate {
    /// The kind of comment.
    pub kind: SalesforceCommentKind,
    /// Each part's id and its new text.
    pub parts: Vec<(SalesforceId, String)>,
}

/// Whether the issue's comments (as its `comment` field shows them: id and text; `complete`
/// when that page holds them all) can hold anything for Salesforce: a comment the link does not
/// know, or an edit of one written in Jira. When not, the comments are not read with their
/// properties at all: sfjira's own comments and those already mirrored cost nothing.
pub fn jira_comments_could_be_new(
    state: &LinkState,
    comments: &[(String, String)],
    complete: bool,
) -> bool {
    !complete
        || comments
            .iter()
            .any(|(id, body)| match state.comments_by_jira.get(id) {
                Some(_) => state
                    .jira_comment_fingerprints
                    .get(id)
                    .is_some_and(|fp| *fp != fingerprint_text(body).as_str()),
                None => !state.own_jira_comments.contains(id) && !is_connector_text(body),
            })
}

/// The size limit of one part of a comment of `kind`.
pub fn part_limit(kind: SalesforceCommentKind) -> usize {
    match kind {
        SalesforceCommentKind::CaseComment => CASE_COMMENT_LIMIT_BYTES,
        _ => FEED_BODY_LIMIT_BYTES,
    }
}

/// Plans the Jira comments to mirror into Salesforce: new ones not written by sfjira, and edits
/// of the ones mirrored before. A failure stops the rest (they are ordered on the record).
pub fn plan_comments_to_salesforce(
    state: &LinkState,
    seen: &CommentsToSalesforceObservation,
) -> Plan {
    let Some(kind) = seen.kind else {
        return Plan::nothing();
    };
    let mut plan = Plan::nothing();
    for comment in &seen.comments {
        let fingerprint = fingerprint_text(&comment.body).as_str().to_string();
        let parts = || {
            let whole = JiraComment {
                author: comment.author.clone(),
                issue_key: seen.issue_key.clone(),
                comment_id: comment.id.clone(),
                issue_url: seen.issue_url.clone(),
                body: comment.body.clone(),
            };
            format_jira_comment_parts(&whole, part_limit(kind))
        };
        let step = if let Some(ids) = state.comments_by_jira.get(&comment.id) {
            let remembered = state.jira_comment_fingerprints.get(&comment.id);
            if remembered.is_none_or(|fp| *fp == fingerprint) {
                continue;
            }
            let Some(update) = comment_update(kind, ids, parts()) else {
                continue;
            };
            let first = ids[0].clone();
            Step::write(
                Effect::UpdateSalesforceComment(update),
                vec![LinkEvent::CommentUpdated(CommentUpdated {
                    origin: Side::Jira,
                    jira_comment_id: comment.id.clone(),
                    salesforce_id: first,
                    fingerprint,
                })],
            )
        } else if comment.marked || is_connector_text(&comment.body) {
            continue;
        } else {
            Step::write(
                Effect::CreateSalesforceComment(CommentToSalesforce {
                    jira_comment_id: comment.id.clone(),
                    kind,
                    parts: parts(),
                    fingerprint,
                }),
                Vec::new(),
            )
        };
        let chained = !plan.steps.is_empty();
        plan.push(if chained { step.after_previous() } else { step });
    }
    plan
}

/// The parts keep their number: an edit that needs more parts than the original folds the
/// rest into the last one, truncated with a note (Salesforce's size limit still holds).
fn comment_update(
    kind: SalesforceCommentKind,
    ids: &[SalesforceId],
    mut parts: Vec<String>,
) -> Option<CommentUpdate> {
    if ids.is_empty() {
        return None;
    }
    if parts.len() > ids.len() {
        let rest = parts.split_off(ids.len() - 1).join("\n");
        parts.push(truncate_with_note(&rest, part_limit(kind)));
    }
    Some(CommentUpdate {
        kind,
        parts: ids.iter().cloned().zip(parts).collect(),
    })
}

#[cfg(test)]
mod tests;
