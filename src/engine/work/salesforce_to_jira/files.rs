//! Salesforce files into Jira: each new file up to the ceiling (and Jira's upload limit) is
//! streamed from Salesforce straight into a Jira upload, never held whole in memory; larger
//! ones are skipped and recorded. Either way a Jira comment says where the file came from.
//!
//! Which files to copy, skip or adopt is decided by [`plan_files_to_jira`]; Jira's upload
//! limit is read only when some file is new.

use crate::actors::link::{LinkError, LinkSession};
use crate::domain::link::events::{operations, IntentDetail, RemoteOperation};
use crate::domain::plan::files::{
    files_to_jira_need_limit, plan_files_to_jira, FilesToJiraObservation, SalesforceFileSeen,
};
use crate::domain::plan::{Effect, FileToJira};
use crate::domain::side::Side;
use crate::domain::unknown_outcome::LookupConsistency;
use crate::engine::fetch::FoundFile;
use crate::engine::work::execute::{execute, linked_issue, settled_by};
use crate::engine::work::intent::{create_once, Intent, RemoteRef};
use crate::engine::work::{record_failure, ItemSnapshot, WorkOutcome};
use crate::engine::{Engine, SyncError};

/// A file as the planner sees it.
fn seen(file: &FoundFile) -> SalesforceFileSeen {
    SalesforceFileSeen {
        version_id: file.version_id.clone(),
        document_id: file.document_id.clone(),
        title: file.title.clone(),
        filename: file.filename(),
        size: file.size,
    }
}

/// Mirrors each new file into the linked issue.
pub async fn mirror_to_jira(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    files: &[FoundFile],
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let Ok(jira) = engine.jira() else {
        return Ok(());
    };
    let files: Vec<_> = files.iter().map(seen).collect();
    let mut observed = FilesToJiraObservation {
        files,
        object_label: item.context.object_label.clone(),
        ceiling: engine.settings.sync.attachment_ceiling_bytes,
        upload_limit: None,
    };
    if !files_to_jira_need_limit(session.state(), &observed.files) {
        return Ok(());
    }
    match jira.attachment_meta().await {
        Ok(meta) => observed.upload_limit = meta.upload_limit,
        Err(e) => {
            let error = SyncError::from(e);
            return record_failure(engine, session, outcome, operations::ATTACHMENTS, &error).await;
        }
    }
    let plan = plan_files_to_jira(session.state(), &item.definition, &observed);
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

/// Streams one planned file from Salesforce into a Jira upload, once.
pub async fn upload(
    engine: &Engine,
    session: &mut LinkSession,
    effect: &Effect,
    file: &FileToJira,
) -> Result<(), SyncError> {
    let key = linked_issue(session)?;
    let jira = engine.jira()?;
    let intent = Intent {
        operation: RemoteOperation::UploadToJira,
        target: Side::Jira,
        marker: format!("sfjira:salesforce-file:{}", file.version_id),
        detail: IntentDetail {
            content_version_id: Some(file.version_id.clone()),
            filename: Some(file.filename.clone()),
            size: Some(file.size),
            ..IntentDetail::default()
        },
        lookup: LookupConsistency::ReadYourWrites,
    };
    let find = || async {
        Ok(jira
            .attachments(&key)
            .await?
            .into_iter()
            .find(|a| a.filename == file.filename && a.size == file.size)
            .map(|a| RemoteRef::id(a.id)))
    };
    let create = || async {
        let download = engine
            .salesforce()?
            .download_content_version(&file.version_id)
            .await?;
        let len = download.content_length.unwrap_or(file.size);
        let uploaded = jira
            .upload_attachment(&key, &file.filename, len, download.stream)
            .await?;
        Ok(RemoteRef::id(uploaded.id))
    };
    create_once(engine, session, intent, find, create, settled_by(effect)).await?;
    Ok(())
}
