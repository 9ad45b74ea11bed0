//! The status race for one link, as a plan: the first sync initialises Jira from Salesforce;
//! afterwards the side whose status changed later wins, whatever the direction of field
//! mappings. The closest safe status is chosen by name, then by category; when there is none,
//! nothing is written and the reason is recorded (once). Cases close only through a
//! `CaseStatus` value marked closed.

use chrono::{DateTime, Utc};

use super::{Effect, Plan};
use crate::domain::item::ItemDefinition;
use crate::domain::link::events::{LinkEvent, StatusNotWritten, StatusReason, StatusWon};
use crate::domain::link::LinkState;
use crate::domain::side::Side;
use crate::domain::status::{
    decide_status_winner, match_jira_status, match_salesforce_status, statuses_correspond,
    JiraStatus, SalesforceStatusValue, StatusDecisionInput, StatusSnapshot,
};

/// A Jira status the issue can move to now, and the transition that leads there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachable {
    /// The status.
    pub status: JiraStatus,
    /// The transition's id.
    pub transition_id: String,
}

/// What both sides show of the link's status.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusObservation {
    /// The record's value of the status-like field.
    pub salesforce_value: String,
    /// The field's values, with what Salesforce says about closing.
    pub salesforce_values: Vec<SalesforceStatusValue>,
    /// The record's `SystemModstamp` (when the value may have changed, at the latest).
    pub record_modstamp: Option<DateTime<Utc>>,
    /// The issue's status.
    pub jira_status: JiraStatus,
    /// When the issue's status last changed (its changelog, else its creation).
    pub jira_changed_at: Option<DateTime<Utc>>,
    /// Where the issue's workflow lets it go from here.
    pub reachable: Vec<Reachable>,
}

impl StatusObservation {
    /// The record's value with what the field's values say about it.
    fn salesforce(&self) -> SalesforceStatusValue {
        self.salesforce_values
            .iter()
            .find(|v| v.value == self.salesforce_value)
            .cloned()
            .unwrap_or_else(|| SalesforceStatusValue {
                value: self.salesforce_value.clone(),
                label: self.salesforce_value.clone(),
                is_closed: None,
                is_default: false,
            })
    }

    /// When Salesforce's value changed: the time remembered with it while it is unchanged (a
    /// later edit of another field moves the modstamp, not the status), else the modstamp.
    fn salesforce_changed_at(&self, state: &LinkState) -> Option<DateTime<Utc>> {
        match state.status.as_ref() {
            Some(m) if m.salesforce_value.as_deref() == Some(self.salesforce_value.as_str()) => {
                m.salesforce_changed_at
            }
            _ => self.record_modstamp,
        }
    }
}

/// Whether a Salesforce read showing `salesforce_value` can move the status race, so that Jira's
/// side is worth reading: before the first decision, or when the value differs from the one
/// remembered. A change on Jira's side reaches the link through the push (webhook or sweep),
/// which reads the issue anyway; a record edit that left the status alone costs no Jira call.
pub fn salesforce_status_is_news(state: &LinkState, salesforce_value: Option<&str>) -> bool {
    state
        .status
        .as_ref()
        .is_none_or(|m| m.salesforce_value.as_deref() != salesforce_value)
}

/// Plans the status race of a link whose item synchronises status.
pub fn plan_status(
    state: &LinkState,
    definition: &ItemDefinition,
    observed: &StatusObservation,
) -> Plan {
    let initialised = state.status.is_some();
    let sf_value = observed.salesforce();
    let sf_changed_at = observed.salesforce_changed_at(state);
    let current = &observed.jira_status;
    let jira_statuses: Vec<JiraStatus> = std::iter::once(current.clone())
        .chain(observed.reachable.iter().map(|r| r.status.clone()))
        .collect();
    let object = definition.object.as_str();
    let aligned = statuses_correspond(
        &sf_value,
        &observed.salesforce_values,
        current,
        &jira_statuses,
        object,
    );
    let decision = decide_status_winner(&StatusDecisionInput {
        initialised,
        salesforce: StatusSnapshot {
            value: sf_value.value.clone(),
            changed_at: sf_changed_at,
        },
        jira: StatusSnapshot {
            value: current.name.clone(),
            changed_at: observed.jira_changed_at,
        },
        already_aligned: aligned,
    });
    let won = |winner: Side, written: Option<String>| {
        LinkEvent::StatusWon(StatusWon {
            winner,
            reason: if initialised {
                StatusReason::LaterChange
            } else {
                StatusReason::Initial
            },
            salesforce_value: Some(sf_value.value.clone()),
            jira_value: Some(current.name.clone()),
            salesforce_changed_at: sf_changed_at,
            jira_changed_at: observed.jira_changed_at,
            written,
        })
    };
    let Some(winner) = decision.winner else {
        // Aligned: remember the values (and mark the first sync done) only when memory is stale.
        let stale = state.status.as_ref().is_none_or(|m| {
            m.salesforce_value.as_deref() != Some(sf_value.value.as_str())
                || m.jira_value.as_deref() != Some(current.name.as_str())
        });
        return if stale {
            Plan::record(vec![won(Side::Salesforce, None)])
        } else {
            Plan::nothing()
        };
    };
    let sides = Sides {
        state,
        definition,
        observed,
        sf_value: &sf_value,
        jira_statuses: &jira_statuses,
    };
    match winner {
        Side::Salesforce => sides.salesforce_wins(won(Side::Salesforce, None), |written| {
            won(Side::Salesforce, Some(written))
        }),
        Side::Jira => sides.jira_wins(won(Side::Jira, None), |written| {
            won(Side::Jira, Some(written))
        }),
    }
}

/// What a winner's plan is made from.
struct Sides<'a> {
    state: &'a LinkState,
    definition: &'a ItemDefinition,
    observed: &'a StatusObservation,
    sf_value: &'a SalesforceStatusValue,
    jira_statuses: &'a [JiraStatus],
}

impl Sides<'_> {
    /// Salesforce's status goes to Jira: the closest safe Jira status, through a transition
    /// the workflow offers now. `aligned` is recorded when Jira already shows it.
    fn salesforce_wins(&self, aligned: LinkEvent, won: impl FnOnce(String) -> LinkEvent) -> Plan {
        let current = &self.observed.jira_status;
        let target = match match_jira_status(self.sf_value, self.jira_statuses) {
            Ok(t) => t,
            Err(no) => return not_written(self.state, Side::Jira, &self.sf_value.value, no.reason),
        };
        if target.id == current.id {
            return Plan::record(vec![aligned]);
        }
        let Some(step) = self
            .observed
            .reachable
            .iter()
            .find(|r| r.status.id == target.id)
        else {
            let why = format!(
                "Jira status {} is not reachable from {} in the workflow",
                target.name, current.name
            );
            return not_written(self.state, Side::Jira, &self.sf_value.value, why);
        };
        Plan::write(
            Effect::TransitionIssue {
                transition_id: step.transition_id.clone(),
                to: target.name.clone(),
            },
            won(target.name.clone()),
        )
    }

    /// Jira's status goes to Salesforce: the closest safe value of the status field (a Case
    /// closes only through a closed value). `aligned` is recorded when Salesforce shows it.
    fn jira_wins(&self, aligned: LinkEvent, won: impl FnOnce(String) -> LinkEvent) -> Plan {
        let current = &self.observed.jira_status;
        let values = &self.observed.salesforce_values;
        let target = match match_salesforce_status(current, values, &self.definition.object) {
            Ok(v) => v,
            Err(no) => return not_written(self.state, Side::Salesforce, &current.name, no.reason),
        };
        if target.value == self.sf_value.value {
            return Plan::record(vec![aligned]);
        }
        let field = self
            .definition
            .options
            .status_sync
            .as_ref()
            .map(|s| s.salesforce_field.clone())
            .unwrap_or_else(|| "Status".into());
        Plan::write(
            Effect::UpdateRecordField {
                field,
                value: target.value.clone(),
            },
            won(target.value.clone()),
        )
    }
}

/// Nothing can be written: record why, unless that reason is already on record.
fn not_written(state: &LinkState, target: Side, source_value: &str, reason: String) -> Plan {
    if state.status_not_written.as_deref() == Some(reason.as_str()) {
        return Plan::nothing();
    }
    Plan::record(vec![LinkEvent::StatusNotWritten(StatusNotWritten {
        target,
        source_value: source_value.to_string(),
        reason,
    })])
}

#[cfg(test)]
mod tests;
