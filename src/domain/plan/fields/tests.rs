//! Mapped fields, given past events, when both sides are observed, then this plan: first sync,
//! echo recognition, two-way conflicts both ways and ties, one-way vs two-way gates, refusals.

use serde_json::json;

use super::*;
use crate::domain::fields::{JiraFieldKind, JiraFieldSpec, SfFieldSpec, SfFieldType};
use crate::domain::plan::given::{at, case_item, given, linked};

/// Subject ⇄ summary, pushable unless `read_only`.
fn subject(read_only: bool) -> MappedField {
    let mut salesforce = SfFieldSpec::new("Subject", SfFieldType::String);
    salesforce.updateable = !read_only;
    MappedField {
        mapping: FieldMapping {
            salesforce_field: "Subject".into(),
            jira_field: "summary".into(),
        },
        salesforce,
        jira: JiraFieldSpec::new("summary", JiraFieldKind::String),
    }
}

fn record(subject: &str) -> Map<String, Value> {
    let mut values = Map::new();
    values.insert("Subject".into(), json!(subject));
    values
}

fn issue(summary: &str, changed_minute: u32) -> IssueFieldsSeen {
    let mut seen = IssueFieldsSeen::default();
    seen.values.insert("summary".into(), json!(summary));
    seen.changed_at
        .insert("summary".into(), at(changed_minute).expect("time"));
    seen
}

/// Both sides agreed on `value` when Salesforce was stamped 09:`minute`.
fn agreed(value: &str, minute: u32) -> LinkEvent {
    pulled(
        &subject(false),
        json!(value),
        print(&json!(value)),
        at(minute),
        FieldReason::FirstSync,
        None,
    )
}

fn pull(
    state: &LinkState,
    values: &Map<String, Value>,
    minute: u32,
    issue: Option<&IssueFieldsSeen>,
) -> Plan {
    let mapped = [subject(false)];
    plan_pull(
        state,
        &PullObservation {
            mapped: &mapped,
            missing: &[],
            record: RecordSeen {
                values,
                modstamp: at(minute),
            },
            issue,
        },
    )
}

fn push(
    state: &LinkState,
    issue: &IssueFieldsSeen,
    values: &Map<String, Value>,
    minute: u32,
) -> Plan {
    let mapped = [subject(false)];
    plan_push(
        state,
        &PushObservation {
            mapped: &mapped,
            issue,
            record: Some(RecordSeen {
                values,
                modstamp: at(minute),
            }),
        },
    )
}

fn edit(summary: &str) -> Effect {
    let mut fields = Map::new();
    fields.insert("summary".into(), json!(summary));
    Effect::EditIssue { fields }
}

#[test]
fn a_first_sync_writes_the_salesforce_value_to_jira() {
    let state = given(&[linked()]);
    let plan = pull(&state, &record("Printer on fire"), 5, None);
    assert_eq!(plan.effects(), vec![edit("Printer on fire")]);
    let events = plan.events();
    let [LinkEvent::FieldPulled(e)] = events.as_slice() else {
        panic!("{plan:?}")
    };
    assert_eq!(e.reason, FieldReason::FirstSync);
}

#[test]
fn the_value_both_sides_agreed_on_is_not_news() {
    let state = given(&[linked(), agreed("Printer on fire", 5)]);
    assert!(pull(&state, &record("Printer on fire"), 9, None).is_empty());
}

#[test]
fn a_snapshot_older_than_our_push_is_not_news() {
    let pushed = LinkEvent::FieldPushed(FieldPushed {
        jira_field: "summary".into(),
        salesforce_field: "Subject".into(),
        value: json!("New words"),
        fingerprint: print(&json!("New words")),
        source_updated: at(8),
        reason: FieldReason::OnlyThisSideChanged,
        salesforce_modstamp: at(7),
        replaced_fingerprint: Some(print(&json!("Old words"))),
    });
    let state = given(&[linked(), agreed("Old words", 5), pushed]);
    // A scheduled read stamped before the push still shows the value the push replaced.
    assert!(pull(&state, &record("Old words"), 7, None).is_empty());
}

#[test]
fn only_a_two_way_pushable_mapping_reads_jira_before_pulling() {
    let state = given(&[linked()]);
    let (writable, read_only) = ([subject(false)], [subject(true)]);
    let values = record("x");
    let seen = RecordSeen {
        values: &values,
        modstamp: at(1),
    };
    let two_way = case_item(SyncMode::TwoWay);
    let one_way = case_item(SyncMode::OneWay);
    assert!(pull_needs_issue(
        &two_way,
        &pull_news(&state, &writable, seen)
    ));
    assert!(!pull_needs_issue(
        &one_way,
        &pull_news(&state, &writable, seen)
    ));
    assert!(!pull_needs_issue(
        &two_way,
        &pull_news(&state, &read_only, seen)
    ));
}

#[test]
fn when_jira_changed_later_the_pull_leaves_it_and_the_push_writes_it() {
    let state = given(&[linked(), agreed("Old", 1)]);
    let jira = issue("Jira's words", 9);
    assert!(pull(&state, &record("Salesforce's words"), 5, Some(&jira)).is_empty());
    let plan = push(&state, &jira, &record("Salesforce's words"), 5);
    let mut fields = Map::new();
    fields.insert("Subject".into(), json!("Jira's words"));
    assert_eq!(plan.effects(), vec![Effect::UpdateRecord { fields }]);
    let events = plan.events();
    let [LinkEvent::FieldPushed(e)] = events.as_slice() else {
        panic!("{plan:?}")
    };
    assert_eq!(e.reason, FieldReason::ChangedLater);
    assert_eq!(
        e.replaced_fingerprint,
        Some(print(&json!("Salesforce's words")))
    );
}

#[test]
fn when_salesforce_changed_later_both_paths_write_it_to_jira() {
    let state = given(&[linked(), agreed("Old", 1)]);
    let jira = issue("Jira's words", 3);
    let pulled_plan = pull(&state, &record("Salesforce's words"), 7, Some(&jira));
    assert_eq!(pulled_plan.effects(), vec![edit("Salesforce's words")]);
    let pushed_plan = push(&state, &jira, &record("Salesforce's words"), 7);
    assert_eq!(pushed_plan.effects(), vec![edit("Salesforce's words")]);
    let events = pushed_plan.events();
    let [LinkEvent::FieldPulled(e)] = events.as_slice() else {
        panic!("{pushed_plan:?}")
    };
    assert_eq!(e.reason, FieldReason::ChangedLater);
    assert_eq!(e.jira_changed_at, at(3), "the Jira change it beat is kept");
}

#[test]
fn a_tie_goes_to_salesforce() {
    let state = given(&[linked(), agreed("Old", 1)]);
    let jira = issue("Jira's words", 5);
    let plan = pull(&state, &record("Salesforce's words"), 5, Some(&jira));
    let events = plan.events();
    let [LinkEvent::FieldPulled(e)] = events.as_slice() else {
        panic!("{plan:?}")
    };
    assert_eq!(e.reason, FieldReason::TieGoesToSalesforce);
}

#[test]
fn both_sides_holding_the_same_new_value_write_nothing_and_remember_it() {
    let state = given(&[linked(), agreed("Old", 1)]);
    let jira = issue("Same", 4);
    let plan = pull(&state, &record("Same"), 5, Some(&jira));
    assert!(plan.effects().is_empty());
    assert!(matches!(
        plan.events().as_slice(),
        [LinkEvent::FieldInStep(_)]
    ));
    let after = given(&[linked(), agreed("Old", 1), plan.events()[0].clone()]);
    assert!(pull(&after, &record("Same"), 6, Some(&jira)).is_empty());
}

#[test]
fn our_own_pull_coming_back_by_webhook_costs_no_salesforce_read() {
    let state = given(&[linked(), agreed("Printer on fire", 5)]);
    let jira = issue("Printer on fire", 6);
    assert!(!push_needs_record(&state, &[subject(false)], &jira));
    assert!(push_needs_record(
        &state,
        &[subject(false)],
        &issue("Edited in Jira", 7)
    ));
}

#[test]
fn a_read_only_salesforce_field_is_never_pushed() {
    let state = given(&[linked(), agreed("Old", 1)]);
    let jira = issue("Edited in Jira", 7);
    assert!(!push_needs_record(&state, &[subject(true)], &jira));
}

#[test]
fn a_value_that_cannot_be_converted_is_refused_and_the_others_go_on() {
    let state = given(&[linked()]);
    let mut number = subject(false);
    number.mapping = FieldMapping {
        salesforce_field: "Subject".into(),
        jira_field: "customfield_1".into(),
    };
    number.jira = JiraFieldSpec::new("customfield_1", JiraFieldKind::Number);
    let mapped = [subject(false), number];
    let values = record("not a number");
    let gone = [FieldMapping {
        salesforce_field: "Gone__c".into(),
        jira_field: "labels".into(),
    }];
    let plan = plan_pull(
        &state,
        &PullObservation {
            mapped: &mapped,
            missing: &gone,
            record: RecordSeen {
                values: &values,
                modstamp: at(1),
            },
            issue: None,
        },
    );
    assert_eq!(plan.effects(), vec![edit("not a number")]);
    assert_eq!(plan.refused.len(), 2, "{:?}", plan.refused);
    assert!(plan.refused[0].starts_with("Gone__c → labels"));
    assert!(plan.refused[1].starts_with("Subject → customfield_1"));
}
