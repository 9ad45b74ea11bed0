//! Jira → Salesforce for one linked issue: mapped fields (two-way items), status (any item with
//! status sync), comments and their edits, and files — compared against the link's memory so
//! that what sfjira wrote itself is recognised and never written back.
//!
//! A webhook and the scheduler's Jira sweep both run this same unit: the webhook makes it
//! immediate, the sweep makes it certain (a delivery lost while sfjira was down is caught by
//! the next run).

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::comments::PROPERTY;
use super::intent::{create_once, CreateFailed, Intent, RemoteRef};
use super::{issue_of, record_failure, EngineRef, ItemSnapshot, WorkOutcome};
use crate::actors::link::{LinkError, LinkSession, LinkWork};
use crate::connectors::jira::{Attachment, Comment, Issue};
use crate::domain::adf::text_to_adf;
use crate::domain::attachments::{
    decide_transfer, format_attachment_comment, salesforce_upload_names, AttachmentSyncComment,
    TransferDecision,
};
use crate::domain::catalog::{comment_model, CommentModel};
use crate::domain::comments::{
    format_attachment_note, format_jira_comment_for_case, format_jira_comment_for_feed,
    is_connector_text, parse_jira_comment_marker, JiraAttachmentNote, JiraComment,
    CASE_COMMENT_LIMIT_BYTES, FEED_BODY_LIMIT_BYTES,
};
use crate::domain::echo::{fingerprint_field_value, fingerprint_text, Fingerprint};
use crate::domain::escape::soql_quote;
use crate::domain::fields::jira_to_sf;
use crate::domain::ids::{JiraIssueKey, SalesforceId};
use crate::domain::item::SyncMode;
use crate::domain::side::Side;
use crate::events::link::{
    operations, AttachmentPaired, AttachmentSkipped, CommentPaired, CommentUpdated, FieldPushed,
    LinkEvent, RemoteOperation, SalesforceCommentKind, Trigger,
};
use crate::sync::{catalogue, fetch, Engine, SyncError};

/// Applies the linked issue's Jira-side changes to its record.
#[derive(Clone)]
pub struct PushWork {
    /// The engine.
    pub engine: EngineRef,
    /// The item.
    pub item: ItemSnapshot,
    /// What caused it.
    pub trigger: Trigger,
}

#[async_trait]
impl LinkWork for PushWork {
    type Output = WorkOutcome;

    async fn run(&mut self, session: &mut LinkSession) -> Result<WorkOutcome, LinkError> {
        apply(&self.engine, session, &self.item).await
    }
}

/// Compares the linked issue with the link's memory and writes what changed to Salesforce.
pub async fn apply(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
) -> Result<WorkOutcome, LinkError> {
    let mut outcome = WorkOutcome::default();
    let definition = &item.definition;
    let (Some(key), true) = (issue_of(session), definition.mode.synchronises()) else {
        return Ok(outcome);
    };
    let Ok(jira) = engine.jira() else {
        return Ok(outcome);
    };
    let two_way = definition.mode == SyncMode::TwoWay;
    let mut wanted: Vec<&str> = vec!["status", "updated", "created", "attachment"];
    wanted.extend(definition.mappings.iter().map(|m| m.jira_field.as_str()));
    let issue = match jira.get_issue(&key, &wanted, &[], &[]).await {
        Ok(issue) => issue,
        Err(e) => {
            record_failure(
                engine,
                session,
                &mut outcome,
                operations::READ_ISSUE,
                &e.into(),
            )
            .await?;
            return Ok(outcome);
        }
    };
    if two_way && !definition.mappings.is_empty() {
        if let Err(error) = push_fields(engine, session, item, &issue).await {
            match error {
                SyncError::Link(e) => return Err(e),
                other => {
                    record_failure(
                        engine,
                        session,
                        &mut outcome,
                        operations::PUSH_FIELDS,
                        &other,
                    )
                    .await?
                }
            }
        }
    }
    if definition.options.status_sync.is_some() {
        let current = issue.status().map(|s| s.name);
        let remembered = session
            .state()
            .status
            .as_ref()
            .and_then(|m| m.jira_value.clone());
        if current.is_some() && current != remembered {
            status_from_jira(engine, session, item, &mut outcome).await?;
        }
    }
    if two_way && definition.options.comments_sync {
        if let Err(error) = push_comments(engine, session, item, &key, &mut outcome).await {
            match error {
                SyncError::Link(e) => return Err(e),
                other => {
                    record_failure(engine, session, &mut outcome, operations::COMMENTS, &other)
                        .await?
                }
            }
        }
    }
    if two_way && definition.options.attachments_sync {
        push_files(
            engine,
            session,
            item,
            &key,
            &issue.attachments(),
            &mut outcome,
        )
        .await?;
    }
    Ok(outcome)
}

fn record_id(session: &LinkSession) -> Result<SalesforceId, SyncError> {
    session
        .state()
        .link
        .as_ref()
        .map(|l| l.record_id.clone())
        .ok_or_else(|| SyncError::not_found("not_linked", "the link is gone"))
}

/// Writes changed mapped fields to the record in one update.
async fn push_fields(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    issue: &Issue,
) -> Result<(), SyncError> {
    let definition = &item.definition;
    let (mapped, _) = catalogue::mapped_fields(engine, definition).await?;
    let mut body = Map::new();
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for field in &mapped {
        let (mapping, sf, jira) = (&field.mapping, &field.salesforce, &field.jira);
        if !sf.updateable {
            continue;
        }
        let value = issue
            .fields
            .get(&mapping.jira_field)
            .cloned()
            .unwrap_or(Value::Null);
        let converted = match jira_to_sf(&value, jira, sf) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!(
                    "{} → {}: {e}",
                    mapping.jira_field, mapping.salesforce_field
                ));
                continue;
            }
        };
        let fingerprint: Fingerprint = fingerprint_field_value(&converted);
        let state = session.state();
        let known = |v: Option<&String>| v.map(String::as_str) == Some(fingerprint.as_str());
        // Already pushed, or the value we pulled into Jira coming back.
        if known(state.pushed.get(&mapping.salesforce_field))
            || known(state.pulled.get(&mapping.jira_field))
        {
            continue;
        }
        body.insert(mapping.salesforce_field.clone(), converted.clone());
        events.push(LinkEvent::FieldPushed(FieldPushed {
            jira_field: mapping.jira_field.clone(),
            salesforce_field: mapping.salesforce_field.clone(),
            value: converted,
            fingerprint: fingerprint.as_str().to_string(),
            source_updated: issue.updated(),
        }));
    }
    if !body.is_empty() {
        let record = record_id(session)?;
        engine
            .salesforce()?
            .update(&definition.object, &record, &body)
            .await?;
        session.record(events).await?;
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SyncError::invalid(
            "field_conversion",
            problems.join("; "),
            Value::Null,
        ))
    }
}

/// Reads the record and settles the status race (Jira changed).
async fn status_from_jira(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let record = match record_id(session) {
        Ok(id) => id,
        Err(_) => return Ok(()),
    };
    let sf = match engine.salesforce() {
        Ok(sf) => sf,
        Err(e) => return record_failure(engine, session, outcome, operations::STATUS, &e).await,
    };
    match fetch::one_record(&sf, &item.definition, &record).await {
        Ok(Some(values)) => super::status::sync(engine, session, item, &values, outcome).await,
        Ok(None) => Ok(()),
        Err(e) => record_failure(engine, session, outcome, operations::STATUS, &e).await,
    }
}

fn author_of(comment: &Comment) -> String {
    comment
        .author
        .as_ref()
        .and_then(|a| a.display_name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "A Jira user".into())
}

fn jira_comment(engine: &Engine, key: &JiraIssueKey, comment: &Comment) -> JiraComment {
    JiraComment {
        author: author_of(comment),
        issue_key: key.clone(),
        comment_id: comment.id.clone(),
        issue_url: format!(
            "{}/browse/{key}",
            engine
                .jira_base_url()
                .unwrap_or_default()
                .trim_end_matches('/')
        ),
        body: comment.body_text(),
    }
}

/// The comment surface of the item's object.
async fn surface(
    engine: &Engine,
    object: &str,
) -> Result<Option<(SalesforceCommentKind, &'static str, &'static str)>, SyncError> {
    let feed = catalogue::describe(engine, object)
        .await?
        .is_some_and(|d| d.object.feed_enabled);
    Ok(match comment_model(object, Some(feed)) {
        CommentModel::CaseComment => Some((
            SalesforceCommentKind::CaseComment,
            "CaseComment",
            "CommentBody",
        )),
        CommentModel::Feed => Some((SalesforceCommentKind::FeedItem, "FeedItem", "Body")),
        CommentModel::Unsupported => None,
    })
}

/// Mirrors new Jira comments into Salesforce, and edits of comments written in Jira.
async fn push_comments(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    key: &JiraIssueKey,
    outcome: &mut WorkOutcome,
) -> Result<(), SyncError> {
    let Some((kind, object, body_field)) = surface(engine, &item.definition.object).await? else {
        return Ok(());
    };
    let comments = engine.jira()?.comments_with_properties(key).await?;
    for comment in &comments {
        let text = comment.body_text();
        if let Some(ids) = session.state().comments_by_jira.get(&comment.id).cloned() {
            let remembered = session
                .state()
                .jira_comment_fingerprints
                .get(&comment.id)
                .cloned();
            let now = fingerprint_text(&text);
            if remembered.is_some_and(|fp| fp != now.as_str()) {
                edit_comment(engine, session, item, key, comment, kind, &ids, outcome).await?;
            }
            continue;
        }
        if comment.property(PROPERTY).is_some() || is_connector_text(&text) {
            continue;
        }
        create_comment(engine, session, key, comment, kind, object, body_field).await?;
        outcome.comments_paired += 1;
    }
    Ok(())
}

fn parts_for(
    engine: &Engine,
    key: &JiraIssueKey,
    comment: &Comment,
    kind: SalesforceCommentKind,
) -> Vec<String> {
    let c = jira_comment(engine, key, comment);
    match kind {
        SalesforceCommentKind::CaseComment => {
            format_jira_comment_for_case(&c, CASE_COMMENT_LIMIT_BYTES)
        }
        _ => vec![format_jira_comment_for_feed(&c, FEED_BODY_LIMIT_BYTES)],
    }
}

/// Creates a Jira comment's Salesforce comment(s) once: after a crash, the parts already
/// written are found by their markers and only the missing ones are created.
async fn create_comment(
    engine: &Engine,
    session: &mut LinkSession,
    key: &JiraIssueKey,
    comment: &Comment,
    kind: SalesforceCommentKind,
    object: &'static str,
    body_field: &'static str,
) -> Result<(), SyncError> {
    let record = record_id(session)?;
    let sf = engine.salesforce()?;
    let parts = parts_for(engine, key, comment, kind);
    let comment_id = comment.id.clone();
    let intent = Intent {
        operation: RemoteOperation::CreateSalesforceComment,
        target: Side::Salesforce,
        marker: format!("sfjira:jira-comment:{comment_id}"),
        detail: json!({"jira_comment_id": comment_id, "parts": parts.len()}),
    };
    let find_parts = || async {
        let soql = format!(
            "SELECT Id, {body_field} FROM {object} WHERE ParentId = {} ORDER BY CreatedDate ASC",
            soql_quote(record.as_str())
        );
        let mut found: Vec<(usize, String)> = sf
            .query(&soql)
            .await?
            .into_iter()
            .filter_map(|row| {
                let marker = row
                    .get(body_field)
                    .and_then(Value::as_str)
                    .and_then(parse_jira_comment_marker)?;
                let id = row.get("Id")?.as_str()?.to_string();
                (marker.comment_id == comment_id && marker.issue_key == *key)
                    .then(|| (marker.part.map_or(1, |(i, _)| i), id))
            })
            .collect();
        found.sort();
        Ok::<_, SyncError>(found)
    };
    let create_all = || async {
        let existing = find_parts().await?;
        let mut ids = Vec::new();
        for (index, text) in parts.iter().enumerate() {
            if let Some((_, id)) = existing.iter().find(|(n, _)| *n == index + 1) {
                ids.push(id.clone());
                continue;
            }
            let mut body = Map::new();
            body.insert("ParentId".into(), record.to_string().into());
            body.insert(body_field.into(), text.clone().into());
            if kind == SalesforceCommentKind::CaseComment {
                body.insert("IsPublished".into(), false.into());
            } else {
                body.insert("Type".into(), "TextPost".into());
            }
            ids.push(sf.create(object, &body).await?.to_string());
        }
        Ok(RemoteRef {
            id: ids.join(","),
            aux: None,
        })
    };
    let find = || async { Ok(None) };
    let settle = |created: &super::intent::Created| {
        let ids: Vec<SalesforceId> = created
            .remote()
            .id
            .split(',')
            .filter_map(|i| SalesforceId::parse(i).ok())
            .collect();
        vec![LinkEvent::CommentPaired(CommentPaired {
            origin: Side::Jira,
            salesforce_ids: ids,
            salesforce_kind: kind,
            jira_comment_id: comment.id.clone(),
            fingerprint: fingerprint_text(&comment.body_text()).as_str().to_string(),
        })]
    };
    match create_once(session, intent, find, create_all, settle).await {
        Ok(_) => Ok(()),
        Err(CreateFailed::Link(e)) => Err(e.into()),
        Err(CreateFailed::Remote(e)) => Err(e),
    }
}

/// Mirrors an edit of a Jira-written comment onto its Salesforce comment(s).
#[allow(clippy::too_many_arguments)]
async fn edit_comment(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    key: &JiraIssueKey,
    comment: &Comment,
    kind: SalesforceCommentKind,
    ids: &[SalesforceId],
    outcome: &mut WorkOutcome,
) -> Result<(), SyncError> {
    let sf = engine.salesforce()?;
    let (object, field) = match kind {
        SalesforceCommentKind::CaseComment => ("CaseComment", "CommentBody"),
        _ => ("FeedItem", "Body"),
    };
    let mut parts = parts_for(engine, key, comment, kind);
    // The parts keep their number: an edit that needs more parts than the original folds the
    // rest into the last one, truncated with a note (Salesforce's size limit still holds).
    if parts.len() > ids.len() && !ids.is_empty() {
        let rest = parts.split_off(ids.len() - 1).join("\n");
        parts.push(crate::domain::comments::truncate_with_note(
            &rest,
            CASE_COMMENT_LIMIT_BYTES,
        ));
    }
    for (id, text) in ids.iter().zip(parts.iter()) {
        let mut body = Map::new();
        body.insert(field.into(), text.clone().into());
        sf.update(object, id, &body).await?;
    }
    let _ = (item, outcome);
    if let Some(first) = ids.first() {
        session
            .record(vec![LinkEvent::CommentUpdated(CommentUpdated {
                origin: Side::Jira,
                jira_comment_id: comment.id.clone(),
                salesforce_id: first.clone(),
                fingerprint: fingerprint_text(&comment.body_text()).as_str().to_string(),
            })])
            .await?;
    }
    Ok(())
}

/// Copies new Jira attachments into Salesforce Files (streamed), or records why not.
async fn push_files(
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
        let ours = super::intent::adopt(
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
        let record_label = format!(
            "{} {}",
            item.context.object_label,
            super::comments::record_label(session, item)
        );
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
    let settle = |created: &super::intent::Created| {
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
    match create_once(session, intent, find, create, settle).await {
        Ok(_) => {}
        Err(CreateFailed::Link(e)) => return Err(e.into()),
        Err(CreateFailed::Remote(e)) => return Err(e),
    }
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
    };
    let find = || async {
        let soql = format!(
            "SELECT Id, {body_field} FROM {surface_object} WHERE ParentId = {}",
            soql_quote(record.as_str())
        );
        Ok(sf
            .query(&soql)
            .await?
            .into_iter()
            .find(|row| {
                row.get(body_field)
                    .and_then(Value::as_str)
                    .and_then(crate::domain::comments::parse_attachment_note)
                    .is_some_and(|n| n.jira_attachment_id == attachment.id)
            })
            .and_then(|row| row.get("Id").and_then(Value::as_str).map(RemoteRef::id)))
    };
    let create = || async {
        let mut body = Map::new();
        body.insert("ParentId".into(), record.to_string().into());
        body.insert(body_field.into(), text.clone().into());
        if kind == SalesforceCommentKind::CaseComment {
            body.insert("IsPublished".into(), false.into());
        } else {
            body.insert("Type".into(), "TextPost".into());
        }
        Ok(RemoteRef::id(
            sf.create(surface_object, &body).await?.to_string(),
        ))
    };
    match create_once(session, intent, find, create, |_| Vec::new()).await {
        Ok(_) => Ok(()),
        Err(CreateFailed::Link(e)) => Err(e.into()),
        Err(CreateFailed::Remote(e)) => Err(e),
    }
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
    match create_once(session, intent, find, create, |_| Vec::new()).await {
        Ok(_) => Ok(()),
        Err(CreateFailed::Link(e)) => Err(e.into()),
        Err(CreateFailed::Remote(e)) => Err(e),
    }
}
