//! The sync engine: the Salesforce connection, Smart Connected Items, the issue panel's
//! operations, and reconciliation of items against Salesforce and Jira.
//!
//! Everything here is I/O around the pure rules of [`crate::domain`]: it reads metadata and
//! changes through the typed clients, hands per-link work to link actors, and records what it
//! did as events. HTTP handlers call these functions; they hold no sync rules themselves.

pub mod connection;
pub mod context;
pub mod deadletters;
pub mod error;
pub mod fetch;
pub mod inbox;
pub mod items;
pub mod metadata;
pub mod panel;
pub mod reconcile;
pub mod throttle;
pub mod webhook_setup;
pub mod work;

pub use context::Engine;
pub use error::SyncError;
pub use reconcile::EngineReconciler;
