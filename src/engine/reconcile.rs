//! One item's reconciliation: read what changed in Salesforce since the item's watermarks, in
//! bulk and a page at a time, and hand each affected record to its link's actor — or, for a
//! new record of an auto-create item, to the actor of the link it will have. Memory is bounded
//! by a page of records, however many changed.
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
use crate::connectors::salesforce::{QueryPager, Record, SalesforceClient};
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
mod tally;

use sweep::{sweep_step, SweepScope};
use tally::Tally;

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
    let mut feeds = open_feeds(&engine, &sf, &item, &watermarks, overlap).await?;
    let lookup = engine.registry.lookup().await?;
    let meta = Meta {
        causation_id: None,
        correlation_id: Some(run_id),
    };
    let mut pass = RecordsPass {
        engine: &engine,
        item: &item,
        lookup: &lookup,
        meta,
        tally: Tally::new(),
        created: BTreeSet::new(),
        seen: Vec::new(),
    };
    // One page of records at a time, the next page read while this one's jobs run; the
    // comments and files found on records outside the window last.
    let mut page = feeds.first_page.take();
    while let Some(records) = page {
        let changes = feeds.changes_with(records, &mut pass);
        let (handled, next) = tokio::join!(pass.handle(changes), feeds.next_page());
        handled?;
        page = next?;
    }
    let rest = std::mem::take(&mut feeds.pending);
    pass.handle(rest).await?;
    let RecordsPass {
        mut tally,
        created,
        seen,
        ..
    } = pass;
    let mut next = advance(
        &watermarks,
        seen,
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

/// What one run reads of Salesforce's change feeds: the org-wide comment and file feeds
/// whole (they hold only what is new), the item's changed records a page at a time, so that a
/// back-fill of 100,000 records never holds more than a page of them.
struct Feeds {
    /// The records query, after its first page.
    pager: QueryPager,
    /// The first page of changed records, until it is handled.
    first_page: Option<Vec<Record>>,
    /// Salesforce's clock when the records query answered.
    read_at: Option<DateTime<Utc>>,
    /// New comments, and how far the org-wide feed was read.
    comments: fetch::FeedRead<fetch::FoundComment>,
    /// New files with their records, and how far the org-wide feed was read.
    files: fetch::FeedRead<(SalesforceId, fetch::FoundFile)>,
    /// New comments and files not yet handed to their record's job, by record.
    pending: BTreeMap<SalesforceId, RecordChanges>,
}

impl Feeds {
    /// The next page of changed records, `None` after the last.
    async fn next_page(&mut self) -> Result<Option<Vec<Record>>, SyncError> {
        Ok(self.pager.next_page().await?.map(|page| page.records))
    }

    /// What changed on a page's records, each with its new comments and files (taken from
    /// [`Feeds::pending`]); the page's records are counted as seen.
    fn changes_with(
        &mut self,
        records: Vec<Record>,
        pass: &mut RecordsPass<'_>,
    ) -> BTreeMap<SalesforceId, RecordChanges> {
        let mut changes = BTreeMap::new();
        pass.tally.counts.records_seen += records.len() as u64;
        for record in records {
            let id = fetch::record_id(&record);
            pass.seen.push((id.clone(), fetch::modstamp(&record)));
            if let Some(id) = id {
                let mut change = self.pending.remove(&id).unwrap_or_default();
                change.record = Some(record);
                change.read_at = self.read_at;
                changes.insert(id, change);
            }
        }
        changes
    }
}

/// Opens the item's change feeds from their watermarks (windows per [`records_window`]): the
/// first page of records, then the comment and file feeds. The records query answers first,
/// so its clock (`read_at`) is a time before the feeds were read, which is what the next
/// run's [`feed_since`] relies on.
async fn open_feeds(
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
    let page_size = engine.settings.sync.records_page_size;
    let mut pager = fetch::changed_records(sf, definition, &window, page_size);
    let first_page = pager.next_page().await?.map(|page| page.records);
    let read_at = pager.answered_at();
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
    let mut pending: BTreeMap<SalesforceId, RecordChanges> = BTreeMap::new();
    for comment in &comments.found {
        let change = pending.entry(comment.record_id.clone()).or_default();
        change.comments.push(comment.clone());
    }
    for (record, file) in &files.found {
        let change = pending.entry(record.clone()).or_default();
        change.files.push(file.clone());
    }
    Ok(Feeds {
        pager,
        first_page,
        read_at,
        comments,
        files,
        pending,
    })
}

/// One run's pass over the changed records: each batch of changes becomes jobs on the links'
/// actors, whose outcomes are tallied.
struct RecordsPass<'a> {
    engine: &'a Arc<Engine>,
    item: &'a ItemSnapshot,
    lookup: &'a LinkLookup,
    meta: Meta,
    tally: Tally,
    /// Links this run creates: they were not linked when it started, so the sweep leaves them
    /// alone (their work has just read their issue).
    created: BTreeSet<LinkId>,
    /// Each changed record's id and `SystemModstamp`, in the order read (for the watermark).
    seen: Vec<(Option<SalesforceId>, Option<DateTime<Utc>>)>,
}

impl RecordsPass<'_> {
    /// Runs the jobs of one batch of changes and tallies what they did.
    async fn handle(
        &mut self,
        changes: BTreeMap<SalesforceId, RecordChanges>,
    ) -> Result<(), SyncError> {
        if changes.is_empty() {
            return Ok(());
        }
        let linked = linked_records(self.lookup, self.item.id, changes.keys())?;
        let jobs = jobs_for(self.item, changes, &linked);
        self.created
            .extend(jobs.iter().filter_map(|(_, job, _)| match job {
                Job::Create(link) => Some(*link),
                Job::Pull(_) => None,
            }));
        for (record, result) in run_jobs(self.engine, self.item, jobs, self.meta).await {
            self.tally.record(record, result);
        }
        Ok(())
    }
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
                observed_read_at: row.observed_read_at,
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
    records: Vec<(Option<SalesforceId>, Option<DateTime<Utc>>)>,
    comments: &fetch::FeedRead<fetch::FoundComment>,
    files: &fetch::FeedRead<(SalesforceId, fetch::FoundFile)>,
    unhandled: &BTreeSet<SalesforceId>,
) -> Watermarks {
    let (records, records_last_id) = advance_records(&records_mark(previous), records, unhandled);
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
