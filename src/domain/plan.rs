//! Observe → decide → act: what a link's work decided, as data.
//!
//! A unit of link work first gathers an observation (what the remote sides show, read with as
//! few calls as it needs), then a pure planner here turns the link's state, the item's
//! definition and that observation into a [`Plan`]: the remote effects to perform, in order,
//! and the events to record once they all succeeded. The engine's executor performs the effects
//! and records the events; it decides nothing. So every rule can be tested as given (past
//! events) / when (an observation) / then (a plan), in milliseconds, without either system.

pub mod status;

#[cfg(test)]
pub(crate) mod given;

use super::link::events::LinkEvent;

/// A remote write the executor performs for a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Move the linked Jira issue through this workflow transition.
    TransitionIssue {
        /// The transition's id.
        transition_id: String,
        /// The status it leads to, for logs.
        to: String,
    },
    /// Write one field of the linked Salesforce record.
    UpdateRecordField {
        /// The field's API name.
        field: String,
        /// The value to write.
        value: String,
    },
}

/// What a link's work decided: effects to perform in order, then events to record. A plan
/// with neither costs nothing: no call, no append.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Remote writes, in order; the events are recorded only when all succeeded.
    pub effects: Vec<Effect>,
    /// Facts to record after the effects.
    pub events: Vec<LinkEvent>,
}

impl Plan {
    /// A plan that does nothing.
    pub fn nothing() -> Self {
        Self::default()
    }

    /// A plan that only records `events` (no remote write).
    pub fn record(events: Vec<LinkEvent>) -> Self {
        Self {
            effects: Vec::new(),
            events,
        }
    }

    /// A plan that performs `effect` and then records `event`.
    pub fn write(effect: Effect, event: LinkEvent) -> Self {
        Self {
            effects: vec![effect],
            events: vec![event],
        }
    }

    /// Whether the plan does nothing at all.
    pub fn is_empty(&self) -> bool {
        self.effects.is_empty() && self.events.is_empty()
    }
}
