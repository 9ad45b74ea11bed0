//! Events of one Smart Connected Item (stream `item-{id}`): its definition over time.
//!
//! The whole definition is recorded on every change, so any later decision can be read against
//! the exact configuration in force when it was made.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::codec::Catalogued;
use super::link::Trigger;
use crate::domain::item::ItemDefinition;

/// What was true of the remote systems when the item was saved, kept so views can label things
/// without calling them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemContext {
    /// The module (group) of the object: `Service Cloud`, `CRM`, …, `Custom Objects`.
    pub module: String,
    /// The object's label.
    pub object_label: String,
    /// The Jira issue type's name, for synchronised items.
    pub issue_type_name: Option<String>,
    /// Field API name → label (expanded, e.g. `Account Name`) of preview and mapped fields.
    pub field_labels: BTreeMap<String, String>,
    /// Newest `SystemModstamp` of the object when the item was saved: scheduled runs start
    /// after it, so saving an auto-create item does not open issues for the whole history.
    pub baseline: Option<DateTime<Utc>>,
}

/// Payload of `item.defined`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDefined {
    /// The configuration.
    pub definition: ItemDefinition,
    /// Labels and baseline at saving.
    pub context: ItemContext,
    /// Warnings shown to the admin when it was saved (e.g. unmapped required fields).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Payload of `item.changed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemChanged {
    /// The new configuration, whole.
    pub definition: ItemDefinition,
    /// Labels and baseline at saving.
    pub context: ItemContext,
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
