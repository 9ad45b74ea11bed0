//! The org's daily API budget as Salesforce reports it, and the calls this client spent.
//!
//! Every REST response carries `Sforce-Limit-Info: api-usage=used/limit` for the rolling 24
//! hours. The scheduler pauses optional work when the share used passes a threshold, and the
//! admin page shows the figure, so the client keeps the latest value it saw. It also counts its
//! own REST calls (token requests are not API calls and are not counted), which is how tests
//! prove that a sync cycle's cost grows with the number of changes and not with the number of
//! links.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::Serialize;

/// The name of the header.
pub const LIMIT_INFO_HEADER: &str = "sforce-limit-info";

/// API calls used and allowed in the rolling 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApiUsage {
    /// Calls used.
    pub used: u64,
    /// Calls allowed.
    pub limit: u64,
}

impl ApiUsage {
    /// The share of the limit used, from 0.0 (also when the limit is 0) upward.
    pub fn share_used(&self) -> f64 {
        if self.limit == 0 {
            0.0
        } else {
            self.used as f64 / self.limit as f64
        }
    }

    /// Calls left before the limit.
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }
}

/// Parses the `api-usage=N/M` item of a `Sforce-Limit-Info` value. Other items
/// (`api-bursts=…`, `per-app-api-usage=…(appName=…)`) are ignored, in any order.
pub fn parse_limit_info(value: &str) -> Option<ApiUsage> {
    value.split([';', ',']).find_map(|item| {
        let (name, figures) = item.trim().split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("api-usage") {
            return None;
        }
        let (used, limit) = figures.trim().split_once('/')?;
        Some(ApiUsage {
            used: used.trim().parse().ok()?,
            limit: limit.trim().parse().ok()?,
        })
    })
}

/// What the client observed: the latest usage figure and its own call count.
#[derive(Debug, Default)]
pub(crate) struct UsageTracker {
    latest: Mutex<Option<ApiUsage>>,
    calls: AtomicU64,
}

impl UsageTracker {
    /// Records one REST call sent.
    pub(crate) fn count_call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// REST calls sent so far.
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Reads the header from a response, when present.
    pub(crate) fn observe(&self, headers: &reqwest::header::HeaderMap) {
        if let Some(usage) = headers
            .get(LIMIT_INFO_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_limit_info)
        {
            *self.latest.lock() = Some(usage);
        }
    }

    /// The latest usage seen.
    pub(crate) fn latest(&self) -> Option<ApiUsage> {
        *self.latest.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_plain_form() {
        assert_eq!(
            parse_limit_info("api-usage=18/5000"),
            Some(ApiUsage {
                used: 18,
                limit: 5000
            })
        );
    }

    #[test]
    fn parses_among_other_items_in_any_order() {
        assert_eq!(
            parse_limit_info("api-bursts=1/750; api-usage=10018/100000"),
            Some(ApiUsage {
                used: 10018,
                limit: 100000
            })
        );
        assert_eq!(
            parse_limit_info(
                "api-usage=25/15000; per-app-api-usage=17/250(appName=sample-connected-app)"
            ),
            Some(ApiUsage {
                used: 25,
                limit: 15000
            })
        );
        assert_eq!(
            parse_limit_info(" API-USAGE = 1 / 2 "),
            Some(ApiUsage { used: 1, limit: 2 })
        );
    }

    #[test]
    fn ignores_garbage() {
        for bad in [
            "",
            "api-usage",
            "api-usage=",
            "api-usage=12",
            "api-usage=a/b",
            "per-app-api-usage=17/250(appName=x)",
        ] {
            assert_eq!(parse_limit_info(bad), None, "{bad}");
        }
    }

    #[test]
    fn shares_and_remaining() {
        let u = ApiUsage {
            used: 4000,
            limit: 5000,
        };
        assert!((u.share_used() - 0.8).abs() < 1e-9);
        assert_eq!(u.remaining(), 1000);
        let over = ApiUsage { used: 7, limit: 5 };
        assert_eq!(over.remaining(), 0);
        assert_eq!(ApiUsage { used: 1, limit: 0 }.share_used(), 0.0);
    }

    #[test]
    fn the_tracker_keeps_the_latest_figure_and_counts_calls() {
        let tracker = UsageTracker::default();
        assert_eq!(tracker.latest(), None);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(LIMIT_INFO_HEADER, "api-usage=5/100".parse().expect("value"));
        tracker.observe(&headers);
        headers.insert(LIMIT_INFO_HEADER, "api-usage=6/100".parse().expect("value"));
        tracker.observe(&headers);
        tracker.observe(&reqwest::header::HeaderMap::new());
        assert_eq!(
            tracker.latest(),
            Some(ApiUsage {
                used: 6,
                limit: 100
            })
        );
        tracker.count_call();
        tracker.count_call();
        assert_eq!(tracker.calls(), 2);
    }
}
