//! The status race, given past events, when both sides are observed, then this plan.

use super::*;
use crate::domain::item::{StatusSync, SyncMode};
use crate::domain::plan::given::{self, at, given, linked};
use crate::domain::status::StatusCategory;

fn case_item() -> ItemDefinition {
    let mut item = given::case_item(SyncMode::TwoWay);
    item.options.status_sync = Some(StatusSync {
        salesforce_field: "Status".into(),
    });
    item
}

fn jira(id: &str, name: &str, category: StatusCategory) -> JiraStatus {
    JiraStatus {
        id: id.into(),
        name: name.into(),
        category,
    }
}

fn to_do() -> JiraStatus {
    jira("1", "To Do", StatusCategory::New)
}
fn in_progress() -> JiraStatus {
    jira("3", "In Progress", StatusCategory::InProgress)
}
fn done() -> JiraStatus {
    jira("5", "Done", StatusCategory::Done)
}

fn case_statuses() -> Vec<SalesforceStatusValue> {
    [
        ("New", false, true),
        ("Working", false, false),
        ("Escalated", false, false),
        ("Closed", true, false),
    ]
    .into_iter()
    .map(|(v, closed, default)| SalesforceStatusValue {
        value: v.into(),
        label: v.into(),
        is_closed: Some(closed),
        is_default: default,
    })
    .collect()
}

/// Both sides agreed on `salesforce` / `jira` at minute `minute`.
fn agreed(salesforce: &str, jira: &str, minute: u32) -> LinkEvent {
    LinkEvent::StatusWon(StatusWon {
        winner: Side::Salesforce,
        reason: StatusReason::Initial,
        salesforce_value: Some(salesforce.into()),
        jira_value: Some(jira.into()),
        salesforce_changed_at: at(minute),
        jira_changed_at: at(minute),
        written: None,
    })
}

/// Salesforce shows `value` stamped at `sf_minute`; Jira shows `status` changed at
/// `jira_minute`, with every other workflow status reachable.
fn observed(
    value: &str,
    sf_minute: u32,
    status: JiraStatus,
    jira_minute: u32,
) -> StatusObservation {
    let reachable = [to_do(), in_progress(), done()]
        .into_iter()
        .filter(|s| s.id != status.id)
        .map(|s| Reachable {
            transition_id: format!("t{}", s.id),
            status: s,
        })
        .collect();
    StatusObservation {
        salesforce_value: value.into(),
        salesforce_values: case_statuses(),
        record_modstamp: at(sf_minute),
        jira_status: status,
        jira_changed_at: at(jira_minute),
        reachable,
    }
}

fn transition_to(status: &JiraStatus) -> Effect {
    Effect::TransitionIssue {
        transition_id: format!("t{}", status.id),
        to: status.name.clone(),
    }
}

fn written(plan: &Plan) -> Option<String> {
    match plan.events().as_slice() {
        [LinkEvent::StatusWon(won)] => won.written.clone(),
        other => panic!("expected one status.won, got {other:?}"),
    }
}

#[test]
fn the_first_sync_initialises_jira_from_salesforce_even_when_jira_changed_later() {
    let state = given(&[linked()]);
    let plan = plan_status(&state, &case_item(), &observed("Working", 1, to_do(), 30));
    assert_eq!(plan.effects(), vec![transition_to(&in_progress())]);
    assert_eq!(written(&plan).as_deref(), Some("In Progress"));
}

#[test]
fn a_later_salesforce_change_wins() {
    let state = given(&[linked(), agreed("New", "To Do", 0)]);
    let plan = plan_status(&state, &case_item(), &observed("Closed", 20, to_do(), 0));
    assert_eq!(plan.effects(), vec![transition_to(&done())]);
}

#[test]
fn a_later_jira_change_wins_and_writes_the_matching_salesforce_value() {
    let state = given(&[linked(), agreed("New", "To Do", 0)]);
    let plan = plan_status(&state, &case_item(), &observed("New", 0, in_progress(), 20));
    assert_eq!(
        plan.effects(),
        vec![Effect::UpdateRecordField {
            field: "Status".into(),
            value: "Working".into()
        }]
    );
    assert_eq!(written(&plan).as_deref(), Some("Working"));
}

#[test]
fn a_tie_goes_to_salesforce() {
    let state = given(&[linked(), agreed("New", "To Do", 0)]);
    let plan = plan_status(
        &state,
        &case_item(),
        &observed("Closed", 20, in_progress(), 20),
    );
    assert_eq!(plan.effects(), vec![transition_to(&done())]);
}

#[test]
fn an_edit_of_another_field_does_not_make_an_unchanged_status_newer() {
    // The modstamp moved to minute 40 (a Subject edit); the status is the one remembered from
    // minute 0, so Jira's change at minute 20 is the later one.
    let state = given(&[linked(), agreed("New", "To Do", 0)]);
    let plan = plan_status(
        &state,
        &case_item(),
        &observed("New", 40, in_progress(), 20),
    );
    assert!(matches!(
        plan.effects().as_slice(),
        [Effect::UpdateRecordField { value, .. }] if value == "Working"
    ));
}

#[test]
fn aligned_sides_already_remembered_plan_nothing() {
    let state = given(&[linked(), agreed("Working", "In Progress", 0)]);
    let plan = plan_status(
        &state,
        &case_item(),
        &observed("Working", 5, in_progress(), 5),
    );
    assert!(plan.is_empty(), "{plan:?}");
}

#[test]
fn aligned_sides_not_yet_remembered_are_recorded_without_a_write() {
    let state = given(&[linked()]);
    let plan = plan_status(
        &state,
        &case_item(),
        &observed("Working", 5, in_progress(), 5),
    );
    assert!(plan.effects().is_empty());
    assert_eq!(written(&plan), None);
}

#[test]
fn with_no_reachable_done_status_nothing_is_written_and_the_reason_is_recorded_once() {
    let state = given(&[linked(), agreed("New", "To Do", 0)]);
    let mut seen = observed("Closed", 20, to_do(), 0);
    seen.reachable.retain(|r| r.status.id != done().id);
    let plan = plan_status(&state, &case_item(), &seen);
    assert!(plan.effects().is_empty());
    let events = plan.events();
    let [LinkEvent::StatusNotWritten(not)] = events.as_slice() else {
        panic!("{plan:?}");
    };
    assert_eq!(not.target, Side::Jira);
    assert!(
        not.reason.contains("no done status"),
        "says why: {}",
        not.reason
    );

    let again = given(&[
        linked(),
        agreed("New", "To Do", 0),
        plan.events()[0].clone(),
    ]);
    assert!(plan_status(&again, &case_item(), &seen).is_empty());
}

#[test]
fn a_case_closes_only_through_a_closed_value() {
    // Jira moved to Done later; the only closed Case value is Closed.
    let state = given(&[linked(), agreed("Working", "In Progress", 0)]);
    let plan = plan_status(&state, &case_item(), &observed("Working", 0, done(), 20));
    assert_eq!(
        plan.effects(),
        vec![Effect::UpdateRecordField {
            field: "Status".into(),
            value: "Closed".into()
        }]
    );
}

#[test]
fn a_record_edit_that_left_the_status_alone_is_not_status_news() {
    assert!(salesforce_status_is_news(&given(&[linked()]), Some("New")));
    let state = given(&[linked(), agreed("New", "To Do", 0)]);
    assert!(!salesforce_status_is_news(&state, Some("New")));
    assert!(salesforce_status_is_news(&state, Some("Working")));
}
