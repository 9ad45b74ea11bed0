//! Jira comments into Salesforce (split to fit: numbered CaseComments, or a feed post continued
//! in replies; marked so they are never mirrored back) and edits of the comments written in Jira.
//!
//! What to create or update is decided by [`plan_comments_to_salesforce`]; here the issue's
//! comments are read for it, and each planned comment is created once through an intent whose
//! marker lookup reads the record's comments by parent.

use serde_json::Value;

use super::surface;
use crate::actors::link::{LinkError, LinkSession};
use crate::connectors::jira::Comment;
use crate::connectors::salesforce::SalesforceClient;
use crate::domain::comments::{new_part_fields, parse_jira_comment_marker, part_sobject};
use crate::domain::escape::soql_quote;
use crate::domain::ids::{JiraIssueKey, SalesforceId};
use crate::domain::link::events::{operations, IntentDetail, RemoteOperation};
use crate::domain::plan::comments::{
    plan_comments_to_salesforce, CommentsToSalesforceObservation, JiraCommentSeen,
};
use crate::domain::plan::{CommentToSalesforce, Effect};
use crate::domain::side::Side;
use crate::domain::unknown_outcome::LookupConsistency;
use crate::engine::work::execute::{execute, linked_issue, linked_record, settled_by};
use crate::engine::work::intent::{create_once, Intent, RemoteRef};
use crate::engine::work::salesforce_to_jira::comments::PROPERTY;
use crate::engine::work::{record_failure, ItemSnapshot, WorkOutcome};
use crate::engine::{Engine, SyncError};

/// A comment as the planner sees it.
fn seen(comment: &Comment) -> JiraCommentSeen {
    JiraCommentSeen {
        id: comment.id.clone(),
        author: comment
            .author
            .as_ref()
            .and_then(|a| a.display_name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "A Jira user".into()),
        body: comment.body_text(),
        marked: comment.property(PROPERTY).is_some(),
    }
}

/// The issue's browse URL.
pub(crate) fn browse_url(engine: &Engine, key: &JiraIssueKey) -> String {
    format!(
        "{}/browse/{key}",
        engine
            .jira_base_url()
            .unwrap_or_default()
            .trim_end_matches('/')
    )
}

/// Mirrors new Jira comments into Salesforce, and edits of comments written in Jira.
pub(super) async fn push_comments(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    key: &JiraIssueKey,
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let observed = async {
        let Some((kind, _, _)) = surface(engine, &item.definition.object).await? else {
            return Ok(None);
        };
        let comments = engine.jira()?.comments_with_properties(key).await?;
        Ok::<_, SyncError>(Some(CommentsToSalesforceObservation {
            kind: Some(kind),
            issue_key: key.clone(),
            issue_url: browse_url(engine, key),
            comments: comments.iter().map(seen).collect(),
        }))
    };
    let observed = match observed.await {
        Ok(Some(observed)) => observed,
        Ok(None) => return Ok(()),
        Err(SyncError::Link(e)) => return Err(e),
        Err(error) => {
            return record_failure(engine, session, outcome, operations::COMMENTS, &error).await
        }
    };
    let plan = plan_comments_to_salesforce(session.state(), &observed);
    execute(engine, session, item, plan, operations::COMMENTS, outcome).await
}

/// Creates a planned Jira comment's Salesforce comment(s) once. The marker lookup reads the
/// record's comments (or its feed posts and their replies) by parent, which reads its own
/// writes: after a crash or a lost answer, the parts already written are found and only the
/// missing ones are created.
pub async fn create(
    engine: &Engine,
    session: &mut LinkSession,
    effect: &Effect,
    comment: &CommentToSalesforce,
) -> Result<(), SyncError> {
    let record = linked_record(session)?;
    let key = linked_issue(session)?;
    let sf = engine.salesforce()?;
    let parts = &comment.parts;
    let intent = Intent {
        operation: RemoteOperation::CreateSalesforceComment,
        target: Side::Salesforce,
        marker: format!("sfjira:jira-comment:{}", comment.jira_comment_id),
        detail: IntentDetail {
            jira_comment_id: Some(comment.jira_comment_id.clone()),
            parts: Some(parts.len()),
            ..IntentDetail::default()
        },
        lookup: LookupConsistency::ReadYourWrites,
    };
    let find_parts = || parts_on_record(&sf, &record, &key, comment);
    let find = || async {
        let found = find_parts().await?;
        Ok((found.len() == parts.len()).then(|| joined(found.into_iter().map(|(_, id)| id))))
    };
    // Parts can already exist only when an earlier attempt of this intent is still open (a
    // crash or a lost answer part-way); a first attempt creates without looking.
    let redrive = session
        .state()
        .open_intents
        .values()
        .any(|i| i.operation == intent.operation && i.marker == intent.marker);
    let create_all = || async {
        let existing = if redrive {
            find_parts().await?
        } else {
            Vec::new()
        };
        create_parts(&sf, &record, comment, &existing).await
    };
    create_once(
        engine,
        session,
        intent,
        find,
        create_all,
        settled_by(effect),
    )
    .await?;
    Ok(())
}

/// The parts of `comment` already on the record, as (part number, id), from their markers;
/// CaseComments, or a feed post and its replies, read by parent (reads its own writes).
async fn parts_on_record(
    sf: &SalesforceClient,
    record: &SalesforceId,
    key: &JiraIssueKey,
    comment: &CommentToSalesforce,
) -> Result<Vec<(usize, String)>, SyncError> {
    let kind = comment.kind;
    let mut found = Vec::new();
    let objects: &[usize] = if comment.parts.len() > 1 {
        &[0, 1]
    } else {
        &[0]
    };
    for &index in objects {
        let (object, body_field) = part_sobject(kind, index);
        if index > 0 && object == part_sobject(kind, 0).0 {
            continue;
        }
        let soql = format!(
            "SELECT Id, {body_field} FROM {object} WHERE ParentId = {} ORDER BY CreatedDate ASC",
            soql_quote(record.as_str())
        );
        found.extend(sf.query(&soql).await?.into_iter().filter_map(|row| {
            let marker = row
                .get(body_field)
                .and_then(Value::as_str)
                .and_then(parse_jira_comment_marker)?;
            let id = row.get("Id")?.as_str()?.to_string();
            (marker.comment_id == comment.jira_comment_id && marker.issue_key == *key)
                .then(|| (marker.part.map_or(1, |(i, _)| i), id))
        }));
    }
    found.sort();
    found.dedup_by_key(|(n, _)| *n);
    Ok(found)
}

/// Creates the parts not in `existing`, in order (replies continue the first part).
async fn create_parts(
    sf: &SalesforceClient,
    record: &SalesforceId,
    comment: &CommentToSalesforce,
    existing: &[(usize, String)],
) -> Result<RemoteRef, SyncError> {
    let mut ids: Vec<String> = Vec::new();
    for (index, text) in comment.parts.iter().enumerate() {
        if let Some((_, id)) = existing.iter().find(|(n, _)| *n == index + 1) {
            ids.push(id.clone());
            continue;
        }
        let first = ids.first().map(String::as_str);
        let fields = new_part_fields(comment.kind, record, index, first, text);
        let (object, _) = part_sobject(comment.kind, index);
        ids.push(sf.create_shared(object, &fields).await?.to_string());
    }
    Ok(joined(ids))
}

/// The settlement id of a comment written in parts: the parts' ids in order, comma-separated.
fn joined(ids: impl IntoIterator<Item = String>) -> RemoteRef {
    RemoteRef {
        id: ids.into_iter().collect::<Vec<_>>().join(","),
        aux: None,
    }
}
