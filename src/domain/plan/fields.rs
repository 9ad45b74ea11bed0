//! Mapped fields both ways, as plans: which values are news to the link, which side wins a
//! two-way field that changed on both, and what is written where.
//!
//! Both sides' values are compared in their Salesforce form (a Jira value is converted as if it
//! were to be pushed), so "the value both sides last held" is one fingerprint per mapping
//! whichever direction last wrote it; our own write coming back is recognised by it (echo).
//! A Jira value that cannot be converted is fingerprinted as it stands: it never equals the
//! agreed value, so it counts as a change and the change times decide.

use std::collections::BTreeMap;
use std::fmt::Display;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::{Effect, Plan, Step};
use crate::domain::echo::fingerprint_field_value;
use crate::domain::fields::{
    decide_field_winner, jira_to_sf, sf_to_jira, FieldReason, FieldSides, FieldVerdict, MappedField,
};
use crate::domain::item::{FieldMapping, ItemDefinition, SyncMode};
use crate::domain::link::events::{FieldInStep, FieldPulled, FieldPushed, LinkEvent};
use crate::domain::link::{FieldMemory, LinkState};
use crate::domain::side::Side;

/// The record as read: its values and its `SystemModstamp`.
#[derive(Debug, Clone, Copy)]
pub struct RecordSeen<'a> {
    /// Field API name → value.
    pub values: &'a Map<String, Value>,
    /// When it last changed.
    pub modstamp: Option<DateTime<Utc>>,
}

/// The issue's mapped fields as read: values, and when each last changed (its newest
/// changelog entry, else the issue's `updated`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IssueFieldsSeen {
    /// Jira field id → value.
    pub values: Map<String, Value>,
    /// Jira field id → when it last changed.
    pub changed_at: BTreeMap<String, DateTime<Utc>>,
}

impl IssueFieldsSeen {
    fn value(&self, field: &MappedField) -> Value {
        self.values
            .get(&field.mapping.jira_field)
            .cloned()
            .unwrap_or(Value::Null)
    }

    fn changed_at(&self, field: &MappedField) -> Option<DateTime<Utc>> {
        self.changed_at.get(&field.mapping.jira_field).copied()
    }

    /// Fingerprint of the issue's value of the field, in its Salesforce form.
    fn print(&self, field: &MappedField) -> String {
        let value = self.value(field);
        match jira_to_sf(&value, &field.jira, &field.salesforce) {
            Ok(converted) => print(&converted),
            Err(_) => print(&json!({ "unconvertible_jira_value": value })),
        }
    }
}

/// What the link remembers of the mapping, if anything.
pub fn memory<'a>(state: &'a LinkState, field: &MappedField) -> Option<&'a FieldMemory> {
    let key = (
        field.mapping.salesforce_field.clone(),
        field.mapping.jira_field.clone(),
    );
    state.fields.get(&key)
}

/// The record's value of the mapped field.
pub fn salesforce_value(record: &Map<String, Value>, field: &MappedField) -> Value {
    record
        .get(&field.mapping.salesforce_field)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Fingerprint of a value in its Salesforce form.
pub fn print(value: &Value) -> String {
    fingerprint_field_value(value).as_str().to_string()
}

/// How a value that cannot be converted is reported: `from → to: why`.
pub fn conversion_problem(from: &str, to: &str, error: impl Display) -> String {
    format!("{from} → {to}: {error}")
}

/// The rule's verdict for one mapping.
fn verdict(
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
fn in_step(
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
pub fn pulled(
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

/// Salesforce values to write to the issue in one edit, each with its `link.field_pulled`.
#[derive(Default)]
struct JiraEdit {
    fields: Map<String, Value>,
    events: Vec<LinkEvent>,
}

impl JiraEdit {
    /// Adds Salesforce's `source` value of the field, converted for Jira; a value that cannot
    /// be converted goes to `refused` instead.
    fn pull(
        &mut self,
        field: &MappedField,
        source: &Value,
        salesforce_modstamp: Option<DateTime<Utc>>,
        (reason, jira_changed_at): (FieldReason, Option<DateTime<Utc>>),
        refused: &mut Vec<String>,
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
            Err(e) => refused.push(conversion_problem(
                &mapping.salesforce_field,
                &mapping.jira_field,
                e,
            )),
        }
    }

    /// The edit as a step recording `before` and the pulled values' events once it is written.
    fn step(self, mut before: Vec<LinkEvent>) -> Step {
        before.extend(self.events);
        Step {
            effect: (!self.fields.is_empty()).then_some(Effect::EditIssue {
                fields: self.fields,
            }),
            events: before,
            needs_previous: false,
        }
    }
}

/// What the pull of mapped fields sees.
#[derive(Debug, Clone, Copy)]
pub struct PullObservation<'a> {
    /// The item's mappings with both fields' specs.
    pub mapped: &'a [MappedField],
    /// Mappings one side no longer has.
    pub missing: &'a [FieldMapping],
    /// The record as read.
    pub record: RecordSeen<'a>,
    /// The issue's mapped fields, when [`pull_needs_issue`] asked for them.
    pub issue: Option<&'a IssueFieldsSeen>,
}

/// The mappings whose Salesforce value is news: not the value the link agreed on, nor from a
/// snapshot older than a write the link made since.
pub fn pull_news<'a>(
    state: &LinkState,
    mapped: &'a [MappedField],
    record: RecordSeen<'_>,
) -> Vec<&'a MappedField> {
    mapped
        .iter()
        .filter(|field| {
            let sf_print = print(&salesforce_value(record.values, field));
            !memory(state, field)
                .is_some_and(|m| m.agreed == sf_print || m.predates(&sf_print, record.modstamp))
        })
        .collect()
}

/// Whether the issue must be read before pulling: only a two-way mapping that can be pushed
/// can have a Jira change that beats Salesforce's.
pub fn pull_needs_issue(definition: &ItemDefinition, news: &[&MappedField]) -> bool {
    definition.mode == SyncMode::TwoWay && news.iter().any(|f| f.salesforce.updateable)
}

/// Plans the pull of the mapped fields that changed in Salesforce: one edit of the issue. When
/// Jira changed a two-way field too, the later change wins; Jira's winning values are left to
/// the push.
pub fn plan_pull(state: &LinkState, seen: &PullObservation) -> Plan {
    let mut refused: Vec<String> = seen
        .missing
        .iter()
        .map(|m| {
            conversion_problem(
                &m.salesforce_field,
                &m.jira_field,
                "the field is no longer available",
            )
        })
        .collect();
    let stamp = seen.record.modstamp;
    let mut edit = JiraEdit::default();
    let mut in_steps = Vec::new();
    for field in pull_news(state, seen.mapped, seen.record) {
        let source = salesforce_value(seen.record.values, field);
        let sf_print = print(&source);
        let memory = memory(state, field);
        let why = match seen.issue.filter(|_| field.salesforce.updateable) {
            None if memory.is_none() => (FieldReason::FirstSync, None),
            None => (FieldReason::OnlyThisSideChanged, None),
            Some(issue) => {
                let jira_at = issue.changed_at(field);
                match verdict(memory, (&sf_print, stamp), (&issue.print(field), jira_at)) {
                    FieldVerdict::InStep => {
                        in_steps.extend(in_step(memory, field, &sf_print, stamp));
                        continue;
                    }
                    FieldVerdict::Wins {
                        winner: Side::Jira, ..
                    } => continue,
                    FieldVerdict::Wins {
                        winner: Side::Salesforce,
                        reason,
                    } => (reason, jira_at),
                }
            }
        };
        edit.pull(field, &source, stamp, why, &mut refused);
    }
    let mut plan = Plan::nothing();
    plan.push(edit.step(in_steps));
    plan.refused = refused;
    plan
}

/// A mapped Jira value that differs from what the link agreed on, in Salesforce's form.
struct JiraNews<'a> {
    field: &'a MappedField,
    converted: Value,
    fingerprint: String,
}

/// The pushable mappings whose Jira value is news (not our own pull coming back, nor a value
/// already pushed), and the values that cannot be converted.
fn push_news<'a>(
    state: &LinkState,
    mapped: &'a [MappedField],
    issue: &IssueFieldsSeen,
) -> (Vec<JiraNews<'a>>, Vec<String>) {
    let mut refused = Vec::new();
    let mut news = Vec::new();
    for field in mapped.iter().filter(|f| f.salesforce.updateable) {
        let mapping = &field.mapping;
        match jira_to_sf(&issue.value(field), &field.jira, &field.salesforce) {
            Ok(converted) => {
                let fingerprint = print(&converted);
                if memory(state, field).is_none_or(|m| m.agreed != fingerprint) {
                    news.push(JiraNews {
                        field,
                        converted,
                        fingerprint,
                    });
                }
            }
            Err(e) => refused.push(conversion_problem(
                &mapping.jira_field,
                &mapping.salesforce_field,
                e,
            )),
        }
    }
    (news, refused)
}

/// Whether the record must be read before pushing: only when some mapped Jira value is news,
/// which is also the only time something may need writing (a webhook for our own write costs
/// no Salesforce call).
pub fn push_needs_record(
    state: &LinkState,
    mapped: &[MappedField],
    issue: &IssueFieldsSeen,
) -> bool {
    !push_news(state, mapped, issue).0.is_empty()
}

/// What the push of mapped fields sees.
#[derive(Debug, Clone, Copy)]
pub struct PushObservation<'a> {
    /// The item's mappings with both fields' specs.
    pub mapped: &'a [MappedField],
    /// The issue's mapped fields as read.
    pub issue: &'a IssueFieldsSeen,
    /// The record as read, when [`push_needs_record`] asked for it and it still exists.
    pub record: Option<RecordSeen<'a>>,
}

/// Plans the push of the two-way fields that changed in Jira: each is weighed against the
/// record as Salesforce holds it now; Jira's winners go to the record in one update, and
/// Salesforce's (when it changed later) back to the issue in one edit.
pub fn plan_push(state: &LinkState, seen: &PushObservation) -> Plan {
    let (news, mut refused) = push_news(state, seen.mapped, seen.issue);
    let mut plan = Plan::nothing();
    let Some(record) = seen.record.filter(|_| !news.is_empty()) else {
        plan.refused = refused;
        return plan;
    };
    let stamp = record.modstamp;
    let mut to_salesforce = Map::new();
    let mut pushed = Vec::new();
    let mut to_jira = JiraEdit::default();
    for JiraNews {
        field,
        converted,
        fingerprint,
    } in news
    {
        let source = salesforce_value(record.values, field);
        let sf_print = print(&source);
        let jira_at = seen.issue.changed_at(field);
        let memory = memory(state, field);
        match verdict(memory, (&sf_print, stamp), (&fingerprint, jira_at)) {
            FieldVerdict::InStep => pushed.extend(in_step(memory, field, &sf_print, stamp)),
            FieldVerdict::Wins {
                winner: Side::Jira,
                reason,
            } => {
                let mapping = &field.mapping;
                to_salesforce.insert(mapping.salesforce_field.clone(), converted.clone());
                pushed.push(LinkEvent::FieldPushed(FieldPushed {
                    jira_field: mapping.jira_field.clone(),
                    salesforce_field: mapping.salesforce_field.clone(),
                    value: converted,
                    fingerprint,
                    source_updated: jira_at,
                    reason,
                    salesforce_modstamp: stamp,
                    replaced_fingerprint: Some(sf_print),
                }));
            }
            // Salesforce changed later: its value goes to Jira now rather than waiting for the
            // scheduler to notice the record.
            FieldVerdict::Wins {
                winner: Side::Salesforce,
                reason,
            } => to_jira.pull(field, &source, stamp, (reason, jira_at), &mut refused),
        }
    }
    plan.push(Step {
        effect: (!to_salesforce.is_empty()).then_some(Effect::UpdateRecord {
            fields: to_salesforce,
        }),
        events: pushed,
        needs_previous: false,
    });
    plan.push(to_jira.step(Vec::new()).after_previous());
    plan.refused = refused;
    plan
}

#[cfg(test)]
mod tests;
