//! Tests for status matching and the winner rule.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn js(id: &str, name: &str, category: StatusCategory) -> JiraStatus {
    JiraStatus {
        id: id.into(),
        name: name.into(),
        category,
    }
}

fn sv(value: &str, is_closed: Option<bool>, is_default: bool) -> SalesforceStatusValue {
    SalesforceStatusValue {
        value: value.into(),
        label: value.into(),
        is_closed,
        is_default,
    }
}

fn workflow() -> Vec<JiraStatus> {
    vec![
        js("1", "To Do", StatusCategory::New),
        js("3", "In Progress", StatusCategory::InProgress),
        js("4", "In Review", StatusCategory::InProgress),
        js("5", "Done", StatusCategory::Done),
        js("6", "Won't Do", StatusCategory::Done),
    ]
}

fn case_statuses() -> Vec<SalesforceStatusValue> {
    vec![
        sv("New", Some(false), true),
        sv("Working", Some(false), false),
        sv("Escalated", Some(false), false),
        sv("Resolved", Some(true), false),
        sv("Closed", Some(true), false),
    ]
}

#[test]
fn category_keys() {
    assert_eq!(
        StatusCategory::from_jira_key("new"),
        Some(StatusCategory::New)
    );
    assert_eq!(
        StatusCategory::from_jira_key("indeterminate"),
        Some(StatusCategory::InProgress)
    );
    assert_eq!(
        StatusCategory::from_jira_key("done"),
        Some(StatusCategory::Done)
    );
    assert_eq!(StatusCategory::from_jira_key("undefined"), None);
    assert_eq!(StatusCategory::Done.jira_key(), "done");
    assert_eq!(StatusCategory::InProgress.jira_key(), "indeterminate");
}

#[test]
fn jira_match_prefers_the_same_name() {
    let mut wf = workflow();
    wf.push(js("7", "Escalated", StatusCategory::InProgress));
    let m = match_jira_status(&sv(" escalated ", Some(false), false), &wf).unwrap();
    assert_eq!(m.id, "7");
    let labelled = SalesforceStatusValue {
        value: "WIP".into(),
        label: "in-review".into(),
        is_closed: Some(false),
        is_default: false,
    };
    assert_eq!(match_jira_status(&labelled, &wf).unwrap().name, "In Review");
}

#[test]
fn jira_match_falls_back_to_the_category() {
    let wf = workflow();
    assert_eq!(
        match_jira_status(&sv("New", Some(false), true), &wf)
            .unwrap()
            .name,
        "To Do"
    );
    assert_eq!(
        match_jira_status(&sv("Working", Some(false), false), &wf)
            .unwrap()
            .name,
        "In Progress"
    );
    assert_eq!(
        match_jira_status(&sv("Resolved", Some(true), false), &wf)
            .unwrap()
            .name,
        "Done"
    );
    // Without IsClosed metadata the name decides.
    assert_eq!(
        match_jira_status(&sv("Closed Won", None, false), &wf)
            .unwrap()
            .name,
        "Done"
    );
    assert_eq!(
        match_jira_status(&sv("Not Started", None, false), &wf)
            .unwrap()
            .name,
        "To Do"
    );
}

#[test]
fn jira_name_match_never_contradicts_closedness() {
    // A Jira status named "Closed" that is not Done must not receive a closed value.
    let wf = vec![
        js("1", "Open", StatusCategory::New),
        js("2", "Closed", StatusCategory::InProgress),
        js("3", "Finished", StatusCategory::Done),
    ];
    assert_eq!(
        match_jira_status(&sv("Closed", Some(true), false), &wf)
            .unwrap()
            .name,
        "Finished"
    );
}

#[test]
fn jira_match_refuses_with_a_reason() {
    let wf = vec![
        js("1", "To Do", StatusCategory::New),
        js("3", "Doing", StatusCategory::InProgress),
    ];
    let err = match_jira_status(&sv("Closed", Some(true), false), &wf).unwrap_err();
    assert!(err.reason.contains("\"Closed\""), "{}", err.reason);
    assert!(err.reason.contains("no done status"), "{}", err.reason);
    let err = match_jira_status(&sv("New", None, true), &[]).unwrap_err();
    assert!(err.to_string().starts_with("no safe status match"));
}

#[test]
fn salesforce_match_by_name_then_category() {
    let values = case_statuses();
    let done = js("5", "Done", StatusCategory::Done);
    assert_eq!(
        match_salesforce_status(&done, &values, "Case")
            .unwrap()
            .value,
        "Closed"
    );
    let resolved = js("8", "RESOLVED", StatusCategory::Done);
    assert_eq!(
        match_salesforce_status(&resolved, &values, "Case")
            .unwrap()
            .value,
        "Resolved"
    );
    let todo = js("1", "To Do", StatusCategory::New);
    assert_eq!(
        match_salesforce_status(&todo, &values, "Case")
            .unwrap()
            .value,
        "New"
    );
    let review = js("4", "In Review", StatusCategory::InProgress);
    assert_eq!(
        match_salesforce_status(&review, &values, "Case")
            .unwrap()
            .value,
        "Working"
    );
}

#[test]
fn salesforce_match_never_closes_for_an_open_status() {
    let values = vec![
        sv("Closed", Some(true), false),
        sv("New", Some(false), true),
    ];
    // Jira "Closed" in the In Progress category must not close the Case.
    let odd = js("9", "Closed", StatusCategory::InProgress);
    let err = match_salesforce_status(&odd, &values, "Case").unwrap_err();
    assert!(
        err.reason.contains("no open value besides the default"),
        "{}",
        err.reason
    );
    // And a Done status never lands on an open value even with the same name.
    let values = vec![
        sv("Done", Some(false), false),
        sv("Shut", Some(true), false),
    ];
    let done = js("5", "Done", StatusCategory::Done);
    assert_eq!(
        match_salesforce_status(&done, &values, "Case")
            .unwrap()
            .value,
        "Shut"
    );
}

#[test]
fn cases_close_only_through_is_closed() {
    let values = vec![sv("New", None, true), sv("Closed", None, false)];
    let done = js("5", "Done", StatusCategory::Done);
    let err = match_salesforce_status(&done, &values, "Case").unwrap_err();
    assert!(err.reason.contains("IsClosed"), "{}", err.reason);
    // Other objects without metadata fall back to the name.
    assert_eq!(
        match_salesforce_status(&done, &values, "Widget__c")
            .unwrap()
            .value,
        "Closed"
    );
}

#[test]
fn opportunity_stages() {
    let stages = vec![
        sv("Prospecting", Some(false), true),
        sv("Negotiation", Some(false), false),
        sv("Closed Won", Some(true), false),
        sv("Closed Lost", Some(true), false),
    ];
    let done = js("5", "Done", StatusCategory::Done);
    assert_eq!(
        match_salesforce_status(&done, &stages, "Opportunity")
            .unwrap()
            .value,
        "Closed Won"
    );
    let lost = js("6", "closed lost", StatusCategory::Done);
    assert_eq!(
        match_salesforce_status(&lost, &stages, "Opportunity")
            .unwrap()
            .value,
        "Closed Lost"
    );
    let err = match_salesforce_status(&done, &[], "Opportunity").unwrap_err();
    assert!(err.reason.contains("no values"));
}

#[test]
fn correspondence_is_symmetric_enough_to_stop_ping_pong() {
    let wf = workflow();
    let values = case_statuses();
    let review = &wf[2];
    assert!(statuses_correspond(
        &values[1], &values, review, &wf, "Case"
    )); // Working ~ In Review
    assert!(statuses_correspond(
        &values[2], &values, &wf[1], &wf, "Case"
    )); // Escalated ~ In Progress
    assert!(!statuses_correspond(
        &values[2], &values, review, &wf, "Case"
    ));
    assert!(!statuses_correspond(
        &values[0], &values, &wf[3], &wf, "Case"
    ));
}

fn at(secs: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).single()
}

fn input(
    initialised: bool,
    sf: Option<DateTime<Utc>>,
    jira: Option<DateTime<Utc>>,
    aligned: bool,
) -> StatusDecisionInput {
    StatusDecisionInput {
        initialised,
        salesforce: StatusSnapshot {
            value: "Working".into(),
            changed_at: sf,
        },
        jira: StatusSnapshot {
            value: "Done".into(),
            changed_at: jira,
        },
        already_aligned: aligned,
    }
}

#[test]
fn winner_rules() {
    let d = decide_status_winner(&input(false, at(0), at(100), false));
    assert_eq!(
        (d.winner, d.reason),
        (
            Some(Side::Salesforce),
            StatusReason::FirstLinkFromSalesforce
        )
    );
    assert_eq!(d.target(), Some(Side::Jira));
    let d = decide_status_winner(&input(true, at(0), at(100), false));
    assert_eq!(
        (d.winner, d.reason),
        (Some(Side::Jira), StatusReason::JiraChangedLater)
    );
    assert_eq!(d.target(), Some(Side::Salesforce));
    let d = decide_status_winner(&input(true, at(100), at(0), false));
    assert_eq!(
        (d.winner, d.reason),
        (Some(Side::Salesforce), StatusReason::SalesforceChangedLater)
    );
    let d = decide_status_winner(&input(true, at(5), at(5), false));
    assert_eq!(
        (d.winner, d.reason),
        (Some(Side::Salesforce), StatusReason::TieGoesToSalesforce)
    );
    let d = decide_status_winner(&input(true, None, at(5), false));
    assert_eq!(d.winner, Some(Side::Jira));
    let d = decide_status_winner(&input(false, at(0), at(5), true));
    assert_eq!(
        (d.winner, d.reason, d.target()),
        (None, StatusReason::AlreadyAligned, None)
    );
}

#[test]
fn decisions_carry_both_values_and_times_and_serialise() {
    let d = decide_status_winner(&input(true, at(1), at(2), false));
    assert_eq!(d.salesforce_value, "Working");
    assert_eq!(d.jira_value, "Done");
    assert_eq!(d.salesforce_changed_at, at(1));
    assert_eq!(d.jira_changed_at, at(2));
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["winner"], "jira");
    assert_eq!(json["reason"], "jira_changed_later");
    let back: StatusDecision = serde_json::from_value(json).unwrap();
    assert_eq!(back, d);
}

fn arb_category() -> impl Strategy<Value = StatusCategory> {
    prop_oneof![
        Just(StatusCategory::New),
        Just(StatusCategory::InProgress),
        Just(StatusCategory::Done)
    ]
}

fn arb_workflow() -> impl Strategy<Value = Vec<JiraStatus>> {
    prop::collection::vec(("[A-Za-z ]{1,10}", arb_category()), 0..6).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (name, category))| js(&i.to_string(), &name, category))
            .collect()
    })
}

fn arb_values() -> impl Strategy<Value = Vec<SalesforceStatusValue>> {
    let words = prop_oneof![
        Just("New".to_string()),
        Just("Closed".to_string()),
        Just("Working".to_string()),
        Just("Done".to_string()),
        "[A-Za-z ]{1,10}"
    ];
    prop::collection::vec(
        (words, prop::option::of(any::<bool>()), any::<bool>()),
        0..6,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(name, closed, default)| sv(&name, closed, default))
            .collect()
    })
}

proptest! {
    #[test]
    fn salesforce_matches_are_always_safe(wf in arb_workflow(), values in arb_values(), object in prop_oneof![Just("Case"), Just("Lead")]) {
        for status in &wf {
            if let Ok(v) = match_salesforce_status(status, &values, object) {
                prop_assert_eq!(v.closed(), status.category == StatusCategory::Done);
                if object == "Case" && status.category == StatusCategory::Done {
                    prop_assert_eq!(v.is_closed, Some(true));
                }
            }
        }
    }

    #[test]
    fn jira_matches_agree_on_closedness(wf in arb_workflow(), values in arb_values()) {
        for value in &values {
            if let Ok(s) = match_jira_status(value, &wf) {
                prop_assert_eq!(s.category == StatusCategory::Done, value.closed());
            }
        }
    }

    #[test]
    fn applying_the_winner_leaves_the_sides_aligned(wf in arb_workflow(), values in arb_values()) {
        // After writing the match of either side onto the other, the pair corresponds.
        for value in &values {
            if let Ok(s) = match_jira_status(value, &wf) {
                prop_assert!(statuses_correspond(value, &values, s, &wf, "Lead"));
            }
        }
        for status in &wf {
            if let Ok(v) = match_salesforce_status(status, &values, "Lead") {
                prop_assert!(statuses_correspond(v, &values, status, &wf, "Lead"));
            }
        }
    }
}
