//! The status race for one link, observe → decide → act: read what both sides show (the record
//! as the caller read it, the issue with its changelog unless the caller has it, the reachable
//! transitions), let [`plan_status`] decide, and perform its plan. The rule itself (first sync
//! from Salesforce, later change wins, closest safe status) lives in
//! [`crate::domain::plan::status`].

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{issue_of, record_failure, ItemSnapshot, WorkOutcome};
use crate::actors::link::{LinkError, LinkSession};
use crate::connectors::jira::Issue;
use crate::connectors::salesforce::Record;
use crate::domain::link::events::operations;
use crate::domain::plan::status::{plan_status, Reachable, StatusObservation};
use crate::domain::status::{JiraStatus, SalesforceStatusValue, StatusCategory};
use crate::engine::fetch::modstamp;
use crate::engine::work::execute::execute;
use crate::engine::{metadata, Engine, SyncError};

fn jira_status(status: &crate::connectors::jira::Status) -> JiraStatus {
    JiraStatus {
        id: status.id.clone(),
        name: status.name.clone(),
        category: status
            .category_key()
            .and_then(StatusCategory::from_jira_key)
            .unwrap_or(StatusCategory::InProgress),
    }
}

/// When the issue's status last changed: the newest status entry of the changelog, else the
/// issue's creation.
pub fn last_status_change(issue: &Issue) -> Option<DateTime<Utc>> {
    issue.last_change_of("status").or_else(|| issue.created())
}

/// The status-like field's values with what Salesforce says about closing.
pub async fn salesforce_values(
    engine: &Engine,
    object: &str,
    field: &str,
) -> Result<Vec<SalesforceStatusValue>, SyncError> {
    if object == "Case" && field == "Status" {
        let statuses = metadata::case_statuses(engine).await?;
        return Ok(statuses
            .iter()
            .map(|s| SalesforceStatusValue {
                value: s.value().to_string(),
                label: s.master_label.clone(),
                is_closed: Some(s.is_closed),
                is_default: s.is_default,
            })
            .collect());
    }
    let describe = metadata::describe(engine, object).await?;
    let values = describe
        .as_ref()
        .and_then(|d| d.field(field))
        .map(|f| {
            f.active_values()
                .map(|v| SalesforceStatusValue {
                    value: v.value.clone(),
                    label: v.label.clone().unwrap_or_else(|| v.value.clone()),
                    is_closed: None,
                    is_default: v.default_value,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(values)
}

/// The issue fields the status race reads (with [`STATUS_EXPAND`]); a caller that already read
/// the issue with them passes it to [`sync`] instead of having it read again.
pub const STATUS_FIELDS: &[&str] = &["status", "created", "updated"];

/// What a read for the status race expands: the changelog (when the status last changed) and
/// the transitions the issue can take now, so that one read serves where two calls did.
pub const STATUS_EXPAND: &[&str] = &["changelog", "transitions"];

/// Settles the status race for the session's link, from a fresh read of both sides: `record`
/// as just read, and `issue` when the caller just read it with [`STATUS_FIELDS`] and the
/// changelog (else it is read here).
pub async fn sync(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    record: &Record,
    issue: Option<&Issue>,
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let Some(field) = item
        .definition
        .options
        .status_sync
        .as_ref()
        .map(|s| s.salesforce_field.clone())
    else {
        return Ok(());
    };
    let observed = match observe(engine, session, item, record, issue, &field).await {
        Ok(Some(observed)) => observed,
        Ok(None) => return Ok(()),
        Err(error) => {
            return record_failure(engine, session, outcome, operations::STATUS, &error).await
        }
    };
    let plan = plan_status(session.state(), &item.definition, &observed);
    execute(engine, session, item, plan, operations::STATUS, outcome).await
}

/// Reads what both sides show of the status; `None` when the link or the value is missing.
async fn observe(
    engine: &Engine,
    session: &LinkSession,
    item: &ItemSnapshot,
    record: &Record,
    issue: Option<&Issue>,
    field: &str,
) -> Result<Option<StatusObservation>, SyncError> {
    let Some(key) = issue_of(session) else {
        return Ok(None);
    };
    let Some(value) = record.get(field).and_then(Value::as_str) else {
        return Ok(None);
    };
    let salesforce_values = salesforce_values(engine, &item.definition.object, field).await?;
    let jira = engine.jira()?;
    let read;
    let issue = match issue {
        Some(issue) => issue,
        None => {
            read = jira
                .get_issue(&key, STATUS_FIELDS, STATUS_EXPAND, &[])
                .await?;
            &read
        }
    };
    let Some(current) = issue.status().map(|s| jira_status(&s)) else {
        return Ok(None);
    };
    // A read with [`STATUS_EXPAND`] carries the transitions; an issue a webhook or a search
    // brought does not.
    let transitions = match &issue.transitions {
        Some(transitions) => transitions.clone(),
        None => jira.transitions(&key).await?,
    };
    let reachable = transitions
        .into_iter()
        .filter(|t| t.is_available)
        .map(|t| Reachable {
            status: jira_status(&t.to),
            transition_id: t.id,
        })
        .collect();
    Ok(Some(StatusObservation {
        salesforce_value: value.to_string(),
        salesforce_values,
        record_modstamp: modstamp(record),
        jira_status: current,
        jira_changed_at: last_status_change(issue),
        reachable,
    }))
}
