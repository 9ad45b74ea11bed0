//! Webhook bodies shaped like Jira Cloud's: `timestamp` (epoch ms), `webhookEvent`, and per
//! event `issue_event_type_name`, `user`, `issue`, `changelog`, `comment`, `attachment` or
//! `property`, plus `matchedWebhookIds`.
//!
//! As in captured Jira Cloud deliveries, the issue and comment use the REST v2 representation
//! (`/rest/api/2/` links, plain-text bodies), and comment events carry a trimmed issue.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::Event;
use crate::jira::bean::{issue_bean, BeanOptions, FieldSelection};
use crate::jira::model::{History, Issue, State};
use crate::jira::render::{Version, View};

/// Fields of the trimmed issue in comment and attachment events.
const TRIMMED: &[&str] = &[
    "summary",
    "issuetype",
    "project",
    "assignee",
    "priority",
    "status",
];

/// The body delivered to webhook `webhook_id` for `event`.
pub fn build(
    state: &State,
    base: &str,
    event: &Event,
    user: &str,
    now: DateTime<Utc>,
    webhook_id: u64,
) -> Value {
    let view = View::new(state, base, Version::V2);
    let mut body = Map::new();
    body.insert("timestamp".into(), json!(now.timestamp_millis()));
    body.insert("webhookEvent".into(), json!(event.name()));
    let full = |issue: &Issue| {
        issue_bean(
            &view,
            issue,
            &BeanOptions {
                fields: FieldSelection::parse(&["*all".into()], "*all"),
                ..BeanOptions::default()
            },
        )
    };
    let trimmed = |issue: &Issue| {
        let mut fields = Map::new();
        for f in TRIMMED {
            if let Some(v) = view.field_value(issue, f) {
                fields.insert(f.to_string(), v);
            }
        }
        json!({
            "id": issue.id.to_string(),
            "self": view.api(&format!("issue/{}", issue.id)),
            "key": issue.key,
            "fields": fields,
        })
    };
    let user_value = state
        .user(user)
        .map(|u| view.user_details(u))
        .unwrap_or(Value::Null);
    let issue = event.issue(state);
    match event {
        Event::IssueCreated(_) | Event::IssueDeleted(_) => {
            let type_name = if matches!(event, Event::IssueCreated(_)) {
                "issue_created"
            } else {
                "issue_deleted"
            };
            body.insert("issue_event_type_name".into(), json!(type_name));
            body.insert("user".into(), user_value);
            if let Some(issue) = issue {
                body.insert("issue".into(), full(issue));
            }
        }
        Event::IssueUpdated {
            type_name,
            history,
            comment,
            ..
        } => {
            body.insert("issue_event_type_name".into(), json!(type_name));
            body.insert("user".into(), user_value);
            if let Some(issue) = issue {
                body.insert("issue".into(), full(issue));
                if let Some(c) = comment {
                    body.insert("comment".into(), view.comment(issue, c, false, false));
                }
            }
            if let Some(h) = history {
                body.insert("changelog".into(), changelog(h));
            }
        }
        Event::CommentCreated(_, c) | Event::CommentUpdated(_, c) | Event::CommentDeleted(_, c) => {
            if let Some(issue) = issue {
                body.insert("comment".into(), view.comment(issue, c, false, false));
                body.insert("issue".into(), trimmed(issue));
            }
        }
        Event::AttachmentCreated(a) | Event::AttachmentDeleted(a) => {
            body.insert("attachment".into(), view.attachment_metadata(a));
            if let Some(issue) = issue {
                body.insert("issue".into(), trimmed(issue));
            }
        }
        Event::PropertySet(_, key) | Event::PropertyDeleted(_, key) => {
            let value = issue.and_then(|i| i.properties.get(key)).cloned();
            let mut property = json!({"key": key});
            if let Some(v) = value {
                property["value"] = v;
            }
            body.insert("property".into(), property);
            body.insert("user".into(), user_value);
            if let Some(issue) = issue {
                body.insert("issue".into(), trimmed(issue));
            }
        }
    }
    body.insert("matchedWebhookIds".into(), json!([webhook_id]));
    Value::Object(body)
}

/// The `changelog` of an update: `{id, items:[{field, fieldtype, fieldId, from, fromString, to,
/// toString}]}` with nulls kept, as Jira sends them.
pub fn changelog(history: &History) -> Value {
    let items: Vec<Value> = history
        .items
        .iter()
        .map(|i| {
            json!({
                "field": i.field,
                "fieldtype": i.fieldtype,
                "fieldId": i.field_id,
                "from": i.from,
                "fromString": i.from_string,
                "to": i.to,
                "toString": i.to_string,
            })
        })
        .collect();
    json!({"id": history.id.to_string(), "items": items})
}

/// Replaces `${issue.id}`, `${issue.key}`, `${project.id}`, `${project.key}`,
/// `${comment.id}` and `${attachment.id}` in a receiver URL.
pub fn expand_url(state: &State, url: &str, issue: Option<&Issue>, event: &Event) -> String {
    if !url.contains("${") {
        return url.to_string();
    }
    let mut out = url.to_string();
    if let Some(issue) = issue {
        out = out
            .replace("${issue.id}", &issue.id.to_string())
            .replace("${issue.key}", &issue.key);
        if let Ok(p) = state.project_of(issue) {
            out = out
                .replace("${project.id}", &p.id)
                .replace("${project.key}", &p.key);
        }
    }
    match event {
        Event::CommentCreated(_, c) | Event::CommentUpdated(_, c) | Event::CommentDeleted(_, c) => {
            out = out.replace("${comment.id}", &c.id.to_string());
        }
        Event::AttachmentCreated(a) | Event::AttachmentDeleted(a) => {
            out = out.replace("${attachment.id}", &a.id.to_string());
        }
        _ => {}
    }
    out
}
