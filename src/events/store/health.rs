//! Whether the store still accepts writes, and a switch that makes it stop on purpose.
//!
//! The writer stops accepting appends after a failed write or flush (a full disk, an I/O
//! error): continuing could acknowledge something that is not durable. The service must then
//! say so where monitoring looks (`/readyz`, `/metrics`) instead of answering every request with
//! a 500. [`WriterHealth`] is the slot the writer fills with the cause; [`WriteFault`] is the
//! public seam tests and failure drills use to make the next group commit fail the way a full
//! disk would, through the real error path.

use std::sync::Arc;

use parking_lot::Mutex;

/// The cause the writer stopped with, shared between the writer thread and readers.
#[derive(Debug, Clone, Default)]
pub struct WriterHealth(Arc<Mutex<Option<String>>>);

impl WriterHealth {
    /// Records why the writer stopped (the first cause wins).
    pub fn fail(&self, cause: impl Into<String>) {
        let mut slot = self.0.lock();
        if slot.is_none() {
            *slot = Some(cause.into());
        }
    }

    /// Why the writer stopped accepting appends, if it did.
    pub fn failure(&self) -> Option<String> {
        self.0.lock().clone()
    }
}

/// A switch that makes the store's group commits fail with a chosen cause, as a full disk
/// would: the writer reports the failure to the waiting callers and stops accepting appends.
///
/// Give it to the store through its options (and to the application through
/// `StoreSettings::write_fault`); nothing happens until [`WriteFault::fail_writes`] is called.
#[derive(Debug, Clone, Default)]
pub struct WriteFault(Arc<Mutex<Option<String>>>);

impl WriteFault {
    /// An unarmed switch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later group commit fail with `cause` (as an I/O error).
    pub fn fail_writes(&self, cause: impl Into<String>) {
        *self.0.lock() = Some(cause.into());
    }

    /// The armed cause, if any.
    pub fn armed(&self) -> Option<String> {
        self.0.lock().clone()
    }
}
