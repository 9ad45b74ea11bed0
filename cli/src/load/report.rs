//! What the load run measures and how it prints it: one table per scenario (wall time, calls by
//! side and endpoint, latency percentiles, memory, data directory) and one summary row per
//! number of links in the columns of the cost issue's table.
//!
//! The layout is kept stable so that runs before and after a change can be compared line by
//! line; add columns at the end rather than reorder them.

use std::collections::BTreeMap;
use std::time::Duration;

use emulator::common::requests::{Latency, RequestSummary};

use super::connector::Memory;

/// Remote calls one emulator served during a scenario.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    /// Calls by endpoint (method and path template), token requests and the load run's own
    /// calls left out.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Token requests (OAuth), counted apart.
    pub tokens: u64,
    /// Served-time percentiles of every call counted by the emulator (the load run's own
    /// included).
    pub served: Latency,
    /// The slowest call still in the emulator's recent log: served time in microseconds and
    /// the request line (method, path, query string).
    pub slowest: Option<(u64, String)>,
}

impl Calls {
    /// The counts of a request-log summary, less the calls the load run made itself.
    pub fn from_log(summary: &RequestSummary, own: &BTreeMap<String, u64>) -> Self {
        let slowest = summary.requests.iter().max_by_key(|r| r.micros).map(|r| {
            let query = percent_decode(&r.query);
            let line = if query.is_empty() {
                format!("{} {}", r.method, r.path)
            } else {
                format!("{} {}?{query}", r.method, r.path)
            };
            (r.micros, line)
        });
        let mut calls = Self {
            served: summary.latency,
            slowest,
            ..Self::default()
        };
        for (endpoint, count) in &summary.counts {
            let count = count.saturating_sub(own.get(endpoint).copied().unwrap_or(0));
            if count == 0 {
                continue;
            }
            if is_token_request(endpoint) {
                calls.tokens += count;
            } else {
                calls.by_endpoint.insert(endpoint.clone(), count);
            }
        }
        calls
    }

    /// Calls in all, token requests aside.
    pub fn total(&self) -> u64 {
        self.by_endpoint.values().sum()
    }
}

/// A query string made readable: `+` and `%XX` decoded (lossily), cut to 160 characters.
fn percent_decode(query: &str) -> String {
    let bytes = query.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).chars().take(160).collect()
}

/// Whether an endpoint key is an OAuth token request.
fn is_token_request(endpoint: &str) -> bool {
    endpoint.contains("/oauth2/token") || endpoint.contains("/oauth/token")
}

/// One measured scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name, e.g. `back-fill`.
    pub name: String,
    /// From the first request of the scenario until everything it caused had settled.
    pub wall: Duration,
    /// How long the sync run itself took (the admin API's answer), when there was one.
    pub run: Option<Duration>,
    /// Salesforce calls.
    pub salesforce: Calls,
    /// Jira calls.
    pub jira: Calls,
    /// Latencies the scenario itself measured (e.g. Jira edit → Salesforce write), by name.
    pub latencies: Vec<(String, Percentiles)>,
    /// The connector's memory afterwards.
    pub memory: Memory,
    /// The connector's data directory on disk afterwards, in bytes.
    pub disk: u64,
    /// What the run reported doing, and anything unexpected.
    pub notes: Vec<String>,
}

/// Percentiles of a set of durations.
#[derive(Debug, Clone, Copy, Default)]
pub struct Percentiles {
    /// Samples.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
}

impl Percentiles {
    /// Nearest-rank percentiles of `samples`.
    pub fn of(samples: &[Duration]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let rank = |p: f64| -> Duration {
            if sorted.is_empty() {
                return Duration::ZERO;
            }
            let at = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted[at - 1]
        };
        Self {
            count: sorted.len(),
            p50: rank(0.50),
            p90: rank(0.90),
            p99: rank(0.99),
            max: sorted.last().copied().unwrap_or_default(),
        }
    }
}

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `68.1 MB` (decimal megabytes, as the table).
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// `7.71 s` or `412 ms`.
pub fn seconds(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.2} s", d.as_secs_f64())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// `1.9 ms` from microseconds.
fn millis_us(us: u64) -> String {
    format!("{:.1} ms", us as f64 / 1000.0)
}

/// `3.2 ms` from a duration.
fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

impl Scenario {
    /// The scenario's table.
    pub fn render(&self, links: usize) -> String {
        let mut out = String::new();
        let line = |out: &mut String, text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line(
            &mut out,
            format!("── {} links · {} ──", thousands(links as u64), self.name),
        );
        let run = self
            .run
            .map(|r| format!("   (sync run {})", seconds(r)))
            .unwrap_or_default();
        line(
            &mut out,
            format!("  wall time        {}{run}", seconds(self.wall)),
        );
        for note in &self.notes {
            line(&mut out, format!("  note             {note}"));
        }
        for (side, calls) in [("Salesforce", &self.salesforce), ("Jira", &self.jira)] {
            let tokens = if calls.tokens > 0 {
                format!("   (+{} token requests)", thousands(calls.tokens))
            } else {
                String::new()
            };
            line(
                &mut out,
                format!("  {side:<16} {:>9} calls{tokens}", thousands(calls.total())),
            );
            for (endpoint, count) in &calls.by_endpoint {
                line(
                    &mut out,
                    format!("    {:>9}  {endpoint}", thousands(*count)),
                );
            }
        }
        for (side, calls) in [("Salesforce", &self.salesforce), ("Jira", &self.jira)] {
            let l = calls.served;
            line(
                &mut out,
                format!(
                    "  served ({side:<10}) p50 {}  p90 {}  p99 {}  max {}  over {} calls",
                    millis_us(l.p50_us),
                    millis_us(l.p90_us),
                    millis_us(l.p99_us),
                    millis_us(l.max_us),
                    thousands(l.count)
                ),
            );
        }
        for (side, calls) in [("Salesforce", &self.salesforce), ("Jira", &self.jira)] {
            if let Some((micros, request)) = &calls.slowest {
                line(
                    &mut out,
                    format!("  slowest ({side:<10}) {}  {request}", millis_us(*micros)),
                );
            }
        }
        for (name, p) in &self.latencies {
            line(
                &mut out,
                format!(
                    "  {name}  p50 {}  p90 {}  p99 {}  max {}  over {} samples",
                    millis(p.p50),
                    millis(p.p90),
                    millis(p.p99),
                    millis(p.max),
                    thousands(p.count as u64)
                ),
            );
        }
        line(
            &mut out,
            format!(
                "  connector        RSS {}   peak {}   data dir {}",
                megabytes(self.memory.rss),
                megabytes(self.memory.peak),
                megabytes(self.disk)
            ),
        );
        out
    }
}

/// The figures of one number of links, in the columns of the cost issue's table.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Links back-filled.
    pub links: usize,
    /// The back-fill scenario.
    pub backfill: Scenario,
    /// Issues the back-fill created.
    pub created: u64,
    /// The last quiet run.
    pub quiet: Scenario,
    /// The 1 % changed run, and how many records were changed.
    pub changed: (Scenario, usize),
    /// The Jira edits, and how many were made.
    pub jira_edits: (Scenario, usize),
}

/// The header of the summary table.
pub const SUMMARY_HEADER: &str = "| N links | back-fill | quiet run: Salesforce / Jira calls | 1 % changed: Jira calls (Salesforce calls) | Jira edit → Salesforce, p50 / p99 | RSS after quiet run (peak) | data dir |\n|---|---|---|---|---|---|---|";

impl Summary {
    /// One row of the summary table.
    pub fn row(&self) -> String {
        let backfill_secs = self.backfill.wall.as_secs_f64().max(1e-9);
        let rate = self.created as f64 / backfill_secs;
        let (changed, k) = &self.changed;
        let (edits, e) = &self.jira_edits;
        let edit_latency = edits
            .latencies
            .first()
            .map(|(_, p)| format!("{} / {}", millis(p.p50), millis(p.p99)))
            .unwrap_or_else(|| "–".into());
        format!(
            "| {} | {} ({:.0} issues/s) | {} / {} | {} for {} records ({} Salesforce) | {} ({} edits; {} Salesforce calls) | {} ({}) | {} |",
            thousands(self.links as u64),
            seconds(self.backfill.wall),
            rate,
            thousands(self.quiet.salesforce.total()),
            thousands(self.quiet.jira.total()),
            thousands(changed.jira.total()),
            thousands(*k as u64),
            thousands(changed.salesforce.total()),
            edit_latency,
            thousands(*e as u64),
            thousands(edits.salesforce.total()),
            megabytes(self.quiet.memory.rss),
            megabytes(self.jira_edits.0.memory.peak),
            megabytes(self.jira_edits.0.disk),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = Percentiles::of(&samples);
        assert_eq!(p.count, 100);
        assert_eq!(p.p50, Duration::from_millis(50));
        assert_eq!(p.p99, Duration::from_millis(99));
        assert_eq!(p.max, Duration::from_millis(100));
        assert_eq!(Percentiles::of(&[]).p99, Duration::ZERO);
    }

    #[test]
    fn token_requests_and_own_calls_are_counted_apart() {
        let summary = RequestSummary {
            total: 6,
            counts: BTreeMap::from([
                ("POST /services/oauth2/token".to_string(), 1),
                ("PUT /rest/api/3/issue/{id}".to_string(), 3),
                ("GET /rest/api/3/issue/{id}".to_string(), 2),
            ]),
            latency: Latency::default(),
            requests: Vec::new(),
        };
        let own = BTreeMap::from([("PUT /rest/api/3/issue/{id}".to_string(), 2)]);
        let calls = Calls::from_log(&summary, &own);
        assert_eq!(calls.tokens, 1);
        assert_eq!(calls.total(), 3);
        assert_eq!(calls.by_endpoint["PUT /rest/api/3/issue/{id}"], 1);
    }

    #[test]
    fn query_strings_are_decoded() {
        assert_eq!(
            percent_decode("q=SELECT+Id+FROM+Case+WHERE+Id+%3D+%27x%27&a=%"),
            "q=SELECT Id FROM Case WHERE Id = 'x'&a=%"
        );
    }
}
