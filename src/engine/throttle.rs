//! Slowing the whole connector down when a remote system asks for it.
//!
//! A Jira 429 with `Retry-After`, or Salesforce's `REQUEST_LIMIT_EXCEEDED`, is not a problem
//! of the record being synced: sending the next record's request at once would only fail the
//! same way. So the first such answer pauses all work towards that system — runs wait (or, for
//! a long pause, stop early and leave their watermarks where they are), the webhook inbox
//! waits — and the failing record is simply retried later.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::SyncError;
use crate::connectors::retry::RetryClassified;
use crate::domain::side::Side;

/// How long Salesforce work pauses after `REQUEST_LIMIT_EXCEEDED`.
pub const SALESFORCE_LIMIT_PAUSE: Duration = Duration::from_secs(15 * 60);

/// How long Jira work pauses after a 429 without `Retry-After`.
pub const JIRA_DEFAULT_PAUSE: Duration = Duration::from_secs(30);

/// The pauses in force.
#[derive(Debug, Default)]
pub struct Throttle {
    jira_until: Mutex<Option<Instant>>,
    salesforce_until: Mutex<Option<Instant>>,
}

fn extend(slot: &Mutex<Option<Instant>>, by: Duration) {
    let until = Instant::now() + by;
    let mut slot = slot.lock();
    if slot.is_none_or(|current| current < until) {
        *slot = Some(until);
    }
}

fn remaining(slot: &Mutex<Option<Instant>>) -> Option<Duration> {
    slot.lock()
        .and_then(|until| until.checked_duration_since(Instant::now()))
        .filter(|d| !d.is_zero())
}

impl Throttle {
    /// Pauses the system an error says is overloaded.
    pub fn note(&self, error: &SyncError) {
        match error {
            SyncError::Jira(e) if e.is_rate_limited() => {
                let pause = e.retry_after().unwrap_or(JIRA_DEFAULT_PAUSE);
                tracing::warn!(
                    pause_secs = pause.as_secs(),
                    "Jira rate limit: pausing Jira work"
                );
                extend(&self.jira_until, pause);
            }
            SyncError::Salesforce(e) if e.is_request_limit() => {
                tracing::warn!("Salesforce daily API limit reached: pausing Salesforce work");
                extend(&self.salesforce_until, SALESFORCE_LIMIT_PAUSE);
            }
            _ => {}
        }
    }

    /// How much longer work towards `side` is paused.
    pub fn paused(&self, side: Side) -> Option<Duration> {
        match side {
            Side::Jira => remaining(&self.jira_until),
            Side::Salesforce => remaining(&self.salesforce_until),
        }
    }

    /// Waits out a Jira pause of at most `cap`; false when the pause is longer (the caller
    /// should leave the work for later).
    pub async fn wait_for_jira(&self, cap: Duration) -> bool {
        match self.paused(Side::Jira) {
            None => true,
            Some(left) if left <= cap => {
                tokio::time::sleep(left).await;
                true
            }
            Some(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::jira::JiraError;

    #[test]
    fn a_rate_limit_pauses_jira_for_its_retry_after() {
        let throttle = Throttle::default();
        assert!(throttle.paused(Side::Jira).is_none());
        throttle.note(&SyncError::Jira(JiraError::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
            reason: None,
            body: Default::default(),
        }));
        let left = throttle.paused(Side::Jira).expect("paused");
        assert!(left <= Duration::from_secs(7) && left > Duration::from_secs(6));
        assert!(throttle.paused(Side::Salesforce).is_none());
    }
}
