//! The conformance cases, one plain async function each over `Arc<dyn EventStore>`, grouped by
//! what they exercise; the `conformance!` macro in the crate root runs each against every store.

mod appends;
mod reads;
mod views;

pub use appends::*;
pub use reads::*;
pub use views::*;
