//! Rate-limit injection: `POST /__emulator/rate-limit {"times":N,"retry_after":S}` makes the
//! next N REST calls answer 429 with Jira Cloud's headers (`Retry-After`, `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining`, `X-RateLimit-Reset`, `X-RateLimit-NearLimit`, `RateLimit-Reason`).
//!
//! It is a thin layer over the shared fault injection, so armed rate limits show up in
//! `GET /__emulator/faults` like any other fault.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use crate::common::faults::ArmedFault;
use crate::common::{Common, FaultAction, FaultSpec};

/// The request body of `POST /__emulator/rate-limit`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSpec {
    /// How many requests are refused.
    #[serde(default = "one")]
    pub times: u32,
    /// `Retry-After`, in seconds.
    #[serde(default = "one_u64")]
    pub retry_after: u64,
    /// `RateLimit-Reason` (default `jira-burst-based`).
    #[serde(default)]
    pub reason: Option<String>,
    /// Only requests with this method (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Only paths matching this pattern (default every REST path, `/rest/*`).
    #[serde(default)]
    pub path: Option<String>,
}

fn one() -> u32 {
    1
}

fn one_u64() -> u64 {
    1
}

/// The body Jira sends with a 429.
pub fn body() -> serde_json::Value {
    json!({"errorMessages": ["Rate limit exceeded."], "errors": {}})
}

/// Arms the 429s as a fault.
pub fn arm(common: &Common, spec: RateLimitSpec) -> ArmedFault {
    let reset = common.clock.now() + Duration::seconds(spec.retry_after as i64);
    let headers = BTreeMap::from([
        ("Retry-After".to_string(), spec.retry_after.to_string()),
        ("X-RateLimit-Limit".to_string(), "100".to_string()),
        ("X-RateLimit-Remaining".to_string(), "0".to_string()),
        (
            "X-RateLimit-Reset".to_string(),
            reset.format("%Y-%m-%dT%H:%MZ").to_string(),
        ),
        ("X-RateLimit-NearLimit".to_string(), "true".to_string()),
        (
            "RateLimit-Reason".to_string(),
            spec.reason
                .unwrap_or_else(|| "jira-burst-based".to_string()),
        ),
    ]);
    common.faults.arm(FaultSpec {
        method: spec.method,
        path: spec.path.unwrap_or_else(|| "/rest/*".to_string()),
        times: spec.times,
        action: FaultAction::Respond {
            status: 429,
            body: Some(body()),
            text: None,
            headers,
        },
    })
}
