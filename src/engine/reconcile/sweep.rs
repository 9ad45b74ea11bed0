//! The Jira sweep of one item's run: one JQL search from the item's Jira watermark for what
//! no webhook brought, then the push work of each link of each issue found newer than its
//! link last handled, looked up in the link index issue by issue.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;

use super::{Tally, JIRA_PAUSE_CAP};
use crate::actors::LinkLookup;
use crate::connectors::jira::Issue;
use crate::domain::feeds::jira_sweep_since;
use crate::domain::ids::{ItemId, LinkId};
use crate::domain::link::events::{LinkOrigin, Trigger};
use crate::engine::work::jira_to_salesforce::{wanted_fields, PushWork};
use crate::engine::work::{ItemSnapshot, WorkOutcome};
use crate::engine::{Engine, SyncError};
use crate::events::scheduler::Watermarks;
use crate::events::Meta;
use crate::projections::admin::{self, AdminItem};
use crate::projections::links::LinkRow;
use crate::projections::read_json;

/// What a Jira sweep may touch: the links it finds in the index, less those it must skip.
pub(super) struct SweepScope<'a> {
    /// The link index (the run waited once for it to catch up with the log).
    pub(super) lookup: &'a LinkLookup,
    /// Links the sweep leaves alone (created by this run).
    pub(super) skip: &'a BTreeSet<LinkId>,
    /// Causation and correlation of what the push work records.
    pub(super) meta: Meta,
}

/// Sweeps Jira from the item's watermark and counts what that did; the Jira watermark moves
/// only when everything found was handled.
pub(super) async fn sweep_step(
    engine: &Arc<Engine>,
    item: &ItemSnapshot,
    watermarks: &Watermarks,
    scope: SweepScope<'_>,
    tally: &mut Tally,
    next: &mut Watermarks,
) -> Result<(), SyncError> {
    let overlap = Duration::seconds(engine.settings.sync.window_overlap_secs as i64);
    let lag = Duration::seconds(engine.settings.sync.jira_search_lag_secs as i64);
    let since = jira_sweep_since(
        watermarks.jira,
        watermarks.jira_read_at,
        defined_at(engine, item.id)?,
        overlap,
        lag,
    );
    match sweep_jira(engine, item, since, scope).await {
        Ok(Swept {
            outcome,
            newest,
            read_at,
            all_handled,
        }) => {
            tally.add(&outcome);
            if all_handled {
                next.jira = next.jira.max(newest);
                next.jira_read_at = read_at.or(watermarks.jira_read_at);
            } else {
                tally
                    .errors
                    .push("some Jira changes could not be applied yet".into());
            }
        }
        Err(error) => tally.errors.push(format!("Jira sweep: {error}")),
    }
    Ok(())
}

/// When the item was defined (the Jira sweep's start before it has a watermark).
fn defined_at(engine: &Engine, item_id: ItemId) -> Result<DateTime<Utc>, SyncError> {
    let view = engine.admin_view()?.view();
    Ok(
        read_json::<AdminItem>(view.as_ref(), &admin::item_key(item_id))?
            .map(|row| row.defined_at)
            .unwrap_or_else(Utc::now),
    )
}

/// Whether a swept issue can hold anything its link has not handled: it changed since the link
/// last read it, or — never read — it changed since sfjira created it (an issue auto-created
/// and untouched since holds only what sfjira wrote).
fn issue_is_news(row: &LinkRow, issue: &crate::connectors::jira::Issue) -> bool {
    let Some(updated) = issue.updated() else {
        return true;
    };
    match row.issue_read {
        Some(handled) => updated > handled,
        None => !(row.origin == LinkOrigin::Auto && issue.created() == Some(updated)),
    }
}

/// What a Jira sweep did.
struct Swept {
    /// The push work's counts.
    outcome: WorkOutcome,
    /// The newest `updated` seen.
    newest: Option<DateTime<Utc>>,
    /// Jira's clock when the search answered.
    read_at: Option<DateTime<Utc>>,
    /// Whether every issue found was handled.
    all_handled: bool,
}

/// Applies Jira-side changes of the item's linked issues that no webhook brought (sfjira was
/// down, a delivery was lost): one JQL search since `since`, page by page, with the push work
/// of each linked issue found newer than its link last handled (an issue read again only
/// because the window overlaps costs nothing more).
async fn sweep_jira(
    engine: &Arc<Engine>,
    item: &ItemSnapshot,
    since: DateTime<Utc>,
    scope: SweepScope<'_>,
) -> Result<Swept, SyncError> {
    let Some(project) = item.definition.jira_projects.first() else {
        return Ok(Swept {
            outcome: WorkOutcome::default(),
            newest: None,
            read_at: None,
            all_handled: true,
        });
    };
    let mut jql = format!(
        "project = {}",
        crate::domain::escape::jql_quote(project.as_str())
    );
    jql.push_str(&format!(
        " AND updated >= {} ORDER BY updated ASC",
        since.timestamp_millis()
    ));
    let mut fields = wanted_fields(item);
    fields.extend(["updated", "created"]);
    fields.sort_unstable();
    fields.dedup();
    let mut pager = engine.jira()?.jql_pager(&jql, &fields, &[])?;
    let mut total = WorkOutcome::default();
    let mut all_handled = true;
    let (mut newest, mut read_at) = (None, None);
    // A page at a time, the next read while this one's links work: the first run after a
    // back-fill finds every new issue inside the overlap, and holds one page of them.
    let mut page = pager.next_page().await?;
    while let Some(found) = page {
        read_at = read_at.or(found.answered_at);
        newest = newest.max(found.issues.iter().filter_map(|i| i.updated()).max());
        let jobs = page_jobs(found.issues, item, &scope)?;
        let (done, next) =
            tokio::join!(push_jobs(engine, item, jobs, scope.meta), pager.next_page());
        for result in done {
            match result {
                Ok(outcome) => {
                    all_handled &= !outcome.retry_needed;
                    total.add(outcome);
                }
                Err(_) => {
                    all_handled = false;
                    total.failures += 1;
                }
            }
        }
        page = next?;
    }
    Ok(Swept {
        outcome: total,
        newest,
        read_at,
        all_handled,
    })
}

/// The push work a page of found issues needs: each linked issue newer than its link last
/// handled, unless the run itself created the link.
fn page_jobs(
    issues: Vec<Issue>,
    item: &ItemSnapshot,
    scope: &SweepScope<'_>,
) -> Result<Vec<(LinkId, Issue)>, SyncError> {
    let mut jobs = Vec::new();
    for issue in issues {
        let Some(key) = issue.key.as_ref() else {
            continue;
        };
        for row in scope.lookup.for_issue_in_item(key, item.id)? {
            if !scope.skip.contains(&row.link_id) && issue_is_news(&row, &issue) {
                jobs.push((row.link_id, issue.clone()));
            }
        }
    }
    Ok(jobs)
}

/// Runs the push work of `jobs` on their links' actors, a few at a time, waiting out a short
/// Jira pause.
async fn push_jobs(
    engine: &Arc<Engine>,
    item: &ItemSnapshot,
    jobs: Vec<(LinkId, Issue)>,
    meta: Meta,
) -> Vec<Result<WorkOutcome, crate::actors::LinkError>> {
    let in_flight = engine.settings.sync.links_in_flight.max(1);
    futures::stream::iter(jobs)
        .map(|(link, issue)| {
            let engine = engine.clone();
            let work = PushWork {
                engine: engine.clone(),
                item: item.clone(),
                trigger: Trigger::Scheduler,
                seen: Some(issue),
            };
            async move {
                if !engine.throttle.wait_for_jira(JIRA_PAUSE_CAP).await {
                    return Err(crate::actors::LinkError::Work(
                        "Jira asked sfjira to slow down".into(),
                    ));
                }
                engine.registry.run(link, work, meta).await
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await
}
