//! What HTTP handlers share: one [`AppState`] per application, cloned into every worker.
//!
//! It lives with the handlers, not with the wiring, so that the HTTP layer depends on the
//! engine, the store and the views it reads, and nothing below depends on HTTP.
//! [`crate::startup::Application`] builds it; it holds only what some handler uses.

use std::sync::Arc;

use actix::Addr;
use secrecy::SecretString;

use crate::actors::{LinkRegistry, Scheduler};
use crate::config::Settings;
use crate::engine::Engine;
use crate::events::store::EventStore;
use crate::metrics::Metrics;
use crate::projections::Projections;

/// What HTTP handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The settings the application started with.
    pub settings: Arc<Settings>,
    /// The admin bearer token.
    pub admin_token: Arc<SecretString>,
    /// The event log.
    pub store: Arc<dyn EventStore>,
    /// The read models.
    pub projections: Projections,
    /// The link actors.
    pub registry: Arc<LinkRegistry>,
    /// The reconciliation scheduler.
    pub scheduler: Addr<Scheduler>,
    /// Prometheus collectors.
    pub metrics: Metrics,
    /// The sync engine.
    pub engine: Arc<Engine>,
    /// Signed-in admin page sessions (memory only).
    pub sessions: Arc<super::session::Sessions>,
    /// Failed sign-ins and bearer tokens per client address.
    pub auth_throttle: Arc<super::throttle::AuthThrottle>,
    /// The vaultable secrets ([`crate::secrets::JIRA_SECRETS`]) that were read from the vault
    /// at start (the others set came from the configuration).
    pub secrets_from_vault: Arc<Vec<&'static str>>,
}
