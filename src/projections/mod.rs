//! Read models built from the log: the link index, the issue panel and the admin view. A link's
//! history needs no view: it is the link's own stream, read by [`crate::audit::replay`].
//!
//! A projection is a deterministic fold of events into rows of its own view tree. The runner
//! ([`runner`]) feeds it every event after its checkpoint, in pages, and commits the page's rows
//! together with the new checkpoint, so after a crash a view is exactly the fold of the log up
//! to its checkpoint. Views are derived data: `rebuild` replays the log into a fresh tree while
//! the old one keeps serving, and `verify` refolds in memory and diffs against what is stored.

pub mod admin;
pub mod links;
pub mod panel;
pub mod rows;
pub mod runner;

pub use rows::{read_json, scan_json, RowSource, Rows, TreeRows};
pub use runner::{ProjectionHandle, Projections, RebuildReport, ViewDiff};

use crate::events::store::{RecordedEvent, StoreError};
use crate::events::{AnyEvent, DecodeError};

/// Why a projection could not fold an event.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The view store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A stored row could not be read back.
    #[error("row {key:?} of view {view} is unreadable: {message}")]
    Row {
        /// The view.
        view: String,
        /// The row key, lossily decoded.
        key: String,
        /// serde's message.
        message: String,
    },
}

/// A deterministic fold of the log into one view.
///
/// `apply` must be free of side effects and randomness: given the same events it writes the same
/// rows, which is what makes rebuild and verify meaningful.
pub trait Projection: Send + Sync + 'static {
    /// Short name; the view tree is `{name}:v{version}:g{generation}`.
    fn name(&self) -> &'static str;

    /// Version of the row format. Bumping it makes the next start rebuild the view.
    fn version(&self) -> u32;

    /// Folds one event into the rows.
    fn apply(
        &self,
        event: &RecordedEvent,
        decoded: &AnyEvent,
        rows: &mut Rows<'_>,
    ) -> Result<(), ProjectionError>;
}

/// Projections earlier versions ran and this one does not: their views are dropped at start.
/// `timeline` copied every link event three times (by link, issue and record) although the
/// link history reads the link's stream; it was most of the data directory.
pub const RETIRED: &[&str] = &["timeline"];

/// The projections sfjira runs, in one list.
pub fn all() -> Vec<std::sync::Arc<dyn Projection>> {
    vec![
        std::sync::Arc::new(links::LinkIndex),
        std::sync::Arc::new(panel::PanelView),
        std::sync::Arc::new(admin::AdminView),
    ]
}
