//! Events told as sentences: what happened, on which side, and why.
//!
//! The audit timeline projection, `sfjira audit replay` and the link history page all describe
//! events the same way, from this one pure function, so what an auditor reads on the command
//! line is what an admin reads on the page.

use serde::{Deserialize, Serialize};

use crate::domain::fields::FieldReason;
use crate::domain::link::events::{
    AttachmentPaired, AttachmentSkipped, CommentPaired, CommentUpdated, FailureDismissed,
    FieldInStep, FieldPulled, FieldPushed, IssueRead, LinkEvent, LinkNoteWritten, LinkOrigin,
    Linked, RecordObserved, RemoteOperation, RemoteWriteIntended, RemoteWriteSettled,
    RemoteWriteUnconfirmed, SalesforceCommentKind, Settlement, StatusNotWritten, StatusReason,
    StatusWon, SyncFailed, Trigger, Unlinked,
};
use crate::domain::side::Side;
use crate::events::connection::ConnectionEvent;
use crate::events::item::ItemEvent;
use crate::events::scheduler::{ItemOutcome, RunTrigger, SchedulerEvent};
use crate::events::webhook::WebhookEvent;
use crate::events::AnyEvent;

/// One event told for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Description {
    /// The side that was written or that acted, when one was.
    pub side: Option<Side>,
    /// What happened.
    pub summary: String,
    /// Why, when the event carries a reason.
    pub why: Option<String>,
}

fn trigger_text(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::Panel => "from the issue panel",
        Trigger::Admin => "by an admin",
        Trigger::Scheduler => "by the scheduler",
        Trigger::Webhook => "on a Jira webhook",
        Trigger::Refresh => "on Refresh",
        Trigger::Recovery => "while recovering after a restart",
    }
}

fn comment_surface(kind: SalesforceCommentKind) -> &'static str {
    match kind {
        SalesforceCommentKind::CaseComment => "CaseComment",
        SalesforceCommentKind::FeedItem => "FeedItem",
        SalesforceCommentKind::FeedComment => "FeedComment",
    }
}

fn operation_text(operation: RemoteOperation) -> &'static str {
    match operation {
        RemoteOperation::CreateIssue => "create the Jira issue",
        RemoteOperation::CreateJiraComment => "add a Jira comment",
        RemoteOperation::CreateSalesforceComment => "add a Salesforce comment",
        RemoteOperation::UploadToJira => "upload a file to Jira",
        RemoteOperation::UploadToSalesforce => "upload a file to Salesforce",
        RemoteOperation::WriteLinkNote => "write the link note in Salesforce",
    }
}

/// Human size: `2.0 KB`, `12.0 MB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn shown(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Tells a link event: a dispatch to one sentence-maker per event, grouped below by family.
fn describe_link(event: &LinkEvent) -> Description {
    match event {
        LinkEvent::Linked(e) => linked(e),
        LinkEvent::Unlinked(e) => unlinked(e),
        LinkEvent::RecordObserved(e) => record_observed(e),
        LinkEvent::FieldPulled(e) => field_pulled(e),
        LinkEvent::FieldPushed(e) => field_pushed(e),
        LinkEvent::FieldInStep(e) => field_in_step(e),
        LinkEvent::StatusWon(e) => status_won(e),
        LinkEvent::StatusNotWritten(e) => status_not_written(e),
        LinkEvent::CommentPaired(e) => comment_paired(e),
        LinkEvent::CommentUpdated(e) => comment_updated(e),
        LinkEvent::AttachmentPaired(e) => attachment_paired(e),
        LinkEvent::AttachmentSkipped(e) => attachment_skipped(e),
        LinkEvent::LinkNoteWritten(e) => link_note_written(e),
        LinkEvent::IssueRead(e) => issue_read(e),
        LinkEvent::SyncFailed(e) => sync_failed(e),
        LinkEvent::FailureDismissed(e) => failure_dismissed(e),
        LinkEvent::RemoteWriteIntended(e) => remote_write_intended(e),
        LinkEvent::RemoteWriteUnconfirmed(e) => remote_write_unconfirmed(e),
        LinkEvent::RemoteWriteSettled(e) => remote_write_settled(e),
    }
}

// The link itself.

/// `Linked SUP-1 to Case 500… (manual, from the issue panel)`.
fn linked(e: &Linked) -> Description {
    let origin = match e.origin {
        LinkOrigin::Manual => "manual",
        LinkOrigin::Auto => "auto-managed",
    };
    Description {
        side: None,
        summary: format!(
            "Linked {} to {} {} ({}, {})",
            e.issue_key,
            e.object,
            e.record_id,
            origin,
            trigger_text(e.trigger)
        ),
        why: None,
    }
}

/// `Unlinked by an admin`, with the reason given.
fn unlinked(e: &Unlinked) -> Description {
    Description {
        side: None,
        summary: format!("Unlinked {}", trigger_text(e.trigger)),
        why: e.reason.clone(),
    }
}

// Field values.

/// A read of the Salesforce record, with its last modification time.
fn record_observed(e: &RecordObserved) -> Description {
    Description {
        side: Some(Side::Salesforce),
        summary: format!(
            "Read {} Salesforce value(s) {}",
            e.values.len(),
            trigger_text(e.trigger)
        ),
        why: e
            .system_modstamp
            .map(|t| format!("record last modified at {}", t.to_rfc3339())),
    }
}

/// A Salesforce value written to Jira, and why Salesforce's value won.
fn field_pulled(e: &FieldPulled) -> Description {
    Description {
        side: Some(Side::Jira),
        summary: format!(
            "Wrote Salesforce {} to Jira {}: {}",
            e.salesforce_field,
            e.jira_field,
            shown(&e.value)
        ),
        why: Some(field_why(
            Side::Salesforce,
            e.reason,
            e.source_modstamp,
            e.jira_changed_at,
        )),
    }
}

/// A Jira value written to Salesforce, and why Jira's value won.
fn field_pushed(e: &FieldPushed) -> Description {
    Description {
        side: Some(Side::Salesforce),
        summary: format!(
            "Wrote Jira {} to Salesforce {}: {}",
            e.jira_field,
            e.salesforce_field,
            shown(&e.value)
        ),
        why: Some(field_why(
            Side::Jira,
            e.reason,
            e.source_updated,
            e.salesforce_modstamp,
        )),
    }
}

/// Both sides already agreeing on a mapped field.
fn field_in_step(e: &FieldInStep) -> Description {
    Description {
        side: None,
        summary: format!(
            "Salesforce {} and Jira {} already held the same value",
            e.salesforce_field, e.jira_field
        ),
        why: Some("nothing needed writing; the value is remembered as agreed".into()),
    }
}

// Status.

/// The status winner, what was written to the losing side, and why it won.
fn status_won(e: &StatusWon) -> Description {
    let (winner_value, loser_value) = match e.winner {
        Side::Salesforce => (&e.salesforce_value, &e.jira_value),
        Side::Jira => (&e.jira_value, &e.salesforce_value),
    };
    let mut summary = format!(
        "{} status {} won over {} {}",
        e.winner.name(),
        winner_value.as_deref().unwrap_or("(none)"),
        e.winner.other().name(),
        loser_value.as_deref().unwrap_or("(none)"),
    );
    if let Some(written) = &e.written {
        summary.push_str(&format!("; wrote {written} to {}", e.winner.other().name()));
    }
    Description {
        side: Some(e.winner.other()),
        summary,
        why: Some(status_why(e)),
    }
}

/// Why a status won: the first sync after linking, or the later change with both times.
fn status_why(e: &StatusWon) -> String {
    match e.reason {
        StatusReason::Initial => {
            "first sync after linking: Salesforce initialises the status".to_string()
        }
        StatusReason::LaterChange => format!(
            "{} changed at {}, Salesforce at {}, Jira at {}",
            e.winner.name(),
            match e.winner {
                Side::Salesforce => e.salesforce_changed_at,
                Side::Jira => e.jira_changed_at,
            }
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| "an unknown time".into()),
            e.salesforce_changed_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "unknown".into()),
            e.jira_changed_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "unknown".into()),
        ),
    }
}

/// A status that had no safe match on the other side.
fn status_not_written(e: &StatusNotWritten) -> Description {
    Description {
        side: Some(e.target),
        summary: format!(
            "Did not write status {} to {}",
            e.source_value,
            e.target.name()
        ),
        why: Some(e.reason.clone()),
    }
}

// Comments and the link note.

/// A comment mirrored to the other side, with the ids it has on both.
fn comment_paired(e: &CommentPaired) -> Description {
    Description {
        side: Some(e.origin.other()),
        summary: format!(
            "Mirrored a {} comment to {} (Jira comment {}, Salesforce {} {})",
            e.origin.name(),
            e.origin.other().name(),
            e.jira_comment_id,
            comment_surface(e.salesforce_kind),
            e.salesforce_ids
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        why: None,
    }
}

/// A Jira comment edit mirrored to Salesforce.
fn comment_updated(e: &CommentUpdated) -> Description {
    Description {
        side: Some(e.origin.other()),
        summary: format!(
            "Mirrored an edit of Jira comment {} to Salesforce {}",
            e.jira_comment_id, e.salesforce_id
        ),
        why: None,
    }
}

/// The link note written on the Salesforce record.
fn link_note_written(e: &LinkNoteWritten) -> Description {
    Description {
        side: Some(Side::Salesforce),
        summary: format!(
            "Wrote the link note on the Salesforce record ({} {})",
            comment_surface(e.kind),
            e.salesforce_id
        ),
        why: None,
    }
}

/// The issue read and handled as of its `updated`.
fn issue_read(e: &IssueRead) -> Description {
    Description {
        side: Some(Side::Jira),
        summary: format!(
            "Read the Jira issue as of its update at {} ({}); nothing older is read again",
            e.updated.to_rfc3339(),
            trigger_text(e.trigger)
        ),
        why: None,
    }
}

// Files.

/// A file copied to the other side.
fn attachment_paired(e: &AttachmentPaired) -> Description {
    Description {
        side: Some(e.origin.other()),
        summary: format!(
            "Copied file {} ({}) from {} to {}",
            e.filename,
            human_size(e.size),
            e.origin.name(),
            e.origin.other().name()
        ),
        why: None,
    }
}

/// A file not copied, and why.
fn attachment_skipped(e: &AttachmentSkipped) -> Description {
    Description {
        side: Some(e.origin.other()),
        summary: format!(
            "Skipped file {} ({}) from {}",
            e.filename,
            human_size(e.size),
            e.origin.name()
        ),
        why: Some(e.reason.clone()),
    }
}

// Failures.

/// A failed operation, and whether and when it is retried.
fn sync_failed(e: &SyncFailed) -> Description {
    Description {
        side: None,
        summary: format!(
            "{} failed (attempt {}): {}",
            e.operation, e.attempt, e.error
        ),
        why: Some(match (e.will_retry, e.next_retry_at) {
            (true, Some(at)) => format!("will retry at {}", at.to_rfc3339()),
            (true, None) => "will retry".into(),
            (false, _) => "a retry cannot succeed: needs attention".into(),
        }),
    }
}

/// A failure an admin dismissed.
fn failure_dismissed(e: &FailureDismissed) -> Description {
    Description {
        side: None,
        summary: format!(
            "Dismissed the {} failure {}",
            e.operation,
            trigger_text(e.trigger)
        ),
        why: None,
    }
}

// Remote creates, recorded around the call so a crash cannot duplicate them.

/// A remote create about to be sent, with its marker.
fn remote_write_intended(e: &RemoteWriteIntended) -> Description {
    Description {
        side: Some(e.target),
        summary: format!(
            "About to {} (marker {})",
            operation_text(e.operation),
            e.marker
        ),
        why: Some("recorded before the remote call so a crash cannot duplicate it".into()),
    }
}

/// A remote create whose answer was lost, and until when its marker is looked for.
fn remote_write_unconfirmed(e: &RemoteWriteUnconfirmed) -> Description {
    Description {
        side: None,
        summary: format!("The answer to the create was lost ({})", e.error),
        why: Some(format!(
            "looked for its marker instead of sending it again; if still unseen after {}, it was not created",
            e.absent_if_unseen_after.format("%Y-%m-%d %H:%M:%S UTC")
        )),
    }
}

/// How a remote create ended: created, found from an earlier attempt, or abandoned.
fn remote_write_settled(e: &RemoteWriteSettled) -> Description {
    let summary = match &e.outcome {
        Settlement::Created { remote_id } => format!("Created {remote_id}"),
        Settlement::FoundExisting { remote_id } => {
            format!("Found {remote_id}, created by an earlier attempt; not created again")
        }
        Settlement::Abandoned { reason } => format!("Gave up creating: {reason}"),
    };
    Description {
        side: None,
        summary,
        why: None,
    }
}

/// Describes any catalogued event.
pub fn describe(event: &AnyEvent) -> Description {
    let plain = |summary: String| Description {
        side: None,
        summary,
        why: None,
    };
    match event {
        AnyEvent::Link(e) => describe_link(e),
        AnyEvent::Item(ItemEvent::Defined(e)) => plain(format!(
            "Item \"{}\" defined: {} on {} {}",
            e.definition.name,
            e.definition.mode.label(),
            e.definition.object,
            e.definition
                .jira_projects
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        AnyEvent::Item(ItemEvent::Changed(e)) => plain(format!(
            "Item \"{}\" changed: {}",
            e.definition.name,
            e.changed.join(", ")
        )),
        AnyEvent::Item(ItemEvent::Deleted(e)) => {
            plain(format!("Item deleted {}", trigger_text(e.trigger)))
        }
        AnyEvent::Connection(ConnectionEvent::Validated(e)) => plain(format!(
            "Connected to Salesforce org {} ({}) at {}",
            e.org_name, e.org_id, e.instance_url
        )),
        AnyEvent::Connection(ConnectionEvent::Revoked(e)) => plain(format!(
            "Salesforce connection revoked {}",
            trigger_text(e.trigger)
        )),
        AnyEvent::Scheduler(SchedulerEvent::RunStarted(e)) => plain(format!(
            "{} run started for {} item(s)",
            match e.trigger {
                RunTrigger::Scheduled => "Scheduled",
                RunTrigger::Manual => "Manual",
            },
            e.items.len()
        )),
        AnyEvent::Scheduler(SchedulerEvent::RunFinished(e)) => {
            let failed = e
                .items
                .iter()
                .filter(|i| !matches!(i.outcome, ItemOutcome::Completed))
                .count();
            plain(format!(
                "Run finished in {} ms: {} item(s), {} not completed",
                e.duration_ms,
                e.items.len(),
                failed
            ))
        }
        AnyEvent::Webhook(WebhookEvent::Received(e)) => Description {
            side: Some(Side::Jira),
            summary: format!(
                "Received Jira {}{}",
                e.event,
                e.issue_key
                    .as_deref()
                    .map(|k| format!(" for {k}"))
                    .unwrap_or_default()
            ),
            why: None,
        },
    }
}

/// Why a field write won: the rule's sentence, with both change times when both changed.
fn field_why(
    winner: Side,
    reason: FieldReason,
    winner_changed_at: Option<chrono::DateTime<chrono::Utc>>,
    other_changed_at: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let sentence = reason.explain(winner);
    match (reason, winner_changed_at, other_changed_at) {
        (FieldReason::ChangedLater, Some(w), Some(o)) => format!(
            "{sentence} ({winner} at {}, {} at {})",
            w.to_rfc3339(),
            winner.other(),
            o.to_rfc3339()
        ),
        _ => sentence,
    }
}
