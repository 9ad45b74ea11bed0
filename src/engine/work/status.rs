//! The status race for one link: the first sync initialises Jira from Salesforce; afterwards the
//! side whose status changed later wins, whatever the direction of field mappings. The closest
//! safe status is chosen by name, then by category; when there is none, nothing is written and
//! the reason is recorded. Cases close only through a `CaseStatus` value marked closed.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{issue_of, record_failure, ItemSnapshot, WorkOutcome};
use crate::actors::link::{LinkError, LinkSession};
use crate::connectors::jira::{Issue, Transition};
use crate::connectors::salesforce::Record;
use crate::domain::link::events::{
    operations, LinkEvent, StatusNotWritten, StatusReason, StatusWon,
};
use crate::domain::side::Side;
use crate::domain::status::{
    decide_status_winner, match_jira_status, match_salesforce_status, statuses_correspond,
    JiraStatus, SalesforceStatusValue, StatusCategory, StatusDecisionInput, StatusSnapshot,
};
use crate::engine::fetch::{modstamp, record_id};
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

struct Sides {
    sf_value: SalesforceStatusValue,
    sf_values: Vec<SalesforceStatusValue>,
    sf_changed_at: Option<DateTime<Utc>>,
    current: JiraStatus,
    jira_changed_at: Option<DateTime<Utc>>,
    reachable: Vec<(JiraStatus, Transition)>,
}

async fn read_sides(
    engine: &Engine,
    session: &LinkSession,
    item: &ItemSnapshot,
    record: &Record,
    issue: Option<&Issue>,
    field: &str,
) -> Result<Option<Sides>, SyncError> {
    let Some(key) = issue_of(session) else {
        return Ok(None);
    };
    let Some(value) = record
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Ok(None);
    };
    let sf_values = salesforce_values(engine, &item.definition.object, field).await?;
    let sf_value = sf_values
        .iter()
        .find(|v| v.value == value)
        .cloned()
        .unwrap_or(SalesforceStatusValue {
            value: value.clone(),
            label: value.clone(),
            is_closed: None,
            is_default: false,
        });
    let jira = engine.jira()?;
    let read;
    let issue = match issue {
        Some(issue) => issue,
        None => {
            read = jira
                .get_issue(&key, STATUS_FIELDS, &["changelog"], &[])
                .await?;
            &read
        }
    };
    let Some(current) = issue.status().map(|s| jira_status(&s)) else {
        return Ok(None);
    };
    let reachable = jira
        .transitions(&key)
        .await?
        .into_iter()
        .filter(|t| t.is_available)
        .map(|t| (jira_status(&t.to), t))
        .collect();
    let remembered = session.state().status.as_ref();
    let sf_changed_at = match remembered {
        Some(m) if m.salesforce_value.as_deref() == Some(value.as_str()) => m.salesforce_changed_at,
        _ => modstamp(record),
    };
    Ok(Some(Sides {
        sf_value,
        sf_values,
        sf_changed_at,
        current,
        jira_changed_at: last_status_change(issue),
        reachable,
    }))
}

/// The issue fields the status race reads (with `expand=changelog`); a caller that already read
/// the issue with them passes it to [`sync`] instead of having it read again.
pub const STATUS_FIELDS: &[&str] = &["status", "created", "updated"];

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
    let sides = match read_sides(engine, session, item, record, issue, &field).await {
        Ok(Some(sides)) => sides,
        Ok(None) => return Ok(()),
        Err(error) => {
            return record_failure(engine, session, outcome, operations::STATUS, &error).await
        }
    };
    if let Err(error) = settle(engine, session, item, record, &field, sides, outcome).await {
        match error {
            SyncError::Link(e) => return Err(e),
            other => record_failure(engine, session, outcome, operations::STATUS, &other).await?,
        }
    }
    Ok(())
}

async fn settle(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    record: &Record,
    field: &str,
    sides: Sides,
    outcome: &mut WorkOutcome,
) -> Result<(), SyncError> {
    let initialised = session.state().status.is_some();
    let jira_statuses: Vec<JiraStatus> = std::iter::once(sides.current.clone())
        .chain(sides.reachable.iter().map(|(s, _)| s.clone()))
        .collect();
    let aligned = statuses_correspond(
        &sides.sf_value,
        &sides.sf_values,
        &sides.current,
        &jira_statuses,
        &item.definition.object,
    );
    let decision = decide_status_winner(&StatusDecisionInput {
        initialised,
        salesforce: StatusSnapshot {
            value: sides.sf_value.value.clone(),
            changed_at: sides.sf_changed_at,
        },
        jira: StatusSnapshot {
            value: sides.current.name.clone(),
            changed_at: sides.jira_changed_at,
        },
        already_aligned: aligned,
    });
    let reason = if initialised {
        StatusReason::LaterChange
    } else {
        StatusReason::Initial
    };
    let won = |winner: Side, written: Option<String>| {
        LinkEvent::StatusWon(StatusWon {
            winner,
            reason,
            salesforce_value: Some(sides.sf_value.value.clone()),
            jira_value: Some(sides.current.name.clone()),
            salesforce_changed_at: sides.sf_changed_at,
            jira_changed_at: sides.jira_changed_at,
            written,
        })
    };
    let Some(winner) = decision.winner else {
        // Aligned. Remember the values (and mark the first sync done) when memory is stale.
        let memory = session.state().status.clone();
        let stale = memory.as_ref().is_none_or(|m| {
            m.salesforce_value.as_deref() != Some(sides.sf_value.value.as_str())
                || m.jira_value.as_deref() != Some(sides.current.name.as_str())
        });
        if stale {
            session.record(vec![won(Side::Salesforce, None)]).await?;
        }
        return Ok(());
    };
    match winner {
        Side::Salesforce => {
            let target = match match_jira_status(&sides.sf_value, &jira_statuses) {
                Ok(t) => t.clone(),
                Err(no) => {
                    return not_written(session, Side::Jira, &sides.sf_value.value, no.reason).await
                }
            };
            if target.id == sides.current.id {
                session.record(vec![won(Side::Salesforce, None)]).await?;
                return Ok(());
            }
            let Some((_, transition)) = sides.reachable.iter().find(|(s, _)| s.id == target.id)
            else {
                let why = format!(
                    "Jira status {} is not reachable from {} in the workflow",
                    target.name, sides.current.name
                );
                return not_written(session, Side::Jira, &sides.sf_value.value, why).await;
            };
            let key = issue_of(session)
                .ok_or_else(|| SyncError::not_found("not_linked", "the link is gone"))?;
            engine.jira()?.transition(&key, &transition.id).await?;
            outcome.statuses_written += 1;
            session
                .record(vec![won(Side::Salesforce, Some(target.name.clone()))])
                .await?;
        }
        Side::Jira => {
            let target = match match_salesforce_status(
                &sides.current,
                &sides.sf_values,
                &item.definition.object,
            ) {
                Ok(v) => v.clone(),
                Err(no) => {
                    return not_written(session, Side::Salesforce, &sides.current.name, no.reason)
                        .await
                }
            };
            if target.value == sides.sf_value.value {
                session.record(vec![won(Side::Jira, None)]).await?;
                return Ok(());
            }
            let id = record_id(record)
                .ok_or_else(|| SyncError::not_found("record_not_found", "the record has no id"))?;
            let mut body = Map::new();
            body.insert(field.to_string(), Value::String(target.value.clone()));
            engine
                .salesforce()?
                .update(&item.definition.object, &id, &body)
                .await?;
            outcome.statuses_written += 1;
            session
                .record(vec![won(Side::Jira, Some(target.value.clone()))])
                .await?;
        }
    }
    Ok(())
}

async fn not_written(
    session: &mut LinkSession,
    target: Side,
    source_value: &str,
    reason: String,
) -> Result<(), SyncError> {
    let already = session.state().status_not_written.as_deref() == Some(reason.as_str());
    tracing::info!(link_id = %session.link_id(), %reason, "status not written");
    if !already {
        session
            .record(vec![LinkEvent::StatusNotWritten(StatusNotWritten {
                target,
                source_value: source_value.to_string(),
                reason,
            })])
            .await?;
    }
    Ok(())
}
