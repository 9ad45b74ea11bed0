//! Exactly-once remote creates: intent first, then the call, then the settlement.
//!
//! `link.remote_write_intended` is durable before the remote call, so a crash between the call
//! and `link.remote_write_settled` leaves an open intent. The next attempt finds it and looks
//! for the intent's marker on the remote side first (an issue label, a comment property, a note
//! in the record's feed); only if the marker is absent does it create. A refusal that no retry
//! can fix settles the intent as abandoned, so it is not re-driven forever.

use std::future::Future;

use serde_json::Value;
use uuid::Uuid;

use crate::actors::link::{LinkError, LinkSession};
use crate::domain::side::Side;
use crate::events::link::{
    LinkEvent, RemoteOperation, RemoteWriteIntended, RemoteWriteSettled, Settlement,
};
use crate::sync::SyncError;

/// A remote create to perform once.
#[derive(Debug, Clone)]
pub struct Intent {
    /// What.
    pub operation: RemoteOperation,
    /// Where.
    pub target: Side,
    /// The marker the created object carries.
    pub marker: String,
    /// Details for the record.
    pub detail: Value,
}

/// What a remote create produced: the id recorded in the settlement, and one more identifier
/// some objects have (a Jira issue's numeric id beside its key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRef {
    /// The id recorded in the settlement (issue key, comment id, record id).
    pub id: String,
    /// A second identifier, when the object has one.
    pub aux: Option<String>,
}

impl RemoteRef {
    /// A reference with only an id.
    pub fn id(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            aux: None,
        }
    }
}

/// How a create ended.
#[derive(Debug)]
pub enum Created {
    /// Created now.
    Now(RemoteRef),
    /// Found by its marker (created before a crash).
    Found(RemoteRef),
}

impl Created {
    /// What was created or found.
    pub fn remote(&self) -> &RemoteRef {
        match self {
            Created::Now(r) | Created::Found(r) => r,
        }
    }
}

/// Why a create did not happen.
#[derive(Debug)]
pub enum CreateFailed {
    /// Recording failed (the log): nothing was called remotely.
    Link(LinkError),
    /// The remote side failed; the intent stays open when a retry can help.
    Remote(SyncError),
}

impl From<LinkError> for CreateFailed {
    fn from(e: LinkError) -> Self {
        CreateFailed::Link(e)
    }
}

impl From<CreateFailed> for SyncError {
    fn from(e: CreateFailed) -> Self {
        match e {
            CreateFailed::Link(e) => e.into(),
            CreateFailed::Remote(e) => e,
        }
    }
}

/// Creates at most once. `find` looks for the marker (`Ok(None)`: absent); `create` makes the
/// object. `settle_with` gives the events to record together with the settlement (for example
/// `link.linked` after an issue create), so both land in one atomic append.
pub async fn create_once<F, FFut, C, CFut, S>(
    session: &mut LinkSession,
    intent: Intent,
    find: F,
    create: C,
    settle_with: S,
) -> Result<Created, CreateFailed>
where
    F: FnOnce() -> FFut,
    FFut: Future<Output = Result<Option<RemoteRef>, SyncError>>,
    C: FnOnce() -> CFut,
    CFut: Future<Output = Result<RemoteRef, SyncError>>,
    S: FnOnce(&Created) -> Vec<LinkEvent>,
{
    let open = session
        .state()
        .open_intents
        .values()
        .find(|i| i.operation == intent.operation && i.marker == intent.marker)
        .map(|i| i.intent_id);
    let intent_id = match open {
        Some(id) => id,
        None => {
            let id = Uuid::now_v7();
            session
                .record(vec![LinkEvent::RemoteWriteIntended(RemoteWriteIntended {
                    intent_id: id,
                    operation: intent.operation,
                    target: intent.target,
                    marker: intent.marker.clone(),
                    detail: intent.detail.clone(),
                })])
                .await?;
            id
        }
    };
    // An open intent from before means the outcome of an earlier call is unknown: look first.
    let found = if open.is_some() {
        find().await.map_err(CreateFailed::Remote)?
    } else {
        None
    };
    let created = match found {
        Some(id) => Created::Found(id),
        None => match create().await {
            Ok(id) => Created::Now(id),
            Err(error) => {
                if !error.is_retryable() {
                    session
                        .record(vec![LinkEvent::RemoteWriteSettled(RemoteWriteSettled {
                            intent_id,
                            outcome: Settlement::Abandoned {
                                reason: error.to_string(),
                            },
                        })])
                        .await?;
                }
                return Err(CreateFailed::Remote(error));
            }
        },
    };
    let outcome = match &created {
        Created::Now(r) => Settlement::Created {
            remote_id: r.id.clone(),
        },
        Created::Found(r) => Settlement::FoundExisting {
            remote_id: r.id.clone(),
        },
    };
    let mut events = settle_with(&created);
    events.insert(
        0,
        LinkEvent::RemoteWriteSettled(RemoteWriteSettled { intent_id, outcome }),
    );
    session.record(events).await?;
    Ok(created)
}

/// Settles an open intent with an object found on the remote side by other means (for example
/// a file seen from the other direction before its upload was settled), recording `events`
/// with the settlement. Returns false when no open intent matches.
pub async fn adopt(
    session: &mut LinkSession,
    operation: RemoteOperation,
    matches: impl Fn(&Value) -> bool,
    remote_id: String,
    events: impl FnOnce(&Value) -> Vec<LinkEvent>,
) -> Result<bool, LinkError> {
    let Some(open) = session
        .state()
        .open_intents
        .values()
        .find(|i| i.operation == operation && matches(&i.detail))
        .cloned()
    else {
        return Ok(false);
    };
    let mut recorded = vec![LinkEvent::RemoteWriteSettled(RemoteWriteSettled {
        intent_id: open.intent_id,
        outcome: Settlement::FoundExisting { remote_id },
    })];
    recorded.extend(events(&open.detail));
    session.record(recorded).await?;
    Ok(true)
}
