//! Salesforce comments into Jira: CaseComments, feed posts and flattened feed replies, each
//! created once in Jira with a property naming its Salesforce id.
//!
//! Comments sfjira itself wrote in Salesforce (mirrored Jira comments, link notes, file notes)
//! are recognised by their markers and never mirrored back.

use crate::domain::unknown_outcome::LookupConsistency;
use serde_json::json;

use crate::actors::link::{LinkError, LinkSession};
use crate::domain::adf::text_to_adf;
use crate::domain::catalog::format_record_label;
use crate::domain::comments::{
    format_salesforce_comment_for_jira, is_connector_text, SalesforceComment,
};
use crate::domain::echo::fingerprint_text;
use crate::domain::link::events::{operations, CommentPaired, LinkEvent, RemoteOperation};
use crate::domain::side::Side;
use crate::engine::fetch::FoundComment;
use crate::engine::work::intent::{create_once, CreateFailed, Intent, RemoteRef};
use crate::engine::work::{issue_of, record_failure, ItemSnapshot, WorkOutcome};
use crate::engine::Engine;

/// The Jira comment property that marks a mirrored Salesforce comment.
pub const PROPERTY: &str = "sfjira";

/// A short label for the record, from the last observed values.
pub fn record_label(session: &LinkSession, item: &ItemSnapshot) -> String {
    let object = &item.definition.object;
    match (&session.state().observed, &session.state().link) {
        (Some(observed), _) => format_record_label(object, &observed.values),
        (None, Some(link)) => link.record_id.to_string(),
        (None, None) => String::new(),
    }
}

/// The record as a file note names it: the object's label, then the record's label.
pub fn labelled_record(session: &LinkSession, item: &ItemSnapshot) -> String {
    format!(
        "{} {}",
        item.context.object_label,
        record_label(session, item)
    )
}

/// Mirrors each new comment into the linked issue.
pub async fn mirror_to_jira(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    comments: &[FoundComment],
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let Some(key) = issue_of(session) else {
        return Ok(());
    };
    let Ok(jira) = engine.jira() else {
        return Ok(());
    };
    for comment in comments {
        if session.state().comments_by_salesforce.contains(&comment.id)
            || is_connector_text(&comment.body)
        {
            continue;
        }
        let text = format_salesforce_comment_for_jira(&SalesforceComment {
            author: comment.author.clone(),
            object_label: item.context.object_label.clone(),
            record_label: record_label(session, item),
            created_at: comment.created,
            body: comment.body.clone(),
            reply_to: comment.parent.clone(),
        });
        let sf_id = comment.id.to_string();
        let link_id = session.link_id();
        let intent = Intent {
            operation: RemoteOperation::CreateJiraComment,
            target: Side::Jira,
            marker: format!("sfjira:salesforce-comment:{sf_id}"),
            detail: json!({"salesforce_id": sf_id}),
            lookup: LookupConsistency::ReadYourWrites,
        };
        let find = || async {
            let existing = jira.comments_with_properties(&key).await?;
            Ok(existing
                .into_iter()
                .find(|c| {
                    c.property(PROPERTY)
                        .and_then(|p| p.get("salesforce_id"))
                        .and_then(|v| v.as_str())
                        == Some(sf_id.as_str())
                })
                .map(|c| RemoteRef::id(c.id)))
        };
        let create = || async {
            let properties = vec![(
                PROPERTY.to_string(),
                json!({"salesforce_id": sf_id, "link_id": link_id.to_string()}),
            )];
            let created = jira
                .add_comment(&key, &text_to_adf(&text), &properties)
                .await?;
            Ok(RemoteRef::id(created.id))
        };
        let settle = |created: &crate::engine::work::intent::Created| {
            vec![LinkEvent::CommentPaired(CommentPaired {
                origin: Side::Salesforce,
                salesforce_ids: vec![comment.id.clone()],
                salesforce_kind: comment.kind,
                jira_comment_id: created.remote().id.clone(),
                fingerprint: fingerprint_text(&comment.body).as_str().to_string(),
            })]
        };
        match create_once(engine, session, intent, find, create, settle).await {
            Ok(_) => outcome.comments_paired += 1,
            Err(CreateFailed::Link(e)) => return Err(e),
            Err(CreateFailed::Remote(error)) => {
                record_failure(engine, session, outcome, operations::COMMENTS, &error).await?;
            }
        }
    }
    Ok(())
}
