//! The Prometheus collectors sfjira exports on `/metrics`, in one registry per application.
//!
//! One registry per [`crate::startup::Application`] (not the global default) so that tests can
//! start many applications in one process without their counters colliding.

use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

use crate::events::store::StoreMetrics;

/// Every collector, registered in `registry`.
#[derive(Clone)]
pub struct Metrics {
    /// The registry `/metrics` renders.
    pub registry: Registry,
    /// Event store: appends, flushes, latency, head.
    pub store: StoreMetrics,
    /// Events between the log head and each projection's checkpoint.
    pub projection_lag: IntGaugeVec,
    /// Each projection's checkpoint.
    pub projection_checkpoint: IntGaugeVec,
    /// Link actors currently active.
    pub active_link_actors: IntGauge,
    /// Reconciliation runs by trigger.
    pub scheduler_runs: IntCounterVec,
    /// Ticks skipped because a run was still active.
    pub scheduler_ticks_skipped: IntCounter,
    /// Jira webhook deliveries by outcome.
    pub webhooks: IntCounterVec,
    /// 1 while the event store accepts writes, 0 once its writer stopped after a failure.
    pub store_writable: IntGauge,
}

impl Metrics {
    /// Creates and registers every collector.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let store = StoreMetrics::register(&registry)?;
        let projection_lag = IntGaugeVec::new(
            Opts::new(
                "sfjira_projection_lag_events",
                "Events between the log head and the projection's checkpoint",
            ),
            &["projection"],
        )?;
        let projection_checkpoint = IntGaugeVec::new(
            Opts::new(
                "sfjira_projection_checkpoint",
                "Last log sequence folded into the view",
            ),
            &["projection"],
        )?;
        let active_link_actors =
            IntGauge::new("sfjira_link_actors_active", "Link actors currently active")?;
        let scheduler_runs = IntCounterVec::new(
            Opts::new("sfjira_scheduler_runs_total", "Reconciliation runs started"),
            &["trigger"],
        )?;
        let scheduler_ticks_skipped = IntCounter::new(
            "sfjira_scheduler_ticks_skipped_total",
            "Scheduler ticks skipped because a run was still active",
        )?;
        let webhooks = IntCounterVec::new(
            Opts::new(
                "sfjira_webhooks_total",
                "Jira webhook deliveries by outcome",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(projection_lag.clone()))?;
        registry.register(Box::new(projection_checkpoint.clone()))?;
        registry.register(Box::new(active_link_actors.clone()))?;
        registry.register(Box::new(scheduler_runs.clone()))?;
        registry.register(Box::new(scheduler_ticks_skipped.clone()))?;
        let store_writable = IntGauge::new(
            "sfjira_store_writable",
            "1 while the event store accepts writes, 0 after its writer stopped on a failed write or flush",
        )?;
        store_writable.set(1);
        registry.register(Box::new(webhooks.clone()))?;
        registry.register(Box::new(store_writable.clone()))?;
        Ok(Self {
            registry,
            store,
            projection_lag,
            projection_checkpoint,
            active_link_actors,
            scheduler_runs,
            scheduler_ticks_skipped,
            webhooks,
            store_writable,
        })
    }

    /// The registry in Prometheus text format.
    pub fn render(&self) -> String {
        use prometheus::Encoder;
        let mut out = Vec::new();
        let encoder = prometheus::TextEncoder::new();
        if encoder.encode(&self.registry.gather(), &mut out).is_err() {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }
}
