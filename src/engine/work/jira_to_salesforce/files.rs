//! Jira attachments into Salesforce Files, streamed, once, with a note on each side.
//!
//! Which attachments to copy, skip or adopt is decided by [`plan_files_to_salesforce`]; here
//! the planned uploads are streamed from Jira into ContentVersions on the record.

use super::surface;
use crate::actors::link::{LinkError, LinkSession};
use crate::connectors::jira::Attachment;
use crate::domain::ids::JiraIssueKey;
use crate::domain::link::events::{operations, IntentDetail, RemoteOperation};
use crate::domain::plan::files::{
    plan_files_to_salesforce, FilesToSalesforceObservation, JiraAttachmentSeen,
};
use crate::domain::plan::{Effect, FileToSalesforce};
use crate::domain::side::Side;
use crate::domain::unknown_outcome::LookupConsistency;
use crate::engine::work::execute::{execute, linked_record, settled_by};
use crate::engine::work::intent::{create_once, Intent, RemoteRef};
use crate::engine::work::{record_failure, ItemSnapshot, WorkOutcome};
use crate::engine::{fetch, Engine, SyncError};

/// Copies new Jira attachments into Salesforce Files (streamed), or records why not.
pub(super) async fn push_files(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    key: &JiraIssueKey,
    attachments: &[Attachment],
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let state = session.state();
    let any_new = attachments
        .iter()
        .any(|a| !state.attachments_by_jira.contains_key(&a.id) && !state.skipped.contains(&a.id));
    if !any_new {
        return Ok(());
    }
    let kind = match surface(engine, &item.definition.object).await {
        Ok(surface) => surface.map(|(kind, _, _)| kind),
        Err(SyncError::Link(e)) => return Err(e),
        Err(error) => {
            return record_failure(engine, session, outcome, operations::ATTACHMENTS, &error).await
        }
    };
    let observed = FilesToSalesforceObservation {
        attachments: attachments
            .iter()
            .map(|a| JiraAttachmentSeen {
                id: a.id.clone(),
                filename: a.filename.clone(),
                size: a.size,
            })
            .collect(),
        issue_key: key.clone(),
        object_label: item.context.object_label.clone(),
        kind,
        ceiling: engine.settings.sync.attachment_ceiling_bytes,
    };
    let plan = plan_files_to_salesforce(session.state(), &item.definition, &observed);
    execute(
        engine,
        session,
        item,
        plan,
        operations::ATTACHMENTS,
        outcome,
    )
    .await
}

/// Streams one planned Jira attachment into a ContentVersion on the record, once.
pub async fn upload(
    engine: &Engine,
    session: &mut LinkSession,
    effect: &Effect,
    file: &FileToSalesforce,
) -> Result<(), SyncError> {
    let record = linked_record(session)?;
    let sf = engine.salesforce()?;
    let jira = engine.jira()?;
    let intent = Intent {
        operation: RemoteOperation::UploadToSalesforce,
        target: Side::Salesforce,
        marker: format!("sfjira:jira-attachment:{}", file.jira_attachment_id),
        detail: IntentDetail {
            jira_attachment_id: Some(file.jira_attachment_id.clone()),
            filename: Some(file.filename.clone()),
            size: Some(file.size),
            ..IntentDetail::default()
        },
        lookup: LookupConsistency::ReadYourWrites,
    };
    let find = || async {
        Ok(fetch::files_of_record(&sf, &record)
            .await?
            .into_iter()
            .find(|f| f.title == file.title && f.size == file.size)
            .map(|f| RemoteRef {
                id: f.version_id.to_string(),
                aux: Some(f.document_id.to_string()),
            }))
    };
    let create = || async {
        let download = jira.download_attachment(&file.jira_attachment_id).await?;
        let len = download.content_length.unwrap_or(file.size);
        let version = sf
            .upload_content_version(&file.title, &file.path, Some(&record), len, download.stream)
            .await?;
        Ok(RemoteRef::id(version.to_string()))
    };
    create_once(engine, session, intent, find, create, settled_by(effect)).await?;
    Ok(())
}
