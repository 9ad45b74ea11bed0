//! The link registry: finds or starts the actor of a link by its id, looks links up by link
//! id, Jira issue key or item, and lets idle actors go.
//!
//! Actors are cheap to start because their state is their stream, so the registry keeps only
//! the addresses of active actors, each started on the worker thread its link id hashes to. An
//! actor removes its own entry when it stops (idle timeout, failed hydration), so an idle link
//! costs nothing in memory; an address found dead is replaced by a fresh actor, and a message
//! that raced with a stopping actor is retried once on the fresh one. Lookups read the link
//! index projection, waiting first until it has folded everything appended so far, so a link
//! created a moment ago is found; [`LinkRegistry::lookup`] waits once for many lookups.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use actix::prelude::*;
use parking_lot::Mutex;

use super::link::{LinkActor, LinkError, LinkWork, Run, Snapshot};
use super::runtime::BackgroundRuntime;
use crate::domain::ids::{ItemId, JiraIssueKey, LinkId, SalesforceId};
use crate::domain::link::LinkState;
use crate::events::store::{EventStore, ViewTree};
use crate::events::Meta;
use crate::metrics::Metrics;
use crate::projections::links::{self, LinkRow};
use crate::projections::{read_json, ProjectionHandle};

/// How long a lookup waits for the link index to catch up.
const INDEX_WAIT: Duration = Duration::from_secs(5);

/// The live actors by link, each with the generation that tells it from a successor.
type Directory = Mutex<HashMap<LinkId, (u64, Addr<LinkActor>)>>;

/// Finds, starts and forgets link actors.
pub struct LinkRegistry {
    store: Arc<dyn EventStore>,
    runtime: Arc<BackgroundRuntime>,
    index: Arc<ProjectionHandle>,
    actors: Arc<Directory>,
    generation: AtomicU64,
    idle_timeout: Duration,
    metrics: Option<Metrics>,
}

impl LinkRegistry {
    /// A registry starting actors on `runtime`'s workers, looking links up in `index`.
    pub fn new(
        store: Arc<dyn EventStore>,
        runtime: Arc<BackgroundRuntime>,
        index: Arc<ProjectionHandle>,
        idle_timeout: Duration,
        metrics: Option<Metrics>,
    ) -> Self {
        Self {
            store,
            runtime,
            index,
            actors: Arc::default(),
            generation: AtomicU64::new(0),
            idle_timeout,
            metrics,
        }
    }

    /// The address of a live actor for `id`, starting one if needed on the link's worker. An
    /// actor removes its own entry when it stops, so the map holds active links only and no
    /// call scans it.
    fn address(&self, id: LinkId) -> Addr<LinkActor> {
        let mut actors = self.actors.lock();
        if let Some((_, addr)) = actors.get(&id) {
            if addr.connected() {
                return addr.clone();
            }
        }
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let directory = Arc::downgrade(&self.actors);
        let actor = LinkActor::new(
            id,
            self.store.clone(),
            self.idle_timeout,
            self.metrics.clone(),
        )
        .on_stop(move || forget_generation(&directory, id, generation));
        let worker = self.runtime.worker_for(id.as_uuid().as_bytes());
        let addr = LinkActor::start_in_arbiter(worker, move |_| actor);
        actors.insert(id, (generation, addr.clone()));
        addr
    }

    fn forget(&self, id: LinkId, addr: &Addr<LinkActor>) {
        let mut actors = self.actors.lock();
        if actors.get(&id).is_some_and(|(_, a)| a == addr) {
            actors.remove(&id);
        }
    }

    /// Runs `work` on the link's actor (waiting for its turn: backpressure).
    pub async fn run<W: LinkWork + Clone>(
        &self,
        id: LinkId,
        work: W,
        meta: Meta,
    ) -> Result<W::Output, LinkError> {
        for _attempt in 0..2 {
            let addr = self.address(id);
            match addr
                .send(Run {
                    work: work.clone(),
                    meta,
                })
                .await
            {
                Ok(result) => return result,
                Err(MailboxError::Closed) | Err(MailboxError::Timeout) => self.forget(id, &addr),
            }
        }
        Err(LinkError::Unavailable(id))
    }

    /// The link's current state and stream version.
    pub async fn state(&self, id: LinkId) -> Result<(LinkState, Option<u64>), LinkError> {
        for _attempt in 0..2 {
            let addr = self.address(id);
            match addr.send(Snapshot).await {
                Ok(snapshot) => return Ok(snapshot),
                Err(_) => self.forget(id, &addr),
            }
        }
        Err(LinkError::Unavailable(id))
    }

    /// Link actors currently active (O(active actors): for metrics, not for every call).
    pub fn active(&self) -> usize {
        self.actors
            .lock()
            .values()
            .filter(|(_, addr)| addr.connected())
            .count()
    }

    async fn caught_up(&self) -> Result<(), LinkError> {
        if self.index.wait_for_head(INDEX_WAIT).await {
            Ok(())
        } else {
            Err(LinkError::History(
                "the link index is behind the log; try again shortly".into(),
            ))
        }
    }

    fn rows_under(&self, prefix: &str) -> Result<Vec<LinkRow>, LinkError> {
        rows_under(self.index.view().as_ref(), prefix)
    }

    /// Live links of a Jira issue.
    pub async fn links_for_issue(&self, key: &JiraIssueKey) -> Result<Vec<LinkRow>, LinkError> {
        self.caught_up().await?;
        self.rows_under(&links::issue_prefix(key))
    }

    /// The link index once it has folded everything appended so far, for many lookups in one
    /// go (one reconciliation run) without waiting again for each.
    pub async fn lookup(&self) -> Result<LinkLookup, LinkError> {
        self.caught_up().await?;
        Ok(LinkLookup {
            view: self.index.view(),
        })
    }

    /// A link's index row (live or not).
    pub async fn link(&self, id: LinkId) -> Result<Option<LinkRow>, LinkError> {
        self.caught_up().await?;
        read_json::<LinkRow>(self.index.view().as_ref(), &links::link_key(id))
            .map_err(|e| LinkError::History(e.to_string()))
    }
}

/// Removes a stopped actor's entry, unless a successor has taken its place already.
fn forget_generation(directory: &Weak<Directory>, id: LinkId, generation: u64) {
    if let Some(directory) = directory.upgrade() {
        let mut actors = directory.lock();
        if actors.get(&id).is_some_and(|(g, _)| *g == generation) {
            actors.remove(&id);
        }
    }
}

/// The rows of the links under a membership prefix of the link index.
fn rows_under(view: &dyn ViewTree, prefix: &str) -> Result<Vec<LinkRow>, LinkError> {
    let ids = links::ids_under(view, prefix).map_err(|e| LinkError::History(e.to_string()))?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = read_json::<LinkRow>(view, &links::link_key(id))
            .map_err(|e| LinkError::History(e.to_string()))?
        {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The link index as of a [`LinkRegistry::lookup`]: reads only the rows asked for.
pub struct LinkLookup {
    view: Arc<dyn ViewTree>,
}

impl LinkLookup {
    /// The live links of `record` in `item` (at most one: link ids derive from the pair).
    pub fn for_record_in_item(
        &self,
        record: &SalesforceId,
        item: ItemId,
    ) -> Result<Vec<LinkRow>, LinkError> {
        let rows = rows_under(self.view.as_ref(), &links::record_prefix(record))?;
        Ok(live_in_item(rows, item))
    }

    /// The live links of the Jira issue `key` in `item`.
    pub fn for_issue_in_item(
        &self,
        key: &JiraIssueKey,
        item: ItemId,
    ) -> Result<Vec<LinkRow>, LinkError> {
        let rows = rows_under(self.view.as_ref(), &links::issue_prefix(key))?;
        Ok(live_in_item(rows, item))
    }
}

/// The rows of live links of `item` (an unlink removes the membership rows; the row's own
/// flag is checked as well).
fn live_in_item(rows: Vec<LinkRow>, item: ItemId) -> Vec<LinkRow> {
    rows.into_iter()
        .filter(|row| row.linked && row.item_id == item)
        .collect()
}
