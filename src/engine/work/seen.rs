//! What the remote sides show, in the planners' terms: the connectors' shapes (an issue with
//! its changelog, a record as a map) turned into the observations [`crate::domain::plan`]
//! decides on.

use crate::connectors::jira::Issue;
use crate::connectors::salesforce::Record;
use crate::domain::fields::MappedField;
use crate::domain::plan::fields::{IssueFieldsSeen, RecordSeen};
use crate::engine::fetch::modstamp;

/// The record's values with its `SystemModstamp`.
pub fn record(record: &Record) -> RecordSeen<'_> {
    RecordSeen {
        values: record,
        modstamp: modstamp(record),
    }
}

/// The issue's values of the mapped fields, each with when it last changed: its newest
/// changelog entry, else the issue's `updated` (a changelog page may not reach the newest).
pub fn issue_fields(issue: &Issue, mapped: &[MappedField]) -> IssueFieldsSeen {
    let mut seen = IssueFieldsSeen::default();
    for field in mapped {
        let id = &field.mapping.jira_field;
        if let Some(value) = issue.fields.get(id) {
            seen.values.insert(id.clone(), value.clone());
        }
        if let Some(at) = issue.last_change_of(id).or_else(|| issue.updated()) {
            seen.changed_at.insert(id.clone(), at);
        }
    }
    seen
}
