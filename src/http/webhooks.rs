//! `POST /webhooks/jira`: Jira's deliveries, verified, recorded durably, acknowledged.
//!
//! The order matters. The body is read up to a cap (413 beyond), its `X-Hub-Signature` checked
//! as an HMAC-SHA256 of the raw bytes with the configured secret in constant time (401 when
//! missing or wrong, nothing recorded), the JSON parsed (400 when malformed, nothing recorded),
//! and a handled event appended to its own stream `webhook-{uuid}` whose id is derived from
//! `X-Atlassian-Webhook-Identifier` — so Jira's retries of one delivery land on the same stream
//! and are recognised as duplicates. Only then does the route answer 2xx; the work (remote calls
//! to Salesforce) happens afterwards in the link's actor, fed by a checkpointed subscription.
//!
//! The identifier is not signed, so a captured delivery could be re-sent under a new one. Two
//! guards stop that: the signed `timestamp` must be within `jira.webhook_max_age_secs` of now
//! (400 `webhook_too_old`), and the event id is derived from the SHA-256 of the signed body, so
//! the log refuses the same body under a second identifier (403 `webhook_replayed`). Bodies
//! larger than [`KEEP_WHOLE_BYTES`] are kept as a summary with their digest and size, so a
//! delivery the HTTP limit admits is never refused by the store's per-event cap.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use sha2::Sha256;
use uuid::Uuid;

use super::ApiError;
use crate::events::store::{AppendOutcome, ExpectedVersion, StoreError};
use crate::events::webhook::{WebhookEvent, WebhookReceived, HANDLED_EVENTS};
use crate::events::{encode_with_id, streams, Meta};
use crate::http::AppState;

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

/// Longest `X-Atlassian-Webhook-Identifier` accepted (Jira's are uuids).
const MAX_IDENTIFIER_LEN: usize = 255;

/// Bodies up to this size are kept whole in the log; larger ones are kept as a summary
/// ([`summarise`]) with their digest and size, well under the store's per-event cap.
pub const KEEP_WHOLE_BYTES: usize = 256 * 1024;

/// Namespace of delivery event ids (uuid v5 of the body's SHA-256).
const BODY_NAMESPACE: Uuid = Uuid::from_u128(0x7c1e_52a0_3b9d_4e88_a4f6_1d2c_9b03_e6f7);

/// Refuses a delivery whose signed `timestamp` is missing or further than `max_age_secs` from
/// now: a captured delivery replayed later is refused even under a fresh identifier.
fn check_timestamp(payload: &Value, max_age_secs: u64) -> Result<DateTime<Utc>, ApiError> {
    let Some(at) = payload
        .get("timestamp")
        .and_then(Value::as_i64)
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
    else {
        return Err(ApiError::bad_request(
            "webhook_timestamp_missing",
            "the delivery has no numeric `timestamp` (epoch milliseconds), so its age cannot be checked",
        ));
    };
    let age = Utc::now().signed_duration_since(at).num_seconds();
    let max = i64::try_from(max_age_secs).unwrap_or(i64::MAX);
    let (code, message) = if age > max {
        (
            "webhook_too_old",
            format!(
                "the delivery was signed {age} s ago, more than jira.webhook_max_age_secs ({max}); it is refused as a possible replay"
            ),
        )
    } else if -age > max {
        (
            "webhook_from_the_future",
            format!(
                "the delivery's timestamp is {} s ahead of this server's clock, more than jira.webhook_max_age_secs ({max}); check the clocks",
                -age
            ),
        )
    } else {
        return Ok(at);
    };
    Err(ApiError::BadRequest {
        code,
        message,
        details: json!({"timestamp": at.to_rfc3339(), "age_secs": age, "max_age_secs": max}),
    })
}

/// Copies the listed keys of `from` whose values are small scalars.
fn pick(from: Option<&Value>, keys: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(Value::Object(object)) = from {
        for key in keys {
            match object.get(*key) {
                Some(Value::String(s)) if s.len() <= MAX_IDENTIFIER_LEN => {
                    out.insert((*key).into(), Value::String(s.clone()));
                }
                Some(v @ (Value::Number(_) | Value::Bool(_))) => {
                    out.insert((*key).into(), v.clone());
                }
                _ => {}
            }
        }
    }
    Value::Object(out)
}

/// What sfjira keeps of a delivery too large to keep whole: the event, its time, and the ids
/// of the issue, comment, attachment, changed fields and acting user. Sync never needs more:
/// link work re-reads the issue from Jira.
pub fn summarise(payload: &Value) -> Value {
    let changed: Vec<Value> = payload
        .pointer("/changelog/items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .take(100)
                .map(|i| pick(Some(i), &["field", "fieldId", "fieldtype"]))
                .collect()
        })
        .unwrap_or_default();
    let mut summary = pick(
        Some(payload),
        &["webhookEvent", "timestamp", "issue_event_type_name"],
    );
    if let Value::Object(map) = &mut summary {
        map.insert("issue".into(), pick(payload.get("issue"), &["id", "key"]));
        map.insert(
            "comment".into(),
            pick(payload.get("comment"), &["id", "created", "updated"]),
        );
        map.insert(
            "attachment".into(),
            pick(
                payload.get("attachment"),
                &["id", "filename", "size", "mimeType", "created"],
            ),
        );
        map.insert("user".into(), pick(payload.get("user"), &["accountId"]));
        map.insert(
            "changelog".into(),
            json!({"id": pick(payload.get("changelog"), &["id"]).get("id"), "items": changed}),
        );
    }
    summary
}

fn short_string(v: Option<&Value>) -> Option<String> {
    let s = v.and_then(|v| {
        v.as_str()
            .map(str::to_string)
            .or_else(|| v.as_u64().map(|n| n.to_string()))
    })?;
    (s.len() <= MAX_IDENTIFIER_LEN).then_some(s)
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
    let outcome = |o: &str| count(&state, o);
    let body = read_capped(payload, state.settings.http.max_body_bytes)
        .await
        .inspect_err(|_| outcome("too_large"))?;
    verify(&state, &req, &body)?;
    let payload = parse(&state, &body)?;
    let event = payload
        .get("webhookEvent")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !HANDLED_EVENTS.contains(&event.as_str()) {
        outcome("ignored");
        let event: String = event.chars().take(MAX_IDENTIFIER_LEN).collect();
        return Ok(HttpResponse::Ok().json(json!({"status": "ignored", "event": event})));
    }
    let digest = hex::encode(<Sha256 as sha2::Digest>::digest(&body));
    let identifier = identify(&state, &req, &digest)?;
    let stream = streams::webhook_delivery(&identifier);
    // A retry of a delivery already recorded is acknowledged again, however late it comes.
    if state
        .store
        .stream_version(&stream)
        .await
        .map_err(ApiError::internal)?
        .is_some()
    {
        outcome("duplicate");
        return Ok(duplicate(&event));
    }
    let timestamp = check_timestamp(&payload, state.settings.jira.webhook_max_age_secs)
        .inspect_err(|_| outcome("stale"))?;
    let received = delivery_event(
        identifier,
        event.clone(),
        payload,
        &body,
        &digest,
        timestamp,
    );
    let event_id = Uuid::new_v5(&BODY_NAMESPACE, digest.as_bytes());
    let data = encode_with_id(&received, event_id, Meta::default());
    let appended = state
        .store
        .append(&stream, ExpectedVersion::NoStream, vec![data])
        .await;
    answer(&state, &event, appended)
}

/// Counts a delivery's outcome in the webhook metric.
fn count(state: &AppState, outcome: &str) {
    state.metrics.webhooks.with_label_values(&[outcome]).inc();
}

/// Checks `X-Hub-Signature` against the body with the configured secret: 401 when no secret
/// is configured or the signature is missing or wrong.
fn verify(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<(), ApiError> {
    let Some(secret) = state.settings.jira.webhook_secret.as_ref() else {
        count(state, "unverifiable");
        return Err(ApiError::BadSignature(
            "no webhook secret is configured (jira.webhook_secret), so no delivery can be verified"
                .into(),
        ));
    };
    let verified = header(req, "X-Hub-Signature")
        .is_some_and(|sig| signature_matches(secret.expose_secret().as_bytes(), body, sig));
    if !verified {
        count(state, "bad_signature");
        return Err(ApiError::BadSignature(
            "X-Hub-Signature is missing or does not match the body".into(),
        ));
    }
    Ok(())
}

/// Parses the verified body as JSON: 400 `invalid_json` with the position when it is not.
fn parse(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        count(state, "malformed");
        ApiError::BadRequest {
            code: "invalid_json",
            message: format!("the webhook body is not valid JSON: {e}"),
            details: json!({"line": e.line(), "column": e.column()}),
        }
    })
}

/// The delivery's identifier: `X-Atlassian-Webhook-Identifier` (400 when empty or too long),
/// else one derived from the body's digest.
fn identify(state: &AppState, req: &HttpRequest, digest: &str) -> Result<String, ApiError> {
    // Jira always sends the identifier; a hand-made delivery without one is identified by its
    // content, so a resend of the same body is still a duplicate.
    match header(req, "X-Atlassian-Webhook-Identifier") {
        Some(id) if id.is_empty() || id.len() > MAX_IDENTIFIER_LEN => {
            count(state, "malformed");
            Err(ApiError::bad_request(
                "invalid_webhook_identifier",
                format!("X-Atlassian-Webhook-Identifier must be 1..={MAX_IDENTIFIER_LEN} bytes"),
            ))
        }
        Some(id) => Ok(id.to_string()),
        None => Ok(format!("body-sha256-{digest}")),
    }
}

/// The event recorded for a delivery: its ids, and the payload whole or summarised.
fn delivery_event(
    identifier: String,
    event: String,
    payload: Value,
    body: &[u8],
    digest: &str,
    timestamp: DateTime<Utc>,
) -> WebhookEvent {
    let issue = payload.get("issue");
    let issue_key = short_string(issue.and_then(|i| i.get("key")));
    let issue_id = short_string(issue.and_then(|i| i.get("id")));
    let trimmed = body.len() > KEEP_WHOLE_BYTES;
    WebhookEvent::Received(WebhookReceived {
        identifier,
        event,
        issue_key,
        issue_id,
        timestamp: Some(timestamp),
        payload: if trimmed {
            summarise(&payload)
        } else {
            payload
        },
        body_sha256: Some(digest.to_string()),
        body_bytes: Some(body.len() as u64),
        payload_trimmed: trimmed,
    })
}

/// The `duplicate` answer: the delivery was recorded before.
fn duplicate(event: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "duplicate", "event": event}))
}

/// Answers a delivery by what the log said to its append: accepted, duplicate, replayed under
/// another identifier (403), too large (413), or not recorded (503 while the log refuses
/// writes, so Jira retries).
fn answer(
    state: &AppState,
    event: &str,
    appended: Result<AppendOutcome, StoreError>,
) -> Result<HttpResponse, ApiError> {
    match appended {
        Ok(appended) => {
            count(state, "accepted");
            Ok(HttpResponse::Ok().json(json!({
                "status": "accepted", "event": event, "seq": appended.last_seq
            })))
        }
        Err(StoreError::Conflict { .. }) => {
            count(state, "duplicate");
            Ok(duplicate(event))
        }
        Err(StoreError::IdempotencyMismatch { .. }) => {
            count(state, "replayed");
            Err(ApiError::Forbidden {
                code: "webhook_replayed",
                message: "this exact signed body was already received under another X-Atlassian-Webhook-Identifier; it is refused as a replay".into(),
            })
        }
        Err(StoreError::PayloadTooLarge { limit, .. }) => {
            count(state, "too_large");
            Err(ApiError::PayloadTooLarge { limit })
        }
        Err(e) if state.store.write_failure().is_some() || matches!(e, StoreError::Closed) => {
            // Not the delivery's fault: answer 503 so Jira retries once the store is back.
            count(state, "error");
            tracing::error!(error = %e, "a webhook delivery could not be recorded");
            Err(ApiError::Unavailable(
                "the event log is not accepting writes; see /readyz".into(),
            ))
        }
        Err(e) => {
            count(state, "error");
            Err(ApiError::internal(e))
        }
    }
}
