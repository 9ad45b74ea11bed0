//! The link index: every link by id, and the live links of each Jira issue, Salesforce record
//! and item.
//!
//! The link registry finds the actor for a webhook (by issue key) or a changed record (by record
//! id) through this view, and reconciliation reads "which records of this item are linked"
//! from it in one scan instead of one query per link.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Projection, ProjectionError, Rows};
use crate::domain::ids::{ItemId, JiraIssueKey, LinkId, SalesforceId};
use crate::domain::link::events::{LinkEvent, LinkOrigin};
use crate::events::store::RecordedEvent;
use crate::events::{streams, AnyEvent};

/// The index projection.
pub struct LinkIndex;

/// Name of the view.
pub const NAME: &str = "links";

/// One link as the index knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkRow {
    /// The link.
    pub link_id: LinkId,
    /// Its item.
    pub item_id: ItemId,
    /// The Jira issue.
    pub issue_key: JiraIssueKey,
    /// Jira's issue id.
    pub issue_id: Option<String>,
    /// The Salesforce record.
    pub record_id: SalesforceId,
    /// Its object.
    pub object: String,
    /// Manual or automatic.
    pub origin: LinkOrigin,
    /// Whether the link is live.
    pub linked: bool,
    /// When it was (last) linked.
    pub linked_at: DateTime<Utc>,
    /// `SystemModstamp` of the record when its values were last observed.
    #[serde(default)]
    pub observed_modstamp: Option<DateTime<Utc>>,
    /// Salesforce's clock when that observation was read, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_read_at: Option<DateTime<Utc>>,
    /// The issue's `updated` when the link last read and handled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_read: Option<DateTime<Utc>>,
}

/// Key of a link's row.
pub fn link_key(link: LinkId) -> String {
    format!("link/{link}")
}

/// Prefix of the live links of an issue.
pub fn issue_prefix(key: &JiraIssueKey) -> String {
    format!("issue/{key}/")
}

/// Prefix of the live links of a record.
pub fn record_prefix(record: &SalesforceId) -> String {
    format!("record/{record}/")
}

/// Prefix of the live links of an item.
pub fn item_prefix(item: ItemId) -> String {
    format!("item/{item}/")
}

impl Projection for LinkIndex {
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
        let AnyEvent::Link(link_event) = decoded else {
            return Ok(());
        };
        let Some(link_id) = streams::link_id_of(&event.stream) else {
            return Ok(());
        };
        match link_event {
            LinkEvent::Linked(e) => {
                let row = LinkRow {
                    link_id,
                    item_id: e.item_id,
                    issue_key: e.issue_key.clone(),
                    issue_id: e.issue_id.clone(),
                    record_id: e.record_id.clone(),
                    object: e.object.clone(),
                    origin: e.origin,
                    linked: true,
                    linked_at: event.recorded_at,
                    observed_modstamp: None,
                    observed_read_at: None,
                    issue_read: None,
                };
                put_memberships(rows, &row);
                rows.put_json(&link_key(link_id), &row);
            }
            LinkEvent::Unlinked(_) => {
                if let Some(mut row) = rows.get_json::<LinkRow>(&link_key(link_id))? {
                    rows.delete(format!("{}{link_id}", issue_prefix(&row.issue_key)));
                    rows.delete(format!("{}{link_id}", record_prefix(&row.record_id)));
                    rows.delete(format!("{}{link_id}", item_prefix(row.item_id)));
                    row.linked = false;
                    rows.put_json(&link_key(link_id), &row);
                }
            }
            LinkEvent::RecordObserved(e) => {
                if let Some(mut row) = rows.get_json::<LinkRow>(&link_key(link_id))? {
                    if e.system_modstamp.is_some() {
                        row.observed_modstamp = e.system_modstamp;
                        row.observed_read_at = e.read_at;
                    }
                    rows.put_json(&link_key(link_id), &row);
                }
            }
            LinkEvent::IssueRead(e) => {
                if let Some(mut row) = rows.get_json::<LinkRow>(&link_key(link_id))? {
                    row.issue_read = row.issue_read.max(Some(e.updated));
                    rows.put_json(&link_key(link_id), &row);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn put_memberships(rows: &mut Rows<'_>, row: &LinkRow) {
    let id = row.link_id;
    rows.put(format!("{}{id}", issue_prefix(&row.issue_key)), Vec::new());
    rows.put(format!("{}{id}", record_prefix(&row.record_id)), Vec::new());
    rows.put(format!("{}{id}", item_prefix(row.item_id)), Vec::new());
}

/// Link ids under a membership prefix, read from a view.
pub fn ids_under(
    view: &dyn crate::events::store::ViewTree,
    prefix: &str,
) -> Result<Vec<LinkId>, ProjectionError> {
    Ok(view
        .scan_prefix(prefix.as_bytes())?
        .into_iter()
        .filter_map(|(k, _)| {
            let key = String::from_utf8_lossy(&k).into_owned();
            key.strip_prefix(prefix)
                .and_then(|id| LinkId::parse(id).ok())
        })
        .collect())
}
