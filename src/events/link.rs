//! The link stream's place in the log: its events (the link aggregate's vocabulary, defined in
//! [`crate::domain::link::events`]) under the `link.` prefix of the catalogue.

pub use crate::domain::link::events::*;

use super::codec::Catalogued;

impl Catalogued for LinkEvent {
    const PREFIX: &'static str = "link.";

    fn event_type(&self) -> &'static str {
        self.name()
    }
}
