//! The audit timeline: every link event told as a sentence, indexed by link, by Jira issue and
//! by Salesforce record.
//!
//! "What happened to SUP-12?" and "what did sfjira do to this Case?" are one prefix scan each,
//! in log order, with the causes the events carry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Projection, ProjectionError, Rows};
use crate::audit::describe::{describe, Description};
use crate::domain::ids::{JiraIssueKey, LinkId, SalesforceId};
use crate::domain::link::events::LinkEvent;
use crate::events::store::RecordedEvent;
use crate::events::{streams, AnyEvent};

/// The timeline projection.
pub struct Timeline;

/// Name of the view.
pub const NAME: &str = "timeline";

/// One line of a timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Global sequence of the event.
    pub seq: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The link.
    pub link_id: LinkId,
    /// The event's type.
    pub event_type: String,
    /// What happened, where, why.
    #[serde(flatten)]
    pub description: Description,
    /// The run or request it belonged to.
    pub correlation_id: Option<Uuid>,
    /// What caused it.
    pub causation_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Subjects {
    issue_key: JiraIssueKey,
    record_id: SalesforceId,
}

/// Prefix of a link's entries.
pub fn link_prefix(link: LinkId) -> String {
    format!("link/{link}/")
}

/// Prefix of an issue's entries.
pub fn issue_prefix(issue: &JiraIssueKey) -> String {
    format!("issue/{issue}/")
}

/// Prefix of a record's entries.
pub fn record_prefix(record: &SalesforceId) -> String {
    format!("record/{record}/")
}

fn subjects_key(link: LinkId) -> String {
    format!("subjects/{link}")
}

impl Projection for Timeline {
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
        if let LinkEvent::Linked(e) = link_event {
            rows.put_json(
                &subjects_key(link_id),
                &Subjects {
                    issue_key: e.issue_key.clone(),
                    record_id: e.record_id.clone(),
                },
            );
        }
        let entry = TimelineEntry {
            seq: event.seq,
            at: event.recorded_at,
            link_id,
            event_type: event.event_type.clone(),
            description: describe(decoded),
            correlation_id: event.correlation_id,
            causation_id: event.causation_id,
        };
        let seq = format!("{:020}", event.seq);
        rows.put_json(&format!("{}{seq}", link_prefix(link_id)), &entry);
        if let Some(subjects) = rows.get_json::<Subjects>(&subjects_key(link_id))? {
            rows.put_json(
                &format!("{}{seq}", issue_prefix(&subjects.issue_key)),
                &entry,
            );
            rows.put_json(
                &format!("{}{seq}", record_prefix(&subjects.record_id)),
                &entry,
            );
        }
        Ok(())
    }
}
