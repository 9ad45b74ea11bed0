//! Jira's search index lags behind its database: a new issue can be fetched by key at once but
//! shows in JQL results only some time later.
//!
//! Atlassian documents JQL search as eventually consistent: `POST /rest/api/3/search/jql`
//! takes `reconcileIssues` ("strong consistency issue ids to be reconciled with search
//! results") precisely because a just-written issue may be missing from a search (see the
//! endpoint's description in the Jira Cloud platform OpenAPI document). The emulator is
//! strongly consistent by default; a test arms a lag through `POST /__emulator/search-index`
//! to check that a client never concludes "absent" from a search that cannot know yet. Only
//! the visibility of new issues lags; an issue named in `reconcileIssues` is always visible.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// When each new issue becomes searchable.
#[derive(Debug, Default)]
pub struct SearchIndexLag {
    lag: Mutex<Duration>,
    created: Mutex<HashMap<u64, Instant>>,
}

impl SearchIndexLag {
    /// Sets how long a new issue stays out of search results (zero: at once).
    pub fn set(&self, lag: Duration) {
        *self.lag.lock() = lag;
        if lag.is_zero() {
            self.created.lock().clear();
        }
    }

    /// The lag in force.
    pub fn lag(&self) -> Duration {
        *self.lag.lock()
    }

    /// Notes that issue `id` was just created.
    pub fn created(&self, id: u64) {
        let lag = self.lag();
        if lag.is_zero() {
            return;
        }
        let mut created = self.created.lock();
        let now = Instant::now();
        created.retain(|_, at| now.duration_since(*at) < lag);
        created.insert(id, now);
    }

    /// Whether issue `id` is searchable yet.
    pub fn searchable(&self, id: u64) -> bool {
        let lag = self.lag();
        lag.is_zero()
            || self
                .created
                .lock()
                .get(&id)
                .is_none_or(|at| at.elapsed() >= lag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_issues_wait_for_the_lag_and_others_never() {
        let index = SearchIndexLag::default();
        index.created(1);
        assert!(index.searchable(1), "no lag armed: at once");
        index.set(Duration::from_millis(40));
        index.created(2);
        assert!(!index.searchable(2));
        assert!(index.searchable(1), "older issues are indexed");
        std::thread::sleep(Duration::from_millis(50));
        assert!(index.searchable(2));
    }
}
