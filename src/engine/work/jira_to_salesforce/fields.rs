//! Two-way fields from Jira: mapped values that changed since both sides last agreed are
//! weighed against the record as Salesforce holds it now, and the winner's value is written to
//! the other side — Jira's to the record in one update, Salesforce's (when it changed later)
//! back to the issue in one edit.
//!
//! The record is read only when some mapped Jira value differs from the agreed one, which is
//! also the only time something may need writing; a webhook for our own write costs no
//! Salesforce call.

use serde_json::{Map, Value};

use super::*;
use crate::actors::link::LinkSession;
use crate::connectors::jira::Issue;
use crate::domain::fields::{jira_to_sf, FieldVerdict};
use crate::domain::link::events::{FieldPushed, LinkEvent};
use crate::domain::side::Side;
use crate::engine::fetch::modstamp;
use crate::engine::work::field_sides::{self, JiraEdit};
use crate::engine::work::{ItemSnapshot, WorkOutcome};
use crate::engine::{metadata, Engine, SyncError};

/// Settles every mapped field that changed in Jira, writing each winner's value once.
pub(super) async fn push_fields(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    issue: &Issue,
    fresh: &mut FreshRecord,
    outcome: &mut WorkOutcome,
) -> Result<(), SyncError> {
    let definition = &item.definition;
    let (mapped, _) = metadata::mapped_fields(engine, definition).await?;
    let mut problems = Vec::new();
    let mut news = Vec::new();
    for field in mapped.iter().filter(|f| f.salesforce.updateable) {
        let mapping = &field.mapping;
        let value = issue
            .fields
            .get(&mapping.jira_field)
            .cloned()
            .unwrap_or(Value::Null);
        let converted = match jira_to_sf(&value, &field.jira, &field.salesforce) {
            Ok(v) => v,
            Err(e) => {
                problems.push(field_sides::conversion_problem(
                    &mapping.jira_field,
                    &mapping.salesforce_field,
                    e,
                ));
                continue;
            }
        };
        let jira_print = field_sides::print(&converted);
        // Our own pull coming back, or a value already pushed.
        if field_sides::memory(session, field).is_some_and(|m| m.agreed == jira_print) {
            continue;
        }
        news.push((field, converted, jira_print));
    }
    if !news.is_empty() {
        if let Some(record) = fresh.get(engine, item, session).await? {
            let record = record.clone();
            let refused = settle(engine, session, item, issue, &record, news, outcome).await?;
            problems.extend(refused);
        }
    }
    field_sides::refused(problems)
}

type News<'a> = Vec<(&'a metadata::MappedField, Value, String)>;

/// Weighs each changed Jira value against the record and writes the winners; returns the
/// values that could not be converted, which do not hold up the others.
async fn settle(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    issue: &Issue,
    record: &crate::connectors::salesforce::Record,
    news: News<'_>,
    outcome: &mut WorkOutcome,
) -> Result<Vec<String>, SyncError> {
    let mut problems = Vec::new();
    let stamp = modstamp(record);
    let mut to_salesforce = Map::new();
    let mut pushed = Vec::new();
    let mut to_jira = JiraEdit::default();
    for (field, converted, jira_print) in news {
        let mapping = &field.mapping;
        let source = field_sides::salesforce_value(record, field);
        let sf_print = field_sides::print(&source);
        let jira_at = field_sides::jira_changed_at(issue, field);
        let memory = field_sides::memory(session, field);
        match field_sides::verdict(memory, (&sf_print, stamp), (&jira_print, jira_at)) {
            FieldVerdict::InStep => {
                pushed.extend(field_sides::in_step(memory, field, &sf_print, stamp))
            }
            FieldVerdict::Wins {
                winner: Side::Jira,
                reason,
            } => {
                to_salesforce.insert(mapping.salesforce_field.clone(), converted.clone());
                pushed.push(LinkEvent::FieldPushed(FieldPushed {
                    jira_field: mapping.jira_field.clone(),
                    salesforce_field: mapping.salesforce_field.clone(),
                    value: converted,
                    fingerprint: jira_print,
                    source_updated: jira_at,
                    reason,
                    salesforce_modstamp: stamp,
                    replaced_fingerprint: Some(sf_print),
                }));
            }
            FieldVerdict::Wins {
                winner: Side::Salesforce,
                reason,
            } => {
                // Salesforce changed later: its value goes to Jira now rather than waiting
                // for the scheduler to notice the record.
                to_jira.pull(field, &source, stamp, (reason, jira_at), &mut problems);
            }
        }
    }
    if !to_salesforce.is_empty() {
        let id = record_id(session)?;
        engine
            .salesforce()?
            .update(&item.definition.object, &id, &to_salesforce)
            .await?;
        outcome.fields_pushed += to_salesforce.len() as u64;
    }
    if !pushed.is_empty() {
        session.record(pushed).await?;
    }
    let key =
        issue_of(session).ok_or_else(|| SyncError::not_found("not_linked", "the link is gone"))?;
    let pulled = to_jira.write(engine, &key, outcome).await?;
    if !pulled.is_empty() {
        session.record(pulled).await?;
    }
    Ok(problems)
}
