//! API request limits: every REST call (token requests excluded, as in Salesforce) counts
//! against a daily allowance over a rolling 24 hours of emulated time. Each REST response
//! carries `Sforce-Limit-Info: api-usage=N/M`; once the allowance is spent, calls get 403
//! `REQUEST_LIMIT_EXCEEDED`. `GET …/limits` reports the same numbers.
//!
//! Source: REST API Developer Guide, "Sforce-Limit-Info" header and the Limits resource.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::error::SfError;

/// Minutes in the rolling window.
const WINDOW_MINUTES: i64 = 24 * 60;

/// Calls counted per minute of emulated time, for the last 24 hours.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Usage {
    buckets: VecDeque<(i64, u64)>,
}

fn minute(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

impl Usage {
    fn trim(&mut self, now: DateTime<Utc>) {
        let oldest = minute(now) - WINDOW_MINUTES;
        while self.buckets.front().is_some_and(|(m, _)| *m <= oldest) {
            self.buckets.pop_front();
        }
    }

    /// Calls in the 24 hours before `now`.
    pub fn used(&mut self, now: DateTime<Utc>) -> u64 {
        self.trim(now);
        self.buckets.iter().map(|(_, n)| n).sum()
    }

    /// Counts one call at `now`.
    pub fn record(&mut self, now: DateTime<Utc>) {
        let m = minute(now);
        match self.buckets.back_mut() {
            Some((last, n)) if *last == m => *n += 1,
            // A clock moved backwards keeps counting in the latest bucket.
            Some((last, n)) if *last > m => *n += 1,
            _ => self.buckets.push_back((m, 1)),
        }
    }

    /// Replaces the usage with `used` calls made at `now`.
    pub fn set(&mut self, now: DateTime<Utc>, used: u64) {
        self.buckets.clear();
        if used > 0 {
            self.buckets.push_back((minute(now), used));
        }
    }
}

/// The `Sforce-Limit-Info` header value.
pub fn header_value(used: u64, max: u64) -> String {
    format!("api-usage={used}/{max}")
}

/// 403 `REQUEST_LIMIT_EXCEEDED`.
pub fn exceeded() -> SfError {
    SfError::new(
        403,
        "REQUEST_LIMIT_EXCEEDED",
        "TotalRequests Limit exceeded.",
    )
}

/// The body of `GET …/limits`.
pub fn limits_body(used: u64, max: u64) -> Value {
    let pair = |max: u64, remaining: u64| json!({"Max": max, "Remaining": remaining});
    json!({
        "ConcurrentAsyncGetReportInstances": pair(200, 200),
        "ConcurrentSyncReportRuns": pair(20, 20),
        "DailyApiRequests": pair(max, max.saturating_sub(used)),
        "DailyAsyncApexExecutions": pair(250_000, 250_000),
        "DailyBulkApiBatches": pair(15_000, 15_000),
        "DailyBulkV2QueryFileStorageMB": pair(976_562, 976_562),
        "DailyBulkV2QueryJobs": pair(10_000, 10_000),
        "DataStorageMB": pair(5, 5),
        "FileStorageMB": pair(20, 20),
        "HourlyODataCallout": pair(10_000, 10_000),
        "SingleEmail": pair(15, 15),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn usage_rolls_off_after_24_hours() {
        let t0 = DateTime::parse_from_rfc3339("2024-01-02T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut usage = Usage::default();
        usage.record(t0);
        usage.record(t0 + Duration::minutes(1));
        assert_eq!(usage.used(t0 + Duration::hours(1)), 2);
        assert_eq!(usage.used(t0 + Duration::hours(24)), 1);
        assert_eq!(usage.used(t0 + Duration::hours(25)), 0);
        usage.set(t0, 10);
        assert_eq!(usage.used(t0), 10);
    }
}
