//! Files both ways, given past events, when files are observed, then this plan: copies under
//! the ceilings with their notes, skips above them, our own copies adopted, never twice.

use uuid::Uuid;

use super::*;
use crate::domain::item::SyncMode;
use crate::domain::link::events::IntentDetail;
use crate::domain::plan::given::{case_item, given, issue_key, linked};

const MB: u64 = 1024 * 1024;

fn sf_file(version: &str, size: u64) -> SalesforceFileSeen {
    SalesforceFileSeen {
        version_id: SalesforceId::parse(version).expect("id"),
        document_id: SalesforceId::parse("069Hs00000000AA").expect("id"),
        title: "logs".into(),
        filename: "logs.zip".into(),
        size,
    }
}

fn to_jira(files: Vec<SalesforceFileSeen>, upload_limit: Option<u64>) -> FilesToJiraObservation {
    FilesToJiraObservation {
        files,
        object_label: "Case".into(),
        ceiling: 10 * MB,
        upload_limit,
    }
}

fn attachment(id: &str, size: u64) -> JiraAttachmentSeen {
    JiraAttachmentSeen {
        id: id.into(),
        filename: "trace.txt".into(),
        size,
    }
}

fn to_salesforce(attachments: Vec<JiraAttachmentSeen>) -> FilesToSalesforceObservation {
    FilesToSalesforceObservation {
        attachments,
        issue_key: issue_key(),
        object_label: "Case".into(),
        kind: Some(SalesforceCommentKind::CaseComment),
        ceiling: 10 * MB,
    }
}

fn created(id: &str) -> CreatedRef {
    CreatedRef {
        id: id.into(),
        aux: None,
        now: true,
    }
}

#[test]
fn a_new_salesforce_file_is_uploaded_then_noted_and_never_twice() {
    let item = case_item(SyncMode::TwoWay);
    let seen = to_jira(vec![sf_file("068Hs00000000AA", MB)], Some(100 * MB));
    let plan = plan_files_to_jira(&given(&[linked()]), &item, &seen);
    let effects = plan.effects();
    let [Effect::UploadToJira(file), Effect::WriteFileNote(FileNote::InJira { text, .. })] =
        effects.as_slice()
    else {
        panic!("{plan:?}")
    };
    assert_eq!(file.filename, "logs.zip");
    assert!(text.contains("logs.zip"), "{text}");
    assert!(
        plan.steps[1].needs_previous,
        "no note for a file that was not copied"
    );
    let paired = effects[0].settled(&created("10200"));
    let state = given(&[linked(), paired[0].clone()]);
    assert!(!files_to_jira_need_limit(&state, &seen.files));
    assert!(plan_files_to_jira(&state, &item, &seen).is_empty());
}

#[test]
fn a_file_over_the_ceiling_is_noted_and_recorded_as_skipped() {
    let item = case_item(SyncMode::TwoWay);
    let seen = to_jira(vec![sf_file("068Hs00000000AA", 11 * MB)], Some(100 * MB));
    let plan = plan_files_to_jira(&given(&[linked()]), &item, &seen);
    let effects = plan.effects();
    let [Effect::WriteFileNote(FileNote::InJira { text, .. })] = effects.as_slice() else {
        panic!("{plan:?}")
    };
    assert!(text.contains("logs.zip"));
    let events = plan.events();
    let [LinkEvent::AttachmentSkipped(skipped)] = events.as_slice() else {
        panic!("{plan:?}")
    };
    let again = given(&[linked(), events[0].clone()]);
    assert!(plan_files_to_jira(&again, &item, &seen).is_empty());
    assert_eq!(skipped.size, 11 * MB);
}

#[test]
fn a_file_over_jiras_upload_limit_is_skipped() {
    let seen = to_jira(vec![sf_file("068Hs00000000AA", 5 * MB)], Some(MB));
    let plan = plan_files_to_jira(&given(&[linked()]), &case_item(SyncMode::TwoWay), &seen);
    assert!(matches!(
        plan.events().as_slice(),
        [LinkEvent::AttachmentSkipped(_)]
    ));
}

#[test]
fn our_own_upload_from_jira_is_adopted_not_copied_back() {
    let intent_id = Uuid::now_v7();
    let intended = LinkEvent::RemoteWriteIntended(RemoteWriteIntended {
        intent_id,
        operation: RemoteOperation::UploadToSalesforce,
        target: Side::Salesforce,
        marker: "sfjira:jira-attachment:10300".into(),
        detail: IntentDetail {
            jira_attachment_id: Some("10300".into()),
            filename: Some("logs.zip".into()),
            size: Some(MB),
            ..IntentDetail::default()
        },
        at: None,
    });
    let state = given(&[linked(), intended]);
    let seen = to_jira(vec![sf_file("068Hs00000000AA", MB)], Some(100 * MB));
    let plan = plan_files_to_jira(&state, &case_item(SyncMode::TwoWay), &seen);
    assert!(plan.effects().is_empty(), "{plan:?}");
    let events = plan.events();
    let [LinkEvent::RemoteWriteSettled(settled), LinkEvent::AttachmentPaired(paired)] =
        events.as_slice()
    else {
        panic!("{plan:?}")
    };
    assert_eq!(settled.intent_id, intent_id);
    assert_eq!(paired.jira_attachment_id, "10300");
}

#[test]
fn a_new_jira_attachment_is_uploaded_then_noted_on_both_sides() {
    let item = case_item(SyncMode::TwoWay);
    let plan = plan_files_to_salesforce(
        &given(&[linked()]),
        &item,
        &to_salesforce(vec![attachment("10300", MB)]),
    );
    let effects = plan.effects();
    let [Effect::UploadToSalesforce(file), Effect::WriteFileNote(FileNote::InSalesforce { .. }), Effect::WriteFileNote(FileNote::InJira {
        source: Side::Jira, ..
    })] = effects.as_slice()
    else {
        panic!("{plan:?}")
    };
    assert_eq!(
        (file.title.as_str(), file.path.as_str()),
        ("trace", "trace.txt")
    );
    assert!(plan.steps[1].needs_previous && plan.steps[2].needs_previous);
}

#[test]
fn a_jira_attachment_over_the_ceiling_is_only_recorded() {
    let plan = plan_files_to_salesforce(
        &given(&[linked()]),
        &case_item(SyncMode::TwoWay),
        &to_salesforce(vec![attachment("10300", 20 * MB)]),
    );
    assert!(plan.effects().is_empty());
    assert!(matches!(
        plan.events().as_slice(),
        [LinkEvent::AttachmentSkipped(_)]
    ));
}

#[test]
fn a_note_sfjira_wrote_in_jira_is_known_as_its_own() {
    let intent_id = Uuid::now_v7();
    let note = LinkEvent::RemoteWriteIntended(RemoteWriteIntended {
        intent_id,
        operation: RemoteOperation::CreateJiraComment,
        target: Side::Jira,
        marker: "sfjira:file-note:068Hs00000000AA".into(),
        detail: IntentDetail::default(),
        at: None,
    });
    let settled = LinkEvent::RemoteWriteSettled(RemoteWriteSettled {
        intent_id,
        outcome: Settlement::Created {
            remote_id: "10600".into(),
        },
    });
    let state = given(&[linked(), note, settled]);
    assert!(state.own_jira_comments.contains("10600"));
    assert!(state.open_intents.is_empty());
}
