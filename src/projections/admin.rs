//! The admin view: one row per Smart Connected Item with its definition, live links, latest run
//! and what needs attention, plus each item's run history.
//!
//! The admin table and the "Latest Sync" column read this view only, so the page paints fast and
//! never waits on a remote system; "attention required" lists unresolved failures per link with
//! the remote system's own words.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Projection, ProjectionError, Rows};
use crate::domain::ids::{ItemId, JiraIssueKey, LinkId, SalesforceId};
use crate::domain::item::ItemDefinition;
use crate::domain::link::events::{operations, LinkEvent};
use crate::events::item::{ItemContext, ItemEvent};
use crate::events::scheduler::{ItemOutcome, RunCounts, SchedulerEvent, Watermarks};
use crate::events::store::RecordedEvent;
use crate::events::{streams, AnyEvent};

/// The admin projection.
pub struct AdminView;

/// Name of the view.
pub const NAME: &str = "admin";

/// One run of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunRow {
    /// The run.
    pub run_id: Uuid,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: ItemOutcome,
    /// What it did.
    pub counts: RunCounts,
    /// Watermarks after it.
    pub watermarks: Watermarks,
    /// Salesforce calls it made.
    pub salesforce_calls: u64,
}

/// Something an admin should look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attention {
    /// The link.
    pub link_id: LinkId,
    /// Its issue.
    pub issue_key: Option<JiraIssueKey>,
    /// Its record.
    pub record_id: Option<SalesforceId>,
    /// The operation that failed.
    pub operation: String,
    /// Why, in the remote system's words.
    pub error: String,
    /// Whether it will be retried.
    pub will_retry: bool,
    /// Attempts so far.
    pub attempt: u32,
    /// When the next attempt is due.
    pub next_retry_at: Option<DateTime<Utc>>,
    /// When it failed.
    pub at: DateTime<Utc>,
}

/// One item's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminItem {
    /// The item.
    pub item_id: ItemId,
    /// Its definition.
    pub definition: ItemDefinition,
    /// Labels and baseline from its last save.
    pub context: ItemContext,
    /// Warnings from its last save.
    pub warnings: Vec<String>,
    /// Stream version of the item (for optimistic edits).
    pub version: u64,
    /// When it was defined.
    pub defined_at: DateTime<Utc>,
    /// When it was last changed.
    pub changed_at: DateTime<Utc>,
    /// Live links.
    pub live_links: u64,
    /// The latest run, if any.
    pub latest_run: Option<RunRow>,
    /// The last recorded watermark of each feed.
    pub watermarks: Watermarks,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LinkMembership {
    item_id: ItemId,
    issue_key: Option<JiraIssueKey>,
    record_id: SalesforceId,
}

/// Key of an item row.
pub fn item_key(item: ItemId) -> String {
    format!("item/{item}")
}

/// Prefix of all item rows.
pub const ITEMS: &str = "item/";

/// Prefix of an item's attention rows.
pub fn attention_prefix(item: ItemId) -> String {
    format!("attention/{item}/")
}

/// Prefix of an item's runs, oldest first.
pub fn runs_prefix(item: ItemId) -> String {
    format!("run/{item}/")
}

fn membership_key(link: LinkId) -> String {
    format!("linkitem/{link}")
}

impl Projection for AdminView {
    fn name(&self) -> &'static str {
        NAME
    }

    fn version(&self) -> u32 {
        1
    }

    fn apply(
        &self,
        event: &RecordedEvent,
        decoded: &AnyEvent,
        rows: &mut Rows<'_>,
    ) -> Result<(), ProjectionError> {
        match decoded {
            AnyEvent::Item(item_event) => {
                if let Some(item_id) = streams::item_id_of(&event.stream) {
                    apply_item(event, item_id, item_event, rows)?;
                }
            }
            AnyEvent::Link(link_event) => {
                if let Some(link_id) = streams::link_id_of(&event.stream) {
                    apply_link(event, link_id, link_event, rows)?;
                }
            }
            AnyEvent::Scheduler(SchedulerEvent::RunFinished(finished)) => {
                for run in &finished.items {
                    let row = RunRow {
                        run_id: finished.run_id,
                        finished_at: event.recorded_at,
                        outcome: run.outcome.clone(),
                        counts: run.counts,
                        watermarks: run.watermarks.clone(),
                        salesforce_calls: run.salesforce_calls,
                    };
                    rows.put_json(
                        &format!("{}{:020}", runs_prefix(run.item_id), event.seq),
                        &row,
                    );
                    let key = item_key(run.item_id);
                    if let Some(mut item) = rows.get_json::<AdminItem>(&key)? {
                        item.watermarks = Watermarks {
                            records: run.watermarks.records.or(item.watermarks.records),
                            records_last_id: match run.watermarks.records {
                                Some(_) => run.watermarks.records_last_id.clone(),
                                None => item.watermarks.records_last_id.clone(),
                            },
                            records_read_at: run
                                .watermarks
                                .records_read_at
                                .or(item.watermarks.records_read_at),
                            comments: run.watermarks.comments.or(item.watermarks.comments),
                            files: run.watermarks.files.or(item.watermarks.files),
                            jira: run.watermarks.jira.or(item.watermarks.jira),
                            jira_read_at: run
                                .watermarks
                                .jira_read_at
                                .or(item.watermarks.jira_read_at),
                        };
                        item.latest_run = Some(row);
                        rows.put_json(&key, &item);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn apply_item(
    event: &RecordedEvent,
    item_id: ItemId,
    item_event: &ItemEvent,
    rows: &mut Rows<'_>,
) -> Result<(), ProjectionError> {
    let key = item_key(item_id);
    match item_event {
        ItemEvent::Defined(e) => rows.put_json(
            &key,
            &AdminItem {
                item_id,
                definition: e.definition.clone(),
                context: e.context.clone(),
                warnings: e.warnings.clone(),
                version: event.version,
                defined_at: event.recorded_at,
                changed_at: event.recorded_at,
                live_links: 0,
                latest_run: None,
                watermarks: Watermarks::default(),
            },
        ),
        ItemEvent::Changed(e) => {
            if let Some(mut item) = rows.get_json::<AdminItem>(&key)? {
                item.definition = e.definition.clone();
                item.context = e.context.clone();
                item.warnings = e.warnings.clone();
                item.version = event.version;
                item.changed_at = event.recorded_at;
                rows.put_json(&key, &item);
            }
        }
        ItemEvent::Deleted(_) => {
            rows.delete(key);
            for (k, _) in rows.scan_prefix(attention_prefix(item_id).as_bytes())? {
                rows.delete(k);
            }
        }
    }
    Ok(())
}

fn apply_link(
    event: &RecordedEvent,
    link_id: LinkId,
    link_event: &LinkEvent,
    rows: &mut Rows<'_>,
) -> Result<(), ProjectionError> {
    if let LinkEvent::Linked(e) = link_event {
        rows.put_json(
            &membership_key(link_id),
            &LinkMembership {
                item_id: e.item_id,
                issue_key: Some(e.issue_key.clone()),
                record_id: e.record_id.clone(),
            },
        );
        adjust_links(rows, e.item_id, 1)?;
        return Ok(());
    }
    // Before an auto-created issue exists, its failures still belong to the item.
    if let LinkEvent::RemoteWriteIntended(e) = link_event {
        let known = rows
            .get_json::<LinkMembership>(&membership_key(link_id))?
            .is_some();
        if let (false, Some(item_id), Some(record_id)) =
            (known, e.detail.item_id, e.detail.record_id.clone())
        {
            rows.put_json(
                &membership_key(link_id),
                &LinkMembership {
                    item_id,
                    issue_key: None,
                    record_id,
                },
            );
        }
        return Ok(());
    }
    let Some(member) = rows.get_json::<LinkMembership>(&membership_key(link_id))? else {
        return Ok(());
    };
    let attention_key =
        |operation: &str| format!("{}{link_id}/{operation}", attention_prefix(member.item_id));
    if let Some(operation) = link_event.resolves_operation() {
        rows.delete(attention_key(operation));
    }
    match link_event {
        LinkEvent::Unlinked(_) => {
            adjust_links(rows, member.item_id, -1)?;
            let prefix = format!("{}{link_id}/", attention_prefix(member.item_id));
            for (k, _) in rows.scan_prefix(prefix.as_bytes())? {
                rows.delete(k);
            }
            rows.delete(membership_key(link_id));
        }
        LinkEvent::SyncFailed(e) => rows.put_json(
            &attention_key(&e.operation),
            &Attention {
                link_id,
                issue_key: member.issue_key.clone(),
                record_id: Some(member.record_id.clone()),
                operation: e.operation.clone(),
                error: e.error.clone(),
                will_retry: e.will_retry,
                attempt: e.attempt,
                next_retry_at: e.next_retry_at,
                at: event.recorded_at,
            },
        ),
        LinkEvent::StatusNotWritten(e) => rows.put_json(
            &attention_key(operations::STATUS),
            &Attention {
                link_id,
                issue_key: member.issue_key.clone(),
                record_id: Some(member.record_id.clone()),
                operation: operations::STATUS.into(),
                error: e.reason.clone(),
                will_retry: false,
                attempt: 1,
                next_retry_at: None,
                at: event.recorded_at,
            },
        ),
        _ => {}
    }
    Ok(())
}

fn adjust_links(rows: &mut Rows<'_>, item: ItemId, delta: i64) -> Result<(), ProjectionError> {
    let key = item_key(item);
    if let Some(mut row) = rows.get_json::<AdminItem>(&key)? {
        row.live_links = row.live_links.saturating_add_signed(delta);
        rows.put_json(&key, &row);
    }
    Ok(())
}
