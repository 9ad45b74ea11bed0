//! Units of sync work that run inside a link's actor, one at a time per link.
//!
//! Each unit observes (reads what the remote sides show, with as few calls as the rules need),
//! asks a pure planner in [`crate::domain::plan`] what to do, and hands the plan to
//! [`execute`], which performs its effects and records its events. Remote creates go through an
//! intent ([`intent`]): `link.remote_write_intended` is durable before the call,
//! `link.remote_write_settled` after it, and a unit finding an unsettled intent (a crash
//! happened in between) first looks for the marker the created object carries and only creates
//! when it is absent. Failures of one step are recorded as `link.sync_failed` and do not stop
//! the other steps; a failure that a retry can fix marks the record as not handled, so the
//! item's watermark waits for it.

pub mod execute;
mod file_note;
pub mod intent;
pub mod jira_to_salesforce;
pub mod manual_link;
pub mod note;
pub mod salesforce_to_jira;
pub mod seen;
pub mod status;

use std::sync::Arc;

use crate::actors::link::{LinkError, LinkSession};
use crate::connectors::salesforce::Record;
use crate::domain::ids::{ItemId, JiraIssueKey};
use crate::domain::item::ItemDefinition;
use crate::domain::link::events::{LinkEvent, SyncFailed};
use crate::events::item::ItemContext;

use super::fetch::{FoundComment, FoundFile};
use super::SyncError;

/// An item as work sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSnapshot {
    /// Its id.
    pub id: ItemId,
    /// Its definition.
    pub definition: ItemDefinition,
    /// Its labels and baseline.
    pub context: ItemContext,
}

/// What is new on the Salesforce side for one record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordChanges {
    /// The record's current values, when it changed (or was read for a refresh).
    pub record: Option<Record>,
    /// Comments created since the last look.
    pub comments: Vec<FoundComment>,
    /// Files created since the last look.
    pub files: Vec<FoundFile>,
    /// Salesforce's clock when `record` was read, when known.
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What one unit of work did, for the run's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkOutcome {
    /// The Jira issue was created.
    pub issue_created: bool,
    /// Field values written to Jira.
    pub fields_pulled: u64,
    /// Field values written to Salesforce.
    pub fields_pushed: u64,
    /// Status values written (either side).
    pub statuses_written: u64,
    /// Comments mirrored.
    pub comments_paired: u64,
    /// Files mirrored.
    pub attachments_paired: u64,
    /// Files skipped.
    pub attachments_skipped: u64,
    /// Steps that failed.
    pub failures: u64,
    /// A failed step can succeed later: the record is not handled yet.
    pub retry_needed: bool,
}

impl WorkOutcome {
    /// Adds another outcome's counts.
    pub fn add(&mut self, other: WorkOutcome) {
        self.issue_created |= other.issue_created;
        self.fields_pulled += other.fields_pulled;
        self.fields_pushed += other.fields_pushed;
        self.statuses_written += other.statuses_written;
        self.comments_paired += other.comments_paired;
        self.attachments_paired += other.attachments_paired;
        self.attachments_skipped += other.attachments_skipped;
        self.failures += other.failures;
        self.retry_needed |= other.retry_needed;
    }
}

/// The live issue of a session's link, or why there is none.
pub fn issue_of(session: &LinkSession) -> Option<JiraIssueKey> {
    session.state().link.as_ref().map(|l| l.issue_key.clone())
}

/// Records a failed step and notes it in the outcome; the work goes on with other steps.
pub async fn record_failure(
    engine: &super::Engine,
    session: &mut LinkSession,
    outcome: &mut WorkOutcome,
    operation: &str,
    error: &SyncError,
) -> Result<(), LinkError> {
    let will_retry = error.is_retryable();
    engine.throttle.note(error);
    let attempt = session
        .state()
        .failures
        .get(operation)
        .map_or(1, |f| f.attempt.saturating_add(1));
    tracing::warn!(link_id = %session.link_id(), operation, %error, will_retry, "sync step failed");
    outcome.failures += 1;
    outcome.retry_needed |= will_retry;
    session
        .record(vec![LinkEvent::SyncFailed(SyncFailed {
            operation: operation.to_string(),
            error: error.to_string(),
            will_retry,
            attempt,
            next_retry_at: will_retry.then(|| {
                chrono::Utc::now()
                    + chrono::Duration::seconds(engine.settings.sync.interval_secs as i64)
            }),
        })])
        .await?;
    Ok(())
}

/// Reads a record's values and (when the item mirrors them) all its comments and files: what a
/// manual link, a Refresh or a retry applies.
pub async fn record_changes(
    engine: &super::Engine,
    definition: &ItemDefinition,
    record: &crate::domain::ids::SalesforceId,
) -> Result<Option<RecordChanges>, SyncError> {
    use super::fetch::{self, Scope};
    let sf = engine.salesforce()?;
    let Some(values) = fetch::one_record(&sf, definition, record).await? else {
        return Ok(None);
    };
    let mut changes = RecordChanges {
        record: Some(values),
        ..RecordChanges::default()
    };
    if definition.mode.synchronises() && definition.options.comments_sync {
        let describe = super::metadata::describe(engine, &definition.object).await?;
        let feed = describe.as_ref().is_some_and(|d| d.object.feed_enabled);
        let model = crate::domain::catalog::comment_model(&definition.object, Some(feed));
        changes.comments = fetch::comments(&sf, model, feed, None, Scope::Record(record))
            .await?
            .found;
    }
    if definition.mode.synchronises() && definition.options.attachments_sync {
        changes.files = fetch::files_of_record(&sf, record).await?;
    }
    Ok(Some(changes))
}

/// Shared handle on the engine for work units.
pub type EngineRef = Arc<super::Engine>;
