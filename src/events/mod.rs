//! The event log's vocabulary and its storage.
//!
//! Everything sfjira knows is a fact in one append-only log. [`store`] keeps raw, hash-chained
//! envelopes durable and ordered; the catalogue gives those envelopes their typed meaning
//! (past-tense events with a stable type string and a schema version), and upcasting lets an
//! event written by an older release be read as the current shape without ever rewriting it.

pub mod store;
