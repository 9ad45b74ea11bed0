//! Jira comments into Salesforce (split to fit: numbered CaseComments, or a feed post continued
//! in replies; marked so they are never mirrored back) and edits of the comments written in Jira.

use crate::domain::unknown_outcome::LookupConsistency;
use serde_json::{json, Map, Value};

use super::*;
use crate::actors::link::LinkSession;
use crate::connectors::jira::Comment;
use crate::domain::comments::{
    format_jira_comment_parts, is_connector_text, new_part_fields, parse_jira_comment_marker,
    part_sobject, sobject_of_part, JiraComment, CASE_COMMENT_LIMIT_BYTES, FEED_BODY_LIMIT_BYTES,
};
use crate::domain::echo::fingerprint_text;
use crate::domain::escape::soql_quote;
use crate::domain::ids::{JiraIssueKey, SalesforceId};
use crate::domain::link::events::{
    CommentPaired, CommentUpdated, LinkEvent, RemoteOperation, SalesforceCommentKind,
};
use crate::domain::side::Side;
use crate::engine::work::intent::{create_once, Intent, RemoteRef};
use crate::engine::work::salesforce_to_jira::comments::PROPERTY;
use crate::engine::work::{ItemSnapshot, WorkOutcome};
use crate::engine::{Engine, SyncError};

fn author_of(comment: &Comment) -> String {
    comment
        .author
        .as_ref()
        .and_then(|a| a.display_name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "A Jira user".into())
}

fn jira_comment(engine: &Engine, key: &JiraIssueKey, comment: &Comment) -> JiraComment {
    JiraComment {
        author: author_of(comment),
        issue_key: key.clone(),
        comment_id: comment.id.clone(),
        issue_url: format!(
            "{}/browse/{key}",
            engine
                .jira_base_url()
                .unwrap_or_default()
                .trim_end_matches('/')
        ),
        body: comment.body_text(),
    }
}

/// Mirrors new Jira comments into Salesforce, and edits of comments written in Jira.
pub(super) async fn push_comments(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    key: &JiraIssueKey,
    outcome: &mut WorkOutcome,
) -> Result<(), SyncError> {
    let Some((kind, _, _)) = surface(engine, &item.definition.object).await? else {
        return Ok(());
    };
    let comments = engine.jira()?.comments_with_properties(key).await?;
    for comment in &comments {
        let text = comment.body_text();
        if let Some(ids) = session.state().comments_by_jira.get(&comment.id).cloned() {
            let remembered = session
                .state()
                .jira_comment_fingerprints
                .get(&comment.id)
                .cloned();
            let now = fingerprint_text(&text);
            if remembered.is_some_and(|fp| fp != now.as_str()) {
                edit_comment(engine, session, item, key, comment, kind, &ids, outcome).await?;
            }
            continue;
        }
        if comment.property(PROPERTY).is_some() || is_connector_text(&text) {
            continue;
        }
        create_comment(engine, session, key, comment, kind).await?;
        outcome.comments_paired += 1;
    }
    Ok(())
}

fn parts_for(
    engine: &Engine,
    key: &JiraIssueKey,
    comment: &Comment,
    kind: SalesforceCommentKind,
) -> Vec<String> {
    format_jira_comment_parts(&jira_comment(engine, key, comment), part_limit(kind))
}

/// The size limit of one part of a comment of `kind`.
fn part_limit(kind: SalesforceCommentKind) -> usize {
    match kind {
        SalesforceCommentKind::CaseComment => CASE_COMMENT_LIMIT_BYTES,
        _ => FEED_BODY_LIMIT_BYTES,
    }
}

/// Creates a Jira comment's Salesforce comment(s) once. The marker lookup reads the record's
/// comments (or its feed posts and their replies) by parent, which reads its own writes: after a
/// crash or a lost answer, the parts already written are found and only the missing ones are
/// created.
async fn create_comment(
    engine: &Engine,
    session: &mut LinkSession,
    key: &JiraIssueKey,
    comment: &Comment,
    kind: SalesforceCommentKind,
) -> Result<(), SyncError> {
    let record = record_id(session)?;
    let sf = engine.salesforce()?;
    let parts = parts_for(engine, key, comment, kind);
    let comment_id = comment.id.clone();
    let intent = Intent {
        operation: RemoteOperation::CreateSalesforceComment,
        target: Side::Salesforce,
        marker: format!("sfjira:jira-comment:{comment_id}"),
        detail: json!({"jira_comment_id": comment_id, "parts": parts.len()}),
        lookup: LookupConsistency::ReadYourWrites,
    };
    let find_parts = || async {
        let mut found = Vec::new();
        let objects: &[usize] = if parts.len() > 1 { &[0, 1] } else { &[0] };
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
                (marker.comment_id == comment_id && marker.issue_key == *key)
                    .then(|| (marker.part.map_or(1, |(i, _)| i), id))
            }));
        }
        found.sort();
        found.dedup_by_key(|(n, _)| *n);
        Ok::<_, SyncError>(found)
    };
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
        let mut ids: Vec<String> = Vec::new();
        for (index, text) in parts.iter().enumerate() {
            if let Some((_, id)) = existing.iter().find(|(n, _)| *n == index + 1) {
                ids.push(id.clone());
                continue;
            }
            let first = ids.first().map(String::as_str);
            let fields = new_part_fields(kind, &record, index, first, text);
            let (object, _) = part_sobject(kind, index);
            ids.push(sf.create(object, &fields).await?.to_string());
        }
        Ok(joined(ids))
    };
    let settle = |created: &crate::engine::work::intent::Created| {
        let ids: Vec<SalesforceId> = created
            .remote()
            .id
            .split(',')
            .filter_map(|i| SalesforceId::parse(i).ok())
            .collect();
        vec![LinkEvent::CommentPaired(CommentPaired {
            origin: Side::Jira,
            salesforce_ids: ids,
            salesforce_kind: kind,
            jira_comment_id: comment.id.clone(),
            fingerprint: fingerprint_text(&comment.body_text()).as_str().to_string(),
        })]
    };
    create_once(engine, session, intent, find, create_all, settle).await?;
    Ok(())
}

/// The settlement id of a comment written in parts: the parts' ids in order, comma-separated.
fn joined(ids: impl IntoIterator<Item = String>) -> RemoteRef {
    RemoteRef {
        id: ids.into_iter().collect::<Vec<_>>().join(","),
        aux: None,
    }
}

/// Mirrors an edit of a Jira-written comment onto its Salesforce comment(s).
#[allow(clippy::too_many_arguments)]
async fn edit_comment(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    key: &JiraIssueKey,
    comment: &Comment,
    kind: SalesforceCommentKind,
    ids: &[SalesforceId],
    outcome: &mut WorkOutcome,
) -> Result<(), SyncError> {
    let sf = engine.salesforce()?;
    let mut parts = parts_for(engine, key, comment, kind);
    // The parts keep their number: an edit that needs more parts than the original folds the
    // rest into the last one, truncated with a note (Salesforce's size limit still holds).
    if parts.len() > ids.len() && !ids.is_empty() {
        let rest = parts.split_off(ids.len() - 1).join("\n");
        parts.push(crate::domain::comments::truncate_with_note(
            &rest,
            part_limit(kind),
        ));
    }
    for (id, text) in ids.iter().zip(parts.iter()) {
        let (object, field) = sobject_of_part(kind, id);
        let mut body = Map::new();
        body.insert(field.into(), text.clone().into());
        sf.update(object, id, &body).await?;
    }
    let _ = (item, outcome);
    if let Some(first) = ids.first() {
        session
            .record(vec![LinkEvent::CommentUpdated(CommentUpdated {
                origin: Side::Jira,
                jira_comment_id: comment.id.clone(),
                salesforce_id: first.clone(),
                fingerprint: fingerprint_text(&comment.body_text()).as_str().to_string(),
            })])
            .await?;
    }
    Ok(())
}
