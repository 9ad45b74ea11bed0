//! Sending webhook requests the way Jira Cloud does: asynchronously, with
//! `X-Atlassian-Webhook-Identifier` (the same on every retry), `X-Atlassian-Webhook-Retry`
//! (absent on the first attempt), `X-Atlassian-Webhook-Flow: Primary`, and
//! `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>` when the webhook has a secret.
//!
//! Connection failures and 408, 409, 425, 429 and 5xx answers are retried with a doubling
//! back-off up to the configured number of attempts; other answers end the delivery. Every
//! attempt is logged for the control API, so tests can see exactly what a receiver got.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actix_web::web;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use serde::Serialize;
use sha2::Sha256;

use crate::jira::site::Site;

/// How many attempts the log keeps.
const KEPT: usize = 10_000;

/// A delivery about to be made.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Webhook id.
    pub webhook_id: u64,
    /// `webhookEvent`.
    pub event: String,
    /// Receiver URL, variables expanded.
    pub url: String,
    /// Raw body (empty with `excludeBody`).
    pub body: Vec<u8>,
    /// Signing secret.
    pub secret: Option<String>,
}

/// One attempt, as the control API lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// Order of the attempt in the log.
    pub seq: u64,
    /// `X-Atlassian-Webhook-Identifier` (stable across retries).
    pub id: String,
    /// Webhook id.
    pub webhook: u64,
    /// `webhookEvent`.
    pub event: String,
    /// Receiver URL.
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Status the receiver answered.
    pub status: Option<u16>,
    /// Transport error, when there was no answer.
    pub error: Option<String>,
    /// The `X-Hub-Signature` sent, if any.
    pub signature: Option<String>,
    /// Whether another attempt follows.
    pub will_retry: bool,
    /// The body sent (JSON), or null with `excludeBody`.
    pub payload: serde_json::Value,
    /// Emulated time of the attempt.
    pub at: DateTime<Utc>,
}

/// The log of delivery attempts, and how many deliveries are still under way.
#[derive(Debug, Clone, Default)]
pub struct DeliveryLog {
    attempts: Arc<Mutex<VecDeque<Attempt>>>,
    seq: Arc<AtomicU64>,
    in_flight: Arc<AtomicU64>,
}

/// Counts one delivery as under way from its creation until it is dropped (last attempt
/// logged, or given up).
struct InFlight(Arc<AtomicU64>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl DeliveryLog {
    /// Deliveries raised and not finished yet (attempting, or waiting to retry). A delivery
    /// counts from the moment the change that raised it is stored, before the change's request
    /// is answered, so a client that sees 0 after its change knows every delivery of it ended.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::SeqCst)
    }

    fn start(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.in_flight.clone())
    }

    /// Every attempt kept, oldest first.
    pub fn list(&self) -> Vec<Attempt> {
        self.attempts.lock().iter().cloned().collect()
    }

    /// Forgets everything.
    pub fn reset(&self) {
        self.attempts.lock().clear();
    }

    fn push(&self, mut attempt: Attempt) {
        attempt.seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let mut log = self.attempts.lock();
        if log.len() == KEPT {
            log.pop_front();
        }
        log.push_back(attempt);
    }
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` keyed by `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether Jira retries after this answer.
pub fn retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 425 | 429) || (500..600).contains(&status)
}

/// Starts delivering in the background.
pub fn spawn(site: web::Data<Site>, out: Outgoing) {
    let counted = site.deliveries.start();
    tokio::spawn(deliver(site, out, counted));
}

async fn deliver(site: web::Data<Site>, out: Outgoing, _counted: InFlight) {
    let identifier = uuid::Uuid::new_v4().to_string();
    let policy = site.webhook_retry;
    let signature = out.secret.as_deref().map(|s| signature(s, &out.body));
    let payload = serde_json::from_slice(&out.body).unwrap_or(serde_json::Value::Null);
    let max = policy.max_attempts.max(1);
    for attempt in 1..=max {
        let mut request = site
            .http
            .post(&out.url)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("User-Agent", "Atlassian Webhook HTTP Client")
            .header("X-Atlassian-Webhook-Identifier", &identifier)
            .header("X-Atlassian-Webhook-Flow", "Primary")
            .body(out.body.clone());
        if attempt > 1 {
            request = request.header("X-Atlassian-Webhook-Retry", (attempt - 1).to_string());
        }
        if let Some(sig) = &signature {
            request = request.header("X-Hub-Signature", sig);
        }
        let (status, error) = match request.send().await {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let failed = status.is_none_or(retryable);
        let will_retry = failed && attempt < max;
        tracing::debug!(webhook = out.webhook_id, event = %out.event, attempt, ?status, ?error, "webhook delivery attempt");
        site.deliveries.push(Attempt {
            seq: 0,
            id: identifier.clone(),
            webhook: out.webhook_id,
            event: out.event.clone(),
            url: out.url.clone(),
            attempt,
            status,
            error,
            signature: signature.clone(),
            will_retry,
            payload: payload.clone(),
            at: site.now(),
        });
        if !will_retry {
            return;
        }
        let backoff = policy.base_backoff * 2u32.saturating_pow(attempt - 1);
        tokio::time::sleep(backoff).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_transient_answers_are_retried() {
        for status in [408, 409, 425, 429, 500, 503] {
            assert!(retryable(status), "{status}");
        }
        for status in [200, 204, 400, 401, 404, 410] {
            assert!(!retryable(status), "{status}");
        }
    }
}
