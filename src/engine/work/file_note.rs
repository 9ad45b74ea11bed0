//! Notes about files, written once: the Jira comment that says where a file came from (or why
//! it was not copied), and the Salesforce comment that says a file came from Jira. Each is
//! marked so it is found again after a crash and never mirrored back.

use serde_json::{json, Value};

use super::execute::{linked_issue, linked_record};
use super::intent::{create_once, Intent, RemoteRef};
use super::note::find_note;
use super::salesforce_to_jira::comments::PROPERTY;
use crate::actors::link::LinkSession;
use crate::domain::adf::text_to_adf;
use crate::domain::comments::{comment_sobject, new_comment_fields, parse_attachment_note};
use crate::domain::ids::SalesforceId;
use crate::domain::link::events::{IntentDetail, RemoteOperation};
use crate::domain::plan::FileNote;
use crate::domain::side::Side;
use crate::domain::unknown_outcome::LookupConsistency;
use crate::engine::{Engine, SyncError};

/// Writes the note once.
pub async fn create(
    engine: &Engine,
    session: &mut LinkSession,
    note: &FileNote,
) -> Result<(), SyncError> {
    match note {
        FileNote::InJira {
            source,
            source_id,
            text,
        } => in_jira(engine, session, *source, source_id, text).await,
        FileNote::InSalesforce {
            jira_attachment_id,
            kind,
            text,
        } => {
            let record = linked_record(session)?;
            let (surface, body_field) = comment_sobject(*kind);
            let sf = engine.salesforce()?;
            let intent = Intent {
                operation: RemoteOperation::CreateSalesforceComment,
                target: Side::Salesforce,
                marker: format!("sfjira:jira-attachment-note:{jira_attachment_id}"),
                detail: IntentDetail {
                    jira_attachment_id: Some(jira_attachment_id.clone()),
                    ..IntentDetail::default()
                },
                lookup: LookupConsistency::ReadYourWrites,
            };
            let find = || {
                find_note(&sf, surface, body_field, &record, |body| {
                    parse_attachment_note(body)
                        .is_some_and(|n| n.jira_attachment_id == *jira_attachment_id)
                })
            };
            let create = || async {
                let fields = new_comment_fields(*kind, &record, text);
                Ok(RemoteRef::id(
                    sf.create_shared(surface, &fields).await?.to_string(),
                ))
            };
            create_once(engine, session, intent, find, create, |_| Vec::new()).await?;
            Ok(())
        }
    }
}

/// The Jira comment about a file from `source`, marked with the file's id there.
async fn in_jira(
    engine: &Engine,
    session: &mut LinkSession,
    source: Side,
    source_id: &str,
    text: &str,
) -> Result<(), SyncError> {
    let key = linked_issue(session)?;
    let jira = engine.jira()?;
    let detail = match source {
        Side::Salesforce => IntentDetail {
            content_version_id: SalesforceId::parse(source_id).ok(),
            ..IntentDetail::default()
        },
        Side::Jira => IntentDetail {
            jira_attachment_id: Some(source_id.to_string()),
            ..IntentDetail::default()
        },
    };
    let intent = Intent {
        operation: RemoteOperation::CreateJiraComment,
        target: Side::Jira,
        marker: format!("sfjira:file-note:{source_id}"),
        detail,
        lookup: LookupConsistency::ReadYourWrites,
    };
    let find = || async {
        Ok(jira
            .comments_with_properties(&key)
            .await?
            .into_iter()
            .find(|c| {
                c.property(PROPERTY)
                    .and_then(|p| p.get("file_note"))
                    .and_then(Value::as_str)
                    == Some(source_id)
            })
            .map(|c| RemoteRef::id(c.id)))
    };
    let create = || async {
        let properties = vec![(PROPERTY.to_string(), json!({"file_note": source_id}))];
        Ok(RemoteRef::id(
            jira.add_comment(&key, &text_to_adf(text), &properties)
                .await?
                .id,
        ))
    };
    create_once(engine, session, intent, find, create, |_| Vec::new()).await?;
    Ok(())
}
