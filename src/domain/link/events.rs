//! Events of one issue↔record link (stream `link-{id}`): what was linked, what flowed which way,
//! which side won, which remote writes were intended and how they settled.
//!
//! A link's stream is its whole memory. The link actor folds it into state before deciding
//! anything, and an auditor replays it to see every decision with its reasons. The vocabulary
//! belongs to the link aggregate; the event log's catalogue gives it its place there (names,
//! versions, upcasting).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::fields::FieldReason;
use crate::domain::ids::{ItemId, JiraIssueKey, SalesforceId};
use crate::domain::side::Side;

/// Who or what set a change in motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A person in the issue panel.
    Panel,
    /// An admin through the admin API.
    Admin,
    /// The reconciliation scheduler.
    Scheduler,
    /// A Jira webhook.
    Webhook,
    /// The panel's Refresh action.
    Refresh,
    /// Re-driving unsettled work after a restart.
    Recovery,
}

/// How a link came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkOrigin {
    /// Linked by a person; can be unlinked from the panel.
    Manual,
    /// Created by the scheduler with an auto-created issue; protected in the panel.
    Auto,
}

/// Why status sync chose its winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusReason {
    /// First sync after linking: Salesforce initialises Jira.
    Initial,
    /// The winner's status changed later than the other side's.
    LaterChange,
}

/// Which Salesforce comment surface a comment lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SalesforceCommentKind {
    /// `CaseComment`.
    CaseComment,
    /// `FeedItem` (a post).
    FeedItem,
    /// `FeedComment` (a reply to a post).
    FeedComment,
}

/// A remote create that must happen exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteOperation {
    /// Create the Jira issue for an auto-created link.
    CreateIssue,
    /// Add a Jira comment mirroring a Salesforce one.
    CreateJiraComment,
    /// Add a Salesforce comment mirroring a Jira one.
    CreateSalesforceComment,
    /// Upload a Salesforce file to Jira.
    UploadToJira,
    /// Upload a Jira file to Salesforce.
    UploadToSalesforce,
    /// Write the link note on the Salesforce record.
    WriteLinkNote,
}

impl RemoteOperation {
    /// The operation's name as written in the log (`create_issue`, `write_link_note`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            RemoteOperation::CreateIssue => "create_issue",
            RemoteOperation::CreateJiraComment => "create_jira_comment",
            RemoteOperation::CreateSalesforceComment => "create_salesforce_comment",
            RemoteOperation::UploadToJira => "upload_to_jira",
            RemoteOperation::UploadToSalesforce => "upload_to_salesforce",
            RemoteOperation::WriteLinkNote => "write_link_note",
        }
    }
}

/// How an intended remote write ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Settlement {
    /// We created it; this is its id.
    Created {
        /// Id on the remote side.
        remote_id: String,
    },
    /// After a restart our marker was found: it had been created before the crash.
    FoundExisting {
        /// Id on the remote side.
        remote_id: String,
    },
    /// Given up (for example the source disappeared); nothing was created.
    Abandoned {
        /// Why.
        reason: String,
    },
}

impl Settlement {
    /// The remote object's id, when one was created or found.
    pub fn remote_id(&self) -> Option<&str> {
        match self {
            Settlement::Created { remote_id } | Settlement::FoundExisting { remote_id } => {
                Some(remote_id)
            }
            Settlement::Abandoned { .. } => None,
        }
    }
}

/// Payload of `link.linked` (v2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linked {
    /// The Smart Connected Item this link belongs to.
    pub item_id: ItemId,
    /// The Jira issue.
    pub issue_key: JiraIssueKey,
    /// Jira's numeric issue id, stable across key changes (v1 did not record it).
    pub issue_id: Option<String>,
    /// The Salesforce record.
    pub record_id: SalesforceId,
    /// Its object, e.g. `Case`.
    pub object: String,
    /// Manual or automatic.
    pub origin: LinkOrigin,
    /// What made it.
    pub trigger: Trigger,
}

/// Payload of `link.unlinked`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unlinked {
    /// What unlinked it.
    pub trigger: Trigger,
    /// Why, if given.
    pub reason: Option<String>,
}

/// Payload of `link.record_observed`: the Salesforce values last read, for the panel preview.
/// Written only when they differ from the previous observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordObserved {
    /// Field API name → value as Salesforce returned it.
    pub values: serde_json::Map<String, Value>,
    /// The record's `SystemModstamp` at reading.
    pub system_modstamp: Option<DateTime<Utc>>,
    /// Salesforce's clock when the read answered (to the second), when known. Salesforce
    /// stamps to the second: once this is a later second than `system_modstamp`, no edit can
    /// share that stamp, so a record read again with the same stamp holds nothing new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
    /// What caused the read.
    pub trigger: Trigger,
}

/// Payload of `link.field_pulled`: a Salesforce value written to Jira.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldPulled {
    /// Source field.
    pub salesforce_field: String,
    /// Target field.
    pub jira_field: String,
    /// The value as written to Jira.
    pub value: Value,
    /// Fingerprint of what was written, to recognise it when it comes back.
    pub fingerprint: String,
    /// Salesforce's `SystemModstamp` of the source record.
    pub source_modstamp: Option<DateTime<Utc>>,
    /// Why Salesforce's value held (v2).
    pub reason: FieldReason,
    /// When Jira's value had last changed, when it had changed too (v2).
    pub jira_changed_at: Option<DateTime<Utc>>,
}

/// Payload of `link.field_pushed`: a Jira value written to Salesforce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldPushed {
    /// Source field.
    pub jira_field: String,
    /// Target field.
    pub salesforce_field: String,
    /// The value as written to Salesforce.
    pub value: Value,
    /// Fingerprint of what was written.
    pub fingerprint: String,
    /// When the field last changed in Jira (its newest changelog entry, else the issue's
    /// `updated`).
    pub source_updated: Option<DateTime<Utc>>,
    /// Why Jira's value held (v2).
    pub reason: FieldReason,
    /// The record's `SystemModstamp` read just before the write (v2).
    pub salesforce_modstamp: Option<DateTime<Utc>>,
    /// Fingerprint of the Salesforce value the write replaced (v2): a snapshot stamped at or
    /// before `salesforce_modstamp` that still shows it predates this write and is not news.
    pub replaced_fingerprint: Option<String>,
}

/// Payload of `link.field_in_step`: both sides were found holding the same value of a mapped
/// field although the link remembered another (people typed the same thing on both sides, or a
/// new link or mapping met equal values); remembered so that neither side writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldInStep {
    /// Salesforce field.
    pub salesforce_field: String,
    /// Jira field.
    pub jira_field: String,
    /// Fingerprint of the Salesforce form of the value both hold.
    pub fingerprint: String,
    /// The record's `SystemModstamp` when it was read.
    pub salesforce_modstamp: Option<DateTime<Utc>>,
}

/// Payload of `link.status_won`: which side's status prevailed, with both sides' evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusWon {
    /// The side whose status now holds on both.
    pub winner: Side,
    /// Why it won.
    pub reason: StatusReason,
    /// Salesforce's status-like value at decision time.
    pub salesforce_value: Option<String>,
    /// Jira's status name at decision time.
    pub jira_value: Option<String>,
    /// When Salesforce's value last changed.
    pub salesforce_changed_at: Option<DateTime<Utc>>,
    /// When Jira's status last changed.
    pub jira_changed_at: Option<DateTime<Utc>>,
    /// The value written on the losing side (None when nothing needed writing).
    pub written: Option<String>,
}

/// Payload of `link.status_not_written`: no safe status existed on the target side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusNotWritten {
    /// The side that was not written.
    pub target: Side,
    /// The value that could not be matched.
    pub source_value: String,
    /// Why nothing was written, for people.
    pub reason: String,
}

/// Payload of `link.comment_paired`: a comment now exists on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentPaired {
    /// Where the comment was first written.
    pub origin: Side,
    /// Salesforce record(s) holding it (several when split to fit a size limit).
    pub salesforce_ids: Vec<SalesforceId>,
    /// Which Salesforce surface.
    pub salesforce_kind: SalesforceCommentKind,
    /// Jira comment id.
    pub jira_comment_id: String,
    /// Fingerprint of the original text.
    pub fingerprint: String,
}

/// Payload of `link.comment_updated`: an edit mirrored onto the paired comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentUpdated {
    /// Where the edit was made.
    pub origin: Side,
    /// Jira comment id.
    pub jira_comment_id: String,
    /// Salesforce record updated.
    pub salesforce_id: SalesforceId,
    /// Fingerprint of the new text.
    pub fingerprint: String,
}

/// Payload of `link.attachment_paired`: a file now exists on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentPaired {
    /// Where the file was first.
    pub origin: Side,
    /// Salesforce `ContentDocument` id.
    pub content_document_id: Option<SalesforceId>,
    /// Salesforce `ContentVersion` id.
    pub content_version_id: SalesforceId,
    /// Jira attachment id.
    pub jira_attachment_id: String,
    /// File name.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
}

/// Payload of `link.attachment_skipped`: a file that will not be copied, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentSkipped {
    /// Where the file is.
    pub origin: Side,
    /// Its id there.
    pub source_id: String,
    /// File name.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
    /// Why it was skipped, for people.
    pub reason: String,
}

/// Payload of `link.note_written`: the link note now stands on the Salesforce record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkNoteWritten {
    /// The note's record id.
    pub salesforce_id: SalesforceId,
    /// Which surface holds it.
    pub kind: SalesforceCommentKind,
}

/// Payload of `link.sync_failed`: an operation failed; whether and when it will be retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncFailed {
    /// What was being done, e.g. `push_fields`.
    pub operation: String,
    /// The remote system's message.
    pub error: String,
    /// Whether a retry can succeed.
    pub will_retry: bool,
    /// Attempts so far, this one included.
    pub attempt: u32,
    /// When the next attempt is due.
    pub next_retry_at: Option<DateTime<Utc>>,
}

/// Payload of `link.issue_read`: the linked issue was read and everything it showed was handled,
/// as of its `updated` time. A later sweep that finds the issue no newer costs no call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRead {
    /// The issue's `updated` as read.
    pub updated: DateTime<Utc>,
    /// What caused the read.
    pub trigger: Trigger,
}

/// Payload of `link.failure_dismissed`: an admin dismissed a failure from the dead-letter list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureDismissed {
    /// The operation whose failure was dismissed.
    pub operation: String,
    /// Who dismissed it.
    pub trigger: Trigger,
}

/// What an intent's create concerns: the source ids, names and sizes that tell it apart (and
/// let the other direction recognise the object as ours before the settlement). Each operation
/// fills the fields it has; the rest are absent from the JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentDetail {
    /// The item (an auto-created issue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<ItemId>,
    /// The record (an auto-created issue, a link note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<SalesforceId>,
    /// The Jira project (an auto-created issue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The Salesforce comment mirrored into Jira.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salesforce_id: Option<SalesforceId>,
    /// The Jira comment mirrored into Salesforce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira_comment_id: Option<String>,
    /// How many parts the mirrored comment has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<usize>,
    /// The Salesforce file (ContentVersion) copied into Jira or noted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_version_id: Option<SalesforceId>,
    /// The Jira attachment copied into Salesforce or noted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira_attachment_id: Option<String>,
    /// The file's name as uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// The file's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The Salesforce object a note is written to (`CaseComment`, `FeedItem`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<String>,
}

/// Payload of `link.remote_write_intended` (v2): recorded durably before a remote create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteWriteIntended {
    /// Id joining the intent to its settlement.
    pub intent_id: Uuid,
    /// What will be created.
    pub operation: RemoteOperation,
    /// Where.
    pub target: Side,
    /// The marker the created object will carry, searched for after a crash.
    pub marker: String,
    /// Operation-specific details (source ids, file names…).
    pub detail: IntentDetail,
    /// When the intent was recorded, just before the first attempt (v2; unknown for v1).
    pub at: Option<DateTime<Utc>>,
}

/// Payload of `link.remote_write_unconfirmed`: a create was sent but its answer was lost (a
/// timeout, a dropped connection, a 5xx, a 429 after sending), and a look for its marker right
/// after did not find it. The object may exist; it is looked for again before any new attempt,
/// and created again only once a lookup can prove it absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteWriteUnconfirmed {
    /// The intent whose create has an unknown outcome.
    pub intent_id: Uuid,
    /// What the client saw instead of an answer.
    pub error: String,
    /// When the attempt failed.
    pub at: DateTime<Utc>,
    /// The first moment an empty lookup proves that the attempt created nothing.
    pub absent_if_unseen_after: DateTime<Utc>,
}

/// Payload of `link.remote_write_settled`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteWriteSettled {
    /// The intent settled.
    pub intent_id: Uuid,
    /// How.
    pub outcome: Settlement,
}

/// Every event of a link stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum LinkEvent {
    /// The issue and the record were linked.
    #[serde(rename = "link.linked")]
    Linked(Linked),
    /// The link was removed.
    #[serde(rename = "link.unlinked")]
    Unlinked(Unlinked),
    /// Salesforce values were read.
    #[serde(rename = "link.record_observed")]
    RecordObserved(RecordObserved),
    /// A Salesforce value was written to Jira.
    #[serde(rename = "link.field_pulled")]
    FieldPulled(FieldPulled),
    /// A Jira value was written to Salesforce.
    #[serde(rename = "link.field_pushed")]
    FieldPushed(FieldPushed),
    /// Both sides already held the same value of a mapped field.
    #[serde(rename = "link.field_in_step")]
    FieldInStep(FieldInStep),
    /// Status sync chose a winner.
    #[serde(rename = "link.status_won")]
    StatusWon(StatusWon),
    /// Status sync found no safe match.
    #[serde(rename = "link.status_not_written")]
    StatusNotWritten(StatusNotWritten),
    /// A comment was mirrored.
    #[serde(rename = "link.comment_paired")]
    CommentPaired(CommentPaired),
    /// A comment edit was mirrored.
    #[serde(rename = "link.comment_updated")]
    CommentUpdated(CommentUpdated),
    /// A file was mirrored.
    #[serde(rename = "link.attachment_paired")]
    AttachmentPaired(AttachmentPaired),
    /// A file was not mirrored.
    #[serde(rename = "link.attachment_skipped")]
    AttachmentSkipped(AttachmentSkipped),
    /// The link note was written to Salesforce.
    #[serde(rename = "link.note_written")]
    LinkNoteWritten(LinkNoteWritten),
    /// The linked issue was read and handled as of its `updated`.
    #[serde(rename = "link.issue_read")]
    IssueRead(IssueRead),
    /// An operation failed.
    #[serde(rename = "link.sync_failed")]
    SyncFailed(SyncFailed),
    /// A failure was dismissed by an admin.
    #[serde(rename = "link.failure_dismissed")]
    FailureDismissed(FailureDismissed),
    /// A remote create is about to happen.
    #[serde(rename = "link.remote_write_intended")]
    RemoteWriteIntended(RemoteWriteIntended),
    /// A remote create's answer was lost; its outcome is unknown.
    #[serde(rename = "link.remote_write_unconfirmed")]
    RemoteWriteUnconfirmed(RemoteWriteUnconfirmed),
    /// A remote create settled.
    #[serde(rename = "link.remote_write_settled")]
    RemoteWriteSettled(RemoteWriteSettled),
}

/// Names of the operations a [`SyncFailed`] can refer to; a later success of the same
/// operation clears the failure.
pub mod operations {
    /// Writing mapped Salesforce values to Jira.
    pub const PULL_FIELDS: &str = "pull_fields";
    /// Writing mapped Jira values to Salesforce.
    pub const PUSH_FIELDS: &str = "push_fields";
    /// Writing a status on either side.
    pub const STATUS: &str = "status";
    /// Mirroring a comment.
    pub const COMMENTS: &str = "comments";
    /// Mirroring a file.
    pub const ATTACHMENTS: &str = "attachments";
    /// Creating the Jira issue of an auto-created link.
    pub const CREATE_ISSUE: &str = "create_issue";
    /// Writing the link note.
    pub const LINK_NOTE: &str = "link_note";
    /// Reading the Salesforce record.
    pub const READ_RECORD: &str = "read_record";
    /// Reading the Jira issue.
    pub const READ_ISSUE: &str = "read_issue";
}

impl LinkEvent {
    /// The event's type as the log names it (`link.linked`, …).
    pub fn name(&self) -> &'static str {
        match self {
            LinkEvent::Linked(_) => "link.linked",
            LinkEvent::Unlinked(_) => "link.unlinked",
            LinkEvent::RecordObserved(_) => "link.record_observed",
            LinkEvent::FieldPulled(_) => "link.field_pulled",
            LinkEvent::FieldPushed(_) => "link.field_pushed",
            LinkEvent::FieldInStep(_) => "link.field_in_step",
            LinkEvent::StatusWon(_) => "link.status_won",
            LinkEvent::StatusNotWritten(_) => "link.status_not_written",
            LinkEvent::CommentPaired(_) => "link.comment_paired",
            LinkEvent::CommentUpdated(_) => "link.comment_updated",
            LinkEvent::AttachmentPaired(_) => "link.attachment_paired",
            LinkEvent::AttachmentSkipped(_) => "link.attachment_skipped",
            LinkEvent::LinkNoteWritten(_) => "link.note_written",
            LinkEvent::IssueRead(_) => "link.issue_read",
            LinkEvent::SyncFailed(_) => "link.sync_failed",
            LinkEvent::FailureDismissed(_) => "link.failure_dismissed",
            LinkEvent::RemoteWriteIntended(_) => "link.remote_write_intended",
            LinkEvent::RemoteWriteUnconfirmed(_) => "link.remote_write_unconfirmed",
            LinkEvent::RemoteWriteSettled(_) => "link.remote_write_settled",
        }
    }

    /// The operation whose earlier failure this event proves resolved, if any.
    pub fn resolves_operation(&self) -> Option<&str> {
        match self {
            LinkEvent::FieldPulled(_) => Some(operations::PULL_FIELDS),
            LinkEvent::FieldPushed(_) => Some(operations::PUSH_FIELDS),
            LinkEvent::StatusWon(_) => Some(operations::STATUS),
            LinkEvent::CommentPaired(_) | LinkEvent::CommentUpdated(_) => {
                Some(operations::COMMENTS)
            }
            LinkEvent::AttachmentPaired(_) | LinkEvent::AttachmentSkipped(_) => {
                Some(operations::ATTACHMENTS)
            }
            LinkEvent::LinkNoteWritten(_) => Some(operations::LINK_NOTE),
            LinkEvent::RecordObserved(_) => Some(operations::READ_RECORD),
            LinkEvent::IssueRead(_) => Some(operations::READ_ISSUE),
            LinkEvent::FailureDismissed(e) => Some(e.operation.as_str()),
            _ => None,
        }
    }
}
