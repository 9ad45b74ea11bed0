//! Catch-up subscriptions: read history in pages, then follow the head as it moves.
//!
//! Projection runners and the audit stream both need "every event after position N, in order,
//! forever". Written once against `Arc<dyn EventStore>`, this is the state machine KurrentDB
//! calls catch-up then live: while the subscriber is behind, it pages through
//! [`EventStore::read_all`]; once caught up it awaits the head watch channel, which the writer
//! bumps after each flushed commit. There is no polling and no timer: a subscription costs
//! nothing while the log is quiet. The position it returns is the caller's checkpoint; the
//! subscription itself stores nothing.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::watch;

use super::{EventStore, RecordedEvent, StoreError};

/// Events fetched per `read_all` call while catching up.
pub const DEFAULT_PAGE_SIZE: usize = 500;

/// An ordered, gap-checked stream of every event after a position.
pub struct Subscription {
    /// The store it reads from.
    store: Arc<dyn EventStore>,
    /// Sequence number of the last event handed out (the caller's checkpoint).
    position: u64,
    /// Events fetched but not yet handed out.
    buffer: VecDeque<RecordedEvent>,
    /// Head notifications from the writer.
    head: watch::Receiver<u64>,
    /// Events per catch-up page.
    page_size: usize,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("position", &self.position)
            .field("buffered", &self.buffer.len())
            .field("page_size", &self.page_size)
            .finish()
    }
}

impl Subscription {
    /// Subscribes to every event with `seq > after_seq`.
    pub fn new(store: Arc<dyn EventStore>, after_seq: u64) -> Self {
        Self::with_page_size(store, after_seq, DEFAULT_PAGE_SIZE)
    }

    /// Same as [`Subscription::new`] with a custom catch-up page size (at least 1).
    pub fn with_page_size(store: Arc<dyn EventStore>, after_seq: u64, page_size: usize) -> Self {
        let head = store.watch_head();
        Self {
            store,
            position: after_seq,
            buffer: VecDeque::new(),
            head,
            page_size: page_size.max(1),
        }
    }

    /// The sequence number of the last event returned by [`Subscription::next`] (or the
    /// starting position).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The next event, waiting for one to be committed if the subscriber is caught up.
    ///
    /// Fails with [`StoreError::Closed`] once the store is closed and everything committed has
    /// been delivered, and with [`StoreError::Corrupt`] if the log has a gap.
    pub async fn next(&mut self) -> Result<RecordedEvent, StoreError> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.position = event.seq;
                return Ok(event);
            }
            let head = *self.head.borrow_and_update();
            if head > self.position {
                self.fetch_page(head).await?;
                continue;
            }
            // Caught up: sleep until the writer publishes a new head.
            if self.head.changed().await.is_err() {
                // The writer is gone; deliver anything committed before it went.
                if self.store.head() > self.position {
                    self.fetch_page(self.store.head()).await?;
                    continue;
                }
                return Err(StoreError::Closed);
            }
        }
    }

    /// Like [`Subscription::next`], but returns `None` instead of waiting when caught up.
    pub async fn try_next(&mut self) -> Result<Option<RecordedEvent>, StoreError> {
        if self.buffer.is_empty() {
            let head = self.store.head();
            if head <= self.position {
                return Ok(None);
            }
            self.fetch_page(head).await?;
        }
        Ok(self.buffer.pop_front().inspect(|e| self.position = e.seq))
    }

    async fn fetch_page(&mut self, head: u64) -> Result<(), StoreError> {
        let page = self.store.read_all(self.position, self.page_size).await?;
        for (expected, event) in (self.position + 1..).zip(&page) {
            if event.seq != expected {
                return Err(StoreError::Corrupt {
                    detail: format!(
                        "gap in the log: expected seq {expected}, read {}",
                        event.seq
                    ),
                });
            }
        }
        if page.is_empty() {
            return Err(StoreError::Corrupt {
                detail: format!("head is {head} but no event follows seq {}", self.position),
            });
        }
        self.buffer.extend(page);
        Ok(())
    }
}

/// `store.subscribe(after_seq)` on a shared store.
pub trait SubscribeExt {
    /// Subscribes to every event with `seq > after_seq` (see [`Subscription`]).
    fn subscribe(&self, after_seq: u64) -> Subscription;
}

impl SubscribeExt for Arc<dyn EventStore> {
    fn subscribe(&self, after_seq: u64) -> Subscription {
        Subscription::new(Arc::clone(self), after_seq)
    }
}
