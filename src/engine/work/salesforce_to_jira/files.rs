//! Salesforce files into Jira: each new file up to the ceiling (and Jira's upload limit) is
//! streamed from Salesforce straight into a Jira upload, never held whole in memory; larger
//! ones are skipped and recorded. Either way a Jira comment says where the file came from.

use crate::domain::unknown_outcome::LookupConsistency;
use serde_json::json;

use super::comments::{labelled_record, PROPERTY};
use crate::actors::link::{LinkError, LinkSession};
use crate::domain::adf::text_to_adf;
use crate::domain::attachments::{
    decide_transfer, format_attachment_comment, AttachmentSyncComment, SkipReason, TransferDecision,
};
use crate::domain::link::events::{
    operations, AttachmentPaired, AttachmentSkipped, LinkEvent, RemoteOperation,
};
use crate::domain::side::Side;
use crate::engine::fetch::FoundFile;
use crate::engine::work::intent::{create_once, CreateFailed, Intent, RemoteRef};
use crate::engine::work::{issue_of, record_failure, ItemSnapshot, WorkOutcome};
use crate::engine::{Engine, SyncError};

/// Mirrors each new file into the linked issue.
pub async fn mirror_to_jira(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    files: &[FoundFile],
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let Some(key) = issue_of(session) else {
        return Ok(());
    };
    let Ok(jira) = engine.jira() else {
        return Ok(());
    };
    let ceiling = engine.settings.sync.attachment_ceiling_bytes;
    let mut upload_limit: Option<Option<u64>> = None;
    for file in files {
        let version = file.version_id.to_string();
        if session
            .state()
            .attachments_by_salesforce
            .contains(&file.version_id)
            || session.state().skipped.contains(&version)
        {
            continue;
        }
        let limit = match upload_limit {
            Some(limit) => limit,
            None => {
                let fetched = match jira.attachment_meta().await {
                    Ok(meta) => meta.upload_limit,
                    Err(e) => {
                        record_failure(
                            engine,
                            session,
                            outcome,
                            operations::ATTACHMENTS,
                            &SyncError::from(e),
                        )
                        .await?;
                        return Ok(());
                    }
                };
                upload_limit = Some(fetched);
                fetched
            }
        };
        let filename = file.filename();
        // Our own upload from Jira whose settlement a crash interrupted: adopt it.
        let title = file.title.clone();
        let ours = crate::engine::work::intent::adopt(
            session,
            RemoteOperation::UploadToSalesforce,
            |d| {
                let uploaded = d
                    .get("filename")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default();
                crate::domain::attachments::salesforce_upload_names(uploaded).0 == title
                    && d.get("size").and_then(serde_json::Value::as_u64) == Some(file.size)
            },
            version.clone(),
            |d| {
                d.get("jira_attachment_id")
                    .and_then(serde_json::Value::as_str)
                    .map(|jira_id| {
                        vec![LinkEvent::AttachmentPaired(AttachmentPaired {
                            origin: Side::Jira,
                            content_document_id: Some(file.document_id.clone()),
                            content_version_id: file.version_id.clone(),
                            jira_attachment_id: jira_id.to_string(),
                            filename: filename.clone(),
                            size: file.size,
                        })]
                    })
                    .unwrap_or_default()
            },
        )
        .await?;
        if ours {
            continue;
        }
        let record = labelled_record(session, item);
        match decide_transfer(file.size, ceiling, limit) {
            TransferDecision::Skip { reason } => {
                let note = comment_text(&filename, file.size, &record, Some(reason));
                if let Err(error) = file_comment(engine, session, &version, &note).await {
                    record_failure(engine, session, outcome, operations::ATTACHMENTS, &error)
                        .await?;
                    continue;
                }
                outcome.attachments_skipped += 1;
                session
                    .record(vec![LinkEvent::AttachmentSkipped(AttachmentSkipped {
                        origin: Side::Salesforce,
                        source_id: version.clone(),
                        filename: filename.clone(),
                        size: file.size,
                        reason: reason.to_string(),
                    })])
                    .await?;
            }
            TransferDecision::Transfer => {
                let intent = Intent {
                    operation: RemoteOperation::UploadToJira,
                    target: Side::Jira,
                    marker: format!("sfjira:salesforce-file:{version}"),
                    detail: json!({"content_version_id": version, "filename": filename, "size": file.size}),
                    lookup: LookupConsistency::ReadYourWrites,
                };
                let find = || async {
                    Ok(jira
                        .attachments(&key)
                        .await?
                        .into_iter()
                        .find(|a| a.filename == filename && a.size == file.size)
                        .map(|a| RemoteRef::id(a.id)))
                };
                let create = || async {
                    let download = engine
                        .salesforce()?
                        .download_content_version(&file.version_id)
                        .await?;
                    let len = download.content_length.unwrap_or(file.size);
                    let uploaded = jira
                        .upload_attachment(&key, &filename, len, download.stream)
                        .await?;
                    Ok(RemoteRef::id(uploaded.id))
                };
                let settle = |created: &crate::engine::work::intent::Created| {
                    vec![LinkEvent::AttachmentPaired(AttachmentPaired {
                        origin: Side::Salesforce,
                        content_document_id: Some(file.document_id.clone()),
                        content_version_id: file.version_id.clone(),
                        jira_attachment_id: created.remote().id.clone(),
                        filename: filename.clone(),
                        size: file.size,
                    })]
                };
                match create_once(engine, session, intent, find, create, settle).await {
                    Ok(_) => outcome.attachments_paired += 1,
                    Err(CreateFailed::Link(e)) => return Err(e),
                    Err(CreateFailed::Remote(error)) => {
                        record_failure(engine, session, outcome, operations::ATTACHMENTS, &error)
                            .await?;
                        continue;
                    }
                }
                let note = comment_text(&filename, file.size, &record, None);
                if let Err(error) = file_comment(engine, session, &version, &note).await {
                    record_failure(engine, session, outcome, operations::ATTACHMENTS, &error)
                        .await?;
                }
            }
        }
    }
    Ok(())
}

fn comment_text(filename: &str, size: u64, record: &str, skipped: Option<SkipReason>) -> String {
    format_attachment_comment(&AttachmentSyncComment {
        filename: filename.to_string(),
        size,
        origin: Side::Salesforce,
        record: record.to_string(),
        skipped,
    })
}

/// Writes the Jira comment about a file once (marked with the file's id).
async fn file_comment(
    engine: &Engine,
    session: &mut LinkSession,
    version: &str,
    text: &str,
) -> Result<(), SyncError> {
    let key =
        issue_of(session).ok_or_else(|| SyncError::not_found("not_linked", "the link is gone"))?;
    let jira = engine.jira()?;
    let intent = Intent {
        operation: RemoteOperation::CreateJiraComment,
        target: Side::Jira,
        marker: format!("sfjira:file-note:{version}"),
        detail: json!({"content_version_id": version}),
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
                    .and_then(|v| v.as_str())
                    == Some(version)
            })
            .map(|c| RemoteRef::id(c.id)))
    };
    let create = || async {
        let properties = vec![(PROPERTY.to_string(), json!({"file_note": version}))];
        Ok(RemoteRef::id(
            jira.add_comment(&key, &text_to_adf(text), &properties)
                .await?
                .id,
        ))
    };
    create_once(engine, session, intent, find, create, |_| Vec::new()).await?;
    Ok(())
}
