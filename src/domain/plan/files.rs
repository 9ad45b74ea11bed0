//! Files both ways, as plans: which files are new, which are too large to copy (the ceiling,
//! Jira's upload limit), which are our own copies coming back from the other direction, and
//! the notes that say on each side where a file came from or why it was not copied.

use super::comments::record_label;
use super::{CreatedRef, Effect, Plan, Step};
use crate::domain::attachments::{
    decide_transfer, format_attachment_comment, salesforce_upload_names, AttachmentSyncComment,
    SkipReason, TransferDecision,
};
use crate::domain::comments::{format_attachment_note, JiraAttachmentNote};
use crate::domain::ids::{JiraIssueKey, SalesforceId};
use crate::domain::item::ItemDefinition;
use crate::domain::link::events::{
    AttachmentPaired, AttachmentSkipped, LinkEvent, RemoteOperation, RemoteWriteIntended,
    RemoteWriteSettled, SalesforceCommentKind, Settlement,
};
use crate::domain::link::LinkState;
use crate::domain::side::Side;

/// A Salesforce file as read: its latest version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesforceFileSeen {
    /// Its latest ContentVersion.
    pub version_id: SalesforceId,
    /// Its ContentDocument.
    pub document_id: SalesforceId,
    /// Its title.
    pub title: String,
    /// The file name to give it in Jira.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
}

/// A Jira attachment as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraAttachmentSeen {
    /// Jira's attachment id.
    pub id: String,
    /// Its file name.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
}

/// A Salesforce file to copy into the issue, and what its settlement records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileToJira {
    /// The file's version, streamed from Salesforce.
    pub version_id: SalesforceId,
    /// Its ContentDocument.
    pub document_id: SalesforceId,
    /// The name it gets in Jira.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
}

impl FileToJira {
    /// `link.attachment_paired` for the Jira attachment made (or found).
    pub fn settled(&self, created: &CreatedRef) -> Vec<LinkEvent> {
        vec![LinkEvent::AttachmentPaired(AttachmentPaired {
            origin: Side::Salesforce,
            content_document_id: Some(self.document_id.clone()),
            content_version_id: self.version_id.clone(),
            jira_attachment_id: created.id.clone(),
            filename: self.filename.clone(),
            size: self.size,
        })]
    }
}

/// A Jira attachment to copy into the record's Files, and what its settlement records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileToSalesforce {
    /// Jira's attachment id, streamed from Jira.
    pub jira_attachment_id: String,
    /// Its file name in Jira.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
    /// The ContentVersion's title.
    pub title: String,
    /// The ContentVersion's path (the sanitised name).
    pub path: String,
}

impl FileToSalesforce {
    /// `link.attachment_paired` for the ContentVersion made (or found).
    pub fn settled(&self, created: &CreatedRef) -> Vec<LinkEvent> {
        SalesforceId::parse(&created.id)
            .map(|version| {
                vec![LinkEvent::AttachmentPaired(AttachmentPaired {
                    origin: Side::Jira,
                    content_document_id: created
                        .aux
                        .as_deref()
                        .and_then(|d| SalesforceId::parse(d).ok()),
                    content_version_id: version,
                    jira_attachment_id: self.jira_attachment_id.clone(),
                    filename: self.filename.clone(),
                    size: self.size,
                })]
            })
            .unwrap_or_default()
    }
}

/// A note about a file, written once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileNote {
    /// A Jira comment saying where the file came from (or why it was not copied).
    InJira {
        /// Where the file was added first.
        source: Side,
        /// Its id there (a ContentVersion id, a Jira attachment id).
        source_id: String,
        /// The comment's text.
        text: String,
    },
    /// A Salesforce comment saying that a file came from Jira.
    InSalesforce {
        /// The Jira attachment.
        jira_attachment_id: String,
        /// The kind of comment the record takes.
        kind: SalesforceCommentKind,
        /// The comment's text (marked, so it is never mirrored back).
        text: String,
    },
}

/// The text of the Jira comment about a file.
fn jira_note_text(
    filename: &str,
    size: u64,
    origin: Side,
    record: String,
    skipped: Option<SkipReason>,
) -> String {
    format_attachment_comment(&AttachmentSyncComment {
        filename: filename.to_string(),
        size,
        origin,
        record,
        skipped,
    })
}

/// The open intent of `operation` that `matches`, if any.
fn open_intent(
    state: &LinkState,
    operation: RemoteOperation,
    matches: impl Fn(&RemoteWriteIntended) -> bool,
) -> Option<&RemoteWriteIntended> {
    state
        .open_intents
        .values()
        .find(|i| i.operation == operation && matches(i))
}

/// Settles an open intent with an object seen from the other direction (a crash came between
/// its create and its settlement), recording `paired` with it.
fn adopted(intent: &RemoteWriteIntended, remote_id: String, paired: Option<LinkEvent>) -> Step {
    let mut events = vec![LinkEvent::RemoteWriteSettled(RemoteWriteSettled {
        intent_id: intent.intent_id,
        outcome: Settlement::FoundExisting { remote_id },
    })];
    events.extend(paired);
    Step::record(events)
}

/// What the Salesforce → Jira file step sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesToJiraObservation {
    /// The record's new files.
    pub files: Vec<SalesforceFileSeen>,
    /// The object's label (for the note).
    pub object_label: String,
    /// sfjira's size ceiling for a copy.
    pub ceiling: u64,
    /// Jira's upload limit, when [`files_to_jira_need_limit`] asked for it.
    pub upload_limit: Option<u64>,
}

/// The files neither paired nor skipped before.
fn unseen_files<'a>(
    state: &'a LinkState,
    files: &'a [SalesforceFileSeen],
) -> impl Iterator<Item = &'a SalesforceFileSeen> {
    files.iter().filter(|f| {
        !state.attachments_by_salesforce.contains(&f.version_id)
            && !state.skipped.contains(f.version_id.as_str())
    })
}

/// Whether Jira's upload limit must be read: some file is new.
pub fn files_to_jira_need_limit(state: &LinkState, files: &[SalesforceFileSeen]) -> bool {
    state.is_linked() && unseen_files(state, files).next().is_some()
}

/// Plans the Salesforce files to copy into the linked issue: each new one up to the ceiling and
/// Jira's limit is uploaded and noted; a larger one is noted and recorded as skipped; our own
/// upload from Jira (a crash came before its settlement) is adopted.
pub fn plan_files_to_jira(
    state: &LinkState,
    definition: &ItemDefinition,
    seen: &FilesToJiraObservation,
) -> Plan {
    let mut plan = Plan::nothing();
    if !state.is_linked() {
        return plan;
    }
    let record = format!("{} {}", seen.object_label, record_label(state, definition));
    for file in unseen_files(state, &seen.files) {
        let version = file.version_id.to_string();
        let ours = open_intent(state, RemoteOperation::UploadToSalesforce, |i| {
            let uploaded = i.detail.filename.as_deref().unwrap_or_default();
            salesforce_upload_names(uploaded).0 == file.title && i.detail.size == Some(file.size)
        });
        if let Some(intent) = ours {
            let paired = intent.detail.jira_attachment_id.as_ref().map(|jira_id| {
                LinkEvent::AttachmentPaired(AttachmentPaired {
                    origin: Side::Jira,
                    content_document_id: Some(file.document_id.clone()),
                    content_version_id: file.version_id.clone(),
                    jira_attachment_id: jira_id.clone(),
                    filename: file.filename.clone(),
                    size: file.size,
                })
            });
            plan.push(adopted(intent, version, paired));
            continue;
        }
        let note = |skipped| FileNote::InJira {
            source: Side::Salesforce,
            source_id: version.clone(),
            text: jira_note_text(
                &file.filename,
                file.size,
                Side::Salesforce,
                record.clone(),
                skipped,
            ),
        };
        match decide_transfer(file.size, seen.ceiling, seen.upload_limit) {
            TransferDecision::Skip { reason } => plan.push(Step::write(
                Effect::WriteFileNote(note(Some(reason))),
                vec![LinkEvent::AttachmentSkipped(AttachmentSkipped {
                    origin: Side::Salesforce,
                    source_id: version.clone(),
                    filename: file.filename.clone(),
                    size: file.size,
                    reason: reason.to_string(),
                })],
            )),
            TransferDecision::Transfer => {
                plan.push(Step::write(
                    Effect::UploadToJira(FileToJira {
                        version_id: file.version_id.clone(),
                        document_id: file.document_id.clone(),
                        filename: file.filename.clone(),
                        size: file.size,
                    }),
                    Vec::new(),
                ));
                plan.push(
                    Step::write(Effect::WriteFileNote(note(None)), Vec::new()).after_previous(),
                );
            }
        }
    }
    plan
}

/// What the Jira → Salesforce file step sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesToSalesforceObservation {
    /// The issue's attachments.
    pub attachments: Vec<JiraAttachmentSeen>,
    /// The linked issue.
    pub issue_key: JiraIssueKey,
    /// The object's label (for the Jira note).
    pub object_label: String,
    /// The kind of comment the record takes (None: no Salesforce note).
    pub kind: Option<SalesforceCommentKind>,
    /// sfjira's size ceiling for a copy.
    pub ceiling: u64,
}

/// Plans the Jira attachments to copy into the record's Files: each new one up to the ceiling
/// is uploaded, then noted in Salesforce and in Jira; a larger one is recorded as skipped; our
/// own upload from Salesforce (a crash came before its settlement) is adopted.
pub fn plan_files_to_salesforce(
    state: &LinkState,
    definition: &ItemDefinition,
    seen: &FilesToSalesforceObservation,
) -> Plan {
    let mut plan = Plan::nothing();
    let record = format!("{} {}", seen.object_label, record_label(state, definition));
    for attachment in &seen.attachments {
        let id = attachment.id.clone();
        if state.attachments_by_jira.contains_key(&id) || state.skipped.contains(&id) {
            continue;
        }
        let ours = open_intent(state, RemoteOperation::UploadToJira, |i| {
            i.detail.filename.as_deref() == Some(attachment.filename.as_str())
                && i.detail.size == Some(attachment.size)
        });
        if let Some(intent) = ours {
            let paired = intent.detail.content_version_id.clone().map(|version| {
                LinkEvent::AttachmentPaired(AttachmentPaired {
                    origin: Side::Salesforce,
                    content_document_id: None,
                    content_version_id: version,
                    jira_attachment_id: id.clone(),
                    filename: attachment.filename.clone(),
                    size: attachment.size,
                })
            });
            plan.push(adopted(intent, id, paired));
            continue;
        }
        match decide_transfer(attachment.size, seen.ceiling, None) {
            TransferDecision::Skip { reason } => {
                plan.push(Step::record(vec![LinkEvent::AttachmentSkipped(
                    AttachmentSkipped {
                        origin: Side::Jira,
                        source_id: id.clone(),
                        filename: attachment.filename.clone(),
                        size: attachment.size,
                        reason: reason.to_string(),
                    },
                )]))
            }
            TransferDecision::Transfer => {
                plan_one_to_salesforce(&mut plan, seen, attachment, record.clone())
            }
        }
    }
    plan
}

/// The upload of one attachment, then its notes: in Salesforce (when the record takes
/// comments), then in Jira.
fn plan_one_to_salesforce(
    plan: &mut Plan,
    seen: &FilesToSalesforceObservation,
    attachment: &JiraAttachmentSeen,
    record: String,
) {
    let (title, path) = salesforce_upload_names(&attachment.filename);
    plan.push(Step::write(
        Effect::UploadToSalesforce(FileToSalesforce {
            jira_attachment_id: attachment.id.clone(),
            filename: attachment.filename.clone(),
            size: attachment.size,
            title,
            path,
        }),
        Vec::new(),
    ));
    if let Some(kind) = seen.kind {
        let text = format_attachment_note(&JiraAttachmentNote {
            jira_attachment_id: attachment.id.clone(),
            filename: attachment.filename.clone(),
            issue_key: seen.issue_key.clone(),
        });
        plan.push(
            Step::write(
                Effect::WriteFileNote(FileNote::InSalesforce {
                    jira_attachment_id: attachment.id.clone(),
                    kind,
                    text,
                }),
                Vec::new(),
            )
            .after_previous(),
        );
    }
    let text = jira_note_text(
        &attachment.filename,
        attachment.size,
        Side::Jira,
        record,
        None,
    );
    plan.push(
        Step::write(
            Effect::WriteFileNote(FileNote::InJira {
                source: Side::Jira,
                source_id: attachment.id.clone(),
                text,
            }),
            Vec::new(),
        )
        .after_previous(),
    );
}

#[cfg(test)]
mod tests;
