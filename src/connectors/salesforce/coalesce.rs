//! Writes from many links that share one call: creates and updates gathered into sObject
//! Collections.
//!
//! Each link's work makes its calls one after another, but an item's run keeps many links busy
//! at once: a back-fill of a thousand Cases writes a thousand link notes, a sweep of changed
//! issues a field update per record. Sent one by one, that is a Salesforce call per record; the
//! API takes up to 200 records per `composite/sobjects` call with a result per record. So a
//! write that may share a call joins a lane (one for creates, one for updates): when the lane is
//! idle, the write goes at once and alone, through the single-record endpoint, so a lone write
//! waits for nothing; while a call is out, later writes queue, and the next call takes up to
//! 200 of them together. Batches form from load, never from waiting.
//!
//! What a shared write returns is what the single-record call would: the record's id (or
//! nothing, for an update), a per-record refusal as [`SalesforceError::Api`], and a call whose
//! answer was lost as [`SalesforceError::AnswerLost`] for every create in it, so that the
//! exactly-once intents look for each one's marker instead of sending it again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{Map, Value};
use tokio::sync::oneshot;

use super::client::SalesforceClient;
use super::error::SalesforceError;
use super::model::{RecordCreate, RecordUpdate, SaveResult};
use super::records::COLLECTION_CHUNK;
use crate::domain::ids::SalesforceId;

/// The lanes of one connection (shared by every clone of its client).
#[derive(Default)]
pub(crate) struct Coalescer {
    lanes: Mutex<HashMap<LaneKind, Lane>>,
}

/// Creates and updates go in separate calls (`POST` and `PATCH` of `composite/sobjects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum LaneKind {
    Create,
    Update,
}

/// Writes waiting for a call, and whether a call is out.
#[derive(Default)]
struct Lane {
    waiting: Vec<Pending>,
    sending: bool,
}

/// One write and where its answer goes.
struct Pending {
    write: Write,
    reply: oneshot::Sender<Result<Option<SalesforceId>, SalesforceError>>,
}

/// What a caller asked for.
enum Write {
    Create(RecordCreate),
    Update(RecordUpdate),
}

impl Write {
    fn lane(&self) -> LaneKind {
        match self {
            Write::Create(_) => LaneKind::Create,
            Write::Update(_) => LaneKind::Update,
        }
    }
}

impl SalesforceClient {
    /// Creates a record, possibly in one sObject Collections call with other links' creates
    /// (see the module documentation); answers as [`SalesforceClient::create`] would. Not for
    /// files (`ContentVersion` bodies do not belong in a collection).
    pub async fn create_shared(
        &self,
        object: &str,
        fields: &Map<String, Value>,
    ) -> Result<SalesforceId, SalesforceError> {
        let write = Write::Create(RecordCreate {
            object: object.to_string(),
            fields: fields.clone(),
        });
        match self.join_lane(write).await? {
            Some(id) => Ok(id),
            None => Err(SalesforceError::malformed(
                "create record",
                "a success status without a saved id",
            )),
        }
    }

    /// Updates a record, possibly in one sObject Collections call with other links' updates;
    /// answers as [`SalesforceClient::update`] would.
    pub async fn update_shared(
        &self,
        object: &str,
        id: &SalesforceId,
        fields: &Map<String, Value>,
    ) -> Result<(), SalesforceError> {
        let write = Write::Update(RecordUpdate {
            object: object.to_string(),
            id: id.clone(),
            fields: fields.clone(),
        });
        self.join_lane(write).await.map(|_| ())
    }

    /// Queues `write` on its lane, starts the lane's sender if it is idle, and waits for the
    /// answer.
    async fn join_lane(&self, write: Write) -> Result<Option<SalesforceId>, SalesforceError> {
        let kind = write.lane();
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut lanes = self.inner.coalescer.lanes.lock();
            let lane = lanes.entry(kind).or_default();
            lane.waiting.push(Pending { write, reply });
            !std::mem::replace(&mut lane.sending, true)
        };
        if start {
            // A task of its own, so that a caller that stops waiting does not strand the
            // writes queued behind its own.
            let client = self.clone();
            tokio::spawn(async move { client.drain_lane(kind).await });
        }
        answer.await.unwrap_or_else(|_| {
            Err(SalesforceError::AnswerLost(Box::new(
                SalesforceError::Transport {
                    message: "the shared write's sender stopped before answering".into(),
                    source: None,
                },
            )))
        })
    }

    /// Sends the lane's waiting writes, a call at a time, until none is left.
    async fn drain_lane(self, kind: LaneKind) {
        while let Some(batch) = self.take_batch(kind) {
            self.send_batch(kind, batch).await;
        }
    }

    /// The next call's writes (at most 200, one update per record), or `None` once the lane is
    /// empty, which also marks it idle.
    fn take_batch(&self, kind: LaneKind) -> Option<Vec<Pending>> {
        let mut lanes = self.inner.coalescer.lanes.lock();
        let lane = lanes.get_mut(&kind)?;
        if lane.waiting.is_empty() {
            lane.sending = false;
            return None;
        }
        let mut records = HashSet::new();
        let mut batch = Vec::new();
        let mut rest = Vec::new();
        for pending in lane.waiting.drain(..) {
            let fresh = match &pending.write {
                Write::Update(u) => records.insert(u.id.clone()),
                Write::Create(_) => true,
            };
            if fresh && batch.len() < COLLECTION_CHUNK {
                batch.push(pending);
            } else {
                rest.push(pending);
            }
        }
        lane.waiting = rest;
        Some(batch)
    }

    /// Sends one batch: alone through the single-record endpoint, or together through sObject
    /// Collections; each caller gets its own record's outcome.
    async fn send_batch(&self, kind: LaneKind, mut batch: Vec<Pending>) {
        if batch.len() == 1 {
            let Pending { write, reply } = batch.remove(0);
            let outcome = match write {
                Write::Create(c) => self.create(&c.object, &c.fields).await.map(Some),
                Write::Update(u) => self.update(&u.object, &u.id, &u.fields).await.map(|_| None),
            };
            let _ = reply.send(outcome);
            return;
        }
        let (writes, replies): (Vec<Write>, Vec<_>) =
            batch.into_iter().map(|p| (p.write, p.reply)).unzip();
        let results = match kind {
            LaneKind::Create => {
                let creates: Vec<RecordCreate> = writes
                    .into_iter()
                    .filter_map(|w| match w {
                        Write::Create(c) => Some(c),
                        Write::Update(_) => None,
                    })
                    .collect();
                // A malformed answer to creates still means they may have happened.
                self.create_many(&creates).await.map_err(|e| match e {
                    e @ SalesforceError::Malformed { .. } => {
                        SalesforceError::AnswerLost(Box::new(e))
                    }
                    e => e,
                })
            }
            LaneKind::Update => {
                let updates: Vec<RecordUpdate> = writes
                    .into_iter()
                    .filter_map(|w| match w {
                        Write::Update(u) => Some(u),
                        Write::Create(_) => None,
                    })
                    .collect();
                self.update_many(&updates).await
            }
        };
        match results {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(record_outcome(result));
                }
            }
            Err(error) => {
                let error = Arc::new(error);
                for reply in replies {
                    let _ = reply.send(Err(replicate(&error)));
                }
            }
        }
    }
}

/// One record's result of a collection call, as the single-record call would have given it.
fn record_outcome(result: SaveResult) -> Result<Option<SalesforceId>, SalesforceError> {
    if result.success {
        return Ok(result.id);
    }
    let status = if result
        .errors
        .iter()
        .any(|e| matches!(e.code.as_str(), "NOT_FOUND" | "ENTITY_IS_DELETED"))
    {
        404
    } else {
        400
    };
    Err(SalesforceError::Api {
        status,
        errors: result.errors,
        retry_after: None,
    })
}

/// A copy of a whole call's failure for each caller in it.
fn replicate(error: &SalesforceError) -> SalesforceError {
    match error {
        SalesforceError::HostRefused(e) => SalesforceError::HostRefused(e.clone()),
        SalesforceError::OAuth(f) => SalesforceError::OAuth(f.clone()),
        SalesforceError::SessionExpired { message, renewed } => SalesforceError::SessionExpired {
            message: message.clone(),
            renewed: *renewed,
        },
        SalesforceError::RequestLimitExceeded { message, usage } => {
            SalesforceError::RequestLimitExceeded {
                message: message.clone(),
                usage: *usage,
            }
        }
        SalesforceError::Api {
            status,
            errors,
            retry_after,
        } => SalesforceError::Api {
            status: *status,
            errors: errors.clone(),
            retry_after: *retry_after,
        },
        // The source error is not cloneable. Whether the write was sent is settled already:
        // the request path turned a create sent and unanswered into `AnswerLost`.
        SalesforceError::Transport { message, .. } => SalesforceError::Transport {
            message: message.clone(),
            source: None,
        },
        SalesforceError::Malformed { context, detail } => SalesforceError::Malformed {
            context: context.clone(),
            detail: detail.clone(),
        },
        SalesforceError::InvalidInput(m) => SalesforceError::InvalidInput(m.clone()),
        SalesforceError::AnswerLost(inner) => {
            SalesforceError::AnswerLost(Box::new(replicate(inner)))
        }
    }
}
