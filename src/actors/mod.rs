//! Actors own the I/O around the pure rules: one [`link::LinkActor`] per issue↔record link, a
//! [`registry::LinkRegistry`] that activates and passivates them, the reconciliation
//! [`scheduler::Scheduler`], and the projection runners.
//!
//! ```text
//!  Application (startup.rs)
//!   ├── HTTP workers (actix-web) ──────── commands ──┐
//!   ├── actor runtime (own thread, actix System)      │
//!   │    ├── Scheduler ── tick every sync.interval ── fans out to items (bounded)
//!   │    │                    └── ItemReconciler ── registry.run(link, work) ──┐
//!   │    │                        (sync.links_in_flight links at once)         │
//!   │    └── worker arbiters × actors.threads (one thread each)                │
//!   │         └── LinkActor × active links ◄── LinkRegistry (activate on demand on the
//!   │              worker the link id hashes to; stop when idle, freeing the state)
//!   ├── projection runtime (own thread): one runner per projection, catch-up then live
//!   └── EventStore writer thread: group commit, flush, publish head
//! ```
//!
//! Supervision is by re-activation: a link actor that stops (idle, or failed to hydrate) removes
//! itself from the registry and is simply started again on the next message, and hydrates from
//! its stream, so no state lives only in memory and idle links cost none. A message lost with a
//! stopping actor is retried once through a fresh one.

pub mod link;
pub mod registry;
pub mod runtime;
pub mod scheduler;

pub use link::{LinkActor, LinkError, LinkSession, LinkWork};
pub use registry::{LinkLookup, LinkRegistry};
pub use runtime::BackgroundRuntime;
pub use scheduler::{Reconciler, Scheduler, SchedulerError};
