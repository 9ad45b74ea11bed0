//! The link note: a comment on the Salesforce record naming the Jira issue, its URL, the item
//! and whether the link is manual or automatic, written once per link.
//!
//! Cases get a private CaseComment; other feed-enabled records a feed post; objects with
//! neither get no note. The note is marked so sfjira never mirrors it into Jira.

use crate::domain::unknown_outcome::LookupConsistency;
use serde_json::{json, Value};

use super::intent::{create_once, Intent, RemoteRef};
use super::{issue_of, record_failure, ItemSnapshot, WorkOutcome};
use crate::actors::link::{LinkError, LinkSession};
use crate::connectors::salesforce::SalesforceClient;
use crate::domain::catalog::comment_model;
use crate::domain::comments::{
    comment_sobject, format_link_note, new_comment_fields, parse_link_note, written_comment_kind,
    LinkNote,
};
use crate::domain::escape::soql_quote;
use crate::domain::ids::SalesforceId;
use crate::domain::link::events::{operations, LinkEvent, LinkNoteWritten, RemoteOperation};
use crate::domain::side::Side;
use crate::engine::{metadata, Engine, SyncError};

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
    origin: crate::domain::link::events::LinkOrigin,
) -> Result<(), SyncError> {
    let key =
        issue_of(session).ok_or_else(|| SyncError::not_found("not_linked", "the link is gone"))?;
    let object = &item.definition.object;
    let feed_enabled = metadata::describe(engine, object)
        .await?
        .is_some_and(|d| d.object.feed_enabled);
    let Some(kind) = written_comment_kind(comment_model(object, Some(feed_enabled))) else {
        return Ok(());
    };
    let (surface, body_field) = comment_sobject(kind);
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
        lookup: LookupConsistency::ReadYourWrites,
    };
    let find = || {
        find_note(&sf, surface, body_field, record, |body| {
            parse_link_note(body).is_some_and(|note| note.issue_key == key)
        })
    };
    let create = || async {
        let fields = new_comment_fields(kind, record, &text);
        Ok(RemoteRef::id(
            sf.create(surface, &fields).await?.to_string(),
        ))
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
    create_once(engine, session, intent, find, create, settle).await?;
    Ok(())
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
