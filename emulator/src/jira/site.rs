//! One emulated Jira site: its state behind a lock, its base URL, the shared control plane, and
//! the limits and policies it was started with.
//!
//! Every handler receives the site as `web::Data<Site>`; keeping everything an endpoint may
//! need in one place makes the handlers plain functions of (site, caller, request).

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use parking_lot::RwLock;

use super::model::State;
use super::webhooks::delivery::DeliveryLog;
use super::{seed, JiraInfo, JiraOptions, WebhookRetry};
use crate::common::{Common, Seed};

/// The emulated site.
pub struct Site {
    /// `http://127.0.0.1:<port>` (or https).
    pub base_url: String,
    /// Certificate to trust when serving HTTPS.
    pub cert_path: Option<PathBuf>,
    /// Clock, faults and request log.
    pub common: Common,
    /// All data.
    pub state: RwLock<State>,
    /// Largest accepted attachment, in bytes.
    pub upload_limit: u64,
    /// Retry policy of webhook deliveries.
    pub webhook_retry: WebhookRetry,
    /// Every webhook delivery attempt.
    pub deliveries: DeliveryLog,
    /// Client used to deliver webhooks.
    pub http: reqwest::Client,
    /// How long new issues stay out of JQL results.
    pub search_index: super::index_lag::SearchIndexLag,
}

impl Site {
    /// Builds the site from the state file when it exists, otherwise from the seed.
    pub fn new(
        base_url: String,
        cert_path: Option<PathBuf>,
        common: Common,
        options: &JiraOptions,
    ) -> io::Result<Self> {
        let now = common.clock.now();
        let state = match &options.state_file {
            Some(path) if path.exists() => {
                let bytes = std::fs::read(path)?;
                serde_json::from_slice(&bytes).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("state file {}: {e}", path.display()),
                    )
                })?
            }
            _ => seed::build(options.seed, now),
        };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(io::Error::other)?;
        Ok(Self {
            base_url,
            cert_path,
            common,
            state: RwLock::new(state),
            upload_limit: options.upload_limit,
            webhook_retry: options.webhook_retry,
            deliveries: DeliveryLog::default(),
            http,
            search_index: Default::default(),
        })
    }

    /// The emulated current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.common.clock.now()
    }

    /// Credentials of the first admin user.
    pub fn info(&self) -> JiraInfo {
        let state = self.state.read();
        let admin = state.users.iter().find(|u| u.admin);
        JiraInfo {
            base_url: self.base_url.clone(),
            email: admin.map(|u| u.email.clone()).unwrap_or_default(),
            api_token: admin
                .and_then(|u| u.api_tokens.first().cloned())
                .unwrap_or_default(),
            account_id: admin.map(|u| u.account_id.clone()).unwrap_or_default(),
            bearer_token: admin
                .and_then(|u| u.bearer_tokens.first().cloned())
                .unwrap_or_default(),
            cert_path: self.cert_path.clone(),
        }
    }

    /// Replaces all data with a fresh seed and forgets the delivery log.
    pub fn reset(&self, seed: Seed) {
        let fresh = seed::build(seed, self.now());
        *self.state.write() = fresh;
        self.deliveries.reset();
    }

    /// Writes the state as JSON (atomically, through a temporary file).
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let bytes = serde_json::to_vec(&*self.state.read()).map_err(io::Error::other)?;
        let tmp = path.with_extension("tmp");
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)
    }
}
