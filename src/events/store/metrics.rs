//! Prometheus metrics of the event store.
//!
//! The log is the spine of the service, so its health is worth four numbers on a dashboard: how
//! many events and appends go through, how well group commit batches them (requests per flush),
//! and how long a caller waits for a durable acknowledgement. The store takes the metrics as an
//! optional option, so tests and tools that do not serve `/metrics` need not build a registry.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Counters and histograms of one event store.
#[derive(Debug, Clone)]
pub struct StoreMetrics {
    /// Events written (retries answered from the idempotency index are not counted).
    pub events_appended: IntCounter,
    /// Append calls by outcome: `ok`, `replayed` (idempotent retry), `conflict`, `refused`,
    /// `error`.
    pub appends: IntCounterVec,
    /// Flushes (one per group commit that wrote something).
    pub flushes: IntCounter,
    /// Append requests per group commit.
    pub group_commit_size: Histogram,
    /// Time from calling `append` to its acknowledgement, in seconds.
    pub append_latency: Histogram,
    /// The last acknowledged sequence number.
    pub head: IntGauge,
}

impl StoreMetrics {
    /// Creates the collectors without registering them anywhere.
    pub fn new() -> Result<Self, prometheus::Error> {
        Ok(Self {
            events_appended: IntCounter::new(
                "sfjira_store_events_appended_total",
                "Events durably appended to the log.",
            )?,
            appends: IntCounterVec::new(
                Opts::new(
                    "sfjira_store_appends_total",
                    "Append calls by outcome (ok, replayed, conflict, refused, error).",
                ),
                &["outcome"],
            )?,
            flushes: IntCounter::new(
                "sfjira_store_flushes_total",
                "Group commits flushed to disk.",
            )?,
            group_commit_size: Histogram::with_opts(
                HistogramOpts::new(
                    "sfjira_store_group_commit_requests",
                    "Append requests written by one group commit (one flush).",
                )
                .buckets(prometheus::exponential_buckets(1.0, 2.0, 11)?),
            )?,
            append_latency: Histogram::with_opts(
                HistogramOpts::new(
                    "sfjira_store_append_latency_seconds",
                    "Time from append call to durable acknowledgement.",
                )
                .buckets(prometheus::exponential_buckets(0.000_05, 2.0, 16)?),
            )?,
            head: IntGauge::new(
                "sfjira_store_head_seq",
                "Sequence number of the last acknowledged event.",
            )?,
        })
    }

    /// Creates the collectors and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let m = Self::new()?;
        registry.register(Box::new(m.events_appended.clone()))?;
        registry.register(Box::new(m.appends.clone()))?;
        registry.register(Box::new(m.flushes.clone()))?;
        registry.register(Box::new(m.group_commit_size.clone()))?;
        registry.register(Box::new(m.append_latency.clone()))?;
        registry.register(Box::new(m.head.clone()))?;
        Ok(m)
    }

    /// Records the end of one append call.
    pub(crate) fn observe_append(
        &self,
        started: std::time::Instant,
        result: &Result<super::AppendOutcome, super::StoreError>,
        replayed: bool,
    ) {
        use super::StoreError as E;
        let outcome = match result {
            Ok(_) if replayed => "replayed",
            Ok(_) => "ok",
            Err(E::Conflict { .. }) => "conflict",
            Err(
                E::EmptyAppend { .. }
                | E::TooManyEvents { .. }
                | E::PayloadTooLarge { .. }
                | E::InvalidEvent { .. }
                | E::DuplicateEventId { .. }
                | E::PartialDuplicate { .. }
                | E::IdempotencyMismatch { .. },
            ) => "refused",
            Err(_) => "error",
        };
        self.appends.with_label_values(&[outcome]).inc();
        if result.is_ok() {
            self.append_latency.observe(started.elapsed().as_secs_f64());
        }
    }

    /// Records one flushed group commit.
    pub(crate) fn observe_commit(&self, requests: usize, events: u64, head: u64) {
        self.flushes.inc();
        self.group_commit_size.observe(requests as f64);
        self.events_appended.inc_by(events);
        self.head.set(i64::try_from(head).unwrap_or(i64::MAX));
    }
}
