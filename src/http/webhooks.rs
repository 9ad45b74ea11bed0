//! `POST /webhooks/jira`: Jira's deliveries, verified, recorded durably, acknowledged.
//!
//! The order matters. The body is read up to a cap (413 beyond), its `X-Hub-Signature` checked
//! as an HMAC-SHA256 of the raw bytes with the configured secret in constant time (401 when
//! missing or wrong, nothing recorded), the JSON parsed (400 when malformed, nothing recorded),
//! and a handled event appended to its own stream `webhook-{uuid}` whose id is derived from
//! `X-Atlassian-Webhook-Identifier` — so Jira's retries of one delivery land on the same stream
//! and are recognised as duplicates. Only then does the route answer 2xx; the work (remote calls
//! to Salesforce) happens afterwards in the link's actor, fed by a checkpointed subscription.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{TimeZone, Utc};
use futures::StreamExt;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use sha2::Sha256;
use uuid::Uuid;

use super::ApiError;
use crate::events::store::{ExpectedVersion, StoreError, StreamId};
use crate::events::webhook::{WebhookEvent, WebhookReceived};
use crate::events::{encode, Meta};
use crate::startup::AppState;

/// Webhook events sfjira acts on; others are acknowledged and ignored.
pub const HANDLED_EVENTS: &[&str] = &[
    "jira:issue_updated",
    "comment_created",
    "comment_updated",
    "attachment_created",
];

/// Namespace of delivery stream ids (uuid v5 of the webhook identifier).
const DELIVERY_NAMESPACE: Uuid = Uuid::from_u128(0x2f0b_8d41_9c3e_4a6f_b15d_70e2_c4a9_5e13);

/// The stream of one delivery.
pub fn delivery_stream(identifier: &str) -> StreamId {
    let id = Uuid::new_v5(&DELIVERY_NAMESPACE, identifier.as_bytes());
    // A uuid-based name is always a valid stream id.
    StreamId::parse(format!("webhook-{id}")).unwrap_or_else(|e| unreachable!("{e}"))
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Constant-time check of `sha256=<hex>` against the body.
pub fn signature_matches(secret: &[u8], body: &[u8], presented: &str) -> bool {
    let Some(hex_digest) = presented.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Reads a request body of at most `limit` bytes; a larger one is refused with 413 before it is
/// read whole.
pub(super) async fn read_capped(
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("unreadable_body", e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `POST /webhooks/jira`.
#[utoipa::path(
    post,
    path = "/webhooks/jira",
    tag = "webhooks",
    params(
        ("X-Hub-Signature" = String, Header, description = "`sha256=<hex>`: HMAC-SHA256 of the raw body with the webhook secret"),
        ("X-Atlassian-Webhook-Identifier" = Option<String>, Header, description = "Jira's delivery id; its retries repeat it"),
    ),
    request_body(content = serde_json::Value, description = "A Jira webhook delivery"),
    responses(
        (status = 200, description = "`accepted` (recorded), `duplicate` or `ignored`, with the event name", body = serde_json::Value),
        (status = 400, description = "The body is not JSON", body = super::errors::ErrorBody),
        (status = 401, description = "The signature is missing or wrong", body = super::errors::ErrorBody),
        (status = 413, description = "The body is too large", body = super::errors::ErrorBody),
    ),
    security(())
)]
pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let outcome = |o: &str| state.metrics.webhooks.with_label_values(&[o]).inc();
    let body = match read_capped(payload, state.settings.http.max_body_bytes).await {
        Ok(body) => body,
        Err(e) => {
            outcome("too_large");
            return Err(e);
        }
    };
    let Some(secret) = state.settings.jira.webhook_secret.as_ref() else {
        outcome("unverifiable");
        return Err(ApiError::BadSignature(
            "no webhook secret is configured (jira.webhook_secret), so no delivery can be verified"
                .into(),
        ));
    };
    let verified = header(&req, "X-Hub-Signature")
        .is_some_and(|sig| signature_matches(secret.expose_secret().as_bytes(), &body, sig));
    if !verified {
        outcome("bad_signature");
        return Err(ApiError::BadSignature(
            "X-Hub-Signature is missing or does not match the body".into(),
        ));
    }
    let payload: Value = serde_json::from_slice(&body).map_err(|e| {
        outcome("malformed");
        ApiError::BadRequest {
            code: "invalid_json",
            message: format!("the webhook body is not valid JSON: {e}"),
            details: json!({"line": e.line(), "column": e.column()}),
        }
    })?;
    let event = payload
        .get("webhookEvent")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !HANDLED_EVENTS.contains(&event.as_str()) {
        outcome("ignored");
        return Ok(HttpResponse::Ok().json(json!({"status": "ignored", "event": event})));
    }
    // Jira always sends the identifier; a hand-made delivery without one is identified by its
    // content, so a resend of the same body is still a duplicate.
    let identifier = header(&req, "X-Atlassian-Webhook-Identifier")
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "body-sha256-{}",
                hex::encode(<Sha256 as sha2::Digest>::digest(&body))
            )
        });
    let issue = payload.get("issue");
    let received = WebhookEvent::Received(WebhookReceived {
        identifier: identifier.clone(),
        event: event.clone(),
        issue_key: issue
            .and_then(|i| i.get("key"))
            .and_then(Value::as_str)
            .map(str::to_string),
        issue_id: issue.and_then(|i| i.get("id")).and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        }),
        timestamp: payload
            .get("timestamp")
            .and_then(Value::as_i64)
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
        payload,
    });
    let stream = delivery_stream(&identifier);
    let data = encode(&received, Meta::default());
    match state
        .store
        .append(&stream, ExpectedVersion::NoStream, vec![data])
        .await
    {
        Ok(appended) => {
            outcome("accepted");
            Ok(HttpResponse::Ok().json(json!({
                "status": "accepted", "event": event, "seq": appended.last_seq
            })))
        }
        Err(StoreError::Conflict { .. }) => {
            outcome("duplicate");
            Ok(HttpResponse::Ok().json(json!({"status": "duplicate", "event": event})))
        }
        Err(e) => {
            outcome("error");
            Err(ApiError::internal(e))
        }
    }
}
