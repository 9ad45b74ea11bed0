//! The link note: a comment on the Salesforce record naming the Jira issue, its URL, the item
//! and whether the link is manual or automatic, written once per link.
//!
//! Cases get a private CaseComment; other feed-enabled records a feed post; objects with
//! neither get no note. The note is marked so sfjira never mirrors it into Jira.

use serde_json::Value;

use super::execute::{execute, settled_by};
use super::intent::{create_once, Intent, RemoteRef};
use super::jira_to_salesforce::{browse_url, surface};
use super::{issue_of, record_failure, ItemSnapshot, WorkOutcome};
use crate::actors::link::{LinkError, LinkSession};
use crate::connectors::salesforce::SalesforceClient;
use crate::domain::comments::{comment_sobject, new_comment_fields, parse_link_note};
use crate::domain::escape::soql_quote;
use crate::domain::ids::SalesforceId;
use crate::domain::link::events::{operations, IntentDetail, RemoteOperation};
use crate::domain::plan::create::plan_link_note;
use crate::domain::plan::{Effect, LinkNoteToWrite};
use crate::domain::side::Side;
use crate::domain::unknown_outcome::LookupConsistency;
use crate::engine::{Engine, SyncError};

/// Writes the link note unless it stands already: observes whether the record takes comments,
/// lets [`plan_link_note`] decide, and performs its plan.
pub async fn write(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let Some(key) = issue_of(session).filter(|_| !session.state().note_written) else {
        return Ok(());
    };
    let kind = match surface(engine, &item.definition.object).await {
        Ok(surface) => surface.map(|(kind, _, _)| kind),
        Err(SyncError::Link(e)) => return Err(e),
        Err(error) => {
            return record_failure(engine, session, outcome, operations::LINK_NOTE, &error).await
        }
    };
    let issue_url = browse_url(engine, &key);
    let plan = plan_link_note(session.state(), &item.definition, kind, &issue_url);
    execute(engine, session, item, plan, operations::LINK_NOTE, outcome).await
}

/// Creates the planned note once; after a crash it is found by its text naming the issue.
pub async fn create(
    engine: &Engine,
    session: &mut LinkSession,
    effect: &Effect,
    note: &LinkNoteToWrite,
) -> Result<(), SyncError> {
    let (surface, body_field) = comment_sobject(note.kind);
    let sf = engine.salesforce()?;
    let (record, key) = (&note.record_id, &note.issue_key);
    let intent = Intent {
        operation: RemoteOperation::WriteLinkNote,
        target: Side::Salesforce,
        marker: format!("sfjira:link-note:{}:{key}", session.link_id()),
        detail: IntentDetail {
            record_id: Some(record.clone()),
            surface: Some(surface.to_string()),
            ..IntentDetail::default()
        },
        lookup: LookupConsistency::ReadYourWrites,
    };
    let find = || {
        find_note(&sf, surface, body_field, record, |body| {
            parse_link_note(body).is_some_and(|n| n.issue_key == *key)
        })
    };
    let create = || async {
        let fields = new_comment_fields(note.kind, record, &note.text);
        Ok(RemoteRef::id(
            sf.create_shared(surface, &fields).await?.to_string(),
        ))
    };
    create_once(engine, session, intent, find, create, settled_by(effect)).await?;
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
