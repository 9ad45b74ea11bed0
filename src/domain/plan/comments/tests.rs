//! Comments both ways, given past events, when comments are observed, then this plan: new
//! ones are mirrored once, our own are recognised, edits are carried onto their parts.

use chrono::{TimeZone, Utc};

use super::*;
use crate::domain::comments::{format_link_note, LinkNote};
use crate::domain::item::SyncMode;
use crate::domain::link::events::LinkOrigin;
use crate::domain::plan::given::{case_item, given, issue_key, linked};

fn sf_comment(id: &str, body: &str) -> SalesforceCommentSeen {
    SalesforceCommentSeen {
        id: SalesforceId::parse(id).expect("id"),
        kind: SalesforceCommentKind::CaseComment,
        body: body.into(),
        author: "Ana Agent".into(),
        created: Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap(),
        parent: None,
    }
}

fn jira_comment(id: &str, body: &str, marked: bool) -> JiraCommentSeen {
    JiraCommentSeen {
        id: id.into(),
        author: "Dev Person".into(),
        body: body.into(),
        marked,
    }
}

fn to_salesforce(
    comments: Vec<JiraCommentSeen>,
    kind: SalesforceCommentKind,
) -> CommentsToSalesforceObservation {
    CommentsToSalesforceObservation {
        kind: Some(kind),
        issue_key: issue_key(),
        issue_url: "https://example.atlassian.net/browse/SUP-1".into(),
        comments,
    }
}

fn created(id: &str) -> CreatedRef {
    CreatedRef {
        id: id.into(),
        aux: None,
        now: true,
    }
}

fn paired_from_salesforce(sf_id: &str, jira_id: &str) -> LinkEvent {
    let plan = plan_comments_to_jira(
        &given(&[linked()]),
        &case_item(SyncMode::TwoWay),
        "Case",
        &[sf_comment(sf_id, "hello")],
    );
    plan.effects()[0].settled(&created(jira_id)).remove(0)
}

#[test]
fn a_new_salesforce_comment_is_mirrored_once_with_who_wrote_it() {
    let state = given(&[linked()]);
    let item = case_item(SyncMode::TwoWay);
    let comments = [sf_comment("00aHs000000001A", "The printer is on fire")];
    let plan = plan_comments_to_jira(&state, &item, "Case", &comments);
    let effects = plan.effects();
    let [Effect::CreateJiraComment(c)] = effects.as_slice() else {
        panic!("{plan:?}")
    };
    assert!(c.text.contains("Ana Agent"), "{}", c.text);
    assert!(c.text.contains("The printer is on fire"));
    let paired = given(&[linked(), paired_from_salesforce("00aHs000000001A", "10500")]);
    assert!(plan_comments_to_jira(&paired, &item, "Case", &comments).is_empty());
}

#[test]
fn notes_sfjira_wrote_in_salesforce_are_never_mirrored_back() {
    let note = format_link_note(&LinkNote {
        issue_key: issue_key(),
        issue_url: "https://example.atlassian.net/browse/SUP-1".into(),
        item_name: "Support cases".into(),
        origin: LinkOrigin::Manual,
    });
    let plan = plan_comments_to_jira(
        &given(&[linked()]),
        &case_item(SyncMode::TwoWay),
        "Case",
        &[sf_comment("00aHs000000001A", &note)],
    );
    assert!(plan.is_empty(), "{plan:?}");
}

#[test]
fn nothing_is_mirrored_for_a_removed_link() {
    let plan = plan_comments_to_jira(
        &given(&[]),
        &case_item(SyncMode::TwoWay),
        "Case",
        &[sf_comment("00aHs000000001A", "hi")],
    );
    assert!(plan.is_empty());
}

#[test]
fn a_new_jira_comment_is_mirrored_and_ours_are_recognised() {
    let state = given(&[linked(), paired_from_salesforce("00aHs000000001A", "10500")]);
    let seen = to_salesforce(
        vec![
            jira_comment("10500", "mirrored from Salesforce", false),
            jira_comment("10501", "a file note", true),
            jira_comment("10502", "Root cause found", false),
        ],
        SalesforceCommentKind::CaseComment,
    );
    let plan = plan_comments_to_salesforce(&state, &seen);
    let effects = plan.effects();
    let [Effect::CreateSalesforceComment(c)] = effects.as_slice() else {
        panic!("{plan:?}")
    };
    assert_eq!(c.jira_comment_id, "10502");
    assert_eq!(c.parts.len(), 1);
    assert!(c.parts[0].contains("Root cause found"));
}

#[test]
fn a_long_jira_comment_becomes_numbered_parts_paired_as_one() {
    let long = "word ".repeat(2_000);
    let seen = to_salesforce(
        vec![jira_comment("10502", &long, false)],
        SalesforceCommentKind::CaseComment,
    );
    let plan = plan_comments_to_salesforce(&given(&[linked()]), &seen);
    let effects = plan.effects();
    let [Effect::CreateSalesforceComment(c)] = effects.as_slice() else {
        panic!("{plan:?}")
    };
    assert!(c.parts.len() >= 3, "{} parts", c.parts.len());
    assert!(c.parts.iter().all(|p| p.len() <= CASE_COMMENT_LIMIT_BYTES));
    let events = effects[0].settled(&created("00aHs00000000AA,00aHs00000000AB,00aHs00000000AC"));
    let [LinkEvent::CommentPaired(paired)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(paired.salesforce_ids.len(), 3);
}

#[test]
fn an_edited_jira_comment_updates_its_parts_and_more_text_folds_into_the_last() {
    let seen = to_salesforce(
        vec![jira_comment("10502", "first words", false)],
        SalesforceCommentKind::CaseComment,
    );
    let first = plan_comments_to_salesforce(&given(&[linked()]), &seen);
    let pairing = first.effects()[0].settled(&created("00aHs00000000AA"));
    let state = given(&[linked(), pairing[0].clone()]);
    assert!(
        plan_comments_to_salesforce(&state, &seen).is_empty(),
        "unchanged: nothing"
    );
    let edited = to_salesforce(
        vec![jira_comment("10502", &"more ".repeat(2_000), false)],
        SalesforceCommentKind::CaseComment,
    );
    let plan = plan_comments_to_salesforce(&state, &edited);
    let effects = plan.effects();
    let [Effect::UpdateSalesforceComment(update)] = effects.as_slice() else {
        panic!("{plan:?}")
    };
    assert_eq!(update.parts.len(), 1, "the part count stays");
    assert!(update.parts[0].1.len() <= CASE_COMMENT_LIMIT_BYTES);
    assert!(matches!(
        plan.events().as_slice(),
        [LinkEvent::CommentUpdated(_)]
    ));
}

#[test]
fn after_a_failed_comment_the_later_ones_wait() {
    let seen = to_salesforce(
        vec![
            jira_comment("10502", "one", false),
            jira_comment("10503", "two", false),
        ],
        SalesforceCommentKind::FeedItem,
    );
    let plan = plan_comments_to_salesforce(&given(&[linked()]), &seen);
    assert_eq!(plan.steps.len(), 2);
    assert!(!plan.steps[0].needs_previous);
    assert!(plan.steps[1].needs_previous);
}

#[test]
fn an_object_without_comments_gets_none() {
    let mut seen = to_salesforce(
        vec![jira_comment("10502", "one", false)],
        SalesforceCommentKind::CaseComment,
    );
    seen.kind = None;
    assert!(plan_comments_to_salesforce(&given(&[linked()]), &seen).is_empty());
}

#[test]
fn comments_already_known_need_no_read_and_a_new_or_edited_one_does() {
    let paired = paired_from_salesforce("00aHs000000001A", "10500");
    let from_jira = plan_comments_to_salesforce(
        &given(&[linked()]),
        &to_salesforce(
            vec![jira_comment("10502", "first words", false)],
            SalesforceCommentKind::CaseComment,
        ),
    )
    .effects()[0]
        .settled(&created("00aHs00000000AA"))
        .remove(0);
    let state = given(&[linked(), paired, from_jira]);
    let known = vec![
        ("10500".to_string(), "mirrored from Salesforce".to_string()),
        ("10502".to_string(), "first words".to_string()),
    ];
    assert!(!jira_comments_could_be_new(&state, &known, true));
    assert!(
        jira_comments_could_be_new(&state, &known, false),
        "a partial page may hide one"
    );
    let mut edited = known.clone();
    edited[1].1 = "first words, edited".into();
    assert!(jira_comments_could_be_new(&state, &edited, true));
    let mut added = known;
    added.push(("10503".into(), "a new one".into()));
    assert!(jira_comments_could_be_new(&state, &added, true));
}
