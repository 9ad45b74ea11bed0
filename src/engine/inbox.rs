//! The Jira webhook inbox: every recorded `webhook.received` event is handed to the actors of
//! the links of its issue, in log order, with a checkpoint.
//!
//! The HTTP route only verifies and records; the inbox does the work afterwards, so Jira gets
//! its 2xx at once and nothing received is lost: after a crash it resumes from its checkpoint
//! and re-runs at most the last batch, which is harmless because link work recognises what it
//! already did.
//!
//! It follows the log through the store's catch-up subscription, one for the inbox, behind a
//! lock. [`Inbox::process_pending`] is the step: everything recorded when it was called is
//! processed when it returns. The background runner ([`Inbox::run`]) takes that step each
//! time the head moves; tests take it themselves to know a delivery was processed before they
//! assert what it did (or did not) cause.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::reconcile::snapshot;
use super::work::jira_to_salesforce::PushWork;
use super::Engine;
use crate::connectors::jira::Issue;
use crate::domain::ids::JiraIssueKey;
use crate::domain::link::events::Trigger;
use crate::events::store::{RecordedEvent, StoreError, Subscription};
use crate::events::webhook::{WebhookEvent, WebhookReceived};
use crate::events::{decode, Meta};

/// The view-meta key of the processor's checkpoint.
const CHECKPOINT: &str = "webhook-processor:checkpoint";

/// Events read per batch.
const PAGE: usize = 200;

/// Deliveries processed at once.
const IN_FLIGHT: usize = 8;

fn checkpoint(engine: &Engine) -> u64 {
    engine
        .store
        .views()
        .get_meta(CHECKPOINT)
        .ok()
        .flatten()
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

fn save_checkpoint(engine: &Engine, seq: u64) {
    if let Err(error) = engine
        .store
        .views()
        .set_meta(CHECKPOINT, Some(seq.to_be_bytes().to_vec()))
    {
        tracing::error!(%error, "saving the webhook checkpoint");
    }
}

/// The webhook inbox of one application.
pub struct Inbox {
    engine: Arc<Engine>,
    /// The inbox's subscription; holding the lock is what makes one step at a time.
    following: tokio::sync::Mutex<Subscription>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("checkpoint", &checkpoint(&self.engine))
            .finish()
    }
}

impl Inbox {
    /// An inbox resuming from its stored checkpoint.
    pub fn new(engine: Arc<Engine>) -> Arc<Self> {
        let following = tokio::sync::Mutex::new(subscribe(&engine, checkpoint(&engine)));
        Arc::new(Self { engine, following })
    }

    /// Processes every delivery recorded so far (at least up to the head as it was when called)
    /// and returns how many deliveries it handed to link actors. Concurrent calls take turns.
    pub async fn process_pending(&self) -> Result<usize, StoreError> {
        let target = self.engine.store.head();
        let mut following = self.following.lock().await;
        let saved = checkpoint(&self.engine);
        if following.position() != saved {
            // A step was abandoned half-way (its caller went away): resume from what was saved.
            *following = subscribe(&self.engine, saved);
        }
        let mut handled = 0;
        while following.position() < target {
            let batch = following.try_next_batch(PAGE).await?;
            let Some(last) = batch.last().map(|e| e.seq) else {
                break;
            };
            let deliveries: Vec<&RecordedEvent> = batch
                .iter()
                .filter(|e| e.event_type == WebhookEvent::RECEIVED)
                .collect();
            handled += deliveries.len();
            futures::stream::iter(deliveries)
                .for_each_concurrent(IN_FLIGHT, |event| {
                    let engine = self.engine.clone();
                    async move { process(&engine, event).await }
                })
                .await;
            save_checkpoint(&self.engine, last);
        }
        Ok(handled)
    }

    /// Processes recorded deliveries until cancelled: a step each time the head moves past the
    /// checkpoint.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let mut head = self.engine.store.watch_head();
        loop {
            match self.process_pending().await {
                Ok(_) => {}
                Err(StoreError::Closed) => return,
                Err(error) => {
                    tracing::error!(%error, "reading the webhook inbox");
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            }
            if cancel.is_cancelled() {
                return;
            }
            let position = checkpoint(&self.engine);
            tokio::select! {
                _ = cancel.cancelled() => return,
                changed = head.wait_for(|h| *h > position) => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// The inbox's subscription from `after`. One page is read at a time, so no read is left
/// running on the runtime of a caller of [`Inbox::process_pending`] when it returns.
fn subscribe(engine: &Engine, after: u64) -> Subscription {
    Subscription::with_page_size(engine.store.clone(), after, PAGE).read_ahead(1)
}

/// Hands one delivery to the links of its issue.
async fn process(engine: &Arc<Engine>, event: &RecordedEvent) {
    let Ok(WebhookEvent::Received(received)) = decode::<WebhookEvent>(event) else {
        return;
    };
    let Some(key) = received
        .issue_key
        .as_deref()
        .and_then(|k| JiraIssueKey::parse(k).ok())
    else {
        return;
    };
    let links = match engine.registry.links_for_issue(&key).await {
        Ok(links) => links,
        Err(error) => {
            tracing::warn!(%key, %error, "webhook: cannot look up the issue's links");
            return;
        }
    };
    let meta = Meta {
        causation_id: Some(event.event_id),
        correlation_id: None,
    };
    let seen = issue_in(&received);
    for link in links {
        while !engine.throttle.wait_for_jira(Duration::from_secs(60)).await {}
        let Ok((item, _)) = snapshot(engine, link.item_id).await else {
            continue;
        };
        if !item.definition.mode.synchronises() {
            continue;
        }
        let work = PushWork {
            engine: engine.clone(),
            item,
            trigger: Trigger::Webhook,
            seen: seen.clone(),
        };
        if let Err(error) = engine.registry.run(link.link_id, work, meta).await {
            tracing::warn!(link_id = %link.link_id, %error, "webhook work failed");
        }
    }
    tracing::debug!(%key, event = %received.event, "webhook processed");
}

/// The issue as the delivery carried it (Jira sends the issue with its fields), unless the
/// payload was trimmed on receipt.
fn issue_in(received: &WebhookReceived) -> Option<Issue> {
    if received.payload_trimmed {
        return None;
    }
    serde_json::from_value(received.payload.get("issue")?.clone()).ok()
}
