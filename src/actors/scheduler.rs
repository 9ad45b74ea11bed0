//! The reconciliation scheduler: one run every `sync.interval`, never two at once.
//!
//! A run records `scheduler.run_started`, fans out to the synchronised items with bounded
//! concurrency (each item's reconciler in turn waits for its link actors through
//! `send().await`, so a slow remote system slows the run down instead of piling up work), and
//! records `scheduler.run_finished` with each item's counts and new watermark. A tick that comes
//! while a run is still active is skipped and counted; "sync now" while a run is active is
//! refused with [`SchedulerError::AlreadyRunning`]. [`Scheduler::run_now`] is the entry point
//! tests and the admin API use to drive one run without waiting for a tick.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use async_trait::async_trait;
use futures::StreamExt;
use tracing::Instrument;
use uuid::Uuid;

use crate::domain::ids::ItemId;
use crate::events::scheduler::{ItemRun, RunFinished, RunStarted, RunTrigger, SchedulerEvent};
use crate::events::store::{EventStore, ExpectedVersion, StoreError};
use crate::events::{encode, streams, Meta};
use crate::metrics::Metrics;

/// Reconciles items; implemented by the sync engine.
#[async_trait]
pub trait Reconciler: Send + Sync + 'static {
    /// The items a scheduled run covers (synchronised, not deleted).
    async fn scheduled_items(&self) -> Result<Vec<ItemId>, String>;

    /// Reconciles one item within run `run_id`; never fails as a whole: failures are part of
    /// the returned [`ItemRun`].
    async fn reconcile(&self, item: ItemId, run_id: Uuid) -> ItemRun;
}

/// Why a run did not happen or was not recorded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SchedulerError {
    /// A run is active; runs never overlap.
    #[error("a reconciliation run is already active; try again when it finishes")]
    AlreadyRunning,
    /// The run could not be recorded.
    #[error("recording the run failed: {0}")]
    Store(StoreError),
    /// The item list could not be read.
    #[error("listing the items to reconcile failed: {0}")]
    Items(String),
    /// The scheduler is gone.
    #[error("the scheduler is not running")]
    Stopped,
}

/// Starts a run now.
pub struct RunNow {
    /// Scheduled or manual.
    pub trigger: RunTrigger,
    /// Only these items (manual sync of one item); all scheduled items when `None`.
    pub items: Option<Vec<ItemId>>,
}

impl Message for RunNow {
    type Result = Result<RunFinished, SchedulerError>;
}

/// Asks whether a run is active.
pub struct IsRunning;

impl Message for IsRunning {
    type Result = bool;
}

/// The scheduler actor.
pub struct Scheduler {
    store: Arc<dyn EventStore>,
    reconciler: Arc<dyn Reconciler>,
    interval: Option<Duration>,
    concurrency: usize,
    running: bool,
    metrics: Option<Metrics>,
}

impl Scheduler {
    /// A scheduler ticking every `interval` (`None`: only runs on demand).
    pub fn new(
        store: Arc<dyn EventStore>,
        reconciler: Arc<dyn Reconciler>,
        interval: Option<Duration>,
        concurrency: usize,
        metrics: Option<Metrics>,
    ) -> Self {
        Self {
            store,
            reconciler,
            interval,
            concurrency: concurrency.max(1),
            running: false,
            metrics,
        }
    }

    /// Drives one run through `addr` and waits for it (tests, admin "sync now").
    pub async fn run_now(
        addr: &Addr<Scheduler>,
        trigger: RunTrigger,
        items: Option<Vec<ItemId>>,
    ) -> Result<RunFinished, SchedulerError> {
        addr.send(RunNow { trigger, items })
            .await
            .map_err(|_| SchedulerError::Stopped)?
    }
}

impl Actor for Scheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(interval) = self.interval {
            ctx.run_interval(interval, |act, ctx| {
                if act.running {
                    tracing::info!("scheduler tick skipped: previous run still active");
                    if let Some(m) = &act.metrics {
                        m.scheduler_ticks_skipped.inc();
                    }
                    return;
                }
                ctx.notify(RunNow {
                    trigger: RunTrigger::Scheduled,
                    items: None,
                });
            });
        }
    }
}

impl Handler<IsRunning> for Scheduler {
    type Result = bool;

    fn handle(&mut self, _msg: IsRunning, _ctx: &mut Self::Context) -> bool {
        self.running
    }
}

impl Handler<RunNow> for Scheduler {
    type Result = ResponseActFuture<Self, Result<RunFinished, SchedulerError>>;

    fn handle(&mut self, msg: RunNow, _ctx: &mut Self::Context) -> Self::Result {
        if self.running {
            return Box::pin(fut::ready(Err(SchedulerError::AlreadyRunning)));
        }
        self.running = true;
        if let Some(m) = &self.metrics {
            let label = match msg.trigger {
                RunTrigger::Scheduled => "scheduled",
                RunTrigger::Manual => "manual",
            };
            m.scheduler_runs.with_label_values(&[label]).inc();
        }
        let store = self.store.clone();
        let reconciler = self.reconciler.clone();
        let concurrency = self.concurrency;
        // Not atomic on purpose: ticks keep arriving during a run and must see `running`.
        Box::pin(
            run_cycle(store, reconciler, concurrency, msg)
                .into_actor(self)
                .map(|result, act, _ctx| {
                    act.running = false;
                    if let Err(error) = &result {
                        tracing::error!(%error, "reconciliation run failed");
                    }
                    result
                }),
        )
    }
}

async fn append(
    store: &dyn EventStore,
    event: &SchedulerEvent,
    meta: Meta,
) -> Result<(), StoreError> {
    let stream = streams::scheduler();
    // The scheduler is the stream's only writer and runs never overlap, so the expected version
    // is simply the current one; a conflict means another process shares the data directory.
    let expected = match store.stream_version(&stream).await? {
        None => ExpectedVersion::NoStream,
        Some(v) => ExpectedVersion::Exact(v),
    };
    store
        .append(&stream, expected, vec![encode(event, meta)])
        .await?;
    Ok(())
}

async fn run_cycle(
    store: Arc<dyn EventStore>,
    reconciler: Arc<dyn Reconciler>,
    concurrency: usize,
    msg: RunNow,
) -> Result<RunFinished, SchedulerError> {
    let started = Instant::now();
    let run_id = Uuid::now_v7();
    let meta = Meta {
        causation_id: None,
        correlation_id: Some(run_id),
    };
    let items = match msg.items {
        Some(items) => items,
        None => reconciler
            .scheduled_items()
            .await
            .map_err(SchedulerError::Items)?,
    };
    let span = tracing::info_span!("reconciliation_run", %run_id, items = items.len());
    record_run(
        store,
        reconciler,
        concurrency,
        msg.trigger,
        items,
        run_id,
        meta,
        started,
    )
    .instrument(span)
    .await
}

#[allow(clippy::too_many_arguments)]
async fn record_run(
    store: Arc<dyn EventStore>,
    reconciler: Arc<dyn Reconciler>,
    concurrency: usize,
    trigger: RunTrigger,
    items: Vec<ItemId>,
    run_id: Uuid,
    meta: Meta,
    started: Instant,
) -> Result<RunFinished, SchedulerError> {
    append(
        store.as_ref(),
        &SchedulerEvent::RunStarted(RunStarted {
            run_id,
            trigger,
            items: items.clone(),
        }),
        meta,
    )
    .await
    .map_err(SchedulerError::Store)?;
    let mut results: Vec<ItemRun> = futures::stream::iter(items)
        .map(|item| {
            let reconciler = reconciler.clone();
            async move { reconciler.reconcile(item, run_id).await }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    results.sort_by_key(|r| r.item_id);
    let finished = RunFinished {
        run_id,
        items: results,
        duration_ms: started.elapsed().as_millis() as u64,
    };
    append(
        store.as_ref(),
        &SchedulerEvent::RunFinished(finished.clone()),
        meta,
    )
    .await
    .map_err(SchedulerError::Store)?;
    Ok(finished)
}
