//! sfjira keeps Jira issues and Salesforce records in step, and can prove every decision it made.
//!
//! Every issue↔record link is an actor whose history is an append-only stream of facts in one
//! event log on sled. Pure rules decide what to do, actors do it through typed REST clients and
//! record what was done, projections turn the log into the views the admin page and the issue
//! panel read, and auditors replay any stream to see why.
//!
//! # Layout
//!
//! - [`domain`]: the pure sync rules (ids, the link aggregate, status matching, comment and
//!   attachment pairing, echo detection, ADF ⇄ text). No I/O, no async.
//! - [`events`]: the event catalogue (including the Jira webhook events sfjira handles), stream
//!   names, envelopes, upcasting and the [`events::store`] (the `EventStore` trait, the sled
//!   implementation, an in-memory reference store and the catch-up subscription).
//! - [`actors`]: link actors, the link registry, the reconciliation scheduler and the projection
//!   runners, with a diagram of who supervises whom.
//! - [`connectors`]: typed Salesforce and Jira REST clients with retry classification.
//! - [`projections`]: read models (issue panel, admin view, audit timeline) rebuilt from the log.
//! - [`audit`]: hash-chain verification and replay of a stream as a timeline.
//! - [`sync`]: the engine (connection, items, panel operations, reconciliation, the webhook
//!   inbox with its `process_pending()` step, link work). It knows nothing of HTTP.
//! - [`http`]: actix-web routes, `AppState` (what handlers share) and the single
//!   error-to-response mapping, including the engine's errors.
//! - [`config`] and [`startup`]: typed settings and the application wiring.
//!
//! Whatever reads the log in order (projection runners, the webhook inbox, audit replay) follows
//! it through the store's catch-up [`events::store::Subscription`]. This library does not depend
//! on the emulator crate: the `sfjira` binary is the workspace package `cli/`, which alone does
//! (for `sfjira demo` and `sfjira emulate`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod actors;
pub mod audit;
pub mod config;
pub mod connectors;
pub mod domain;
pub mod events;
pub mod http;
pub mod metrics;
pub mod projections;
pub mod secrets;
pub mod startup;
pub mod sync;
pub mod telemetry;
