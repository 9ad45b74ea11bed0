//! Events of the reconciliation scheduler (stream `scheduler`): runs and their outcomes.
//!
//! A run's finish carries each item's new watermark; the next incremental query starts from the
//! last watermark recorded here, so a crash mid-run re-reads the window instead of skipping it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::codec::Catalogued;
use crate::domain::ids::{ItemId, SalesforceId};

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    /// The periodic tick.
    Scheduled,
    /// An admin's "sync now".
    Manual,
}

/// Counts of what one item's reconciliation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunCounts {
    /// Salesforce records in the window.
    pub records_seen: u64,
    /// Jira issues auto-created.
    pub issues_created: u64,
    /// Field values written to Jira.
    pub fields_pulled: u64,
    /// Field values written to Salesforce (two-way items; v2).
    #[serde(default)]
    pub fields_pushed: u64,
    /// Status values written.
    pub statuses_written: u64,
    /// Comments mirrored.
    pub comments_paired: u64,
    /// Files mirrored.
    pub attachments_paired: u64,
    /// Files skipped.
    pub attachments_skipped: u64,
    /// Operations that failed.
    pub failures: u64,
}

/// How one item's reconciliation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemOutcome {
    /// Every record of the window was handled.
    Completed,
    /// Some records could not be handled; the watermark did not pass them.
    Partial {
        /// Why.
        reason: String,
    },
    /// Skipped to protect the Salesforce API budget.
    Paused {
        /// Why.
        reason: String,
    },
    /// Nothing could be done.
    Failed {
        /// The error.
        error: String,
    },
}

/// Where the next incremental queries of an item start: one position per feed, because a new
/// comment or file does not move its record's `SystemModstamp`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Watermarks {
    /// Records: `SystemModstamp` of the last record handled in order.
    pub records: Option<DateTime<Utc>>,
    /// Records: `Id` of that last record, to tell apart records sharing its `SystemModstamp`.
    #[serde(default)]
    pub records_last_id: Option<SalesforceId>,
    /// Salesforce's clock when the records query answered. Once it is an overlap past the
    /// records watermark, no transaction committed late can still appear behind the watermark,
    /// so the next window starts at the watermark itself instead of an overlap before it.
    #[serde(default)]
    pub records_read_at: Option<DateTime<Utc>>,
    /// Comments (CaseComment, FeedItem, FeedComment): `CreatedDate` of the last one handled.
    pub comments: Option<DateTime<Utc>>,
    /// Files (ContentVersion): `CreatedDate` of the last one handled.
    pub files: Option<DateTime<Utc>>,
    /// Jira: `updated` of the last linked issue swept, for changes a webhook did not bring.
    #[serde(default)]
    pub jira: Option<DateTime<Utc>>,
    /// When the last Jira sweep ran. Once it is an overlap (plus the search index's lag) past
    /// the Jira watermark, nothing can still appear behind the watermark, so the next sweep
    /// starts at the watermark itself instead of an overlap before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira_read_at: Option<DateTime<Utc>>,
}

/// One item's part of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemRun {
    /// The item.
    pub item_id: ItemId,
    /// How it ended.
    pub outcome: ItemOutcome,
    /// What it did.
    pub counts: RunCounts,
    /// The item's watermarks after this run (unchanged where something could not be handled).
    pub watermarks: Watermarks,
    /// Salesforce API calls made.
    pub salesforce_calls: u64,
}

/// Payload of `scheduler.run_started`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStarted {
    /// Correlation id of everything the run causes.
    pub run_id: Uuid,
    /// What started it.
    pub trigger: RunTrigger,
    /// Items it will reconcile.
    pub items: Vec<ItemId>,
}

/// Payload of `scheduler.run_finished`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFinished {
    /// The run.
    pub run_id: Uuid,
    /// Per-item results.
    pub items: Vec<ItemRun>,
    /// Wall time taken, in milliseconds.
    pub duration_ms: u64,
}

/// Every event of the scheduler stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum SchedulerEvent {
    /// A run began.
    #[serde(rename = "scheduler.run_started")]
    RunStarted(RunStarted),
    /// A run ended.
    #[serde(rename = "scheduler.run_finished")]
    RunFinished(RunFinished),
}

impl Catalogued for SchedulerEvent {
    const PREFIX: &'static str = "scheduler.";

    fn event_type(&self) -> &'static str {
        match self {
            SchedulerEvent::RunStarted(_) => "scheduler.run_started",
            SchedulerEvent::RunFinished(_) => "scheduler.run_finished",
        }
    }
}
