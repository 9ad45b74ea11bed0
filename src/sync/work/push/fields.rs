//! Two-way fields: mapped Jira values converted and written to the record in one update,
//! unless they are what sfjira itself pulled into Jira or already pushed.

use serde_json::{Map, Value};

use super::super::ItemSnapshot;
use super::*;
use crate::actors::link::LinkSession;
use crate::connectors::jira::Issue;
use crate::domain::echo::{fingerprint_field_value, Fingerprint};
use crate::domain::fields::jira_to_sf;
use crate::events::link::{FieldPushed, LinkEvent};
use crate::sync::{catalogue, Engine, SyncError};

/// Writes changed mapped fields to the record in one update.
pub(super) async fn push_fields(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    issue: &Issue,
) -> Result<(), SyncError> {
    let definition = &item.definition;
    let (mapped, _) = catalogue::mapped_fields(engine, definition).await?;
    let mut body = Map::new();
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for field in &mapped {
        let (mapping, sf, jira) = (&field.mapping, &field.salesforce, &field.jira);
        if !sf.updateable {
            continue;
        }
        let value = issue
            .fields
            .get(&mapping.jira_field)
            .cloned()
            .unwrap_or(Value::Null);
        let converted = match jira_to_sf(&value, jira, sf) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!(
                    "{} → {}: {e}",
                    mapping.jira_field, mapping.salesforce_field
                ));
                continue;
            }
        };
        let fingerprint: Fingerprint = fingerprint_field_value(&converted);
        let state = session.state();
        let known = |v: Option<&String>| v.map(String::as_str) == Some(fingerprint.as_str());
        // Already pushed, or the value we pulled into Jira coming back.
        if known(state.pushed.get(&mapping.salesforce_field))
            || known(state.pulled.get(&mapping.jira_field))
        {
            continue;
        }
        body.insert(mapping.salesforce_field.clone(), converted.clone());
        events.push(LinkEvent::FieldPushed(FieldPushed {
            jira_field: mapping.jira_field.clone(),
            salesforce_field: mapping.salesforce_field.clone(),
            value: converted,
            fingerprint: fingerprint.as_str().to_string(),
            source_updated: issue.updated(),
        }));
    }
    if !body.is_empty() {
        let record = record_id(session)?;
        engine
            .salesforce()?
            .update(&definition.object, &record, &body)
            .await?;
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
