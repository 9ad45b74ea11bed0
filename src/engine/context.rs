//! The engine's shared context: the clients, the log, the link registry, the views and the
//! metadata cache, in one place every unit of sync work can reach.
//!
//! The Salesforce client changes when the admin connects or revokes, so it sits behind a lock
//! and work takes a clone (clients are cheap to clone and share their token and counters).

use std::sync::Arc;

use parking_lot::RwLock;

use super::metadata::MetadataCache;
use super::SyncError;
use crate::actors::LinkRegistry;
use crate::config::Settings;
use crate::connectors::jira::JiraClient;
use crate::connectors::salesforce::SalesforceClient;
use crate::events::store::EventStore;
use crate::projections::{admin, links, panel, ProjectionHandle, Projections};
use crate::secrets::SecretVault;

/// The vault entry of the Salesforce client secret.
pub const SALESFORCE_SECRET: &str = "salesforce.client_secret";

/// Everything sync work needs.
pub struct Engine {
    /// The settings the application started with.
    pub settings: Arc<Settings>,
    /// The event log.
    pub store: Arc<dyn EventStore>,
    /// The link actors.
    pub registry: Arc<LinkRegistry>,
    /// The read models.
    pub projections: Projections,
    /// Secrets at rest.
    pub vault: SecretVault,
    /// Cached remote metadata.
    pub metadata: MetadataCache,
    /// Pauses asked for by overloaded remote systems.
    pub throttle: super::throttle::Throttle,
    salesforce: RwLock<Option<SalesforceClient>>,
    jira: Option<JiraClient>,
}

impl Engine {
    /// An engine; the Salesforce client is set by [`super::connection`] once connected.
    pub fn new(
        settings: Arc<Settings>,
        store: Arc<dyn EventStore>,
        registry: Arc<LinkRegistry>,
        projections: Projections,
        vault: SecretVault,
        jira: Option<JiraClient>,
    ) -> Self {
        Self {
            settings,
            store,
            registry,
            projections,
            vault,
            metadata: MetadataCache::default(),
            throttle: super::throttle::Throttle::default(),
            salesforce: RwLock::new(None),
            jira,
        }
    }

    /// The connected Salesforce client.
    pub fn salesforce(&self) -> Result<SalesforceClient, SyncError> {
        self.salesforce
            .read()
            .clone()
            .ok_or(SyncError::NotConnected)
    }

    /// Replaces (or clears) the Salesforce client.
    pub(crate) fn set_salesforce(&self, client: Option<SalesforceClient>) {
        *self.salesforce.write() = client;
        self.metadata.clear();
    }

    /// The Jira client.
    pub fn jira(&self) -> Result<&JiraClient, SyncError> {
        self.jira.as_ref().ok_or(SyncError::JiraNotConfigured)
    }

    /// The Jira site's base URL, for browse links.
    pub fn jira_base_url(&self) -> Option<&str> {
        self.settings.jira.base_url.as_deref()
    }

    /// The admin view.
    pub fn admin_view(&self) -> Result<&Arc<ProjectionHandle>, SyncError> {
        Ok(self.projections.expect(admin::NAME)?)
    }

    /// The panel view.
    pub fn panel_view(&self) -> Result<&Arc<ProjectionHandle>, SyncError> {
        Ok(self.projections.expect(panel::NAME)?)
    }

    /// The link index.
    pub fn link_index(&self) -> Result<&Arc<ProjectionHandle>, SyncError> {
        Ok(self.projections.expect(links::NAME)?)
    }
}
