//! The given/when/then harness for link rules: a link's state from its past events, so a test
//! reads "given these events, when this is observed, then this plan", and the facts the tests
//! share (a Case item, a link, a time).

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::ids::{ItemId, JiraIssueKey, ProjectKey, SalesforceId};
use crate::domain::item::{ItemDefinition, ItemOptions, SyncMode};
use crate::domain::link::events::{LinkEvent, LinkOrigin, Linked, Trigger};
use crate::domain::link::{evolve, LinkState};

/// The state a link has after `events`.
pub fn given(events: &[LinkEvent]) -> LinkState {
    events.iter().fold(LinkState::default(), evolve)
}

/// 09:`minute` on the day of the tests.
pub fn at(minute: u32) -> Option<DateTime<Utc>> {
    Some(Utc.with_ymd_and_hms(2026, 12, 3, 9, minute, 0).unwrap())
}

/// A Case item of `mode` in project SUP, with no mappings and no options.
pub fn case_item(mode: SyncMode) -> ItemDefinition {
    ItemDefinition {
        name: "Support cases".into(),
        mode,
        jira_projects: vec![ProjectKey::parse("SUP").expect("key")],
        issue_type_id: Some("10001".into()),
        object: "Case".into(),
        preview_fields: vec![],
        mappings: vec![],
        options: ItemOptions::default(),
    }
}

/// The linked issue.
pub fn issue_key() -> JiraIssueKey {
    JiraIssueKey::parse("SUP-1").expect("key")
}

/// The linked record.
pub fn record_id() -> SalesforceId {
    SalesforceId::parse("500Hs000000000S").expect("id")
}

/// `link.linked`: SUP-1 ⇄ the Case, by a person in the panel.
pub fn linked() -> LinkEvent {
    LinkEvent::Linked(Linked {
        item_id: ItemId::new(),
        issue_key: issue_key(),
        issue_id: Some("10001".into()),
        record_id: record_id(),
        object: "Case".into(),
        origin: LinkOrigin::Manual,
        trigger: Trigger::Panel,
    })
}
