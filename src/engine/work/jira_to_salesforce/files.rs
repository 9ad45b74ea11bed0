//! Jira attachments into Salesforce Files, streamed, once, with a note on each side.

use crate::domain::unknown_outcome::LookupConsistency;
use serde_json::{json, Value};

use super::*;
use crate::actors::link::{LinkError, LinkSession};
use crate::connectors::jira::Attachment;
use crate::domain::adf::text_to_adf;
use crate::domain::attachments::{
    decide_transfer, format_attachment_comment, salesforce_upload_names, AttachmentSyncComment,
    TransferDecision,
};
use crate::domain::comments::{format_attachment_note, new_comment_fields, JiraAttachmentNote};
use crate::domain::ids::{JiraIssueKey, SalesforceId};
use crate::domain::link::events::{
    operations, AttachmentPaired, AttachmentSkipped, LinkEvent, RemoteOperation,
};
use crate::domain::side::Side;
use crate::engine::work::intent::{create_once, Intent, RemoteRef};
use crate::engine::work::note::find_note;
use crate::engine::work::salesforce_to_jira::comments::PROPERTY;
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
    let ceiling = engine.settings.sync.attachment_ceiling_bytes;
    for attachment in attachments {
        let id = attachment.id.clone();
        if session.state().attachments_by_jira.contains_key(&id)
            || session.state().skipped.contains(&id)
        {
            continue;
        }
        // Our own upload from Salesforce whose settlement a crash interrupted: adopt it.
        let ours = crate::engine::work::intent::adopt(
            session,
            RemoteOperation::UploadToJira,
            |d| {
                d.get("filename").and_then(Value::as_str) == Some(attachment.filename.as_str())
                    && d.get("size").and_then(Value::as_u64) == Some(attachment.size)
            },
            id.clone(),
            |d| {
                d.get("content_version_id")
                    .and_then(Value::as_str)
                    .and_then(|v| SalesforceId::parse(v).ok())
                    .map(|version| {
                        vec![LinkEvent::AttachmentPaired(AttachmentPaired {
                            origin: Side::Salesforce,
                            content_document_id: None,
                            content_version_id: version,
                            jira_attachment_id: id.clone(),
                            filename: attachment.filename.clone(),
                            size: attachment.size,
                        })]
                    })
                    .unwrap_or_default()
            },
        )
        .await?;
        if ours {
            continue;
        }
        let record_label =
            crate::engine::work::salesforce_to_jira::comments::labelled_record(session, item);
        match decide_transfer(attachment.size, ceiling, None) {
            TransferDecision::Skip { reason } => {
                session
                    .record(vec![LinkEvent::AttachmentSkipped(AttachmentSkipped {
                        origin: Side::Jira,
                        source_id: id.clone(),
                        filename: attachment.filename.clone(),
                        size: attachment.size,
                        reason: reason.to_string(),
                    })])
                    .await?;
                outcome.attachments_skipped += 1;
            }
            TransferDecision::Transfer => match upload(engine, session, key, attachment).await {
                Ok(()) => {
                    outcome.attachments_paired += 1;
                    let note = format_attachment_comment(&AttachmentSyncComment {
                        filename: attachment.filename.clone(),
                        size: attachment.size,
                        origin: Side::Jira,
                        record: record_label,
                        skipped: None,
                    });
                    if let Err(error) = jira_file_note(engine, session, key, &id, &note).await {
                        record_failure(engine, session, outcome, operations::ATTACHMENTS, &error)
                            .await?;
                    }
                }
                Err(SyncError::Link(e)) => return Err(e),
                Err(error) => {
                    record_failure(engine, session, outcome, operations::ATTACHMENTS, &error)
                        .await?
                }
            },
        }
    }
    Ok(())
}

/// Streams one Jira attachment into a ContentVersion on the record, once, and writes the
/// Salesforce sync note naming the Jira attachment.
async fn upload(
    engine: &Engine,
    session: &mut LinkSession,
    key: &JiraIssueKey,
    attachment: &Attachment,
) -> Result<(), SyncError> {
    let record = record_id(session)?;
    let sf = engine.salesforce()?;
    let jira = engine.jira()?;
    let (title, path) = salesforce_upload_names(&attachment.filename);
    let intent = Intent {
        operation: RemoteOperation::UploadToSalesforce,
        target: Side::Salesforce,
        marker: format!("sfjira:jira-attachment:{}", attachment.id),
        detail: json!({"jira_attachment_id": attachment.id, "filename": attachment.filename, "size": attachment.size}),
        lookup: LookupConsistency::ReadYourWrites,
    };
    let find = || async {
        Ok(fetch::files_of_record(&sf, &record)
            .await?
            .into_iter()
            .find(|f| f.title == title && f.size == attachment.size)
            .map(|f| RemoteRef {
                id: f.version_id.to_string(),
                aux: Some(f.document_id.to_string()),
            }))
    };
    let create = || async {
        let download = jira.download_attachment(&attachment.id).await?;
        let len = download.content_length.unwrap_or(attachment.size);
        let version = sf
            .upload_content_version(&title, &path, Some(&record), len, download.stream)
            .await?;
        Ok(RemoteRef::id(version.to_string()))
    };
    let settle = |created: &crate::engine::work::intent::Created| {
        SalesforceId::parse(&created.remote().id)
            .map(|version| {
                vec![LinkEvent::AttachmentPaired(AttachmentPaired {
                    origin: Side::Jira,
                    content_document_id: created
                        .remote()
                        .aux
                        .as_deref()
                        .and_then(|d| SalesforceId::parse(d).ok()),
                    content_version_id: version,
                    jira_attachment_id: attachment.id.clone(),
                    filename: attachment.filename.clone(),
                    size: attachment.size,
                })]
            })
            .unwrap_or_default()
    };
    create_once(engine, session, intent, find, create, settle).await?;
    salesforce_file_note(engine, session, key, attachment).await
}

/// The Salesforce note that a file came from Jira, once.
async fn salesforce_file_note(
    engine: &Engine,
    session: &mut LinkSession,
    key: &JiraIssueKey,
    attachment: &Attachment,
) -> Result<(), SyncError> {
    let record = record_id(session)?;
    let object = session
        .state()
        .link
        .as_ref()
        .map(|l| l.object.clone())
        .unwrap_or_default();
    let Some((kind, surface_object, body_field)) = surface(engine, &object).await? else {
        return Ok(());
    };
    let sf = engine.salesforce()?;
    let text = format_attachment_note(&JiraAttachmentNote {
        jira_attachment_id: attachment.id.clone(),
        filename: attachment.filename.clone(),
        issue_key: key.clone(),
    });
    let intent = Intent {
        operation: RemoteOperation::CreateSalesforceComment,
        target: Side::Salesforce,
        marker: format!("sfjira:jira-attachment-note:{}", attachment.id),
        detail: json!({"jira_attachment_id": attachment.id}),
        lookup: LookupConsistency::ReadYourWrites,
    };
    let find = || {
        find_note(&sf, surface_object, body_field, &record, |body| {
            crate::domain::comments::parse_attachment_note(body)
                .is_some_and(|n| n.jira_attachment_id == attachment.id)
        })
    };
    let create = || async {
        let fields = new_comment_fields(kind, &record, &text);
        Ok(RemoteRef::id(
            sf.create(surface_object, &fields).await?.to_string(),
        ))
    };
    create_once(engine, session, intent, find, create, |_| Vec::new()).await?;
    Ok(())
}

/// The Jira comment that a Jira file was copied to Salesforce, once.
async fn jira_file_note(
    engine: &Engine,
    session: &mut LinkSession,
    key: &JiraIssueKey,
    attachment_id: &str,
    text: &str,
) -> Result<(), SyncError> {
    let jira = engine.jira()?;
    let intent = Intent {
        operation: RemoteOperation::CreateJiraComment,
        target: Side::Jira,
        marker: format!("sfjira:file-note:{attachment_id}"),
        detail: json!({"jira_attachment_id": attachment_id}),
        lookup: LookupConsistency::ReadYourWrites,
    };
    let find = || async {
        Ok(jira
            .comments_with_properties(key)
            .await?
            .into_iter()
            .find(|c| {
                c.property(PROPERTY)
                    .and_then(|p| p.get("file_note"))
                    .and_then(Value::as_str)
                    == Some(attachment_id)
            })
            .map(|c| RemoteRef::id(c.id)))
    };
    let create = || async {
        let properties = vec![(PROPERTY.to_string(), json!({"file_note": attachment_id}))];
        Ok(RemoteRef::id(
            jira.add_comment(key, &text_to_adf(text), &properties)
                .await?
                .id,
        ))
    };
    create_once(engine, session, intent, find, create, |_| Vec::new()).await?;
    Ok(())
}
