//! The Salesforce REST API emulator.
//!
//! Every test and the demo run against this, so it aims to be indistinguishable from a real
//! org for each call a connector makes: OAuth client credentials on the My Domain, describe,
//! record CRUD with Salesforce's validation errors, SOQL with paging, search, composite and
//! sObject Collections, Salesforce Files, API limits — plus a control API under
//! `/__emulator/` to shape the org (apps, users, permissions, custom fields, validation rules,
//! seed data, limits). See `docs/emulators-salesforce.md`.

pub mod auth;
pub mod collections;
pub mod composite;
pub mod control;
pub mod describe;
pub mod effects;
pub mod error;
pub mod files;
pub mod http;
pub mod ids;
pub mod limits;
pub mod pretty;
pub mod query;
pub mod records;
pub mod router;
pub mod schema;
pub mod search;
pub mod seed;
pub mod setup;
pub mod soql;
pub mod store;
pub mod table;
pub mod values;
pub mod write;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::{middleware, web, App, HttpServer};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::common::{intercept, BoundListener, Common, RunningServer, Seed, ServerOptions};
use http::SfState;
use store::{Org, Settings};

/// How to run a Salesforce emulator.
#[derive(Debug, Clone)]
pub struct SalesforceOptions {
    /// Port and TLS of the My Domain listener.
    pub server: ServerOptions,
    /// Initial data (ignored when `state_file` exists).
    pub seed: Seed,
    /// Access-token lifetime in emulated time (default 2 hours).
    pub token_ttl: chrono::Duration,
    /// Daily API request allowance (default 100,000).
    pub daily_api_limit: u64,
    /// Where state is loaded from at start (when present) and saved to on stop.
    pub state_file: Option<PathBuf>,
    /// Also run a second listener that behaves like `login.salesforce.com`.
    pub login_host: bool,
}

impl Default for SalesforceOptions {
    fn default() -> Self {
        Self {
            server: ServerOptions::default(),
            seed: Seed::default(),
            token_ttl: chrono::Duration::hours(2),
            daily_api_limit: 100_000,
            state_file: None,
            login_host: false,
        }
    }
}

/// What a client needs to connect (also `GET /__emulator/info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesforceInfo {
    /// Consumer key of the seeded External Client App.
    pub client_id: String,
    /// Its consumer secret.
    pub client_secret: String,
    /// The login URL to configure: the My Domain.
    pub login_url: String,
    /// The instance URL tokens report (the same My Domain).
    pub instance_url: String,
    /// The generic login host (`login.salesforce.com` look-alike), when running.
    pub generic_login_url: Option<String>,
    /// Organization id.
    pub org_id: String,
    /// Username of the app's run-as user.
    pub username: String,
    /// Newest API version served, e.g. `63.0`.
    pub api_version: String,
}

/// A running Salesforce emulator.
pub struct SalesforceEmulator {
    base_url: String,
    common: Common,
    state: SfState,
    state_file: Option<PathBuf>,
    server: RunningServer,
    login_server: Option<RunningServer>,
}

impl SalesforceEmulator {
    /// Binds its listener(s), builds or loads the org, and starts serving.
    pub async fn start(options: SalesforceOptions) -> io::Result<Self> {
        let common = Common::default();
        let listener = BoundListener::bind(&options.server, "salesforce")?;
        let base_url = listener.base_url();
        let login = if options.login_host {
            let opts = ServerOptions {
                port: 0,
                tls_dir: options.server.tls_dir.clone(),
            };
            Some(BoundListener::bind(&opts, "salesforce-login")?)
        } else {
            None
        };
        let settings = Settings {
            daily_api_limit: options.daily_api_limit,
            token_ttl_secs: options.token_ttl.num_seconds(),
        };
        let loaded = match &options.state_file {
            Some(path) if path.exists() => Some(load(path)?),
            _ => None,
        };
        let (org, primary) = match loaded {
            Some((org, primary)) => (org, primary),
            None => seed::build(options.seed, settings.clone(), common.clock.now()),
        };
        let state = SfState {
            org: Arc::new(Mutex::new(org)),
            instance_url: base_url.clone(),
            generic_login_url: login.as_ref().map(BoundListener::base_url),
            seed: options.seed,
            primary_client_id: Arc::new(Mutex::new(primary)),
            default_settings: settings,
        };
        let server = {
            let common = common.clone();
            let state = state.clone();
            listener.serve(HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(common.clone()))
                    .app_data(web::Data::new(state.clone()))
                    .app_data(web::PayloadConfig::new(http::MAX_BODY))
                    .wrap(middleware::from_fn(intercept))
                    .configure(crate::common::control::configure)
                    .configure(control::configure)
                    .configure(http::configure)
            }))?
        };
        let login_server = match login {
            Some(listener) => {
                let common = common.clone();
                Some(listener.serve(HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(common.clone()))
                        .wrap(middleware::from_fn(intercept))
                        .configure(http::configure_login_host)
                }))?)
            }
            None => None,
        };
        tracing::info!(%base_url, "Salesforce emulator started");
        Ok(Self {
            base_url,
            common,
            state,
            state_file: options.state_file,
            server,
            login_server,
        })
    }

    /// The emulated My Domain, which is also the instance URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Credentials and URLs for a client.
    pub fn info(&self) -> SalesforceInfo {
        control::info(&self.state)
    }

    /// The shared control plane (clock, faults, request log).
    pub fn common(&self) -> &Common {
        &self.common
    }

    /// The PEM certificate to trust when serving HTTPS.
    pub fn cert_path(&self) -> Option<PathBuf> {
        self.server.cert_path.clone()
    }

    /// Stops serving; saves the org to the state file when one is configured.
    pub async fn stop(self) {
        self.server.stop().await;
        if let Some(login) = self.login_server {
            login.stop().await;
        }
        if let Some(path) = &self.state_file {
            let primary = self.state.primary_client_id.lock().clone();
            if let Err(e) = save(path, &self.state.org.lock(), &primary) {
                tracing::warn!(error = %e, path = %path.display(), "could not save emulator state");
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    primary_client_id: String,
    org: Org,
}

fn load(path: &std::path::Path) -> io::Result<(Org, String)> {
    let bytes = std::fs::read(path)?;
    let state: StateFile = serde_json::from_slice(&bytes).map_err(io::Error::other)?;
    Ok((state.org, state.primary_client_id))
}

fn save(path: &std::path::Path, org: &Org, primary: &str) -> io::Result<()> {
    let state = StateFile {
        primary_client_id: primary.to_string(),
        org: org.clone(),
    };
    let bytes = serde_json::to_vec(&state).map_err(io::Error::other)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}
