//! sfjira keeps Jira issues and Salesforce records in step, and can prove every decision it made.
//!
//! Every issue↔record link is an actor whose history is an append-only stream of facts in one
//! event log on sled. Pure rules decide what to do, actors do it through typed REST clients and
//! record what was done, projections turn the log into the views the admin page and the issue
//! panel read, and auditors replay any stream to see why.
//!
//! # Layout
//!
//! - [`domain`]: the pure sync rules (ids, the link aggregate with its events' vocabulary,
//!   status matching, comment and attachment pairing, echo detection, ADF ⇄ text, and in
//!   `domain::plan` the plans a link's work decides). No I/O, no async; it imports nothing
//!   from the other modules.
//! - [`events`]: the event catalogue (names, versions, the other streams' events, the Jira
//!   webhook events sfjira handles), stream names, envelopes, codec, upcasting and the
//!   [`events::store`] (the `EventStore` trait, the sled implementation, an in-memory reference
//!   store and the catch-up subscription).
//! - [`actors`]: link actors (spread over a pool of worker threads by link id, stopped when
//!   idle), the link registry, the reconciliation scheduler and the projection runners, with a
//!   diagram of who supervises whom.
//! - [`connectors`]: typed Salesforce and Jira REST clients with retry classification.
//! - [`projections`]: read models (link index, issue panel, admin view) rebuilt from the log.
//! - [`audit`]: hash-chain verification and replay of a stream as a timeline.
//! - [`engine`]: what handlers and the scheduler call: the connection, items, the panel's
//!   operations, reconciliation, the webhook inbox with its `process_pending()` step, and in
//!   `engine::work` the units a link's actor runs, in folders named for their direction
//!   (`salesforce_to_jira`, `jira_to_salesforce`): each observes, asks a `domain::plan`
//!   planner, and hands the plan to `engine::work::execute`. It knows nothing of HTTP.
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
pub mod engine;
pub mod events;
pub mod http;
pub mod metrics;
pub mod projections;
pub mod secrets;
pub mod startup;
pub mod telemetry;
