//! The event log's vocabulary and its storage.
//!
//! Everything sfjira knows is a fact in one append-only log. [`store`] keeps raw, hash-chained
//! envelopes durable and ordered; the catalogue (one module per stream kind) gives those
//! envelopes their typed meaning as past-tense events with a stable type string and a schema
//! version; [`upcast`] lets an event written by an older release be read as the current shape
//! without ever rewriting it.
//!
//! Streams: `connection`, `item-{id}`, `link-{id}`, `scheduler`, `webhook-{id}` (one per Jira
//! delivery, named from its identifier).

pub mod codec;
pub mod connection;
pub mod item;
pub mod link;
pub mod scheduler;
pub mod store;
pub mod upcast;
pub mod webhook;

pub use codec::{decode, encode, encode_with_id, Catalogued, DecodeError, Meta};

use crate::domain::ids::{ItemId, LinkId};
use store::{RecordedEvent, StreamId};

/// Any catalogued event, decoded by its type prefix.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyEvent {
    /// From a link stream.
    Link(link::LinkEvent),
    /// From an item stream.
    Item(item::ItemEvent),
    /// From the connection stream.
    Connection(connection::ConnectionEvent),
    /// From the scheduler stream.
    Scheduler(scheduler::SchedulerEvent),
    /// From the webhook inbox.
    Webhook(webhook::WebhookEvent),
}

impl AnyEvent {
    /// Decodes any stored event (upcasting as needed).
    pub fn decode(recorded: &RecordedEvent) -> Result<Self, DecodeError> {
        let t = recorded.event_type.as_str();
        Ok(if t.starts_with(link::LinkEvent::PREFIX) {
            Self::Link(decode(recorded)?)
        } else if t.starts_with(item::ItemEvent::PREFIX) {
            Self::Item(decode(recorded)?)
        } else if t.starts_with(connection::ConnectionEvent::PREFIX) {
            Self::Connection(decode(recorded)?)
        } else if t.starts_with(scheduler::SchedulerEvent::PREFIX) {
            Self::Scheduler(decode(recorded)?)
        } else if t.starts_with(webhook::WebhookEvent::PREFIX) {
            Self::Webhook(decode(recorded)?)
        } else {
            return Err(DecodeError::UnknownType {
                seq: recorded.seq,
                event_type: recorded.event_type.clone(),
                expected: "catalogued",
            });
        })
    }
}

/// Stream names, in one place.
pub mod streams {
    use super::*;

    /// `link-{uuid}`.
    pub fn link(id: LinkId) -> StreamId {
        named(format!("link-{id}"))
    }

    /// `item-{uuid}`.
    pub fn item(id: ItemId) -> StreamId {
        named(format!("item-{id}"))
    }

    /// `connection`.
    pub fn connection() -> StreamId {
        named("connection".into())
    }

    /// `scheduler`.
    pub fn scheduler() -> StreamId {
        named("scheduler".into())
    }

    /// `webhook-{uuid}`: the stream of one Jira webhook delivery, the uuid v5 of its
    /// `X-Atlassian-Webhook-Identifier`, so Jira's retries of one delivery meet the same stream.
    pub fn webhook_delivery(identifier: &str) -> StreamId {
        let id = uuid::Uuid::new_v5(&DELIVERY_NAMESPACE, identifier.as_bytes());
        named(format!("webhook-{id}"))
    }

    /// Namespace of delivery stream ids (uuid v5 of the webhook identifier).
    const DELIVERY_NAMESPACE: uuid::Uuid =
        uuid::Uuid::from_u128(0x2f0b_8d41_9c3e_4a6f_b15d_70e2_c4a9_5e13);

    /// The link id of a `link-{uuid}` stream.
    pub fn link_id_of(stream: &StreamId) -> Option<LinkId> {
        stream
            .as_str()
            .strip_prefix("link-")
            .and_then(|s| LinkId::parse(s).ok())
    }

    /// The item id of an `item-{uuid}` stream.
    pub fn item_id_of(stream: &StreamId) -> Option<ItemId> {
        stream
            .as_str()
            .strip_prefix("item-")
            .and_then(|s| ItemId::parse(s).ok())
    }

    fn named(name: String) -> StreamId {
        // Every name built here is short, non-empty ASCII without NUL.
        StreamId::parse(name).unwrap_or_else(|e| unreachable!("stream name {e}"))
    }
}

/// Every event type this release writes, with its current schema version. `docs/events.md` and
/// the golden fixtures under `tests/fixtures/events/` cover each of them (tests check both).
pub const EVENT_TYPES: &[&str] = &[
    "link.linked",
    "link.unlinked",
    "link.record_observed",
    "link.field_pulled",
    "link.field_pushed",
    "link.field_in_step",
    "link.status_won",
    "link.status_not_written",
    "link.comment_paired",
    "link.comment_updated",
    "link.attachment_paired",
    "link.attachment_skipped",
    "link.note_written",
    "link.issue_read",
    "link.sync_failed",
    "link.failure_dismissed",
    "link.remote_write_intended",
    "link.remote_write_unconfirmed",
    "link.remote_write_settled",
    "item.defined",
    "item.changed",
    "item.deleted",
    "connection.validated",
    "connection.revoked",
    "scheduler.run_started",
    "scheduler.run_finished",
    "webhook.received",
];
