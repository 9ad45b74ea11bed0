//! The Jira webhook inbox processor: every recorded `webhook.received` event is handed to the
//! actors of the links of its issue, in log order, with a checkpoint.
//!
//! The HTTP route only verifies and records; this task does the work afterwards, so Jira gets
//! its 2xx at once and nothing received is lost: after a crash the processor resumes from its
//! checkpoint and re-runs at most the last page, which is harmless because link work recognises
//! what it already did.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::reconcile::snapshot;
use super::work::jira_to_salesforce::PushWork;
use super::Engine;
use crate::domain::ids::JiraIssueKey;
use crate::domain::link::events::Trigger;
use crate::events::store::RecordedEvent;
use crate::events::webhook::WebhookEvent;
use crate::events::{decode, Meta};

/// The view-meta key of the processor's checkpoint.
const CHECKPOINT: &str = "webhook-processor:checkpoint";

/// Events read per page.
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

/// Processes recorded deliveries until cancelled.
pub async fn run(engine: Arc<Engine>, cancel: CancellationToken) {
    let mut head = engine.store.watch_head();
    loop {
        let after = checkpoint(&engine);
        let page = match engine.store.read_all(after, PAGE).await {
            Ok(page) => page,
            Err(error) => {
                tracing::error!(%error, "reading the webhook inbox");
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        let Some(last) = page.last().map(|e| e.seq) else {
            tokio::select! {
                _ = cancel.cancelled() => return,
                changed = head.wait_for(|h| *h > after) => {
                    if changed.is_err() {
                        return;
                    }
                    continue;
                }
            }
        };
        let deliveries: Vec<&RecordedEvent> = page
            .iter()
            .filter(|e| e.event_type == "webhook.received")
            .collect();
        futures::stream::iter(deliveries)
            .for_each_concurrent(IN_FLIGHT, |event| {
                let engine = engine.clone();
                async move { process(&engine, event).await }
            })
            .await;
        save_checkpoint(&engine, last);
        if cancel.is_cancelled() {
            return;
        }
    }
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
        };
        if let Err(error) = engine.registry.run(link.link_id, work, meta).await {
            tracing::warn!(link_id = %link.link_id, %error, "webhook work failed");
        }
    }
    tracing::debug!(%key, event = %received.event, "webhook processed");
}
