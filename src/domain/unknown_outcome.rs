//! When a lookup that did not find our marker proves that a create never happened.
//!
//! A remote create whose answer was lost (a timeout, a dropped connection, a 5xx from a proxy)
//! may or may not have happened; and a create may still be running on the remote side after
//! the client stopped waiting, or after sfjira was killed mid-call. So sfjira never sends such a
//! create again blindly: it looks for the marker the object carries. Finding it settles the
//! question at once. Not finding it proves absence only once nothing sent earlier can still
//! land, and once the lookup can see what landed:
//!
//! - a request still in flight on the remote side lands within `in_flight` of the attempt (the
//!   remote systems and the proxies before them end requests well before that);
//! - a lookup by key or by parent (a Jira issue's comments and attachments, a SOQL query on a
//!   record's comments and files) reads its own writes; a JQL search reads an index that trails
//!   the database, so it needs `search_index` more.
//!
//! Before that moment the create waits (the step is retried later) rather than risk a duplicate.

use chrono::{DateTime, Duration, Utc};

/// How the marker lookup of a create sees recent writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupConsistency {
    /// Reads its own writes (by key, id or parent record).
    ReadYourWrites,
    /// Reads a search index that trails the writes (Jira's JQL).
    SearchIndex,
}

/// How long after an attempt a lookup may still miss what the attempt created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownOutcomeWindow {
    /// Longest a sent request may still be processed remotely after it was sent.
    pub in_flight: Duration,
    /// Longest the search index trails a write.
    pub search_index: Duration,
}

impl UnknownOutcomeWindow {
    /// How long after an attempt a lookup of this consistency may still miss its object.
    pub fn for_lookup(&self, consistency: LookupConsistency) -> Duration {
        match consistency {
            LookupConsistency::ReadYourWrites => self.in_flight,
            LookupConsistency::SearchIndex => self.in_flight + self.search_index,
        }
    }
}

/// Whether an empty lookup at `now` proves that nothing sent at or before `last_attempt`
/// created the object: `Ok(())` when it does, `Err(when)` with the first moment it will.
/// `None` for `last_attempt` means no attempt time is known (an intent recorded before
/// attempts were timed), which is treated as long past.
pub fn absence_proven(
    last_attempt: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    consistency: LookupConsistency,
    window: &UnknownOutcomeWindow,
) -> Result<(), DateTime<Utc>> {
    let Some(attempt) = last_attempt else {
        return Ok(());
    };
    let proven_at = attempt + window.for_lookup(consistency);
    if now >= proven_at {
        Ok(())
    } else {
        Err(proven_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> UnknownOutcomeWindow {
        UnknownOutcomeWindow {
            in_flight: Duration::seconds(60),
            search_index: Duration::seconds(30),
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).expect("valid")
    }

    #[test]
    fn given_a_lost_answer_when_a_read_your_writes_lookup_is_empty_too_soon_then_wait() {
        let attempt = Some(at(0));
        let rule = LookupConsistency::ReadYourWrites;
        assert_eq!(absence_proven(attempt, at(5), rule, &window()), Err(at(60)));
        assert_eq!(absence_proven(attempt, at(60), rule, &window()), Ok(()));
    }

    #[test]
    fn given_a_lost_answer_when_only_a_search_can_look_then_the_index_lag_is_added() {
        let attempt = Some(at(0));
        let rule = LookupConsistency::SearchIndex;
        assert_eq!(
            absence_proven(attempt, at(75), rule, &window()),
            Err(at(90))
        );
        assert_eq!(absence_proven(attempt, at(90), rule, &window()), Ok(()));
    }

    #[test]
    fn given_no_known_attempt_time_then_an_empty_lookup_is_proof() {
        assert_eq!(
            absence_proven(None, at(0), LookupConsistency::SearchIndex, &window()),
            Ok(())
        );
    }
}
