//! The request log: every call an emulator served (outside the control API), with counts per
//! endpoint and how long the emulator took to serve them.
//!
//! sfjira promises that its Salesforce calls per cycle grow with the number of changes, never
//! with the number of links; tests prove such promises by reading these counts, and the load
//! run (`sfjira load`) reports them per scenario with the served-time percentiles.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;

/// How many individual requests are kept (counts are kept for all).
const KEPT: usize = 20_000;

/// One served request.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    /// 1-based order of arrival.
    pub seq: u64,
    /// Real time it was served.
    pub at: DateTime<Utc>,
    /// HTTP method.
    pub method: String,
    /// Path as requested.
    pub path: String,
    /// Query string, if any.
    pub query: String,
    /// Endpoint key: method plus the path with ids replaced by `{id}`.
    pub endpoint: String,
    /// Status answered (0 when the connection was dropped).
    pub status: u16,
    /// Whether an injected fault answered it.
    pub faulted: bool,
    /// Microseconds from the request reaching the emulator to its answer being ready (injected
    /// delays included).
    pub micros: u64,
}

#[derive(Debug, Default)]
struct Inner {
    total: u64,
    counts: BTreeMap<String, u64>,
    recent: VecDeque<RequestRecord>,
    /// Served time of every request since the last reset, in microseconds.
    micros: Vec<u32>,
}

/// Served-time percentiles of the requests since the last reset, in microseconds (all zero when
/// there were none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Latency {
    /// Requests measured.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Slowest.
    pub max_us: u64,
}

impl Latency {
    /// Nearest-rank percentiles of `samples` (sorted in place).
    pub fn of(samples: &mut [u32]) -> Self {
        samples.sort_unstable();
        let rank = |p: f64| -> u64 {
            if samples.is_empty() {
                return 0;
            }
            let at = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            u64::from(samples[at - 1])
        };
        Self {
            count: samples.len() as u64,
            p50_us: rank(0.50),
            p90_us: rank(0.90),
            p99_us: rank(0.99),
            max_us: samples.last().copied().map_or(0, u64::from),
        }
    }
}

/// Shared request log.
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Inner>>);

/// What `GET /__emulator/requests` answers.
#[derive(Debug, Clone, Serialize)]
pub struct RequestSummary {
    /// Requests served since the last reset.
    pub total: u64,
    /// Requests per endpoint key.
    pub counts: BTreeMap<String, u64>,
    /// Served-time percentiles over every request counted.
    pub latency: Latency,
    /// The most recent requests, oldest first.
    pub requests: Vec<RequestRecord>,
}

impl RequestLog {
    /// Records one request that took `micros` to serve.
    pub fn record(
        &self,
        method: &str,
        path: &str,
        query: &str,
        status: u16,
        faulted: bool,
        micros: u64,
    ) {
        let mut inner = self.0.lock();
        inner.total += 1;
        let endpoint = endpoint_key(method, path);
        *inner.counts.entry(endpoint.clone()).or_default() += 1;
        inner.micros.push(u32::try_from(micros).unwrap_or(u32::MAX));
        let seq = inner.total;
        if inner.recent.len() == KEPT {
            inner.recent.pop_front();
        }
        inner.recent.push_back(RequestRecord {
            seq,
            at: Utc::now(),
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            endpoint,
            status,
            faulted,
            micros,
        });
    }

    /// Requests served since the last reset.
    pub fn total(&self) -> u64 {
        self.0.lock().total
    }

    /// Counts, and the most recent `limit` requests.
    pub fn summary(&self, limit: usize) -> RequestSummary {
        let inner = self.0.lock();
        let skip = inner.recent.len().saturating_sub(limit);
        let mut micros = inner.micros.clone();
        RequestSummary {
            total: inner.total,
            counts: inner.counts.clone(),
            latency: Latency::of(&mut micros),
            requests: inner.recent.iter().skip(skip).cloned().collect(),
        }
    }

    /// Forgets everything.
    pub fn reset(&self) {
        *self.0.lock() = Inner::default();
    }
}

/// `GET /services/data/v60.0/sobjects/Case/500xx000000bQ2LAAU` → `GET /services/data/v60.0/sobjects/Case/{id}`.
///
/// Segments that look like record ids (15 or 18 alphanumerics with a digit), numbers, Jira
/// issue keys (`SUP-12`) or query locators become `{id}`.
pub fn endpoint_key(method: &str, path: &str) -> String {
    let normalized: Vec<String> = path
        .split('/')
        .map(|segment| {
            if looks_like_id(segment) {
                "{id}".to_string()
            } else {
                segment.to_string()
            }
        })
        .collect();
    format!("{} {}", method.to_ascii_uppercase(), normalized.join("/"))
}

fn looks_like_id(segment: &str) -> bool {
    if segment.is_empty() {
        return false;
    }
    let has_digit = segment.chars().any(|c| c.is_ascii_digit());
    // Short numbers are API versions (`/rest/api/3`), not ids.
    let all_digits = segment.len() >= 4 && segment.chars().all(|c| c.is_ascii_digit());
    let alnum = segment.chars().all(|c| c.is_ascii_alphanumeric());
    let sf_id = alnum && has_digit && (segment.len() == 15 || segment.len() == 18);
    let jira_key = segment.split_once('-').is_some_and(|(p, n)| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && p.starts_with(|c: char| c.is_ascii_alphabetic())
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
    });
    // Salesforce query locators: `01gRO0000016PIAYA2-2000`.
    let locator = segment.split_once('-').is_some_and(|(id, offset)| {
        (id.len() == 15 || id.len() == 18)
            && id.chars().all(|c| c.is_ascii_alphanumeric())
            && !offset.is_empty()
            && offset.chars().all(|c| c.is_ascii_digit())
    });
    all_digits || sf_id || jira_key || locator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_numbers_and_keys_collapse_to_placeholders() {
        assert_eq!(
            endpoint_key(
                "get",
                "/services/data/v60.0/sobjects/Case/500xx000000bQ2LAAU"
            ),
            "GET /services/data/v60.0/sobjects/Case/{id}"
        );
        assert_eq!(
            endpoint_key("POST", "/rest/api/3/issue/SUP-12/comment"),
            "POST /rest/api/3/issue/{id}/comment"
        );
        assert_eq!(
            endpoint_key("GET", "/rest/api/3/attachment/content/10000"),
            "GET /rest/api/3/attachment/content/{id}"
        );
        assert_eq!(endpoint_key("GET", "/services/data"), "GET /services/data");
        assert_eq!(
            endpoint_key("GET", "/services/data/v60.0/query/01gRO0000016PIAYA2-2000"),
            "GET /services/data/v60.0/query/{id}"
        );
    }

    #[test]
    fn counts_survive_the_recent_window() {
        let log = RequestLog::default();
        for micros in [30, 10, 20] {
            log.record("GET", "/a", "", 200, false, micros);
        }
        let summary = log.summary(2);
        assert_eq!(summary.total, 3);
        assert_eq!(summary.counts["GET /a"], 3);
        assert_eq!(summary.requests.len(), 2);
        assert_eq!(
            summary.latency,
            Latency {
                count: 3,
                p50_us: 20,
                p90_us: 30,
                p99_us: 30,
                max_us: 30
            }
        );
        log.reset();
        assert_eq!(log.total(), 0);
    }
}
