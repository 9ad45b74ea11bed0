//! Salesforce comments into Jira: CaseComments, feed posts and flattened feed replies, each
//! created once in Jira with a property naming its Salesforce id.
//!
//! Which comments to mirror (new ones, not written by sfjira) is decided by
//! [`plan_comments_to_jira`]; here the comments are handed to it and each planned comment is
//! created through an intent whose marker lookup reads the issue's comment properties.

use serde_json::json;

use crate::actors::link::{LinkError, LinkSession};
use crate::domain::adf::text_to_adf;
use crate::domain::link::events::{operations, IntentDetail, RemoteOperation};
use crate::domain::plan::comments::{plan_comments_to_jira, SalesforceCommentSeen};
use crate::domain::plan::{CommentToJira, Effect};
use crate::domain::side::Side;
use crate::domain::unknown_outcome::LookupConsistency;
use crate::engine::fetch::FoundComment;
use crate::engine::work::execute::{execute, linked_issue, settled_by};
use crate::engine::work::intent::{create_once, Intent, RemoteRef};
use crate::engine::work::{ItemSnapshot, WorkOutcome};
use crate::engine::{Engine, SyncError};

/// The Jira comment property that marks a mirrored Salesforce comment.
pub const PROPERTY: &str = "sfjira";

/// A comment as the planner sees it.
fn seen(comment: &FoundComment) -> SalesforceCommentSeen {
    SalesforceCommentSeen {
        id: comment.id.clone(),
        kind: comment.kind,
        body: comment.body.clone(),
        author: comment.author.clone(),
        created: comment.created,
        parent: comment.parent.clone(),
    }
}

/// Mirrors each new comment into the linked issue.
pub async fn mirror_to_jira(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    comments: &[FoundComment],
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    if engine.jira().is_err() {
        return Ok(());
    }
    let comments: Vec<_> = comments.iter().map(seen).collect();
    let plan = plan_comments_to_jira(
        session.state(),
        &item.definition,
        &item.context.object_label,
        &comments,
    );
    execute(engine, session, item, plan, operations::COMMENTS, outcome).await
}

/// Creates one planned comment in the linked issue, once.
pub async fn create(
    engine: &Engine,
    session: &mut LinkSession,
    effect: &Effect,
    comment: &CommentToJira,
) -> Result<(), SyncError> {
    let key = linked_issue(session)?;
    let jira = engine.jira()?;
    let sf_id = comment.salesforce_id.to_string();
    let link_id = session.link_id();
    let intent = Intent {
        operation: RemoteOperation::CreateJiraComment,
        target: Side::Jira,
        marker: format!("sfjira:salesforce-comment:{sf_id}"),
        detail: IntentDetail {
            salesforce_id: Some(comment.salesforce_id.clone()),
            ..IntentDetail::default()
        },
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
            .add_comment(&key, &text_to_adf(&comment.text), &properties)
            .await?;
        Ok(RemoteRef::id(created.id))
    };
    create_once(engine, session, intent, find, create, settled_by(effect)).await?;
    Ok(())
}
