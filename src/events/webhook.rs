//! Events of the Jira webhook inbox (one stream `webhook-{uuid}` per delivery).
//!
//! A delivery is appended before it is acknowledged, to a stream named from Jira's
//! `X-Atlassian-Webhook-Identifier` with "no stream yet" expected, so a retried delivery meets
//! its own stream and is stored once; its event id is derived from the SHA-256 of the signed
//! body, so the same body re-sent under another identifier (a replay) is refused as well.
//! A checkpointed subscription hands each received event to its link actor; after a crash the
//! subscription resumes from its checkpoint and nothing received is lost.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::codec::Catalogued;

/// Jira webhook events (`webhookEvent`) sfjira acts on: the webhook route records these and
/// acknowledges the others unrecorded, and webhook registration subscribes to exactly these.
pub const HANDLED_EVENTS: &[&str] = &[
    "jira:issue_updated",
    "comment_created",
    "comment_updated",
    "attachment_created",
];

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
    /// The payload as received, or, when the body was too large to keep whole
    /// (`payload_trimmed`), a summary of it: the event, its timestamp and the ids of what it
    /// is about.
    pub payload: Value,
    /// SHA-256 (hex) of the signed body: deliveries are deduplicated on it, and it lets an
    /// auditor match the event with the body Jira sent. Absent on deliveries recorded before it
    /// was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    /// Size of the signed body in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<u64>,
    /// Whether `payload` is a summary because the body was larger than sfjira keeps whole.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub payload_trimmed: bool,
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
            WebhookEvent::Received(_) => Self::RECEIVED,
        }
    }
}

impl WebhookEvent {
    /// The type string of [`WebhookEvent::Received`], for readers that filter the log by type
    /// before decoding.
    pub const RECEIVED: &'static str = "webhook.received";
}
