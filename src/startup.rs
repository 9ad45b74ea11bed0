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
        let config = |e: crate::config::ConfigError| StartupError::Config(e.to_string());
        settings.read_secret_files().map_err(config)?;
        settings.validate().map_err(config)?;
        let admin_token = settings.http.admin_token.clone().ok_or_else(|| {
            StartupError::Config("http.admin_token (or http.admin_token_file) is required".into())
        })?;
        crate::secrets::create_private_dir(&settings.data_dir)?;
        let metrics = Metrics::new()?;
        let store_options = SledStoreOptions {
            cache_capacity: settings.store.cache_capacity_bytes,
            metrics: Some(metrics.store.clone()),
            write_fault: settings.store.write_fault.clone(),
            ..SledStoreOptions::default()
        };
        let data_dir = settings.data_dir.clone();
        let store: Arc<dyn EventStore> = Arc::new(
            tokio::task::spawn_blocking(move || SledEventStore::open(&data_dir, store_options))
                .await
                .map_err(|e| StartupError::Config(format!("store open task: {e}")))??,
        );
        let projections = Projections::open(store.clone(), Some(metrics.clone()))?;
        let cancel = CancellationToken::new();
        let runtime = Arc::new(BackgroundRuntime::start("sfjira-actors")?);
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
        let vault = crate::secrets::SecretVault::open(&settings.data_dir, &settings.key_file())
            .map_err(|e| StartupError::Config(e.to_string()))?;
        let secrets_from_vault = crate::secrets::fill_from_vault(&mut settings, &vault)
            .map_err(|e| StartupError::Config(e.to_string()))?;
        settings.validate().map_err(config)?;
        let jira = match &settings.jira.base_url {
            None => None,
            Some(_) => {
                let client = JiraClient::new(&settings.jira)
                    .map_err(|e| StartupError::Config(format!("jira: {e}")))?;
                match client.myself().await {
                    Ok(me) => tracing::info!(account = %me.display_name, "Jira account checked"),
                    Err(e) if e.is_auth() => {
                        return Err(StartupError::Config(format!(
                            "jira: the configured account was refused: {e}"
                        )))
                    }
                    Err(e) => tracing::warn!(error = %e, "Jira is not reachable yet; continuing"),
                }
                Some(client)
            }
        };
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
        let reconciler = Arc::new(EngineReconciler::new(engine.clone()));
        let scheduler = {
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
        };
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
        let listener = TcpListener::bind((settings.http.host.as_str(), settings.http.port))?;
        let port = listener.local_addr()?.port();
        let server = {
            let state = state.clone();
            HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(state.clone()))
                    .wrap(crate::http::errors::method_not_allowed_handlers())
                    .wrap(tracing_actix_web::TracingLogger::default())
                    .configure(|cfg| crate::http::configure(cfg, &state.settings))
            })
            .workers(2)
            .listen(listener)?
            .run()
        };
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
