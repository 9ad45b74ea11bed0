//! The link registry: finds or starts the actor of a link by its id, looks links up by link
//! id, Jira issue key or item, and lets idle actors go.
//!
//! Actors are cheap to start because their state is their stream, so the registry keeps only
//! addresses. An address whose actor has stopped (idle timeout, failed hydration) is replaced by
//! a fresh actor on the next call; a message that raced with a stopping actor is retried once on
//! the fresh one. Lookups read the link index projection, waiting first until it has folded
//! everything appended so far, so a link created a moment ago is found.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use parking_lot::Mutex;

use super::link::{LinkActor, LinkError, LinkWork, Run, Snapshot};
use super::runtime::BackgroundRuntime;
use crate::domain::ids::{ItemId, JiraIssueKey, LinkId};
use crate::domain::link::LinkState;
use crate::events::store::EventStore;
use crate::events::Meta;
use crate::metrics::Metrics;
use crate::projections::links::{self, LinkRow};
use crate::projections::{read_json, ProjectionHandle};

/// How long a lookup waits for the link index to catch up.
const INDEX_WAIT: Duration = Duration::from_secs(5);

/// Finds, starts and forgets link actors.
pub struct LinkRegistry {
    store: Arc<dyn EventStore>,
    runtime: Arc<BackgroundRuntime>,
    index: Arc<ProjectionHandle>,
    actors: Mutex<HashMap<LinkId, Addr<LinkActor>>>,
    idle_timeout: Duration,
    metrics: Option<Metrics>,
}

impl LinkRegistry {
    /// A registry starting actors on `runtime`, looking links up in `index`.
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
            actors: Mutex::new(HashMap::new()),
            idle_timeout,
            metrics,
        }
    }

    /// The address of a live actor for `id`, starting one if needed.
    fn address(&self, id: LinkId) -> Addr<LinkActor> {
        let mut actors = self.actors.lock();
        actors.retain(|_, addr| addr.connected());
        actors
            .entry(id)
            .or_insert_with(|| {
                let actor = LinkActor::new(
                    id,
                    self.store.clone(),
                    self.idle_timeout,
                    self.metrics.clone(),
                );
                LinkActor::start_in_arbiter(self.runtime.arbiter(), move |_| actor)
            })
            .clone()
    }

    fn forget(&self, id: LinkId, addr: &Addr<LinkActor>) {
        let mut actors = self.actors.lock();
        if actors.get(&id).is_some_and(|a| a == addr) {
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

    /// Link actors currently active.
    pub fn active(&self) -> usize {
        let mut actors = self.actors.lock();
        actors.retain(|_, addr| addr.connected());
        actors.len()
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
        let view = self.index.view();
        let ids = links::ids_under(view.as_ref(), prefix)
            .map_err(|e| LinkError::History(e.to_string()))?;
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = read_json::<LinkRow>(view.as_ref(), &links::link_key(id))
                .map_err(|e| LinkError::History(e.to_string()))?
            {
                rows.push(row);
            }
        }
        Ok(rows)
    }

    /// Live links of a Jira issue.
    pub async fn links_for_issue(&self, key: &JiraIssueKey) -> Result<Vec<LinkRow>, LinkError> {
        self.caught_up().await?;
        self.rows_under(&links::issue_prefix(key))
    }

    /// Live links of an item.
    pub async fn links_for_item(&self, item: ItemId) -> Result<Vec<LinkRow>, LinkError> {
        self.caught_up().await?;
        self.rows_under(&links::item_prefix(item))
    }

    /// A link's index row (live or not).
    pub async fn link(&self, id: LinkId) -> Result<Option<LinkRow>, LinkError> {
        self.caught_up().await?;
        read_json::<LinkRow>(self.index.view().as_ref(), &links::link_key(id))
            .map_err(|e| LinkError::History(e.to_string()))
    }
}
