//! Events of one Smart Connected Item (stream `item-{id}`): its definition over time.
//!
//! The whole definition is recorded on every change, so any later decision can be read against
//! the exact configuration in force when it was made.

use serde::{Deserialize, Serialize};

use super::codec::Catalogued;
use super::link::Trigger;
use crate::domain::item::ItemDefinition;

/// Payload of `item.defined`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDefined {
    /// The configuration.
    pub definition: ItemDefinition,
    /// Warnings shown to the admin when it was saved (e.g. unmapped required fields).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Payload of `item.changed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemChanged {
    /// The new configuration, whole.
    pub definition: ItemDefinition,
    /// Top-level settings that differ from the previous definition.
    pub changed: Vec<String>,
    /// Warnings shown when it was saved.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Payload of `item.deleted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDeleted {
    /// Who deleted it.
    pub trigger: Trigger,
}

/// Every event of an item stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ItemEvent {
    /// The item was created.
    #[serde(rename = "item.defined")]
    Defined(ItemDefined),
    /// The item was edited.
    #[serde(rename = "item.changed")]
    Changed(ItemChanged),
    /// The item was deleted; its links stop syncing.
    #[serde(rename = "item.deleted")]
    Deleted(ItemDeleted),
}

impl Catalogued for ItemEvent {
    const PREFIX: &'static str = "item.";

    fn event_type(&self) -> &'static str {
        match self {
            ItemEvent::Defined(_) => "item.defined",
            ItemEvent::Changed(_) => "item.changed",
            ItemEvent::Deleted(_) => "item.deleted",
        }
    }
}
