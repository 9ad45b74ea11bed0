//! The evidence the two-way field rule ([`decide_field_winner`]) weighs, taken from what the
//! pull and push paths have in hand, and the events that record its verdicts.
//!
//! Both sides' values are compared in their Salesforce form (a Jira value is converted as if it
//! were to be pushed), so "the value both sides last held" is one fingerprint per mapping
//! whichever direction last wrote it. A Jira value that cannot be converted is fingerprinted
//! as it stands: it never equals the agreed value, so it counts as a change and the change
//! times decide.
//!
//! [`decide_field_winner`]: crate::domain::fields::decide_field_winner

use std::fmt::Display;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::WorkOutcome;
use crate::actors::link::LinkSession;
use crate::connectors::jira::Issue;
use crate::connectors::salesforce::Record;
use crate::domain::echo::fingerprint_field_value;
use crate::domain::fields::{
    decide_field_winner, jira_to_sf, sf_to_jira, FieldReason, FieldSides, FieldVerdict,
};
use crate::domain::ids::JiraIssueKey;
use crate::domain::link::events::{FieldInStep, FieldPulled, LinkEvent};
use crate::domain::link::FieldMemory;
use crate::engine::metadata::MappedField;
use crate::engine::{Engine, SyncError};

/// What the link remembers of the mapping, if anything.
pub(super) fn memory<'a>(session: &'a LinkSession, field: &MappedField) -> Option<&'a FieldMemory> {
    let key = (
        field.mapping.salesforce_field.clone(),
        field.mapping.jira_field.clone(),
    );
    session.state().fields.get(&key)
}

/// The record's value of the mapped field.
pub(super) fn salesforce_value(record: &Record, field: &MappedField) -> Value {
    record
        .get(&field.mapping.salesforce_field)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Fingerprint of a value in its Salesforce form.
pub(super) fn print(value: &Value) -> String {
    fingerprint_field_value(value).as_str().to_string()
}

/// Fingerprint of the issue's value of the mapped field, in its Salesforce form.
pub(super) fn jira_print(issue: &Issue, field: &MappedField) -> String {
    let value = issue
        .fields
        .get(&field.mapping.jira_field)
        .cloned()
        .unwrap_or(Value::Null);
    match jira_to_sf(&value, &field.jira, &field.salesforce) {
        Ok(converted) => print(&converted),
        Err(_) => print(&json!({ "unconvertible_jira_value": value })),
    }
}

/// When the issue's value of the field last changed: its newest changelog entry, else the
/// issue's `updated` (a changelog page may not reach the newest entries).
pub(super) fn jira_changed_at(issue: &Issue, field: &MappedField) -> Option<DateTime<Utc>> {
    issue
        .last_change_of(&field.mapping.jira_field)
        .or_else(|| issue.updated())
}

/// The rule's verdict for one mapping.
pub(super) fn verdict(
    memory: Option<&FieldMemory>,
    salesforce: (&str, Option<DateTime<Utc>>),
    jira: (&str, Option<DateTime<Utc>>),
) -> FieldVerdict {
    decide_field_winner(&FieldSides {
        agreed: memory.map(|m| m.agreed.as_str()),
        salesforce: salesforce.0,
        salesforce_changed_at: salesforce.1,
        jira: jira.0,
        jira_changed_at: jira.1,
    })
}

/// Both sides hold `fingerprint`: remember it, unless that is already what the link remembers.
pub(super) fn in_step(
    memory: Option<&FieldMemory>,
    field: &MappedField,
    fingerprint: &str,
    salesforce_modstamp: Option<DateTime<Utc>>,
) -> Option<LinkEvent> {
    if memory.is_some_and(|m| m.agreed == fingerprint) {
        return None;
    }
    Some(LinkEvent::FieldInStep(FieldInStep {
        salesforce_field: field.mapping.salesforce_field.clone(),
        jira_field: field.mapping.jira_field.clone(),
        fingerprint: fingerprint.to_string(),
        salesforce_modstamp,
    }))
}

/// A Salesforce value written to Jira, with why it held; Jira's change time is kept only when
/// Jira had changed too.
pub(super) fn pulled(
    field: &MappedField,
    written: Value,
    fingerprint: String,
    salesforce_modstamp: Option<DateTime<Utc>>,
    reason: FieldReason,
    jira_changed_at: Option<DateTime<Utc>>,
) -> LinkEvent {
    let both_changed = matches!(
        reason,
        FieldReason::ChangedLater | FieldReason::TieGoesToSalesforce
    );
    LinkEvent::FieldPulled(FieldPulled {
        salesforce_field: field.mapping.salesforce_field.clone(),
        jira_field: field.mapping.jira_field.clone(),
        value: written,
        fingerprint,
        source_modstamp: salesforce_modstamp,
        reason,
        jira_changed_at: jira_changed_at.filter(|_| both_changed),
    })
}

/// How a value that cannot be converted is reported: `from → to: why`.
pub(super) fn conversion_problem(from: &str, to: &str, error: impl Display) -> String {
    format!("{from} → {to}: {error}")
}

/// Ok, or the refusal naming every value that could not be converted.
pub(super) fn refused(problems: Vec<String>) -> Result<(), SyncError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SyncError::invalid(
            "field_conversion",
            problems.join("; "),
            Value::Null,
        ))
    }
}

/// Salesforce values to write to the issue in one edit, each with its `link.field_pulled`.
#[derive(Default)]
pub(super) struct JiraEdit {
    fields: Map<String, Value>,
    events: Vec<LinkEvent>,
}

impl JiraEdit {
    /// Adds Salesforce's `source` value of the field, converted for Jira; a value that cannot
    /// be converted goes to `problems` instead.
    pub(super) fn pull(
        &mut self,
        field: &MappedField,
        source: &Value,
        salesforce_modstamp: Option<DateTime<Utc>>,
        (reason, jira_changed_at): (FieldReason, Option<DateTime<Utc>>),
        problems: &mut Vec<String>,
    ) {
        let mapping = &field.mapping;
        match sf_to_jira(source, &field.salesforce, &field.jira) {
            Ok(written) => {
                self.fields
                    .insert(mapping.jira_field.clone(), written.clone());
                self.events.push(pulled(
                    field,
                    written,
                    print(source),
                    salesforce_modstamp,
                    reason,
                    jira_changed_at,
                ));
            }
            Err(e) => problems.push(conversion_problem(
                &mapping.salesforce_field,
                &mapping.jira_field,
                e,
            )),
        }
    }

    /// Writes the values to `key` in one edit (nothing when there are none), counts them, and
    /// returns their events for the caller to record.
    pub(super) async fn write(
        self,
        engine: &Engine,
        key: &JiraIssueKey,
        outcome: &mut WorkOutcome,
    ) -> Result<Vec<LinkEvent>, SyncError> {
        if !self.fields.is_empty() {
            let written = self.fields.len() as u64;
            engine.jira()?.edit_issue(key, self.fields).await?;
            outcome.fields_pulled += written;
        }
        Ok(self.events)
    }
}
