//! The link note: a comment on the Salesforce record naming the Jira issue, its URL, the item
//! and whether the link is manual or automatic, written once per link.
//!
//! Cases get a private CaseComment; other feed-enabled records a feed post; objects with
//! neither get no note. The note is marked so sfjira never mirrors it into Jira.

use serde_json::{json, Map, Value};

use super::intent::{create_once, CreateFailed, Intent, RemoteRef};
use super::{issue_of, record_failure, ItemSnapshot, WorkOutcome};
use crate::actors::link::{LinkError, LinkSession};
use crate::connectors::salesforce::SalesforceClient;
use crate::domain::catalog::{comment_model, CommentModel};
use crate::domain::comments::{format_link_note, parse_link_note, LinkNote};
use crate::domain::escape::soql_quote;
use crate::domain::ids::SalesforceId;
use crate::domain::side::Side;
use crate::events::link::{
    operations, LinkEvent, LinkNoteWritten, RemoteOperation, SalesforceCommentKind,
};
use crate::sync::{catalogue, Engine, SyncError};

/// Writes the link note unless it stands already.
pub async fn write(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    if session.state().note_written {
        return Ok(());
    }
    let Some(link) = session.state().link.clone() else {
        return Ok(());
    };
    if let Err(error) = write_once(engine, session, item, &link.record_id, link.origin).await {
        match error {
            SyncError::Link(e) => return Err(e),
            other => {
                record_failure(engine, session, outcome, operations::LINK_NOTE, &other).await?
            }
        }
    }
    Ok(())
}

async fn write_once(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    record: &SalesforceId,
    origin: crate::events::link::LinkOrigin,
) -> Result<(), SyncError> {
    let key =
        issue_of(session).ok_or_else(|| SyncError::not_found("not_linked", "the link is gone"))?;
    let object = &item.definition.object;
    let feed_enabled = catalogue::describe(engine, object)
        .await?
        .is_some_and(|d| d.object.feed_enabled);
    let (surface, kind, body_field) = match comment_model(object, Some(feed_enabled)) {
        CommentModel::CaseComment => (
            "CaseComment",
            SalesforceCommentKind::CaseComment,
            "CommentBody",
        ),
        CommentModel::Feed => ("FeedItem", SalesforceCommentKind::FeedItem, "Body"),
        CommentModel::Unsupported => return Ok(()),
    };
    let issue_url = format!(
        "{}/browse/{key}",
        engine
            .jira_base_url()
            .unwrap_or_default()
            .trim_end_matches('/')
    );
    let text = format_link_note(&LinkNote {
        issue_key: key.clone(),
        issue_url,
        item_name: item.definition.name.clone(),
        origin,
    });
    let sf = engine.salesforce()?;
    let intent = Intent {
        operation: RemoteOperation::WriteLinkNote,
        target: Side::Salesforce,
        marker: format!("sfjira:link-note:{}:{key}", session.link_id()),
        detail: json!({"record_id": record.to_string(), "surface": surface}),
    };
    let find = || {
        find_note(&sf, surface, body_field, record, |body| {
            parse_link_note(body).is_some_and(|note| note.issue_key == key)
        })
    };
    let create = || async {
        let mut body = Map::new();
        body.insert("ParentId".into(), record.to_string().into());
        body.insert(body_field.into(), text.clone().into());
        match kind {
            SalesforceCommentKind::CaseComment => {
                body.insert("IsPublished".into(), false.into());
            }
            _ => {
                body.insert("Type".into(), "TextPost".into());
            }
        }
        Ok(RemoteRef::id(sf.create(surface, &body).await?.to_string()))
    };
    let settle = |created: &super::intent::Created| {
        SalesforceId::parse(&created.remote().id)
            .map(|id| {
                vec![LinkEvent::LinkNoteWritten(LinkNoteWritten {
                    salesforce_id: id,
                    kind,
                })]
            })
            .unwrap_or_default()
    };
    match create_once(session, intent, find, create, settle).await {
        Ok(_) => Ok(()),
        Err(CreateFailed::Link(e)) => Err(e.into()),
        Err(CreateFailed::Remote(e)) => Err(e),
    }
}

/// The first comment on `record` (in `surface`, its text in `body_field`) whose text `is_ours`
/// recognises: how a note whose creation a crash left unsettled is found again instead of
/// being written twice.
pub(super) async fn find_note(
    sf: &SalesforceClient,
    surface: &str,
    body_field: &str,
    record: &SalesforceId,
    is_ours: impl Fn(&str) -> bool,
) -> Result<Option<RemoteRef>, SyncError> {
    let soql = format!(
        "SELECT Id, {body_field} FROM {surface} WHERE ParentId = {}",
        soql_quote(record.as_str())
    );
    Ok(sf
        .query(&soql)
        .await?
        .into_iter()
        .find(|row| {
            row.get(body_field)
                .and_then(Value::as_str)
                .is_some_and(&is_ours)
        })
        .and_then(|row| row.get("Id").and_then(Value::as_str).map(RemoteRef::id)))
}
