//! Auto-create and the link note, given past events, when a record is observed, then this
//! plan: one issue per new record with its values set, never after an unlink; one note.

use serde_json::json;

use super::*;
use crate::domain::fields::{JiraFieldKind, JiraFieldSpec, SfFieldSpec, SfFieldType};
use crate::domain::item::{FieldMapping, SyncMode};
use crate::domain::link::events::Unlinked;
use crate::domain::plan::given::{at, case_item, given, issue_key, linked, record_id};

fn subject() -> MappedField {
    MappedField {
        mapping: FieldMapping {
            salesforce_field: "Subject".into(),
            jira_field: "summary".into(),
        },
        salesforce: SfFieldSpec::new("Subject", SfFieldType::String),
        jira: JiraFieldSpec::new("summary", JiraFieldKind::String),
    }
}

fn plan(state: &LinkState, values: &Map<String, Value>, mapped: &[MappedField]) -> Plan {
    plan_auto_create(
        state,
        &case_item(SyncMode::TwoWay),
        &NewRecordObservation {
            item_id: ItemId::new(),
            record_id: &record_id(),
            record: RecordSeen {
                values,
                modstamp: at(1),
            },
            object_label: "Case",
            mapped,
        },
    )
}

fn case(subject: &str) -> Map<String, Value> {
    let mut values = Map::new();
    values.insert("Subject".into(), json!(subject));
    values.insert("CaseNumber".into(), json!("00001026"));
    values
}

#[test]
fn a_new_record_becomes_one_issue_with_its_values_and_is_linked_on_settlement() {
    let plan = plan(&given(&[]), &case("Printer on fire"), &[subject()]);
    let effects = plan.effects();
    let [effect @ Effect::CreateIssue(issue)] = effects.as_slice() else {
        panic!("{plan:?}")
    };
    assert_eq!(issue.fields.get("summary"), Some(&json!("Printer on fire")));
    assert_eq!(issue.project.to_string(), "SUP");
    let now = effect.settled(&CreatedRef {
        id: "SUP-7".into(),
        aux: Some("10007".into()),
        now: true,
    });
    assert!(
        matches!(now.as_slice(), [LinkEvent::Linked(l), LinkEvent::FieldPulled(_)] if l.origin == LinkOrigin::Auto)
    );
    let found = effect.settled(&CreatedRef {
        id: "SUP-7".into(),
        aux: None,
        now: false,
    });
    assert_eq!(
        found.len(),
        1,
        "an issue found by its marker may have changed since"
    );
}

#[test]
fn without_a_mapped_summary_the_issue_is_named_after_the_record() {
    let plan = plan(&given(&[]), &case("Printer on fire"), &[]);
    let effects = plan.effects();
    let [Effect::CreateIssue(issue)] = effects.as_slice() else {
        panic!("{plan:?}")
    };
    assert_eq!(
        issue.fields.get("summary"),
        Some(&json!("Case 00001026 [Printer on fire]"))
    );
}

#[test]
fn a_link_an_admin_removed_is_not_created_again() {
    let unlinked = LinkEvent::Unlinked(Unlinked {
        trigger: Trigger::Panel,
        reason: None,
    });
    assert!(plan(&given(&[linked(), unlinked]), &case("x"), &[subject()]).is_empty());
    assert!(plan(&given(&[linked()]), &case("x"), &[subject()]).is_empty());
}

#[test]
fn a_value_that_cannot_be_converted_refuses_the_create() {
    let mut number = subject();
    number.jira = JiraFieldSpec::new("summary", JiraFieldKind::Number);
    let plan = plan(&given(&[]), &case("not a number"), &[number]);
    assert!(plan.steps.is_empty());
    assert_eq!(plan.refused.len(), 1);
}

#[test]
fn the_link_note_is_written_once_where_the_record_takes_comments() {
    let item = case_item(SyncMode::TwoWay);
    let url = "https://example.atlassian.net/browse/SUP-1";
    let kind = Some(SalesforceCommentKind::CaseComment);
    let plan = plan_link_note(&given(&[linked()]), &item, kind, url);
    let effects = plan.effects();
    let [effect @ Effect::WriteLinkNote(note)] = effects.as_slice() else {
        panic!("{plan:?}")
    };
    assert_eq!(note.issue_key, issue_key());
    assert!(note.text.contains(url) && note.text.contains("Support cases"));
    let written = effect.settled(&CreatedRef {
        id: "00aHs00000000AA".into(),
        aux: None,
        now: true,
    });
    assert!(plan_link_note(&given(&[linked(), written[0].clone()]), &item, kind, url).is_empty());
    assert!(plan_link_note(&given(&[linked()]), &item, None, url).is_empty());
    assert!(plan_link_note(&given(&[]), &item, kind, url).is_empty());
}
