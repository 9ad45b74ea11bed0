//! The given/when/then harness for link rules: a link's state from its past events, so a test
//! reads "given these events, when this is observed, then this plan".

use crate::domain::link::events::LinkEvent;
use crate::domain::link::{evolve, LinkState};

/// The state a link has after `events`.
pub fn given(events: &[LinkEvent]) -> LinkState {
    events.iter().fold(LinkState::default(), evolve)
}
