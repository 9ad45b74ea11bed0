//! Runs projections: catch-up then live, one page per atomic commit; rebuild and verify.
//!
//! Every fold follows the log through the store's catch-up [`Subscription`]: the live runner
//! keeps one open, rebuild and verify drain one up to the head (or the checkpoint).
//!
//! Each projection has an *active* view tree named `{name}:v{version}:g{generation}`, recorded
//! in the view meta under `projection:{name}`. On start a tree of an older row-format version is
//! replaced by a fresh one of the current version (rebuilt from the log before `/readyz` says
//! ready). `rebuild` folds the log into generation + 1 while the active tree keeps serving, then
//! catches it up under the folding lock and flips the pointer. `verify` refolds everything up to
//! the stored checkpoint in memory and diffs it against the stored rows.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::rows::TreeRows;
use super::{Projection, ProjectionError, RowSource, Rows};
use crate::events::store::{
    EventStore, RecordedEvent, StoreError, Subscription, ViewTree, ViewWrite,
};
use crate::events::AnyEvent;
use crate::metrics::Metrics;

/// Events read per page (and committed per batch) while folding.
const PAGE: usize = 1_000;

/// One running projection and what readers need from it.
pub struct ProjectionHandle {
    projection: Arc<dyn Projection>,
    store: Arc<dyn EventStore>,
    tree: RwLock<Arc<dyn ViewTree>>,
    checkpoint: watch::Sender<u64>,
    /// Serialises page folding with the rebuild flip and with verify.
    folding: tokio::sync::Mutex<()>,
    /// One rebuild at a time.
    rebuilding: tokio::sync::Mutex<()>,
    /// Log head when the projection started; "caught up" means past it.
    start_head: u64,
    caught_up: AtomicBool,
    failure: Mutex<Option<String>>,
    metrics: Option<Metrics>,
}

/// What a rebuild did.
#[derive(Debug, Clone, Serialize)]
pub struct RebuildReport {
    /// The projection.
    pub projection: String,
    /// The tree that served before.
    pub old_tree: String,
    /// The tree that serves now.
    pub new_tree: String,
    /// Events folded.
    pub events: u64,
    /// Wall time, in milliseconds.
    pub duration_ms: u64,
}

/// The difference between a stored view and a fresh in-memory fold.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ViewDiff {
    /// The projection.
    pub projection: String,
    /// The checkpoint both were compared at.
    pub checkpoint: u64,
    /// Rows compared.
    pub rows: usize,
    /// Rows the fold produced that are not stored.
    pub missing: Vec<String>,
    /// Stored rows the fold did not produce.
    pub unexpected: Vec<String>,
    /// Rows stored with another value.
    pub different: Vec<String>,
}

impl ViewDiff {
    /// Whether the stored view equals the fold.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.different.is_empty()
    }
}

fn meta_key(name: &str) -> String {
    format!("projection:{name}")
}

fn tree_name(projection: &dyn Projection, generation: u64) -> String {
    format!(
        "{}:v{}:g{generation}",
        projection.name(),
        projection.version()
    )
}

fn generation_of(tree: &str) -> u64 {
    tree.rsplit(":g")
        .next()
        .and_then(|g| g.parse().ok())
        .unwrap_or(0)
}

/// Folds `events` into rows over `base`, returning the net writes.
pub fn fold_page(
    projection: &dyn Projection,
    view: &str,
    base: &dyn RowSource,
    events: &[RecordedEvent],
) -> Result<Vec<ViewWrite>, ProjectionError> {
    let mut rows = Rows::new(view, base);
    for event in events {
        let decoded = AnyEvent::decode(event)?;
        projection.apply(event, &decoded, &mut rows)?;
    }
    Ok(rows.into_writes())
}

impl ProjectionHandle {
    /// Opens the projection's active tree (replacing one of an older row format) without
    /// starting to fold; see [`ProjectionHandle::run`].
    pub fn open(
        store: Arc<dyn EventStore>,
        projection: Arc<dyn Projection>,
        metrics: Option<Metrics>,
    ) -> Result<Arc<Self>, ProjectionError> {
        let views = store.views();
        let key = meta_key(projection.name());
        let wanted_prefix = format!("{}:v{}:g", projection.name(), projection.version());
        let active = match views.get_meta(&key)? {
            Some(name) => String::from_utf8(name).ok(),
            None => None,
        };
        let active = match active {
            Some(name) if name.starts_with(&wanted_prefix) => name,
            _ => {
                let name = tree_name(projection.as_ref(), 1);
                views.open_view(&name)?.clear()?;
                views.set_meta(&key, Some(name.clone().into_bytes()))?;
                name
            }
        };
        // Drop leftovers: older formats, or a rebuild interrupted by a crash.
        let own_prefix = format!("{}:", projection.name());
        for stale in views
            .list_views()?
            .into_iter()
            .filter(|v| v.starts_with(&own_prefix) && *v != active)
        {
            views.drop_view(&stale)?;
        }
        let tree = views.open_view(&active)?;
        let checkpoint = tree.checkpoint()?;
        let start_head = store.head();
        Ok(Arc::new(Self {
            projection,
            store,
            tree: RwLock::new(tree),
            checkpoint: watch::channel(checkpoint).0,
            folding: tokio::sync::Mutex::new(()),
            rebuilding: tokio::sync::Mutex::new(()),
            start_head,
            caught_up: AtomicBool::new(checkpoint >= start_head),
            failure: Mutex::new(None),
            metrics,
        }))
    }

    /// The projection's name.
    pub fn name(&self) -> &'static str {
        self.projection.name()
    }

    /// The active view, for reading.
    pub fn view(&self) -> Arc<dyn ViewTree> {
        self.tree.read().clone()
    }

    /// The last log sequence folded into the active view.
    pub fn checkpoint(&self) -> u64 {
        *self.checkpoint.borrow()
    }

    /// Events between the log head and the checkpoint.
    pub fn lag(&self) -> u64 {
        self.store.head().saturating_sub(self.checkpoint())
    }

    /// Whether everything in the log when the projection started has been folded.
    pub fn caught_up(&self) -> bool {
        self.caught_up.load(Ordering::Relaxed)
    }

    /// The last folding failure, if the projection is stuck.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().clone()
    }

    /// Waits until the view has folded `seq` (read-your-writes); false on timeout.
    pub async fn wait_for(&self, seq: u64, timeout: Duration) -> bool {
        let mut rx = self.checkpoint.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|cp| *cp >= seq))
            .await
            .map(|r| r.is_ok())
            .unwrap_or(false)
    }

    /// Waits until the view has folded everything appended so far.
    pub async fn wait_for_head(&self, timeout: Duration) -> bool {
        self.wait_for(self.store.head(), timeout).await
    }

    /// Folds until cancelled, following the log with one catch-up subscription: pages while
    /// behind, then live as the head moves. After a failure (or a rebuild that switched to a
    /// tree further on) it subscribes again from the active tree's checkpoint.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let mut backoff = Duration::from_millis(100);
        let mut subscription: Option<Subscription> = None;
        if let Ok(checkpoint) = self.view().checkpoint() {
            self.publish(checkpoint);
        }
        loop {
            let step = async {
                let from = self.view().checkpoint()?;
                let following = match subscription.as_mut() {
                    Some(s) if s.position() == from => s,
                    _ => subscription.insert(self.subscribe(from)),
                };
                let events = tokio::select! {
                    _ = cancel.cancelled() => return Ok(false),
                    batch = following.next_batch(PAGE) => batch?,
                };
                self.fold_live(events).await?;
                Ok::<bool, ProjectionError>(true)
            };
            match step.await {
                Ok(true) => backoff = Duration::from_millis(100),
                Ok(false) => return,
                Err(ProjectionError::Store(StoreError::Closed)) => return,
                Err(error) => {
                    tracing::error!(projection = self.name(), %error, "projection stalled");
                    *self.failure.lock() = Some(error.to_string());
                    subscription = None;
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    fn subscribe(&self, after: u64) -> Subscription {
        Subscription::with_page_size(self.store.clone(), after, PAGE)
    }

    /// Folds a batch the live subscription delivered into the active tree. A rebuild may have
    /// switched to a tree that already holds some of it: those events are skipped.
    async fn fold_live(&self, events: Vec<RecordedEvent>) -> Result<(), ProjectionError> {
        let _folding = self.folding.lock().await;
        let tree = self.view();
        let checkpoint = tree.checkpoint()?;
        let events: Vec<RecordedEvent> =
            events.into_iter().filter(|e| e.seq > checkpoint).collect();
        match events.first() {
            Some(first) if first.seq == checkpoint + 1 => {}
            // Nothing new for this tree, or a tree behind the batch (never expected): the run
            // loop subscribes again from the tree's own checkpoint.
            _ => return Ok(()),
        }
        self.fold_into(&tree, &events)?;
        self.publish(tree.checkpoint()?);
        *self.failure.lock() = None;
        Ok(())
    }

    /// Folds `events` (which follow `tree`'s checkpoint) into `tree`, committing rows and
    /// checkpoint together.
    fn fold_into(
        &self,
        tree: &Arc<dyn ViewTree>,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(());
        };
        let writes = fold_page(
            self.projection.as_ref(),
            tree.name(),
            &TreeRows(tree.as_ref()),
            events,
        )?;
        tree.commit(writes, last)?;
        Ok(())
    }

    /// Folds everything committed so far into `tree`, following `subscription` (which stands
    /// at the tree's checkpoint); returns the events folded.
    async fn catch_up(
        &self,
        tree: &Arc<dyn ViewTree>,
        subscription: &mut Subscription,
    ) -> Result<u64, ProjectionError> {
        let mut folded = 0;
        loop {
            let events = subscription.try_next_batch(PAGE).await?;
            if events.is_empty() {
                return Ok(folded);
            }
            self.fold_into(tree, &events)?;
            folded += events.len() as u64;
        }
    }

    fn publish(&self, checkpoint: u64) {
        self.checkpoint.send_replace(checkpoint);
        if checkpoint >= self.start_head {
            self.caught_up.store(true, Ordering::Relaxed);
        }
        if let Some(metrics) = &self.metrics {
            let name = self.name();
            metrics
                .projection_checkpoint
                .with_label_values(&[name])
                .set(checkpoint as i64);
            metrics
                .projection_lag
                .with_label_values(&[name])
                .set(self.store.head().saturating_sub(checkpoint) as i64);
        }
    }

    /// Replays the whole log into a new tree while the current one serves, then switches.
    pub async fn rebuild(&self) -> Result<RebuildReport, ProjectionError> {
        let _one_at_a_time = self.rebuilding.lock().await;
        let started = Instant::now();
        let views = self.store.views();
        let old = self.view();
        let new_name = tree_name(self.projection.as_ref(), generation_of(old.name()) + 1);
        views.drop_view(&new_name)?;
        let new = views.open_view(&new_name)?;
        let mut subscription = self.subscribe(new.checkpoint()?);
        self.catch_up(&new, &mut subscription).await?;
        let _folding = self.folding.lock().await;
        self.catch_up(&new, &mut subscription).await?;
        views.set_meta(&meta_key(self.name()), Some(new_name.clone().into_bytes()))?;
        *self.tree.write() = new.clone();
        let checkpoint = new.checkpoint()?;
        self.publish(checkpoint);
        drop(_folding);
        views.drop_view(old.name())?;
        Ok(RebuildReport {
            projection: self.name().to_string(),
            old_tree: old.name().to_string(),
            new_tree: new_name,
            events: checkpoint,
            duration_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// Refolds the log up to the stored checkpoint in memory and compares with the stored rows.
    pub async fn verify(&self) -> Result<ViewDiff, ProjectionError> {
        let _folding = self.folding.lock().await;
        let tree = self.view();
        let checkpoint = tree.checkpoint()?;
        let mut fresh: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut subscription = self.subscribe(0);
        while subscription.position() < checkpoint {
            let mut events = subscription.try_next_batch(PAGE).await?;
            if events.is_empty() {
                break;
            }
            events.retain(|e| e.seq <= checkpoint);
            let writes = fold_page(self.projection.as_ref(), tree.name(), &fresh, &events)?;
            for (key, value) in writes {
                match value {
                    Some(value) => fresh.insert(key, value),
                    None => fresh.remove(&key),
                };
            }
        }
        let stored: BTreeMap<Vec<u8>, Vec<u8>> = tree.scan_prefix(b"")?.into_iter().collect();
        let show = |k: &Vec<u8>| String::from_utf8_lossy(k).into_owned();
        let mut diff = ViewDiff {
            projection: self.name().to_string(),
            checkpoint,
            rows: fresh.len().max(stored.len()),
            ..ViewDiff::default()
        };
        for (key, value) in &fresh {
            match stored.get(key) {
                None => diff.missing.push(show(key)),
                Some(v) if v != value => diff.different.push(show(key)),
                Some(_) => {}
            }
        }
        diff.unexpected = stored
            .keys()
            .filter(|k| !fresh.contains_key(*k))
            .map(show)
            .collect();
        Ok(diff)
    }
}

/// Drops every view tree and meta pointer of a retired projection.
fn drop_retired(store: &dyn EventStore) -> Result<(), ProjectionError> {
    let views = store.views();
    for name in super::RETIRED {
        let own_prefix = format!("{name}:");
        for stale in views
            .list_views()?
            .into_iter()
            .filter(|v| v.starts_with(&own_prefix))
        {
            tracing::info!(view = %stale, "dropping the view of a retired projection");
            views.drop_view(&stale)?;
        }
        if views.get_meta(&meta_key(name))?.is_some() {
            views.set_meta(&meta_key(name), None)?;
        }
    }
    Ok(())
}

/// Every projection of the application, by name.
#[derive(Clone)]
pub struct Projections {
    handles: Vec<Arc<ProjectionHandle>>,
}

impl Projections {
    /// Opens every projection in [`super::all`], after dropping the views of
    /// [`super::RETIRED`] projections a store written by an older version still holds.
    pub fn open(
        store: Arc<dyn EventStore>,
        metrics: Option<Metrics>,
    ) -> Result<Self, ProjectionError> {
        drop_retired(store.as_ref())?;
        let handles = super::all()
            .into_iter()
            .map(|p| ProjectionHandle::open(store.clone(), p, metrics.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { handles })
    }

    /// Starts folding every projection on the current runtime until `cancel`.
    pub fn spawn(&self, cancel: &CancellationToken) {
        for handle in &self.handles {
            let handle = handle.clone();
            let cancel = cancel.clone();
            tokio::spawn(async move { handle.run(cancel).await });
        }
    }

    /// A projection by name.
    pub fn get(&self, name: &str) -> Option<&Arc<ProjectionHandle>> {
        self.handles.iter().find(|h| h.name() == name)
    }

    /// A projection that must exist (the names are constants of this crate).
    pub fn expect(&self, name: &str) -> Result<&Arc<ProjectionHandle>, StoreError> {
        self.get(name).ok_or_else(|| StoreError::Corrupt {
            detail: format!("projection {name} is not running"),
        })
    }

    /// All of them.
    pub fn handles(&self) -> &[Arc<ProjectionHandle>] {
        &self.handles
    }

    /// Whether every projection has caught up with the log as it was at start.
    pub fn caught_up(&self) -> bool {
        self.handles.iter().all(|h| h.caught_up())
    }

    /// Waits until every projection has folded everything appended so far.
    pub async fn wait_for_head(&self, timeout: Duration) -> bool {
        for handle in &self.handles {
            if !handle.wait_for_head(timeout).await {
                return false;
            }
        }
        true
    }
}
