//! The link aggregate: what one issue↔record link remembers, and the pure decisions over it.
//!
//! `evolve` folds the link's events into [`LinkState`] with no logic beyond bookkeeping, so a
//! replay always rebuilds the same state. `decide` takes the state and a command and returns
//! the events that should be appended, or a refusal that says why — it never performs I/O; the
//! link actor does that around it.

pub mod events;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::ids::{ItemId, JiraIssueKey, SalesforceId};
use events::{
    LinkEvent, LinkOrigin, Linked, RecordObserved, RemoteOperation, RemoteWriteIntended,
    SyncFailed, Trigger, Unlinked,
};

/// The facts of a live link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkFacts {
    /// The item it belongs to.
    pub item_id: ItemId,
    /// The Jira issue.
    pub issue_key: JiraIssueKey,
    /// Jira's issue id, when known.
    pub issue_id: Option<String>,
    /// The Salesforce record.
    pub record_id: SalesforceId,
    /// Its object.
    pub object: String,
    /// Manual or automatic.
    pub origin: LinkOrigin,
}

/// What the status race last settled on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusMemory {
    /// Salesforce value after the last decision.
    pub salesforce_value: Option<String>,
    /// Jira status after the last decision.
    pub jira_value: Option<String>,
    /// When Salesforce's value last changed, as known at the last decision.
    pub salesforce_changed_at: Option<DateTime<Utc>>,
    /// When Jira's status last changed, as known at the last decision.
    pub jira_changed_at: Option<DateTime<Utc>>,
}

/// What a link remembers of one mapped field after its last write in either direction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldMemory {
    /// Fingerprint of the Salesforce form of the value both sides hold since that write: what
    /// each side compares with to tell its own echo and a change.
    pub agreed: String,
    /// The Salesforce values the latest pushes replaced, each with the record's
    /// `SystemModstamp` read just before that push (newest last, at most
    /// [`FieldMemory::REPLACED_KEPT`]).
    pub replaced: Vec<(String, DateTime<Utc>)>,
    /// The newest `SystemModstamp` pulled from: a snapshot stamped before it is older than
    /// what Jira already holds.
    pub pulled_from: Option<DateTime<Utc>>,
}

impl FieldMemory {
    /// How many replaced values are remembered: enough for the pushes that can be made while a
    /// scheduled snapshot waits its turn behind them.
    pub const REPLACED_KEPT: usize = 4;

    /// Whether a Salesforce snapshot holding `fingerprint`, stamped `modstamp`, is older than
    /// what this link already wrote or pulled, so its value is not news.
    ///
    /// Salesforce stamps records to the second, so a stamp alone cannot tell the record as it
    /// was just before a push from a person's edit in the same second after it; the value
    /// can: a snapshot predates a push when it still shows the value that push replaced.
    pub fn predates(&self, fingerprint: &str, modstamp: Option<DateTime<Utc>>) -> bool {
        let Some(stamp) = modstamp else {
            return false;
        };
        self.replaced
            .iter()
            .any(|(print, before)| print == fingerprint && stamp <= *before)
            || self.pulled_from.is_some_and(|p| stamp < p)
    }
}

/// Everything a link remembers, folded from its stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkState {
    /// Present while linked.
    pub link: Option<LinkFacts>,
    /// How many times it was linked (a re-link after unlink counts again).
    pub times_linked: u32,
    /// Last Salesforce values observed (panel preview).
    pub observed: Option<RecordObserved>,
    /// Per mapping (Salesforce field, Jira field): the value both sides last held.
    pub fields: BTreeMap<(String, String), FieldMemory>,
    /// Status race memory; `None` until the first status decision (initialisation).
    pub status: Option<StatusMemory>,
    /// Why the last status could not be written, until a status is next written.
    pub status_not_written: Option<String>,
    /// Jira comment id → Salesforce ids, for every paired comment.
    pub comments_by_jira: BTreeMap<String, Vec<SalesforceId>>,
    /// Salesforce comment ids already paired (either direction).
    pub comments_by_salesforce: BTreeSet<SalesforceId>,
    /// Fingerprint of the last text mirrored, per Jira-written comment (to mirror edits).
    pub jira_comment_fingerprints: BTreeMap<String, String>,
    /// Jira attachment id → Salesforce ContentVersion id.
    pub attachments_by_jira: BTreeMap<String, SalesforceId>,
    /// Salesforce ContentVersion ids already paired.
    pub attachments_by_salesforce: BTreeSet<SalesforceId>,
    /// Source ids of skipped files (not retried every cycle).
    pub skipped: BTreeSet<String>,
    /// Whether the link note stands on the Salesforce record.
    pub note_written: bool,
    /// Remote creates intended but not yet settled, by intent id.
    pub open_intents: BTreeMap<Uuid, RemoteWriteIntended>,
    /// Open intents whose last attempt's answer was lost: when it failed.
    pub unconfirmed_attempts: BTreeMap<Uuid, chrono::DateTime<chrono::Utc>>,
    /// The latest failure per operation, cleared when that operation next succeeds.
    pub failures: BTreeMap<String, SyncFailed>,
    /// The issue's `updated` when it was last read and handled: a sweep that finds it no newer
    /// has nothing to do.
    pub issue_read: Option<chrono::DateTime<chrono::Utc>>,
    /// Jira comments sfjira itself wrote that pair with nothing (notes about files): known, so
    /// a look at the issue's comments need not read their properties to recognise them.
    pub own_jira_comments: BTreeSet<String>,
}

impl LinkState {
    /// Whether the link is live.
    pub fn is_linked(&self) -> bool {
        self.link.is_some()
    }

    /// When the open intent `intent_id` was last attempted, as far as the log knows: its
    /// latest lost answer, else when it was recorded.
    pub fn last_attempt(&self, intent_id: Uuid) -> Option<chrono::DateTime<chrono::Utc>> {
        let recorded = self.open_intents.get(&intent_id).and_then(|i| i.at);
        let unconfirmed = self.unconfirmed_attempts.get(&intent_id).copied();
        recorded.max(unconfirmed)
    }
}

/// Folds one event into the state. No decisions: every event is a fact already true.
pub fn evolve(mut state: LinkState, event: &LinkEvent) -> LinkState {
    if let Some(operation) = event.resolves_operation() {
        state.failures.remove(operation);
    }
    match event {
        LinkEvent::Linked(e) => {
            state.link = Some(LinkFacts {
                item_id: e.item_id,
                issue_key: e.issue_key.clone(),
                issue_id: e.issue_id.clone(),
                record_id: e.record_id.clone(),
                object: e.object.clone(),
                origin: e.origin,
            });
            state.times_linked += 1;
        }
        LinkEvent::Unlinked(_) => {
            state.link = None;
            state.note_written = false;
            // A re-link starts afresh: Salesforce initialises Jira again.
            state.fields.clear();
        }
        LinkEvent::RecordObserved(e) => state.observed = Some(e.clone()),
        LinkEvent::FieldPulled(e) => {
            let memory = state
                .fields
                .entry((e.salesforce_field.clone(), e.jira_field.clone()))
                .or_default();
            memory.agreed = e.fingerprint.clone();
            memory.pulled_from = memory.pulled_from.max(e.source_modstamp);
        }
        LinkEvent::FieldPushed(e) => {
            let memory = state
                .fields
                .entry((e.salesforce_field.clone(), e.jira_field.clone()))
                .or_default();
            memory.agreed = e.fingerprint.clone();
            if let (Some(print), Some(before)) = (&e.replaced_fingerprint, e.salesforce_modstamp) {
                memory.replaced.push((print.clone(), before));
                let excess = memory
                    .replaced
                    .len()
                    .saturating_sub(FieldMemory::REPLACED_KEPT);
                memory.replaced.drain(..excess);
            }
        }
        LinkEvent::FieldInStep(e) => {
            let memory = state
                .fields
                .entry((e.salesforce_field.clone(), e.jira_field.clone()))
                .or_default();
            memory.agreed = e.fingerprint.clone();
            memory.pulled_from = memory.pulled_from.max(e.salesforce_modstamp);
        }
        LinkEvent::StatusWon(e) => {
            let mut memory = state.status.take().unwrap_or_default();
            memory.salesforce_changed_at = e.salesforce_changed_at.or(memory.salesforce_changed_at);
            memory.jira_changed_at = e.jira_changed_at.or(memory.jira_changed_at);
            let settled = e.written.clone();
            match e.winner {
                crate::domain::side::Side::Salesforce => {
                    memory.salesforce_value = e.salesforce_value.clone();
                    memory.jira_value = settled.or_else(|| e.jira_value.clone());
                }
                crate::domain::side::Side::Jira => {
                    memory.jira_value = e.jira_value.clone();
                    memory.salesforce_value = settled.or_else(|| e.salesforce_value.clone());
                }
            }
            state.status = Some(memory);
            state.status_not_written = None;
        }
        LinkEvent::StatusNotWritten(e) => state.status_not_written = Some(e.reason.clone()),
        LinkEvent::CommentPaired(e) => {
            if e.origin == crate::domain::side::Side::Jira {
                state
                    .jira_comment_fingerprints
                    .insert(e.jira_comment_id.clone(), e.fingerprint.clone());
            }
            state
                .comments_by_jira
                .insert(e.jira_comment_id.clone(), e.salesforce_ids.clone());
            state
                .comments_by_salesforce
                .extend(e.salesforce_ids.iter().cloned());
        }
        LinkEvent::CommentUpdated(e) => {
            state
                .jira_comment_fingerprints
                .insert(e.jira_comment_id.clone(), e.fingerprint.clone());
        }
        LinkEvent::AttachmentPaired(e) => {
            state
                .attachments_by_jira
                .insert(e.jira_attachment_id.clone(), e.content_version_id.clone());
            state
                .attachments_by_salesforce
                .insert(e.content_version_id.clone());
        }
        LinkEvent::AttachmentSkipped(e) => {
            state.skipped.insert(e.source_id.clone());
        }
        LinkEvent::LinkNoteWritten(_) => state.note_written = true,
        LinkEvent::IssueRead(e) => state.issue_read = state.issue_read.max(Some(e.updated)),
        LinkEvent::SyncFailed(e) => {
            state.failures.insert(e.operation.clone(), e.clone());
        }
        LinkEvent::FailureDismissed(_) => {}
        LinkEvent::RemoteWriteIntended(e) => {
            state.open_intents.insert(e.intent_id, e.clone());
        }
        LinkEvent::RemoteWriteUnconfirmed(e) => {
            if state.open_intents.contains_key(&e.intent_id) {
                state.unconfirmed_attempts.insert(e.intent_id, e.at);
            }
        }
        LinkEvent::RemoteWriteSettled(e) => {
            let intent = state.open_intents.remove(&e.intent_id);
            let comment = intent.filter(|i| i.operation == RemoteOperation::CreateJiraComment);
            if let (Some(_), Some(id)) = (comment, e.outcome.remote_id()) {
                state.own_jira_comments.insert(id.to_string());
            }
            state.unconfirmed_attempts.remove(&e.intent_id);
        }
    }
    state
}

/// Folds a whole history.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a LinkEvent>) -> LinkState {
    events.into_iter().fold(LinkState::default(), evolve)
}

/// A request to change a link's membership.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkCommand {
    /// Link the issue and the record.
    Link {
        /// The item.
        item_id: ItemId,
        /// The issue.
        issue_key: JiraIssueKey,
        /// Jira's issue id, when known.
        issue_id: Option<String>,
        /// The record.
        record_id: SalesforceId,
        /// Its object.
        object: String,
        /// Manual or automatic.
        origin: LinkOrigin,
        /// What asked.
        trigger: Trigger,
    },
    /// Remove the link.
    Unlink {
        /// What asked.
        trigger: Trigger,
        /// Why.
        reason: Option<String>,
    },
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    /// The record is already linked to another issue under this item.
    #[error("this record is already linked to {0} under this item; unlink it there first")]
    LinkedElsewhere(JiraIssueKey),
    /// There is no live link to remove.
    #[error("there is no link to remove")]
    NotLinked,
    /// Auto-managed links belong to the scheduler.
    #[error(
        "this link was created by the scheduler and is auto-managed: unlinking it would leave \
         the scheduler's comment, file and status history without its issue"
    )]
    AutoManaged,
}

/// Decides which events a command produces, or why it is refused.
pub fn decide(state: &LinkState, command: &LinkCommand) -> Result<Vec<LinkEvent>, LinkRefusal> {
    match command {
        LinkCommand::Link {
            item_id,
            issue_key,
            issue_id,
            record_id,
            object,
            origin,
            trigger,
        } => match &state.link {
            // Linking the same pair again is a no-op, so retries are harmless.
            Some(existing) if existing.issue_key == *issue_key => Ok(vec![]),
            Some(existing) => Err(LinkRefusal::LinkedElsewhere(existing.issue_key.clone())),
            None => Ok(vec![LinkEvent::Linked(Linked {
                item_id: *item_id,
                issue_key: issue_key.clone(),
                issue_id: issue_id.clone(),
                record_id: record_id.clone(),
                object: object.clone(),
                origin: *origin,
                trigger: *trigger,
            })]),
        },
        LinkCommand::Unlink { trigger, reason } => match &state.link {
            None => Err(LinkRefusal::NotLinked),
            Some(link) if link.origin == LinkOrigin::Auto && *trigger == Trigger::Panel => {
                Err(LinkRefusal::AutoManaged)
            }
            Some(_) => Ok(vec![LinkEvent::Unlinked(Unlinked {
                trigger: *trigger,
                reason: reason.clone(),
            })]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link_command(key: &str, origin: LinkOrigin) -> LinkCommand {
        LinkCommand::Link {
            item_id: ItemId::new(),
            issue_key: JiraIssueKey::parse(key).expect("key"),
            issue_id: Some("10001".into()),
            record_id: SalesforceId::parse("500xx000000bQ2L").expect("id"),
            object: "Case".into(),
            origin,
            trigger: Trigger::Panel,
        }
    }

    fn apply(state: LinkState, events: &[LinkEvent]) -> LinkState {
        events.iter().fold(state, evolve)
    }

    fn second(s: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2024-05-01T10:00:{s:02}Z"))
            .expect("time")
            .with_timezone(&Utc)
    }

    fn pushed(value: &str, replaced: &str, before: u32) -> LinkEvent {
        LinkEvent::FieldPushed(events::FieldPushed {
            jira_field: "summary".into(),
            salesforce_field: "Subject".into(),
            value: value.into(),
            fingerprint: value.into(),
            source_updated: None,
            reason: crate::domain::fields::FieldReason::OnlyThisSideChanged,
            salesforce_modstamp: Some(second(before)),
            replaced_fingerprint: Some(replaced.into()),
        })
    }

    #[test]
    fn a_snapshot_predates_a_push_only_while_it_shows_the_replaced_value() {
        let state = apply(LinkState::default(), &[pushed("b", "a", 5)]);
        let memory = &state.fields[&("Subject".to_string(), "summary".to_string())];
        assert_eq!(memory.agreed, "b");
        assert!(
            memory.predates("a", Some(second(5))),
            "the record as read before"
        );
        assert!(memory.predates("a", Some(second(3))), "older still");
        assert!(
            !memory.predates("c", Some(second(5))),
            "a person's edit in the same second is news"
        );
        assert!(
            !memory.predates("a", Some(second(6))),
            "set back later: news"
        );
        assert!(!memory.predates("a", None));
    }

    #[test]
    fn only_the_latest_replaced_values_are_kept_and_unlinking_forgets_fields() {
        let events: Vec<LinkEvent> = (0..6)
            .map(|i| pushed(&format!("v{}", i + 1), &format!("v{i}"), i))
            .collect();
        let state = apply(LinkState::default(), &events);
        let memory = &state.fields[&("Subject".to_string(), "summary".to_string())];
        assert_eq!(memory.replaced.len(), FieldMemory::REPLACED_KEPT);
        assert!(
            !memory.predates("v0", Some(second(0))),
            "the oldest is forgotten"
        );
        assert!(memory.predates("v5", Some(second(5))));
        let unlinked = apply(
            state,
            &[LinkEvent::Unlinked(Unlinked {
                reason: None,
                trigger: Trigger::Panel,
            })],
        );
        assert!(unlinked.fields.is_empty());
    }

    #[test]
    fn linking_twice_to_the_same_issue_is_a_no_op() {
        let cmd = link_command("SUP-1", LinkOrigin::Manual);
        let events = decide(&LinkState::default(), &cmd).expect("first link");
        assert_eq!(events.len(), 1);
        let state = apply(LinkState::default(), &events);
        assert_eq!(decide(&state, &cmd), Ok(vec![]));
    }

    #[test]
    fn a_record_cannot_be_linked_to_a_second_issue() {
        let state = apply(
            LinkState::default(),
            &decide(
                &LinkState::default(),
                &link_command("SUP-1", LinkOrigin::Manual),
            )
            .expect("link"),
        );
        let refusal = decide(&state, &link_command("SUP-2", LinkOrigin::Manual));
        assert!(
            matches!(refusal, Err(LinkRefusal::LinkedElsewhere(k)) if k.to_string() == "SUP-1")
        );
    }

    #[test]
    fn the_panel_cannot_unlink_an_auto_managed_link_but_an_admin_can() {
        let state = apply(
            LinkState::default(),
            &decide(
                &LinkState::default(),
                &link_command("SUP-1", LinkOrigin::Auto),
            )
            .expect("link"),
        );
        let panel = LinkCommand::Unlink {
            trigger: Trigger::Panel,
            reason: None,
        };
        assert_eq!(decide(&state, &panel), Err(LinkRefusal::AutoManaged));
        let admin = LinkCommand::Unlink {
            trigger: Trigger::Admin,
            reason: Some("item deleted".into()),
        };
        let events = decide(&state, &admin).expect("admin unlinks");
        let state = apply(state, &events);
        assert!(!state.is_linked());
        assert_eq!(decide(&state, &panel), Err(LinkRefusal::NotLinked));
    }

    #[test]
    fn relinking_after_unlink_counts_again() {
        let mut state = LinkState::default();
        for _ in 0..2 {
            let events = decide(&state, &link_command("SUP-1", LinkOrigin::Manual)).expect("link");
            state = apply(state, &events);
            let events = decide(
                &state,
                &LinkCommand::Unlink {
                    trigger: Trigger::Panel,
                    reason: None,
                },
            )
            .expect("unlink");
            state = apply(state, &events);
        }
        assert_eq!(state.times_linked, 2);
    }
}
