//! The issue panel view: for each Jira issue, one card per Smart Connected Item, ready to show.
//!
//! Everything the panel needs is here — item names and objects, the linked record, the last
//! observed Salesforce values, status context and the latest unresolved failure — so the panel
//! paints from one scan without calling Salesforce; Refresh asks for new values explicitly.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Projection, ProjectionError, Rows};
use crate::domain::ids::{ItemId, JiraIssueKey, LinkId, ProjectKey, SalesforceId};
use crate::domain::item::{ItemDefinition, SyncMode};
use crate::domain::link::events::{LinkEvent, LinkOrigin};
use crate::domain::side::Side;
use crate::events::item::{ItemContext, ItemEvent};
use crate::events::store::RecordedEvent;
use crate::events::{streams, AnyEvent};

/// The panel projection.
pub struct PanelView;

/// Name of the view.
pub const NAME: &str = "panel";

/// An item as the panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelItem {
    /// The item.
    pub item_id: ItemId,
    /// Its definition.
    pub definition: ItemDefinition,
    /// Labels from its last save.
    pub context: ItemContext,
}

impl PanelItem {
    /// Whether the item applies to issues of `project`.
    pub fn applies_to(&self, project: &ProjectKey) -> bool {
        self.definition.jira_projects.iter().any(|p| p == project)
    }

    /// The mode.
    pub fn mode(&self) -> SyncMode {
        self.definition.mode
    }
}

/// Status context shown on a card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardStatus {
    /// Salesforce's value.
    pub salesforce_value: Option<String>,
    /// Jira's status.
    pub jira_value: Option<String>,
    /// Which side won last.
    pub last_winner: Option<Side>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// Why nothing was written last time, if so.
    pub not_written: Option<String>,
}

/// A failure shown on a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardFailure {
    /// The operation.
    pub operation: String,
    /// The remote system's words.
    pub error: String,
    /// Whether it will be retried.
    pub will_retry: bool,
    /// When.
    pub at: DateTime<Utc>,
}

/// One linked record on one issue for one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    /// The link.
    pub link_id: LinkId,
    /// The item.
    pub item_id: ItemId,
    /// The issue.
    pub issue_key: JiraIssueKey,
    /// The record.
    pub record_id: SalesforceId,
    /// Its object.
    pub object: String,
    /// Manual or automatic.
    pub origin: LinkOrigin,
    /// When it was linked.
    pub linked_at: DateTime<Utc>,
    /// Last observed Salesforce values.
    pub values: BTreeMap<String, Value>,
    /// When they were read.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// Status context.
    pub status: CardStatus,
    /// Unresolved failures by operation.
    pub failures: BTreeMap<String, CardFailure>,
    /// Comments mirrored so far.
    pub comments_paired: u64,
    /// Files mirrored so far.
    pub attachments_paired: u64,
    /// Files skipped so far.
    pub attachments_skipped: u64,
}

/// Key of an item row.
pub fn item_key(item: ItemId) -> String {
    format!("item/{item}")
}

/// Prefix of all item rows.
pub const ITEMS: &str = "item/";

/// Key of a card.
pub fn card_key(issue: &JiraIssueKey, item: ItemId) -> String {
    format!("card/{issue}/{item}")
}

/// Prefix of an issue's cards.
pub fn cards_prefix(issue: &JiraIssueKey) -> String {
    format!("card/{issue}/")
}

fn link_pointer(link: LinkId) -> String {
    format!("linkcard/{link}")
}

impl Projection for PanelView {
    fn name(&self) -> &'static str {
        NAME
    }

    fn version(&self) -> u32 {
        1
    }

    fn apply(
        &self,
        event: &RecordedEvent,
        decoded: &AnyEvent,
        rows: &mut Rows<'_>,
    ) -> Result<(), ProjectionError> {
        match decoded {
            AnyEvent::Item(item_event) => {
                let Some(item_id) = streams::item_id_of(&event.stream) else {
                    return Ok(());
                };
                match item_event {
                    ItemEvent::Defined(e) => rows.put_json(
                        &item_key(item_id),
                        &PanelItem {
                            item_id,
                            definition: e.definition.clone(),
                            context: e.context.clone(),
                        },
                    ),
                    ItemEvent::Changed(e) => rows.put_json(
                        &item_key(item_id),
                        &PanelItem {
                            item_id,
                            definition: e.definition.clone(),
                            context: e.context.clone(),
                        },
                    ),
                    ItemEvent::Deleted(_) => rows.delete(item_key(item_id)),
                }
            }
            AnyEvent::Link(link_event) => {
                let Some(link_id) = streams::link_id_of(&event.stream) else {
                    return Ok(());
                };
                apply_link(event, link_id, link_event, rows)?;
            }
            _ => {}
        }
        Ok(())
    }
}

fn apply_link(
    event: &RecordedEvent,
    link_id: LinkId,
    link_event: &LinkEvent,
    rows: &mut Rows<'_>,
) -> Result<(), ProjectionError> {
    if let LinkEvent::Linked(e) = link_event {
        let card = Card {
            link_id,
            item_id: e.item_id,
            issue_key: e.issue_key.clone(),
            record_id: e.record_id.clone(),
            object: e.object.clone(),
            origin: e.origin,
            linked_at: event.recorded_at,
            values: BTreeMap::new(),
            refreshed_at: None,
            status: CardStatus::default(),
            failures: BTreeMap::new(),
            comments_paired: 0,
            attachments_paired: 0,
            attachments_skipped: 0,
        };
        let key = card_key(&e.issue_key, e.item_id);
        rows.put_json(&link_pointer(link_id), &key);
        rows.put_json(&key, &card);
        return Ok(());
    }
    let Some(key) = rows.get_json::<String>(&link_pointer(link_id))? else {
        return Ok(());
    };
    if let LinkEvent::Unlinked(_) = link_event {
        rows.delete(key);
        rows.delete(link_pointer(link_id));
        return Ok(());
    }
    let Some(mut card) = rows.get_json::<Card>(&key)? else {
        return Ok(());
    };
    if let Some(operation) = link_event.resolves_operation() {
        card.failures.remove(operation);
    }
    match link_event {
        LinkEvent::RecordObserved(e) => {
            card.values = e.values.clone().into_iter().collect();
            card.refreshed_at = Some(event.recorded_at);
        }
        LinkEvent::StatusWon(e) => {
            card.status = CardStatus {
                salesforce_value: match e.winner {
                    Side::Salesforce => e.salesforce_value.clone(),
                    Side::Jira => e.written.clone().or_else(|| e.salesforce_value.clone()),
                },
                jira_value: match e.winner {
                    Side::Jira => e.jira_value.clone(),
                    Side::Salesforce => e.written.clone().or_else(|| e.jira_value.clone()),
                },
                last_winner: Some(e.winner),
                decided_at: Some(event.recorded_at),
                not_written: None,
            };
        }
        LinkEvent::StatusNotWritten(e) => card.status.not_written = Some(e.reason.clone()),
        LinkEvent::CommentPaired(_) => card.comments_paired += 1,
        LinkEvent::AttachmentPaired(_) => card.attachments_paired += 1,
        LinkEvent::AttachmentSkipped(_) => card.attachments_skipped += 1,
        LinkEvent::SyncFailed(e) => {
            card.failures.insert(
                e.operation.clone(),
                CardFailure {
                    operation: e.operation.clone(),
                    error: e.error.clone(),
                    will_retry: e.will_retry,
                    at: event.recorded_at,
                },
            );
        }
        _ => {}
    }
    rows.put_json(&key, &card);
    Ok(())
}
