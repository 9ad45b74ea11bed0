//! One item's reconciliation: read what changed in Salesforce since the item's watermarks, in
//! bulk, and hand each affected record to its link's actor — or, for a new record of an
//! auto-create item, to the actor of the link it will have.
//!
//! The windows are half-open from the watermark (minus a small overlap, because Salesforce can
//! commit a transaction after a later one has become visible); records seen twice are
//! recognised by the link's memory and cost nothing. A watermark advances only past records
//! that were handled: the first record whose work failed in a way a retry can fix holds the
//! records watermark back, so it is read again next time. Links are looked up in the link
//! index only for the records the run saw (and, in the Jira sweep, `reconcile/sweep.rs`, for
//! the issues it found), never by scanning all of the item's links.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use uuid::Uuid;

use super::fetch::{self, Scope};
use super::work::salesforce_to_jira::create_issue::AutoCreateWork;
use super::work::salesforce_to_jira::PullWork;
use super::work::{ItemSnapshot, RecordChanges, WorkOutcome};
use super::{metadata, Engine, SyncError};
use crate::actors::{LinkLookup, Reconciler};
use crate::connectors::salesforce::{Record, SalesforceClient};
use crate::domain::catalog::comment_model;
use crate::domain::feeds::{
    advance_feed, advance_records, classify, feed_since, records_window, Job, LinkedRecord,
    RecordChange, RecordsMark,
};
use crate::domain::ids::{ItemId, LinkId, SalesforceId};
use crate::domain::link::events::Trigger;
use crate::events::scheduler::{ItemOutcome, ItemRun, RunCounts, Watermarks};
use crate::events::Meta;
use crate::projections::admin::{self, AdminItem};
use crate::projections::links::LinkRow;
use crate::projections::{read_json, scan_json};

mod sweep;

use sweep::{sweep_step, SweepScope};

/// The longest Jira pause a run waits out; a longer one leaves the rest for the next run.
const JIRA_PAUSE_CAP: std::time::Duration = std::time::Duration::from_secs(60);

/// The reconciler the scheduler drives.
pub struct EngineReconciler {
    engine: Arc<Engine>,
}

impl EngineReconciler {
    /// A reconciler over `engine`.
    pub fn new(engine: Arc<Engine>) -> Self {
        Self { engine }
    }
}

#[async_trait]
impl Reconciler for EngineReconciler {
    async fn scheduled_items(&self) -> Result<Vec<ItemId>, String> {
        let view = self.engine.admin_view().map_err(|e| e.to_string())?.view();
        let rows =
            scan_json::<AdminItem>(view.as_ref(), admin::ITEMS).map_err(|e| e.to_string())?;
        Ok(rows
            .into_iter()
            .filter(|(_, item)| item.definition.mode.synchronises())
            .map(|(_, item)| item.item_id)
            .collect())
    }

    async fn reconcile(&self, item: ItemId, run_id: Uuid) -> ItemRun {
        let before = self
            .engine
            .salesforce()
            .map(|c| c.calls_made())
            .unwrap_or(0);
        let result = reconcile_item(self.engine.clone(), item, run_id).await;
        let calls = self
            .engine
            .salesforce()
            .map(|c| c.calls_made().saturating_sub(before))
            .unwrap_or(0);
        match result {
            Ok(mut run) => {
                run.salesforce_calls = calls;
                run
            }
            Err(error) => {
                tracing::warn!(item_id = %item, %error, "reconciliation failed");
                ItemRun {
                    item_id: item,
                    outcome: ItemOutcome::Failed {
                        error: error.to_string(),
                    },
                    counts: RunCounts::default(),
                    watermarks: Watermarks::default(),
                    salesforce_calls: calls,
                }
            }
        }
    }
}

/// The item as the admin view holds it.
pub async fn snapshot(
    engine: &Engine,
    item: ItemId,
) -> Result<(ItemSnapshot, Watermarks), SyncError> {
    let view = engine.admin_view()?.view();
    let row = read_json::<AdminItem>(view.as_ref(), &admin::item_key(item))?
        .ok_or_else(|| SyncError::not_found("item_not_found", format!("no item {item}")))?;
    Ok((
        ItemSnapshot {
            id: item,
            definition: row.definition,
            context: row.context,
        },
        row.watermarks,
    ))
}

/// Reconciles one item: unless Salesforce work is paused, read what changed since the item's
/// watermarks, give each changed record its job, run the jobs on the links' actors, sweep Jira
/// for what no webhook brought, and move the watermarks past what was handled.
pub async fn reconcile_item(
    engine: Arc<Engine>,
    item_id: ItemId,
    run_id: Uuid,
) -> Result<ItemRun, SyncError> {
    let (item, watermarks) = snapshot(&engine, item_id).await?;
    let sf = engine.salesforce()?;
    if let Some(reason) = paused(&engine, &sf) {
        return Ok(ItemRun {
            item_id,
            outcome: ItemOutcome::Paused { reason },
            counts: RunCounts::default(),
            watermarks,
            salesforce_calls: 0,
        });
    }
    let overlap = Duration::seconds(engine.settings.sync.window_overlap_secs as i64);
    let feeds = read_feeds(&engine, &sf, &item, &watermarks, overlap).await?;
    let changes = feeds.changes();
    let lookup = engine.registry.lookup().await?;
    let linked = linked_records(&lookup, item_id, changes.keys())?;
    let jobs = jobs_for(&item, changes, &linked);
    // Links this run creates were not linked when it started: the sweep leaves them alone, as
    // their work has just read their issue.
    let created: BTreeSet<LinkId> = jobs
        .iter()
        .filter_map(|(_, job, _)| match job {
            Job::Create(link) => Some(*link),
            Job::Pull(_) => None,
        })
        .collect();
    let meta = Meta {
        causation_id: None,
        correlation_id: Some(run_id),
    };
    let results = run_jobs(&engine, &item, jobs, meta).await;
    let mut tally = Tally::new(feeds.records.len());
    for (record, result) in results {
        tally.record(record, result);
    }
    let mut next = advance(
        &watermarks,
        &feeds.records,
        &feeds.comments,
        &feeds.files,
        &tally.unhandled,
    );
    next.records_read_at = feeds.read_at.or(watermarks.records_read_at);
    let definition = &item.definition;
    if definition.mode == crate::domain::item::SyncMode::TwoWay
        || definition.options.status_sync.is_some()
    {
        let sweep = SweepScope {
            lookup: &lookup,
            skip: &created,
            meta,
        };
        sweep_step(&engine, &item, &watermarks, sweep, &mut tally, &mut next).await?;
    }
    Ok(ItemRun {
        item_id,
        outcome: tally.outcome(),
        counts: tally.counts,
        watermarks: next,
        salesforce_calls: 0,
    })
}

/// The live links of the changed records in the item, by record: one index read per record
/// the run saw, never a scan of the item's links.
fn linked_records<'a>(
    lookup: &LinkLookup,
    item_id: ItemId,
    records: impl Iterator<Item = &'a SalesforceId>,
) -> Result<BTreeMap<SalesforceId, LinkRow>, SyncError> {
    let mut linked = BTreeMap::new();
    for record in records {
        for row in lookup.for_record_in_item(record, item_id)? {
            linked.insert(record.clone(), row);
        }
    }
    Ok(linked)
}

/// Why scheduled Salesforce work waits, if it does: Salesforce refused for its daily limit, or
/// API usage is above the share set aside for scheduled sync.
fn paused(engine: &Engine, sf: &SalesforceClient) -> Option<String> {
    if let Some(left) = engine
        .throttle
        .paused(crate::domain::side::Side::Salesforce)
    {
        return Some(format!(
            "Salesforce refused with REQUEST_LIMIT_EXCEEDED; Salesforce work resumes in {} min",
            left.as_secs().div_ceil(60)
        ));
    }
    let usage = sf.api_usage()?;
    let share = engine.settings.sync.api_budget_share;
    (usage.share_used() >= share).then(|| {
        format!(
            "Salesforce API usage is {}/{} ({:.0}%), above the {:.0}% set aside for scheduled sync",
            usage.used,
            usage.limit,
            usage.share_used() * 100.0,
            share * 100.0
        )
    })
}

/// What one run read of Salesforce's change feeds.
struct Feeds {
    /// Changed records, oldest first.
    records: Vec<Record>,
    /// Salesforce's clock when the records query answered.
    read_at: Option<DateTime<Utc>>,
    /// New comments, and how far the org-wide feed was read.
    comments: fetch::FeedRead<fetch::FoundComment>,
    /// New files with their records, and how far the org-wide feed was read.
    files: fetch::FeedRead<(SalesforceId, fetch::FoundFile)>,
}

impl Feeds {
    /// What changed, record by record.
    fn changes(&self) -> BTreeMap<SalesforceId, RecordChanges> {
        let mut changes: BTreeMap<SalesforceId, RecordChanges> = BTreeMap::new();
        for record in &self.records {
            if let Some(id) = fetch::record_id(record) {
                changes.entry(id).or_default().record = Some(record.clone());
            }
        }
        for comment in &self.comments.found {
            changes
                .entry(comment.record_id.clone())
                .or_default()
                .comments
                .push(comment.clone());
        }
        for (record, file) in &self.files.found {
            changes
                .entry(record.clone())
                .or_default()
                .files
                .push(file.clone());
        }
        changes
    }
}

/// Reads the item's change feeds from their watermarks (windows per [`records_window`]).
async fn read_feeds(
    engine: &Engine,
    sf: &SalesforceClient,
    item: &ItemSnapshot,
    watermarks: &Watermarks,
    overlap: Duration,
) -> Result<Feeds, SyncError> {
    let definition = &item.definition;
    let baseline = item.context.baseline;
    let describe = metadata::describe(engine, &definition.object)
        .await?
        .ok_or_else(|| {
            SyncError::not_found(
                "object_not_found",
                format!("Salesforce object {} is not visible", definition.object),
            )
        })?;
    let prefix = describe.object.key_prefix.clone();
    let window = records_window(&records_mark(watermarks), baseline, overlap);
    let (records, read_at) = fetch::changed_records(sf, definition, &window).await?;
    let comments = if definition.options.comments_sync {
        let feed = describe.object.feed_enabled;
        let model = comment_model(&definition.object, Some(feed));
        let since = feed_since(
            watermarks.comments,
            watermarks.records_read_at,
            baseline,
            overlap,
        );
        fetch::comments(sf, model, feed, prefix.as_deref(), Scope::Since(since)).await?
    } else {
        fetch::FeedRead::default()
    };
    let files = if definition.options.attachments_sync {
        let since = feed_since(
            watermarks.files,
            watermarks.records_read_at,
            baseline,
            overlap,
        );
        fetch::files_since(sf, prefix.as_deref(), since).await?
    } else {
        fetch::FeedRead::default()
    };
    Ok(Feeds {
        records,
        read_at,
        comments,
        files,
    })
}

/// The job each changed record gets ([`classify`]); records that need none are left out.
fn jobs_for(
    item: &ItemSnapshot,
    changes: BTreeMap<SalesforceId, RecordChanges>,
    linked: &BTreeMap<SalesforceId, LinkRow>,
) -> Vec<(SalesforceId, Job, RecordChanges)> {
    changes
        .into_iter()
        .filter_map(|(record, change)| {
            let seen = RecordChange {
                modstamp: change.record.as_ref().and_then(fetch::modstamp),
                created: change.record.as_ref().and_then(fetch::created),
                has_new_comments_or_files: !change.comments.is_empty() || !change.files.is_empty(),
            };
            let link = linked.get(&record).map(|row| LinkedRecord {
                link_id: row.link_id,
                observed_modstamp: row.observed_modstamp,
            });
            let job = classify(
                item.id,
                &record,
                &seen,
                link.as_ref(),
                item.definition.options.auto_create,
                item.context.baseline,
            )?;
            Some((record, job, change))
        })
        .collect()
}

/// Runs the jobs on their links' actors, a few at a time, waiting out a short Jira pause.
async fn run_jobs(
    engine: &Arc<Engine>,
    item: &ItemSnapshot,
    jobs: Vec<(SalesforceId, Job, RecordChanges)>,
    meta: Meta,
) -> Vec<(SalesforceId, Result<WorkOutcome, SyncError>)> {
    let in_flight = engine.settings.sync.links_in_flight.max(1);
    futures::stream::iter(jobs)
        .map(|(record, job, changes)| {
            let engine = engine.clone();
            let item = item.clone();
            async move {
                let result = run_job(engine, item, job, changes, meta).await;
                (record, result)
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await
}

/// Runs one record's job on its link's actor.
async fn run_job(
    engine: Arc<Engine>,
    item: ItemSnapshot,
    job: Job,
    changes: RecordChanges,
    meta: Meta,
) -> Result<WorkOutcome, SyncError> {
    if !engine.throttle.wait_for_jira(JIRA_PAUSE_CAP).await {
        return Err(SyncError::conflict(
            "jira_paused",
            "Jira asked sfjira to slow down; this record waits for the next run",
            serde_json::Value::Null,
        ));
    }
    let result = match job {
        Job::Pull(link) => {
            let work = PullWork {
                engine: engine.clone(),
                item,
                changes,
                trigger: Trigger::Scheduler,
            };
            engine.registry.run(link, work, meta).await
        }
        Job::Create(link) => {
            let work = AutoCreateWork {
                engine: engine.clone(),
                item,
                changes,
            };
            engine.registry.run(link, work, meta).await
        }
    };
    result.map_err(SyncError::from)
}

/// A run's counts, the records it left unhandled, and what went wrong.
struct Tally {
    counts: RunCounts,
    unhandled: BTreeSet<SalesforceId>,
    errors: Vec<String>,
}

impl Tally {
    fn new(records_seen: usize) -> Self {
        Self {
            counts: RunCounts {
                records_seen: records_seen as u64,
                ..RunCounts::default()
            },
            unhandled: BTreeSet::new(),
            errors: Vec::new(),
        }
    }

    /// Counts what one unit of work did.
    fn add(&mut self, outcome: &WorkOutcome) {
        let counts = &mut self.counts;
        counts.issues_created += u64::from(outcome.issue_created);
        counts.fields_pulled += outcome.fields_pulled;
        counts.fields_pushed += outcome.fields_pushed;
        counts.statuses_written += outcome.statuses_written;
        counts.comments_paired += outcome.comments_paired;
        counts.attachments_paired += outcome.attachments_paired;
        counts.attachments_skipped += outcome.attachments_skipped;
        counts.failures += outcome.failures;
    }

    /// Counts one record's job; a record whose work must be retried stays unhandled.
    fn record(&mut self, record: SalesforceId, result: Result<WorkOutcome, SyncError>) {
        match result {
            Ok(outcome) => {
                self.add(&outcome);
                if outcome.retry_needed {
                    self.unhandled.insert(record);
                }
            }
            Err(error) => {
                self.counts.failures += 1;
                self.errors.push(format!("{record}: {error}"));
                self.unhandled.insert(record);
            }
        }
    }

    /// Completed when everything was handled; partial (read again next time) otherwise.
    fn outcome(&self) -> ItemOutcome {
        if self.unhandled.is_empty() && self.errors.is_empty() {
            return ItemOutcome::Completed;
        }
        let errors = if self.errors.is_empty() {
            String::new()
        } else {
            format!(": {}", self.errors.join("; "))
        };
        ItemOutcome::Partial {
            reason: format!(
                "{} record(s) not handled yet; they will be read again{errors}",
                self.unhandled.len()
            ),
        }
    }
}

/// The records feed's position in the run's watermarks.
fn records_mark(watermarks: &Watermarks) -> RecordsMark {
    RecordsMark {
        stamp: watermarks.records,
        last_id: watermarks.records_last_id.clone(),
        read_at: watermarks.records_read_at,
    }
}

/// New watermarks after a run ([`advance_records`], [`advance_feed`]): each feed moves to the
/// newest item it handled, never past a record left unhandled.
fn advance(
    previous: &Watermarks,
    records: &[crate::connectors::salesforce::Record],
    comments: &fetch::FeedRead<fetch::FoundComment>,
    files: &fetch::FeedRead<(SalesforceId, fetch::FoundFile)>,
    unhandled: &BTreeSet<SalesforceId>,
) -> Watermarks {
    let (records, records_last_id) = advance_records(
        &records_mark(previous),
        records
            .iter()
            .map(|r| (fetch::record_id(r), fetch::modstamp(r))),
        unhandled,
    );
    Watermarks {
        records,
        records_last_id,
        comments: advance_feed(
            previous.comments,
            comments.found.iter().map(|c| (&c.record_id, c.created)),
            comments.newest_read,
            unhandled,
        ),
        files: advance_feed(
            previous.files,
            files.found.iter().map(|(r, f)| (r, f.created)),
            files.newest_read,
            unhandled,
        ),
        ..previous.clone()
    }
}
