//! Turning typed events into stored envelopes and back.
//!
//! Each aggregate's events are one serde enum, adjacently tagged so that the tag is the stable
//! type string (`link.linked`) and the content is the payload. Encoding splits the two into
//! [`EventData`]; decoding first runs the payload through the upcaster chain, so an event stored
//! by an older release is read as the current shape without ever being rewritten.

use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use super::store::{EventData, RecordedEvent};
use super::upcast::{self, UpcastError};

/// Causation and correlation of an event being written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meta {
    /// The event or request that caused this one.
    pub causation_id: Option<Uuid>,
    /// The run or request this belongs to.
    pub correlation_id: Option<Uuid>,
}

/// An aggregate's event enum, known to the catalogue.
pub trait Catalogued: Serialize + DeserializeOwned {
    /// The type-string prefix of this family, e.g. `link.`.
    const PREFIX: &'static str;

    /// The stable type string of this event.
    fn event_type(&self) -> &'static str;
}

/// Why a stored event could not be read as a typed event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The type string belongs to another family or is unknown.
    #[error("event {seq} has type {event_type:?}, which is not a known {expected} event")]
    UnknownType {
        /// Global sequence of the event.
        seq: u64,
        /// Its type string.
        event_type: String,
        /// The family that was expected.
        expected: &'static str,
    },
    /// No upcaster path leads from the stored version to the current one.
    #[error("event {seq}: {source}")]
    Upcast {
        /// Global sequence of the event.
        seq: u64,
        /// The upcaster's complaint.
        source: UpcastError,
    },
    /// The (upcast) payload does not fit the current shape.
    #[error("event {seq} of type {event_type:?} does not fit its schema: {message}")]
    Payload {
        /// Global sequence of the event.
        seq: u64,
        /// Its type string.
        event_type: String,
        /// serde's message.
        message: String,
    },
}

/// Encodes a typed event for appending, with a fresh uuid v7 event id.
pub fn encode<E: Catalogued>(event: &E, meta: Meta) -> EventData {
    encode_with_id(event, Uuid::now_v7(), meta)
}

/// Encodes a typed event with a chosen event id (used to make an append idempotent).
pub fn encode_with_id<E: Catalogued>(event: &E, event_id: Uuid, meta: Meta) -> EventData {
    let event_type = event.event_type();
    // Serialising a plain data enum to a JSON value cannot fail: no maps with non-string keys.
    let payload = match serde_json::to_value(event) {
        Ok(serde_json::Value::Object(mut tagged)) => tagged
            .remove("data")
            .unwrap_or(serde_json::Value::Object(Default::default())),
        _ => serde_json::Value::Null,
    };
    EventData {
        event_id,
        event_type: event_type.to_string(),
        schema_version: upcast::current_version(event_type),
        payload,
        causation_id: meta.causation_id,
        correlation_id: meta.correlation_id,
    }
}

/// Reads a stored event as `E`, upcasting old schema versions first.
pub fn decode<E: Catalogued>(recorded: &RecordedEvent) -> Result<E, DecodeError> {
    if !recorded.event_type.starts_with(E::PREFIX) {
        return Err(DecodeError::UnknownType {
            seq: recorded.seq,
            event_type: recorded.event_type.clone(),
            expected: E::PREFIX,
        });
    }
    let payload = upcast::upcast(
        &recorded.event_type,
        recorded.schema_version,
        recorded.payload.clone(),
    )
    .map_err(|source| DecodeError::Upcast {
        seq: recorded.seq,
        source,
    })?;
    let tagged = serde_json::json!({"type": recorded.event_type, "data": payload});
    serde_json::from_value(tagged).map_err(|e| DecodeError::Payload {
        seq: recorded.seq,
        event_type: recorded.event_type.clone(),
        message: e.to_string(),
    })
}
