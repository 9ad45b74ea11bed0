//! Exactly-once remote creates: intent first, then the call, then the settlement.
//!
//! `link.remote_write_intended` is durable before the remote call, so a crash between the call
//! and `link.remote_write_settled` leaves an open intent. The next attempt finds it and looks
//! for the intent's marker on the remote side first (an issue label, a comment property, a note
//! in the record's feed); only if the marker is absent does it create. A refusal that no retry
//! can fix settles the intent as abandoned, so it is not re-driven forever.
//!
//! A lost answer takes the same path. The clients never repeat a create whose outcome is
//! unknown (see [`crate::connectors::retry::Repeat`]); here, after a short pause, the marker is
//! looked for once: found, the intent settles as found; not found, the attempt is recorded as
//! `link.remote_write_unconfirmed` and the step is retried later. A later attempt looks again and
//! creates only once an empty lookup proves absence ([`absence_proven`]): the request cannot be
//! in flight any more and the lookup can see what it would have made.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use crate::actors::link::{LinkError, LinkSession};
use crate::domain::link::events::{
    IntentDetail, LinkEvent, RemoteOperation, RemoteWriteIntended, RemoteWriteSettled,
    RemoteWriteUnconfirmed, Settlement,
};
use crate::domain::side::Side;
use crate::domain::unknown_outcome::{absence_proven, LookupConsistency, UnknownOutcomeWindow};
use crate::engine::{Engine, SyncError};

/// Pause before looking for the marker of a create whose answer was lost: long enough for a
/// remote side that answered late to have committed, short enough to keep the link's work
/// moving.
const LOOK_AFTER_LOST_ANSWER: Duration = Duration::from_millis(250);

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
    pub detail: IntentDetail,
    /// Whether the marker lookup reads its own writes or a lagging search index.
    pub lookup: LookupConsistency,
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
    engine: &Engine,
    session: &mut LinkSession,
    intent: Intent,
    find: F,
    create: C,
    settle_with: S,
) -> Result<Created, CreateFailed>
where
    F: Fn() -> FFut,
    FFut: Future<Output = Result<Option<RemoteRef>, SyncError>>,
    C: FnOnce() -> CFut,
    CFut: Future<Output = Result<RemoteRef, SyncError>>,
    S: FnOnce(&Created) -> Vec<LinkEvent>,
{
    let window = engine.settings.sync.unknown_outcome_window();
    let intent_id = match start(session, &intent, &find, &window).await? {
        Start::Found(id, found) => {
            return settle(session, id, Created::Found(found), settle_with).await
        }
        Start::Create(id) => id,
    };
    match create().await {
        Ok(made) => settle(session, intent_id, Created::Now(made), settle_with).await,
        Err(error) if error.outcome_unknown() => {
            lost_answer(
                session,
                &intent,
                intent_id,
                error,
                find,
                settle_with,
                &window,
            )
            .await
        }
        Err(error) => abandon(session, intent_id, error).await,
    }
}

/// Where an attempt starts.
enum Start {
    /// An open intent's object, found by its marker: created before a crash or a lost answer.
    Found(Uuid, RemoteRef),
    /// Create under this intent: an open one whose absence is proven, or one recorded now.
    Create(Uuid),
}

/// Looks for the object of an open intent of the same operation and marker (an earlier
/// attempt's outcome is unknown), or records a new intent.
async fn start<F, FFut>(
    session: &mut LinkSession,
    intent: &Intent,
    find: &F,
    window: &UnknownOutcomeWindow,
) -> Result<Start, CreateFailed>
where
    F: Fn() -> FFut,
    FFut: Future<Output = Result<Option<RemoteRef>, SyncError>>,
{
    let open = session
        .state()
        .open_intents
        .values()
        .find(|i| i.operation == intent.operation && i.marker == intent.marker)
        .map(|i| i.intent_id);
    if let Some(id) = open {
        if let Some(found) = find().await.map_err(CreateFailed::Remote)? {
            return Ok(Start::Found(id, found));
        }
        let last = session.state().last_attempt(id);
        if let Err(after) = absence_proven(last, Utc::now(), intent.lookup, window) {
            return Err(CreateFailed::Remote(SyncError::CreateOutcomeUnknown {
                operation: intent.operation.as_str().to_string(),
                absent_if_unseen_after: after,
            }));
        }
        return Ok(Start::Create(id));
    }
    let id = Uuid::now_v7();
    session
        .record(vec![LinkEvent::RemoteWriteIntended(RemoteWriteIntended {
            intent_id: id,
            operation: intent.operation,
            target: intent.target,
            marker: intent.marker.clone(),
            detail: intent.detail.clone(),
            at: Some(Utc::now()),
        })])
        .await?;
    Ok(Start::Create(id))
}

/// Refused for good, or provably never sent: the intent ends; a later attempt records a new
/// one.
async fn abandon(
    session: &mut LinkSession,
    intent_id: Uuid,
    error: SyncError,
) -> Result<Created, CreateFailed> {
    let reason = if error.is_retryable() {
        format!("not sent: {error}")
    } else {
        error.to_string()
    };
    session
        .record(vec![LinkEvent::RemoteWriteSettled(RemoteWriteSettled {
            intent_id,
            outcome: Settlement::Abandoned { reason },
        })])
        .await?;
    Err(CreateFailed::Remote(error))
}

/// A create whose answer was lost: after a short pause, look for its marker once. Found, the
/// intent settles; not found, the attempt is recorded as unconfirmed (with when an empty
/// lookup will prove absence) and the error goes back, so the step is retried later.
async fn lost_answer<F, FFut, S>(
    session: &mut LinkSession,
    intent: &Intent,
    intent_id: Uuid,
    error: SyncError,
    find: F,
    settle_with: S,
    window: &UnknownOutcomeWindow,
) -> Result<Created, CreateFailed>
where
    F: Fn() -> FFut,
    FFut: Future<Output = Result<Option<RemoteRef>, SyncError>>,
    S: FnOnce(&Created) -> Vec<LinkEvent>,
{
    tracing::warn!(link_id = %session.link_id(), operation = intent.operation.as_str(), %error,
        "a create's answer was lost; looking for its marker instead of sending it again");
    tokio::time::sleep(LOOK_AFTER_LOST_ANSWER).await;
    if let Ok(Some(found)) = find().await {
        return settle(session, intent_id, Created::Found(found), settle_with).await;
    }
    let at = Utc::now();
    let after = absence_proven(Some(at), at, intent.lookup, window)
        .err()
        .unwrap_or(at);
    session
        .record(vec![LinkEvent::RemoteWriteUnconfirmed(
            RemoteWriteUnconfirmed {
                intent_id,
                error: error.to_string(),
                at,
                absent_if_unseen_after: after,
            },
        )])
        .await?;
    Err(CreateFailed::Remote(error))
}

/// Records the settlement of `intent_id` with the events `settle_with` gives for it.
async fn settle<S>(
    session: &mut LinkSession,
    intent_id: Uuid,
    created: Created,
    settle_with: S,
) -> Result<Created, CreateFailed>
where
    S: FnOnce(&Created) -> Vec<LinkEvent>,
{
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
