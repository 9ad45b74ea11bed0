//! Salesforce → Jira for one linked record: observe the values, write mapped fields, settle
//! the status race, mirror new comments and files.
//!
//! Each step is independent: a refused field does not stop comments, and every failure is
//! recorded with the remote system's words. Values already written (same fingerprint) are not
//! written again, and a Salesforce value that is the echo of our own push from Jira is not sent
//! back to Jira.

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::{issue_of, record_failure, EngineRef, ItemSnapshot, RecordChanges, WorkOutcome};
use crate::actors::link::{LinkError, LinkSession, LinkWork};
use crate::connectors::salesforce::Record;
use crate::domain::echo::{fingerprint_field_value, Fingerprint};
use crate::domain::fields::sf_to_jira;
use crate::domain::item::SyncMode;
use crate::events::link::{operations, FieldPulled, LinkEvent, RecordObserved, Trigger};
use crate::sync::fetch::modstamp;
use crate::sync::{catalogue, Engine, SyncError};

/// Applies one record's Salesforce changes to its linked issue.
#[derive(Clone)]
pub struct PullWork {
    /// The engine.
    pub engine: EngineRef,
    /// The item.
    pub item: ItemSnapshot,
    /// What is new.
    pub changes: RecordChanges,
    /// What caused it.
    pub trigger: Trigger,
}

#[async_trait]
impl LinkWork for PullWork {
    type Output = WorkOutcome;

    async fn run(&mut self, session: &mut LinkSession) -> Result<WorkOutcome, LinkError> {
        apply(
            &self.engine,
            session,
            &self.item,
            &self.changes,
            self.trigger,
        )
        .await
    }
}

/// Applies `changes` to the session's linked issue; does nothing when the link is gone.
pub async fn apply(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    changes: &RecordChanges,
    trigger: Trigger,
) -> Result<WorkOutcome, LinkError> {
    let mut outcome = WorkOutcome::default();
    if !session.state().is_linked() {
        return Ok(outcome);
    }
    if let Some(record) = &changes.record {
        observe(session, item, record, trigger).await?;
    }
    let definition = &item.definition;
    if definition.mode == SyncMode::DisplayOnly {
        return Ok(outcome);
    }
    if let Some(record) = &changes.record {
        if !definition.mappings.is_empty() {
            if let Err(error) = pull_fields(engine, session, item, record, &mut outcome).await {
                record_failure(
                    engine,
                    session,
                    &mut outcome,
                    operations::PULL_FIELDS,
                    &error,
                )
                .await?;
            }
        }
        if definition.options.status_sync.is_some() {
            super::status::sync(engine, session, item, record, &mut outcome).await?;
        }
    }
    if definition.options.comments_sync && !changes.comments.is_empty() {
        super::comments::mirror_to_jira(engine, session, item, &changes.comments, &mut outcome)
            .await?;
    }
    if definition.options.attachments_sync && !changes.files.is_empty() {
        super::files::mirror_to_jira(engine, session, item, &changes.files, &mut outcome).await?;
    }
    Ok(outcome)
}

/// Records the values the panel shows, when they differ from the last observation.
async fn observe(
    session: &mut LinkSession,
    item: &ItemSnapshot,
    record: &Record,
    trigger: Trigger,
) -> Result<(), LinkError> {
    let fields = crate::sync::fetch::record_fields(&item.definition);
    let values: Map<String, Value> = fields
        .iter()
        .filter(|f| {
            !["Id", "SystemModstamp", "CreatedDate", "LastModifiedDate"].contains(&f.as_str())
        })
        .map(|f| (f.clone(), record.get(f).cloned().unwrap_or(Value::Null)))
        .collect();
    let unchanged = session
        .state()
        .observed
        .as_ref()
        .is_some_and(|o| o.values == values);
    if unchanged {
        return Ok(());
    }
    session
        .record(vec![LinkEvent::RecordObserved(RecordObserved {
            values,
            system_modstamp: modstamp(record),
            trigger,
        })])
        .await?;
    Ok(())
}

/// Converts and writes the mapped fields that changed, in one edit.
async fn pull_fields(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    record: &Record,
    outcome: &mut WorkOutcome,
) -> Result<(), SyncError> {
    let Some(key) = issue_of(session) else {
        return Ok(());
    };
    let definition = &item.definition;
    let (mapped, missing) = catalogue::mapped_fields(engine, definition).await?;
    let mut edits = Map::new();
    let mut events = Vec::new();
    let mut problems: Vec<String> = missing
        .iter()
        .map(|m| {
            format!(
                "{} → {}: the field is no longer available",
                m.salesforce_field, m.jira_field
            )
        })
        .collect();
    for field in &mapped {
        let (mapping, sf, jira) = (&field.mapping, &field.salesforce, &field.jira);
        let source = record
            .get(&mapping.salesforce_field)
            .cloned()
            .unwrap_or(Value::Null);
        let fingerprint: Fingerprint = fingerprint_field_value(&source);
        // Already in Jira (we wrote it), or our own push from Jira coming back.
        let state = session.state();
        if state.pulled.get(&mapping.jira_field) == Some(&fingerprint.as_str().to_string())
            || state.pushed.get(&mapping.salesforce_field)
                == Some(&fingerprint.as_str().to_string())
        {
            continue;
        }
        let converted = match sf_to_jira(&source, sf, jira) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!(
                    "{} → {}: {e}",
                    mapping.salesforce_field, mapping.jira_field
                ));
                continue;
            }
        };
        edits.insert(mapping.jira_field.clone(), converted.clone());
        events.push(LinkEvent::FieldPulled(FieldPulled {
            salesforce_field: mapping.salesforce_field.clone(),
            jira_field: mapping.jira_field.clone(),
            value: converted,
            fingerprint: fingerprint.as_str().to_string(),
            source_modstamp: modstamp(record),
        }));
    }
    if !edits.is_empty() {
        engine.jira()?.edit_issue(&key, edits).await?;
        outcome.fields_pulled += events.len() as u64;
        session.record(events).await?;
    }
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
