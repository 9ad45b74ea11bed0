//! Application wiring: open the store (its invariant check runs before anything serves), start
//! the projection runners, the actor runtime, the link registry and the scheduler, and bind the
//! HTTP listener.
//!
//! [`Application::build`] binds its own listener, so tests pass port 0 and read the real port
//! back with [`Application::port`] before spawning [`Application::run_until_stopped`].

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::actors::{BackgroundRuntime, LinkRegistry, Scheduler};
use crate::config::Settings;
use crate::connectors::jira::JiraClient;
use crate::engine::inbox::Inbox;
use crate::engine::{Engine, EngineReconciler};
use crate::events::store::{EventStore, SledEventStore, SledStoreOptions, StoreError};
use crate::http::AppState;
use crate::metrics::Metrics;
use crate::projections::{links, ProjectionError, Projections};
use crate::secrets::SecretVault;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The configuration is incomplete.
    #[error("configuration: {0}")]
    Config(String),
    /// The event store refused to open (lock held, invariant check failed…).
    #[error("event store: {0}")]
    Store(#[from] StoreError),
    /// A projection could not be opened.
    #[error("projections: {0}")]
    Projection(#[from] ProjectionError),
    /// Metrics could not be registered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The listener or a runtime thread could not start.
    #[error("startup I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// A built application: listener bound, background work started, not yet serving HTTP.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    inbox: Arc<Inbox>,
    runtime: Arc<BackgroundRuntime>,
    cancel: CancellationToken,
}

impl Application {
    /// Opens everything and binds `http.host:http.port`.
    pub async fn build(mut settings: Settings) -> Result<Self, StartupError> {
        let admin_token = checked_settings(&mut settings)?;
        let metrics = Metrics::new()?;
        let store = open_store(&settings, &metrics).await?;
        let projections = Projections::open(store.clone(), Some(metrics.clone()))?;
        let cancel = CancellationToken::new();
        let runtime = Arc::new(BackgroundRuntime::with_workers(
            "sfjira-actors",
            settings.actors.threads,
        )?);
        {
            let projections = projections.clone();
            let cancel = cancel.clone();
            runtime.spawn(async move { projections.spawn(&cancel) });
        }
        let registry = Arc::new(LinkRegistry::new(
            store.clone(),
            runtime.clone(),
            projections.expect(links::NAME)?.clone(),
            Duration::from_secs(settings.actors.idle_timeout_secs),
            Some(metrics.clone()),
        ));
        let (vault, secrets_from_vault) = unlock_secrets(&mut settings)?;
        let jira = connect_jira(&settings).await?;
        let engine = Arc::new(Engine::new(
            Arc::new(settings.clone()),
            store.clone(),
            registry.clone(),
            projections.clone(),
            vault,
            jira,
        ));
        crate::engine::connection::restore(&engine)
            .await
            .map_err(|e| StartupError::Config(format!("salesforce connection: {e}")))?;
        let inbox = Inbox::new(engine.clone());
        {
            let inbox = inbox.clone();
            let cancel = cancel.clone();
            runtime.spawn(async move { inbox.run(cancel).await });
        }
        let scheduler = start_scheduler(&settings, &store, &engine, &runtime, &metrics);
        let state = AppState {
            settings: Arc::new(settings.clone()),
            admin_token: Arc::new(admin_token),
            store,
            projections,
            registry,
            scheduler,
            metrics,
            engine,
            sessions: Arc::default(),
            auth_throttle: Arc::new(crate::http::throttle::AuthThrottle::new(
                settings.http.auth_failures_allowed,
                Duration::from_secs(settings.http.auth_failure_window_secs),
            )),
            secrets_from_vault: Arc::new(secrets_from_vault),
        };
        let (port, server) = serve(&settings, &state)?;
        tracing::info!(port, "sfjira listening");
        Ok(Self {
            port,
            server,
            state,
            inbox,
            runtime,
            cancel,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Handles for tests and the demo.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The webhook inbox, whose [`Inbox::process_pending`] step tests take to know every
    /// recorded delivery was processed.
    pub fn inbox(&self) -> &Arc<Inbox> {
        &self.inbox
    }

    /// Serves until the server stops (signal or handle), then stops the background work and
    /// closes the store (final flush).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.cancel.cancel();
        self.runtime.stop();
        if let Err(error) = self.state.store.close().await {
            tracing::error!(%error, "closing the event store");
        }
        result
    }
}

/// A configuration error as a startup error.
fn config_error(e: crate::config::ConfigError) -> StartupError {
    StartupError::Config(e.to_string())
}

/// Reads the secret files, validates the settings and creates the data directory; returns the
/// admin token, which is required.
fn checked_settings(settings: &mut Settings) -> Result<SecretString, StartupError> {
    settings.read_secret_files().map_err(config_error)?;
    settings.validate().map_err(config_error)?;
    let admin_token = settings.http.admin_token.clone().ok_or_else(|| {
        StartupError::Config("http.admin_token (or http.admin_token_file) is required".into())
    })?;
    crate::secrets::create_private_dir(&settings.data_dir)?;
    Ok(admin_token)
}

/// Opens the event store off the async runtime; the open runs the invariant check.
async fn open_store(
    settings: &Settings,
    metrics: &Metrics,
) -> Result<Arc<dyn EventStore>, StartupError> {
    let store_options = SledStoreOptions {
        cache_capacity: settings.store.cache_capacity_bytes,
        metrics: Some(metrics.store.clone()),
        write_fault: settings.store.write_fault.clone(),
        ..SledStoreOptions::default()
    };
    let data_dir = settings.data_dir.clone();
    Ok(Arc::new(
        tokio::task::spawn_blocking(move || SledEventStore::open(&data_dir, store_options))
            .await
            .map_err(|e| StartupError::Config(format!("store open task: {e}")))??,
    ))
}

/// Opens the secret vault, fills the settings' unset secrets from it and validates them again;
/// returns the vault and which secrets came from it.
fn unlock_secrets(
    settings: &mut Settings,
) -> Result<(SecretVault, Vec<&'static str>), StartupError> {
    let vault = SecretVault::open(&settings.data_dir, &settings.key_file())
        .map_err(|e| StartupError::Config(e.to_string()))?;
    let secrets_from_vault = crate::secrets::fill_from_vault(settings, &vault)
        .map_err(|e| StartupError::Config(e.to_string()))?;
    settings.validate().map_err(config_error)?;
    Ok((vault, secrets_from_vault))
}

/// The Jira client when Jira is configured, its account checked: refused credentials stop the
/// start, an unreachable Jira does not.
async fn connect_jira(settings: &Settings) -> Result<Option<JiraClient>, StartupError> {
    if settings.jira.base_url.is_none() {
        return Ok(None);
    }
    let client =
        JiraClient::new(&settings.jira).map_err(|e| StartupError::Config(format!("jira: {e}")))?;
    match client.myself().await {
        Ok(me) => tracing::info!(account = %me.display_name, "Jira account checked"),
        Err(e) if e.is_auth() => {
            return Err(StartupError::Config(format!(
                "jira: the configured account was refused: {e}"
            )))
        }
        Err(e) => tracing::warn!(error = %e, "Jira is not reachable yet; continuing"),
    }
    Ok(Some(client))
}

/// Starts the scheduler on the actor runtime, reconciling through the engine.
fn start_scheduler(
    settings: &Settings,
    store: &Arc<dyn EventStore>,
    engine: &Arc<Engine>,
    runtime: &BackgroundRuntime,
    metrics: &Metrics,
) -> Addr<Scheduler> {
    let reconciler = Arc::new(EngineReconciler::new(engine.clone()));
    let scheduler = Scheduler::new(
        store.clone(),
        reconciler,
        settings
            .sync
            .scheduler_enabled
            .then(|| Duration::from_secs(settings.sync.interval_secs)),
        settings.sync.item_concurrency,
        Some(metrics.clone()),
    );
    Scheduler::start_in_arbiter(runtime.arbiter(), move |_| scheduler)
}

/// Binds `http.host:http.port` and builds the HTTP server on it (not yet running); returns the
/// port actually bound.
fn serve(settings: &Settings, state: &AppState) -> Result<(u16, Server), StartupError> {
    let listener = TcpListener::bind((settings.http.host.as_str(), settings.http.port))?;
    let port = listener.local_addr()?.port();
    let state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .wrap(crate::http::errors::method_not_allowed_handlers())
            .wrap(tracing_actix_web::TracingLogger::default())
            .configure(|cfg| crate::http::configure(cfg, &state.settings))
    })
    .workers(2)
    .listen(listener)?
    .run();
    Ok((port, server))
}
