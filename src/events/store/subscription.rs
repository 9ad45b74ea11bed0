//! Catch-up subscriptions: read history in pages, then follow the head as it moves.
//!
//! Projection runners, the webhook inbox and audit replay all need "every event after position
//! N, in order" — forever, or up to what is committed now. This is the one way the crate follows
//! the log. Written once against `Arc<dyn EventStore>`, this is the state machine KurrentDB
//! calls catch-up then live: while the subscriber is behind, it pages through
//! [`EventStore::read_all`]; once caught up it awaits the head watch channel, which the writer
//! bumps after each flushed commit. There is no polling and no timer: a subscription costs
//! nothing while the log is quiet. The position it returns is the caller's checkpoint; the
//! subscription itself stores nothing.
//!
//! Catching up is read-ahead: because the sequence is gap-free, the pages after the current one
//! are known in advance (`(after, after + page]`), so up to [`DEFAULT_READ_AHEAD`] of them are
//! read concurrently while the caller works through the current one. Reading (scanning,
//! decoding, parsing JSON) is most of a projection rebuild, and this spreads it over the cores.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{EventStore, RecordedEvent, StoreError};

/// Events fetched per `read_all` call while catching up.
pub const DEFAULT_PAGE_SIZE: usize = 500;
/// Pages read concurrently while catching up.
pub const DEFAULT_READ_AHEAD: usize = 2;

type PageRead = JoinHandle<Result<Vec<RecordedEvent>, StoreError>>;

/// An ordered, gap-checked stream of every event after a position.
pub struct Subscription {
    /// The store it reads from.
    store: Arc<dyn EventStore>,
    /// Sequence number of the last event handed out (the caller's checkpoint).
    position: u64,
    /// Events fetched but not yet handed out.
    buffer: VecDeque<RecordedEvent>,
    /// Page reads under way, oldest first: (after, count, task).
    in_flight: VecDeque<(u64, u64, PageRead)>,
    /// End of the last page requested (≥ `position`).
    requested_to: u64,
    /// Head notifications from the writer.
    head: watch::Receiver<u64>,
    /// Events per catch-up page.
    page_size: usize,
    /// Most page reads in flight.
    read_ahead: usize,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("position", &self.position)
            .field("buffered", &self.buffer.len())
            .field("in_flight", &self.in_flight.len())
            .field("page_size", &self.page_size)
            .finish()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        for (_, _, task) in &self.in_flight {
            task.abort();
        }
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
            in_flight: VecDeque::new(),
            requested_to: after_seq,
            head,
            page_size: page_size.max(1),
            read_ahead: DEFAULT_READ_AHEAD,
        }
    }

    /// Sets how many pages are read concurrently while catching up (at least 1; 1 reads one
    /// page at a time).
    pub fn read_ahead(mut self, pages: usize) -> Self {
        self.read_ahead = pages.max(1);
        self
    }

    /// The sequence number of the last event returned (or the starting position).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The next event, waiting for one to be committed if the subscriber is caught up.
    ///
    /// Fails with [`StoreError::Closed`] once the store is closed and everything committed has
    /// been delivered, and with [`StoreError::Corrupt`] if the log has a gap.
    pub async fn next(&mut self) -> Result<RecordedEvent, StoreError> {
        self.wait_for_events().await?;
        self.take_one().ok_or(StoreError::Closed)
    }

    /// Up to `max` next events at once (at least one), waiting if caught up: the natural unit
    /// for a projection that commits rows and checkpoint per batch.
    pub async fn next_batch(&mut self, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.wait_for_events().await?;
        let n = self.buffer.len().min(max.max(1));
        let batch: Vec<RecordedEvent> = self.buffer.drain(..n).collect();
        if let Some(last) = batch.last() {
            self.position = last.seq;
        }
        Ok(batch)
    }

    /// Like [`Subscription::next_batch`], but returns an empty batch instead of waiting when
    /// caught up: the unit for "fold everything committed so far, then stop" (a rebuild, a
    /// verify, a replay, draining an inbox).
    pub async fn try_next_batch(&mut self, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        if self.buffer.is_empty() {
            let head = self.store.head();
            if head > self.position {
                self.fetch(head).await?;
            }
        }
        let n = self.buffer.len().min(max.max(1));
        let batch: Vec<RecordedEvent> = self.buffer.drain(..n).collect();
        if let Some(last) = batch.last() {
            self.position = last.seq;
        }
        Ok(batch)
    }

    /// Like [`Subscription::next`], but returns `None` instead of waiting when caught up.
    pub async fn try_next(&mut self) -> Result<Option<RecordedEvent>, StoreError> {
        if self.buffer.is_empty() {
            let head = self.store.head();
            if head > self.position {
                self.fetch(head).await?;
            }
        }
        Ok(self.take_one())
    }

    fn take_one(&mut self) -> Option<RecordedEvent> {
        let event = self.buffer.pop_front()?;
        self.position = event.seq;
        Some(event)
    }

    /// Returns once the buffer holds at least one event.
    async fn wait_for_events(&mut self) -> Result<(), StoreError> {
        while self.buffer.is_empty() {
            let head = *self.head.borrow_and_update();
            if head > self.position {
                self.fetch(head).await?;
                continue;
            }
            // Caught up: sleep until the writer publishes a new head.
            if self.head.changed().await.is_err() {
                // The writer is gone; deliver anything committed before it went.
                let head = self.store.head();
                if head > self.position {
                    self.fetch(head).await?;
                    continue;
                }
                return Err(StoreError::Closed);
            }
        }
        Ok(())
    }

    /// Tops up the page reads up to `head`, then waits for the oldest and buffers it.
    async fn fetch(&mut self, head: u64) -> Result<(), StoreError> {
        while self.in_flight.len() < self.read_ahead && self.requested_to < head {
            let after = self.requested_to;
            let count = (head - after).min(self.page_size as u64);
            let store = Arc::clone(&self.store);
            let task = tokio::spawn(async move { store.read_all(after, count as usize).await });
            self.in_flight.push_back((after, count, task));
            self.requested_to = after + count;
        }
        let Some((after, count, task)) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let page = task
            .await
            .map_err(|e| StoreError::storage("reading ahead", e))??;
        for (expected, event) in (after + 1..).zip(&page) {
            if event.seq != expected {
                return Err(StoreError::Corrupt {
                    detail: format!(
                        "gap in the log: expected seq {expected}, read {}",
                        event.seq
                    ),
                });
            }
        }
        if (page.len() as u64) < count {
            return Err(StoreError::Corrupt {
                detail: format!(
                    "the head is at least {} but no event follows seq {}",
                    after + count,
                    after + page.len() as u64
                ),
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
