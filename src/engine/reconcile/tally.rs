//! A run's tally: what its units of work did, the records they left for the next run, and
//! the outcome the run reports (completed, or partial with the reasons).

use std::collections::BTreeSet;

use crate::domain::ids::SalesforceId;
use crate::engine::work::WorkOutcome;
use crate::engine::SyncError;
use crate::events::scheduler::{ItemOutcome, RunCounts};

/// A run's counts, the records it left unhandled, and what went wrong.
pub(super) struct Tally {
    /// What the run did.
    pub counts: RunCounts,
    /// Records to read again next run.
    pub unhandled: BTreeSet<SalesforceId>,
    /// What went wrong, record by record (and in the sweep).
    pub errors: Vec<String>,
}

impl Tally {
    /// Nothing counted yet.
    pub fn new() -> Self {
        Self {
            counts: RunCounts::default(),
            unhandled: BTreeSet::new(),
            errors: Vec::new(),
        }
    }

    /// Counts what one unit of work did.
    pub fn add(&mut self, outcome: &WorkOutcome) {
        let counts = &mut self.counts;
        counts.issues_created += u64::from(outcome.issue_created);
        counts.fields_pulled += outcome.fields_pulled;
        counts.fields_pushed += outcome.fields_pushed;
        counts.statuses_written += outcome.statuses_written;
        counts.comments_paired += outcome.comments_paired;
        counts.attachments_paired += outcome.attachments_paired;
        counts.attachments_skipped += outcome.attachments_skipped;
        counts.failures += outcome.failures;
    }

    /// Counts one record's job; a record whose work must be retried stays unhandled.
    pub fn record(&mut self, record: SalesforceId, result: Result<WorkOutcome, SyncError>) {
        match result {
            Ok(outcome) => {
                self.add(&outcome);
                if outcome.retry_needed {
                    self.unhandled.insert(record);
                }
            }
            Err(error) => {
                self.counts.failures += 1;
                self.errors.push(format!("{record}: {error}"));
                self.unhandled.insert(record);
            }
        }
    }

    /// Completed when everything was handled; partial (read again next time) otherwise.
    pub fn outcome(&self) -> ItemOutcome {
        if self.unhandled.is_empty() && self.errors.is_empty() {
            return ItemOutcome::Completed;
        }
        let errors = if self.errors.is_empty() {
            String::new()
        } else {
            format!(": {}", self.errors.join("; "))
        };
        ItemOutcome::Partial {
            reason: format!(
                "{} record(s) not handled yet; they will be read again{errors}",
                self.unhandled.len()
            ),
        }
    }
}
