//! Link actors serialise work, survive passivation, spread over the actor threads, and the
//! scheduler never overlaps runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Actor;
use async_trait::async_trait;
use parking_lot::Mutex;
use sfjira::actors::link::{LinkError, LinkSession, LinkWork};
use sfjira::actors::scheduler::{IsRunning, Reconciler, Scheduler, SchedulerError};
use sfjira::domain::ids::{ItemId, LinkId, SalesforceId};
use sfjira::domain::link::events::{LinkEvent, LinkOrigin, SyncFailed};
use sfjira::events::scheduler::{ItemOutcome, ItemRun, RunCounts, RunTrigger};
use sfjira::events::store::{EventStore, MemoryEventStore};
use sfjira::events::{streams, Meta};
use uuid::Uuid;

use crate::helpers::spawn_app_with;

/// Work that reads the state, awaits, then records an event: if two ran interleaved, both
/// would see the same version and their intervals would overlap.
/// (started, finished, version seen) of each unit of work.
type WorkLog = Arc<Mutex<Vec<(Instant, Instant, Option<u64>)>>>;

#[derive(Clone)]
struct SlowWork {
    log: WorkLog,
}

#[async_trait]
impl LinkWork for SlowWork {
    type Output = Option<u64>;

    async fn run(&mut self, session: &mut LinkSession) -> Result<Option<u64>, LinkError> {
        let start = Instant::now();
        let seen = session.version();
        tokio::time::sleep(Duration::from_millis(30)).await;
        session
            .record(vec![LinkEvent::SyncFailed(SyncFailed {
                operation: "probe".into(),
                error: format!("saw version {seen:?}"),
                will_retry: true,
                attempt: 1,
                next_retry_at: None,
            })])
            .await?;
        self.log.lock().push((start, Instant::now(), seen));
        Ok(session.version())
    }
}

#[actix_web::test]
async fn concurrent_work_on_one_link_runs_one_at_a_time_across_awaits() {
    let app = spawn_app_with(|_| {}).await;
    let link = app
        .link(
            ItemId::new(),
            "SUP-1",
            "500xx000000bQ2L",
            LinkOrigin::Manual,
        )
        .await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let work = SlowWork { log: log.clone() };
    let runs = (0..8).map(|_| app.state.registry.run(link, work.clone(), Meta::default()));
    let versions: Vec<_> = futures::future::join_all(runs)
        .await
        .into_iter()
        .map(|r| r.expect("no conflict, no failure"))
        .collect();
    let mut versions: Vec<u64> = versions.into_iter().flatten().collect();
    versions.sort_unstable();
    assert_eq!(
        versions,
        (2..=9).collect::<Vec<_>>(),
        "each work saw the previous one's event"
    );
    let mut log = log.lock().clone();
    log.sort_by_key(|(start, _, _)| *start);
    for pair in log.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "two units of work overlapped");
        assert_ne!(
            pair[0].2, pair[1].2,
            "two units of work saw the same version"
        );
    }
}

/// Work that answers which thread the link's actor runs on.
#[derive(Clone)]
struct WhereAmI;

#[async_trait]
impl LinkWork for WhereAmI {
    type Output = std::thread::ThreadId;

    async fn run(&mut self, _session: &mut LinkSession) -> Result<Self::Output, LinkError> {
        Ok(std::thread::current().id())
    }
}

/// Waits until the registry holds no active actor.
async fn wait_until_all_idle(app: &crate::helpers::TestApp) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.state.registry.active() > 0 {
        assert!(Instant::now() < deadline, "the idle actor never stopped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_passivated_link_actor_reactivates_with_identical_state() {
    let app = spawn_app_with(|s| s.actors.idle_timeout_secs = 1).await;
    let link = app
        .link(ItemId::new(), "SUP-3", "500xx000000bQ2L", LinkOrigin::Auto)
        .await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let version = app
        .state
        .registry
        .run(link, SlowWork { log: log.clone() }, Meta::default())
        .await
        .expect("work runs");
    assert_eq!(version, Some(2));
    assert_eq!(app.state.registry.active(), 1);
    wait_until_all_idle(&app).await;
    // A fresh actor hydrates the whole stream: the next work sees the version the last one left.
    let version = app
        .state
        .registry
        .run(link, SlowWork { log: log.clone() }, Meta::default())
        .await
        .expect("work runs on a fresh actor");
    assert_eq!(version, Some(3));
    assert_eq!(log.lock().last().map(|(_, _, seen)| *seen), Some(Some(2)));
    let after = app
        .state
        .registry
        .state(link)
        .await
        .expect("state after reactivation");
    assert_eq!(after.1, Some(3));
    assert!(after.0.is_linked());
    wait_until_all_idle(&app).await;
}

#[actix_web::test]
async fn links_of_one_item_are_spread_over_the_actor_threads() {
    let app = spawn_app_with(|s| s.actors.threads = 2).await;
    // A fixed item, so the links' ids (and so their threads) are the same on every run.
    let item = ItemId::from_uuid(Uuid::from_u128(0x5ca1e));
    let mut placed = Vec::new();
    for i in 0..16 {
        let link = app
            .link(
                item,
                &format!("SUP-{}", i + 1),
                &format!("500xx00000{i:05}"),
                LinkOrigin::Manual,
            )
            .await;
        let thread = app
            .state
            .registry
            .run(link, WhereAmI, Meta::default())
            .await
            .expect("runs");
        placed.push((link, thread));
    }
    let threads: std::collections::HashSet<_> = placed.iter().map(|(_, t)| *t).collect();
    assert_eq!(threads.len(), 2, "16 links over 2 threads use both");
    for (link, thread) in placed {
        let again = app
            .state
            .registry
            .run(link, WhereAmI, Meta::default())
            .await
            .expect("runs");
        assert_eq!(again, thread, "a link stays on its thread");
    }
}

#[actix_web::test]
async fn a_link_id_names_one_stream_whichever_id_spelling_was_used() {
    let item = ItemId::new();
    let short = SalesforceId::parse("500xx000000bQ2L").expect("15");
    let long = SalesforceId::parse("500xx000000bQ2LAAU").expect("18");
    assert_eq!(
        LinkId::for_record(item, &short),
        LinkId::for_record(item, &long)
    );
}

/// A reconciler that takes a while, to keep runs long enough for ticks to collide.
struct SlowReconciler {
    item: ItemId,
    active: Arc<Mutex<u32>>,
    max_active: Arc<Mutex<u32>>,
}

#[async_trait]
impl Reconciler for SlowReconciler {
    async fn scheduled_items(&self) -> Result<Vec<ItemId>, String> {
        Ok(vec![self.item])
    }

    async fn reconcile(&self, item: ItemId, _run_id: Uuid) -> ItemRun {
        {
            let mut active = self.active.lock();
            *active += 1;
            let mut max = self.max_active.lock();
            *max = (*max).max(*active);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        *self.active.lock() -= 1;
        ItemRun {
            item_id: item,
            outcome: ItemOutcome::Completed,
            counts: RunCounts::default(),
            watermarks: Default::default(),
            salesforce_calls: 0,
        }
    }
}

#[actix_web::test]
async fn the_scheduler_never_starts_a_run_while_one_is_active() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let metrics = sfjira::metrics::Metrics::new().expect("metrics");
    let max_active = Arc::new(Mutex::new(0));
    let reconciler = Arc::new(SlowReconciler {
        item: ItemId::new(),
        active: Arc::new(Mutex::new(0)),
        max_active: max_active.clone(),
    });
    let scheduler = Scheduler::new(
        store.clone(),
        reconciler,
        Some(Duration::from_millis(60)),
        4,
        Some(metrics.clone()),
    )
    .start();
    // Wait until a scheduled run is active, then ask for another.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !scheduler.send(IsRunning).await.expect("alive") {
        assert!(Instant::now() < deadline, "no run started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let refused = Scheduler::run_now(&scheduler, RunTrigger::Manual, None).await;
    assert!(matches!(refused, Err(SchedulerError::AlreadyRunning)));
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(
        metrics.scheduler_ticks_skipped.get() > 0,
        "ticks during runs were skipped"
    );
    assert_eq!(*max_active.lock(), 1);
    // The scheduler stream alternates started/finished: no run began inside another.
    let events = store
        .read_stream(&streams::scheduler(), 0)
        .await
        .expect("stream");
    assert!(events.len() >= 2);
    for (i, event) in events.iter().enumerate() {
        let expected = if i % 2 == 0 {
            "scheduler.run_started"
        } else {
            "scheduler.run_finished"
        };
        assert_eq!(event.event_type, expected, "event {i}");
    }
}
