//! Events of the Jira webhook inbox (one stream `webhook-{uuid}` per delivery).
//!
//! A delivery is appended before it is acknowledged, to a stream named from Jira's
//! `X-Atlassian-Webhook-Identifier` with "no stream yet" expected, so a retried delivery meets
//! its own stream and is stored once.
//! A checkpointed subscription hands each received event to its link actor; after a crash the
//! subscription resumes from its checkpoint and nothing received is lost.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::codec::Catalogued;

/// Payload of `webhook.received`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookReceived {
    /// `X-Atlassian-Webhook-Identifier`.
    pub identifier: String,
    /// `webhookEvent`, e.g. `comment_created`.
    pub event: String,
    /// Issue key, when the payload names one.
    pub issue_key: Option<String>,
    /// Issue id, when the payload names one.
    pub issue_id: Option<String>,
    /// Jira's `timestamp`.
    pub timestamp: Option<DateTime<Utc>>,
    /// The payload as received.
    pub payload: Value,
}

/// Every event of the webhook inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum WebhookEvent {
    /// A delivery was received and verified.
    #[serde(rename = "webhook.received")]
    Received(WebhookReceived),
}

impl Catalogued for WebhookEvent {
    const PREFIX: &'static str = "webhook.";

    fn event_type(&self) -> &'static str {
        match self {
            WebhookEvent::Received(_) => "webhook.received",
        }
    }
}
