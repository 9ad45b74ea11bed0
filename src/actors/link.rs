//! The link actor: one per issue↔record link, the only writer of that link's stream.
//!
//! It hydrates its [`LinkState`] from the stream before handling anything, then runs units of
//! [`LinkWork`] strictly one at a time — even across `.await`s, because each runs as an
//! `AtomicResponse` that blocks the mailbox until it finishes. Work records what it did through
//! [`LinkSession::record`], which appends with the expected version and folds the events into
//! the state the work sees next. If the append meets a version conflict (another writer, such as
//! a maintenance tool), the actor reloads the stream and runs the work once more.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use async_trait::async_trait;
use tracing::Instrument;

use crate::domain::ids::LinkId;
use crate::domain::link::events::LinkEvent;
use crate::domain::link::{decide, evolve, LinkCommand, LinkRefusal, LinkState};
use crate::events::store::{EventStore, ExpectedVersion, StoreError, StreamId};
use crate::events::{decode, encode, streams, DecodeError, Meta};
use crate::metrics::Metrics;

/// Why link work failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LinkError {
    /// The command was refused by the rules.
    #[error(transparent)]
    Refused(#[from] LinkRefusal),
    /// The stream moved under us twice in a row.
    #[error("link {link} changed concurrently (expected version {expected:?}, found {actual:?})")]
    Conflict {
        /// The link.
        link: LinkId,
        /// What we expected.
        expected: Option<u64>,
        /// What the store had.
        actual: Option<u64>,
    },
    /// The event store failed.
    #[error("event store: {0}")]
    Store(StoreError),
    /// The link's history could not be read.
    #[error("reading the link's history: {0}")]
    History(String),
    /// The link's actor could not take the message.
    #[error("link {0} is unavailable right now; retry")]
    Unavailable(LinkId),
    /// The work itself failed (remote system refused, bad input…).
    #[error("{0}")]
    Work(String),
}

impl From<DecodeError> for LinkError {
    fn from(e: DecodeError) -> Self {
        LinkError::History(e.to_string())
    }
}

/// The state a unit of work sees and the way it records what it did.
pub struct LinkSession {
    link_id: LinkId,
    stream: StreamId,
    store: Arc<dyn EventStore>,
    state: LinkState,
    version: Option<u64>,
    meta: Meta,
}

impl LinkSession {
    /// The link.
    pub fn link_id(&self) -> LinkId {
        self.link_id
    }

    /// The state as of the last recorded event.
    pub fn state(&self) -> &LinkState {
        &self.state
    }

    /// The stream version (`None` before the first event).
    pub fn version(&self) -> Option<u64> {
        self.version
    }

    /// Causation and correlation of what this work records.
    pub fn meta(&self) -> Meta {
        self.meta
    }

    /// The store (for work that reads other streams).
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// Appends `events` durably with the expected version, then folds them into the state.
    /// Returns the global sequence of the last one (0 when `events` is empty).
    pub async fn record(&mut self, events: Vec<LinkEvent>) -> Result<u64, LinkError> {
        if events.is_empty() {
            return Ok(0);
        }
        let expected = match self.version {
            None => ExpectedVersion::NoStream,
            Some(v) => ExpectedVersion::Exact(v),
        };
        let data = events.iter().map(|e| encode(e, self.meta)).collect();
        match self.store.append(&self.stream, expected, data).await {
            Ok(outcome) => {
                self.state = events.iter().fold(std::mem::take(&mut self.state), evolve);
                self.version = Some(outcome.version);
                Ok(outcome.last_seq)
            }
            Err(StoreError::Conflict { actual, .. }) => Err(LinkError::Conflict {
                link: self.link_id,
                expected: self.version,
                actual,
            }),
            Err(e) => Err(LinkError::Store(e)),
        }
    }

    async fn reload(&mut self) -> Result<(), LinkError> {
        let (state, version) = load(self.store.as_ref(), &self.stream).await?;
        self.state = state;
        self.version = version;
        Ok(())
    }
}

/// Reads a link's stream and folds it.
pub async fn load(
    store: &dyn EventStore,
    stream: &StreamId,
) -> Result<(LinkState, Option<u64>), LinkError> {
    let recorded = store
        .read_stream(stream, 0)
        .await
        .map_err(LinkError::Store)?;
    let mut state = LinkState::default();
    let mut version = None;
    for event in &recorded {
        let typed: LinkEvent = decode(event)?;
        state = evolve(state, &typed);
        version = Some(event.version);
    }
    Ok((state, version))
}

/// A unit of work run inside a link's actor, one at a time.
///
/// `run` may be called twice (after a version conflict, on reloaded state), so work that
/// performs remote writes must first record its intent and check its markers.
#[async_trait]
pub trait LinkWork: Send + 'static {
    /// What the work returns.
    type Output: Send + 'static;

    /// Does the work against the session's state, recording what it did.
    async fn run(&mut self, session: &mut LinkSession) -> Result<Self::Output, LinkError>;
}

/// Applies a [`LinkCommand`] through [`decide`]; returns the stream version afterwards.
#[derive(Debug, Clone)]
pub struct Execute(pub LinkCommand);

#[async_trait]
impl LinkWork for Execute {
    type Output = Option<u64>;

    async fn run(&mut self, session: &mut LinkSession) -> Result<Option<u64>, LinkError> {
        let events = decide(session.state(), &self.0)?;
        session.record(events).await?;
        Ok(session.version())
    }
}

/// Runs a unit of work on the link.
pub struct Run<W: LinkWork> {
    /// The work.
    pub work: W,
    /// Causation and correlation of what it records.
    pub meta: Meta,
}

impl<W: LinkWork> Message for Run<W> {
    type Result = Result<W::Output, LinkError>;
}

/// Asks for the current state and version.
pub struct Snapshot;

impl Message for Snapshot {
    type Result = (LinkState, Option<u64>);
}

/// The actor.
pub struct LinkActor {
    id: LinkId,
    stream: StreamId,
    store: Arc<dyn EventStore>,
    state: LinkState,
    version: Option<u64>,
    idle_timeout: Duration,
    last_active: Instant,
    metrics: Option<Metrics>,
    on_stop: Option<StopHook>,
}

/// What an actor calls once it has stopped (the registry forgets its address).
pub type StopHook = Box<dyn FnOnce() + Send>;

impl LinkActor {
    /// An actor for `id`, not yet started.
    pub fn new(
        id: LinkId,
        store: Arc<dyn EventStore>,
        idle_timeout: Duration,
        metrics: Option<Metrics>,
    ) -> Self {
        Self {
            id,
            stream: streams::link(id),
            store,
            state: LinkState::default(),
            version: None,
            idle_timeout,
            last_active: Instant::now(),
            metrics,
            on_stop: None,
        }
    }

    /// Calls `hook` once the actor has stopped (idle, failed hydration, or told to).
    pub fn on_stop(mut self, hook: impl FnOnce() + Send + 'static) -> Self {
        self.on_stop = Some(Box::new(hook));
        self
    }
}

impl Actor for LinkActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(m) = &self.metrics {
            m.active_link_actors.inc();
        }
        let store = self.store.clone();
        let stream = self.stream.clone();
        // `wait` holds every message until the state is hydrated.
        ctx.wait(
            async move { load(store.as_ref(), &stream).await }
                .into_actor(self)
                .map(|loaded, act, ctx| match loaded {
                    Ok((state, version)) => {
                        act.state = state;
                        act.version = version;
                    }
                    Err(error) => {
                        tracing::error!(link_id = %act.id, %error, "link actor cannot hydrate");
                        ctx.stop();
                    }
                }),
        );
        let check =
            (self.idle_timeout / 4).clamp(Duration::from_millis(20), Duration::from_secs(30));
        ctx.run_interval(check, |act, ctx| {
            if act.last_active.elapsed() >= act.idle_timeout {
                tracing::debug!(link_id = %act.id, "link actor idle; stopping");
                ctx.stop();
            }
        });
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        if let Some(m) = &self.metrics {
            m.active_link_actors.dec();
        }
        if let Some(hook) = self.on_stop.take() {
            hook();
        }
    }
}

impl<W: LinkWork> Handler<Run<W>> for LinkActor {
    type Result = AtomicResponse<Self, Result<W::Output, LinkError>>;

    fn handle(&mut self, msg: Run<W>, _ctx: &mut Self::Context) -> Self::Result {
        self.last_active = Instant::now();
        let mut session = LinkSession {
            link_id: self.id,
            stream: self.stream.clone(),
            store: self.store.clone(),
            state: self.state.clone(),
            version: self.version,
            meta: msg.meta,
        };
        let mut work = msg.work;
        let span = tracing::info_span!("link_work", link_id = %self.id);
        let future = async move {
            let mut result = work.run(&mut session).await;
            if let Err(LinkError::Conflict { .. }) = &result {
                tracing::warn!(link_id = %session.link_id, "version conflict; reloading once");
                result = match session.reload().await {
                    Ok(()) => work.run(&mut session).await,
                    Err(e) => Err(e),
                };
            }
            (session.state, session.version, result)
        }
        .instrument(span);
        AtomicResponse::new(Box::pin(future.into_actor(self).map(
            |(state, version, result), act, _ctx| {
                act.state = state;
                act.version = version;
                act.last_active = Instant::now();
                result
            },
        )))
    }
}

impl Handler<Snapshot> for LinkActor {
    type Result = MessageResult<Snapshot>;

    fn handle(&mut self, _msg: Snapshot, _ctx: &mut Self::Context) -> Self::Result {
        self.last_active = Instant::now();
        MessageResult((self.state.clone(), self.version))
    }
}
