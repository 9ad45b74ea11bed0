//! Replay for auditors: the events of a link, a Jira issue or a Salesforce record, up to a
//! sequence number or a time, told as a timeline, with the link state they fold into.
//!
//! Replay reads the log itself, never a projection, so its answer does not depend on any derived
//! data being right: it is the ground truth the projections are checked against.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::describe::{describe, Description};
use crate::domain::ids::{JiraIssueKey, LinkId, SalesforceId};
use crate::domain::link::events::LinkEvent;
use crate::domain::link::{evolve, LinkState};
use crate::events::store::{EventStore, RecordedEvent, StoreError, StreamId, Subscription};
use crate::events::{streams, AnyEvent, DecodeError};

/// Whose history to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// One link.
    Link(LinkId),
    /// Every link that ever joined this issue.
    Issue(JiraIssueKey),
    /// Every link that ever joined this record.
    Record(SalesforceId),
    /// The whole log.
    Everything,
}

/// Where to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Up to and including this global sequence number.
    Seq(u64),
    /// Up to and including this time.
    Time(DateTime<Utc>),
    /// To the end of the log.
    End,
}

impl Until {
    fn includes(&self, event: &RecordedEvent) -> bool {
        match self {
            Until::Seq(seq) => event.seq <= *seq,
            Until::Time(t) => event.recorded_at <= *t,
            Until::End => true,
        }
    }

    /// Parses a sequence number or an RFC 3339 time.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Ok(seq) = text.parse::<u64>() {
            return Ok(Until::Seq(seq));
        }
        DateTime::parse_from_rfc3339(text)
            .map(|t| Until::Time(t.with_timezone(&Utc)))
            .map_err(|_| format!("{text:?} is neither a sequence number nor an RFC 3339 time"))
    }
}

/// One line of a replay.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplayLine {
    /// Global sequence.
    pub seq: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Its stream.
    pub stream: String,
    /// Its version in the stream.
    pub version: u64,
    /// Its type.
    pub event_type: String,
    /// What happened, where, why.
    #[serde(flatten)]
    pub description: Description,
    /// The run or request it belonged to.
    pub correlation_id: Option<Uuid>,
    /// What caused it.
    pub causation_id: Option<Uuid>,
    /// The payload as stored.
    pub payload: serde_json::Value,
}

/// A replay's result.
#[derive(Debug, Default)]
pub struct Replay {
    /// The lines, in log order.
    pub lines: Vec<ReplayLine>,
    /// The state of each link involved, folded from the replayed events only.
    pub states: BTreeMap<LinkId, LinkState>,
}

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the log failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

const PAGE: usize = 1_000;

/// Hands every event committed so far to `each`, in log order, stopping at the first one
/// `until` excludes; it follows the log through the store's catch-up subscription.
async fn scan(
    store: &Arc<dyn EventStore>,
    until: Until,
    mut each: impl FnMut(&RecordedEvent) -> Result<(), ReplayError>,
) -> Result<(), ReplayError> {
    let mut subscription = Subscription::with_page_size(store.clone(), 0, PAGE);
    loop {
        let batch = subscription.try_next_batch(PAGE).await?;
        if batch.is_empty() {
            return Ok(());
        }
        for event in &batch {
            if !until.includes(event) {
                return Ok(());
            }
            each(event)?;
        }
    }
}

/// Replays `subject` up to `until`.
pub async fn replay(
    store: &Arc<dyn EventStore>,
    subject: &Subject,
    until: Until,
) -> Result<Replay, ReplayError> {
    // First pass: which link streams belong to the subject.
    let mut wanted: BTreeSet<StreamId> = BTreeSet::new();
    match subject {
        Subject::Link(id) => {
            wanted.insert(streams::link(*id));
        }
        Subject::Issue(_) | Subject::Record(_) => {
            scan(store, until, |event| {
                if event.event_type == "link.linked" {
                    if let AnyEvent::Link(LinkEvent::Linked(linked)) = AnyEvent::decode(event)? {
                        let hit = match subject {
                            Subject::Issue(key) => linked.issue_key == *key,
                            Subject::Record(id) => linked.record_id == *id,
                            _ => false,
                        };
                        if hit {
                            wanted.insert(event.stream.clone());
                        }
                    }
                }
                Ok(())
            })
            .await?;
        }
        Subject::Everything => {}
    }
    // Second pass: the lines and the folded states.
    let mut result = Replay::default();
    scan(store, until, |event| {
        if !matches!(subject, Subject::Everything) && !wanted.contains(&event.stream) {
            return Ok(());
        }
        let decoded = AnyEvent::decode(event)?;
        if let (AnyEvent::Link(link_event), Some(link_id)) =
            (&decoded, streams::link_id_of(&event.stream))
        {
            let state = result.states.remove(&link_id).unwrap_or_default();
            result.states.insert(link_id, evolve(state, link_event));
        }
        result.lines.push(ReplayLine {
            seq: event.seq,
            at: event.recorded_at,
            stream: event.stream.to_string(),
            version: event.version,
            event_type: event.event_type.clone(),
            description: describe(&decoded),
            correlation_id: event.correlation_id,
            causation_id: event.causation_id,
            payload: event.payload.clone(),
        });
        Ok(())
    })
    .await?;
    Ok(result)
}

/// A line as text: `#12 2024-05-01T10:05:00Z link-… v3 [Jira] Wrote … — because …`.
pub fn format_text(line: &ReplayLine) -> String {
    let side = line
        .description
        .side
        .map(|s| format!("[{}] ", s.name()))
        .unwrap_or_default();
    let why = line
        .description
        .why
        .as_deref()
        .map(|w| format!(" — {w}"))
        .unwrap_or_default();
    format!(
        "#{} {} {} v{} {}{}{}",
        line.seq,
        line.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        line.stream,
        line.version,
        side,
        line.description.summary,
        why
    )
}
