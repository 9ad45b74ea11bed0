//! The Jira Cloud REST API emulator.
//!
//! sfjira's tests and demo talk to Jira only through this emulator, so it has to answer like
//! Jira Cloud for every call a connector makes: REST v3 (and the v2 variants real client
//! libraries still call), admin webhooks with signed, retried deliveries, JQL search, and the
//! shared control plane under `/__emulator/`. This module holds the public entry points:
//! [`JiraOptions`], [`JiraEmulator`] and [`JiraInfo`]; `docs/emulators-jira.md` describes the
//! behaviour in full.

pub mod adf;
pub mod app;
pub mod attachments;
pub mod auth;
pub mod bean;
pub mod catalogue;
pub mod comments;
pub mod control;
pub mod error;
pub mod fields;
pub mod index_lag;
pub mod issue_table;
pub mod issues;
pub mod jql;
pub mod meta;
pub mod model;
pub mod params;
pub mod projects;
pub mod properties;
pub mod ratelimit;
pub mod render;
pub mod search;
pub mod seed;
pub mod site;
pub mod store;
pub mod transitions;
pub mod webhooks;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{middleware, web, App, HttpServer};
use serde::{Deserialize, Serialize};

use crate::common::{intercept, BoundListener, Common, RunningServer, Seed, ServerOptions};

pub use site::Site;

/// How failed webhook deliveries are retried: at most `max_attempts` attempts in all, waiting
/// `base_backoff`, then twice that, and so on, between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookRetry {
    /// Attempts in all, the first included (Jira Cloud: "up to 5").
    pub max_attempts: u32,
    /// Wait before the first retry; doubled before each further one.
    pub base_backoff: Duration,
}

impl Default for WebhookRetry {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_backoff: Duration::from_secs(1),
        }
    }
}

/// Everything the Jira emulator can be started with.
#[derive(Debug, Clone)]
pub struct JiraOptions {
    /// Where to listen (loopback, port, optional self-signed TLS).
    pub server: ServerOptions,
    /// Which data to start with when no state file is loaded.
    pub seed: Seed,
    /// Retry policy of webhook deliveries.
    pub webhook_retry: WebhookRetry,
    /// Load the state from this file at start (when it exists) and save it there on `stop`.
    pub state_file: Option<PathBuf>,
    /// Largest attachment accepted, in bytes (what `GET /attachment/meta` reports).
    pub upload_limit: u64,
}

impl Default for JiraOptions {
    fn default() -> Self {
        Self {
            server: ServerOptions::default(),
            seed: Seed::Demo,
            webhook_retry: WebhookRetry::default(),
            state_file: None,
            upload_limit: 10_485_760,
        }
    }
}

/// How to connect: what `GET /__emulator/info` answers and [`JiraEmulator::info`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraInfo {
    /// Base URL of the site, e.g. `http://127.0.0.1:41234`.
    pub base_url: String,
    /// The admin user's email (the Basic-auth user name).
    pub email: String,
    /// The admin user's API token (the Basic-auth password).
    pub api_token: String,
    /// The admin user's Atlassian account id.
    pub account_id: String,
    /// A bearer token for the same user (OAuth 2.0 style `Authorization: Bearer …`).
    pub bearer_token: String,
    /// PEM certificate to trust when serving HTTPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_path: Option<PathBuf>,
}

/// A running Jira emulator.
pub struct JiraEmulator {
    site: Arc<Site>,
    server: RunningServer,
    state_file: Option<PathBuf>,
}

impl JiraEmulator {
    /// Binds loopback, loads the state file or the seed, and starts serving in the background.
    pub async fn start(options: JiraOptions) -> std::io::Result<Self> {
        let bound = BoundListener::bind(&options.server, "jira")?;
        let common = Common::default();
        let site = Arc::new(Site::new(
            bound.base_url(),
            bound.cert_path(),
            common,
            &options,
        )?);
        let data = web::Data::from(site.clone());
        let common = web::Data::new(site.common.clone());
        let server = bound.serve(HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(common.clone())
                .app_data(app::json_config())
                .wrap(middleware::from_fn(intercept))
                .configure(app::routes)
        }))?;
        tracing::info!(base_url = %site.base_url, "Jira emulator listening");
        Ok(Self {
            site,
            server,
            state_file: options.state_file,
        })
    }

    /// Base URL of the emulated site.
    pub fn base_url(&self) -> &str {
        &self.site.base_url
    }

    /// Credentials and URLs to connect with.
    pub fn info(&self) -> JiraInfo {
        self.site.info()
    }

    /// The shared control state (clock, faults, request log).
    pub fn common(&self) -> &Common {
        &self.site.common
    }

    /// The emulated site itself, for in-process inspection.
    pub fn site(&self) -> &Arc<Site> {
        &self.site
    }

    /// Stops serving and saves the state to the state file, when one was given.
    pub async fn stop(self) {
        self.server.stop().await;
        if let Some(path) = &self.state_file {
            if let Err(error) = self.site.save(path) {
                tracing::error!(%error, path = %path.display(), "could not save the Jira state");
            }
        }
    }
}
