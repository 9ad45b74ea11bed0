//! Webhooks: the admin registration resource, the events every REST change raises, their
//! Jira-shaped payloads, and asynchronous signed delivery with bounded retries.
//!
//! A connector learns about changes made by people in Jira only through these deliveries, so
//! every change made through the REST API, by any client, raises the events Jira would, and the
//! receiver sees Jira's headers, signature and retry behaviour.

pub mod delivery;
pub mod payload;
pub mod registry;

use actix_web::web;

use super::jql::{self, Env};
use super::model::{Attachment, Comment, History, Issue, State};
use super::site::Site;

/// Something that happened to an issue, raised by the REST handlers after they change state.
#[derive(Debug, Clone)]
pub enum Event {
    /// `jira:issue_created`.
    IssueCreated(u64),
    /// `jira:issue_updated` with an `issue_event_type_name`.
    IssueUpdated {
        /// Issue id.
        issue: u64,
        /// `issue_updated`, `issue_generic`, `issue_commented`, …
        type_name: &'static str,
        /// The change history entry, if the change recorded one.
        history: Option<History>,
        /// The comment, for comment-related updates.
        comment: Option<Comment>,
    },
    /// `jira:issue_deleted`, with the issue as it was.
    IssueDeleted(Box<Issue>),
    /// `comment_created`.
    CommentCreated(u64, Comment),
    /// `comment_updated`.
    CommentUpdated(u64, Comment),
    /// `comment_deleted`.
    CommentDeleted(u64, Comment),
    /// `attachment_created`.
    AttachmentCreated(Box<Attachment>),
    /// `attachment_deleted`.
    AttachmentDeleted(Box<Attachment>),
    /// `issue_property_set`.
    PropertySet(u64, String),
    /// `issue_property_deleted`.
    PropertyDeleted(u64, String),
}

impl Event {
    /// The `webhookEvent` name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::IssueCreated(_) => "jira:issue_created",
            Self::IssueUpdated { .. } => "jira:issue_updated",
            Self::IssueDeleted(_) => "jira:issue_deleted",
            Self::CommentCreated(..) => "comment_created",
            Self::CommentUpdated(..) => "comment_updated",
            Self::CommentDeleted(..) => "comment_deleted",
            Self::AttachmentCreated(_) => "attachment_created",
            Self::AttachmentDeleted(_) => "attachment_deleted",
            Self::PropertySet(..) => "issue_property_set",
            Self::PropertyDeleted(..) => "issue_property_deleted",
        }
    }

    /// The issue the event is about (a snapshot for deletions).
    pub fn issue<'a>(&'a self, state: &'a State) -> Option<&'a Issue> {
        match self {
            Self::IssueDeleted(issue) => Some(issue),
            Self::IssueCreated(id)
            | Self::IssueUpdated { issue: id, .. }
            | Self::CommentCreated(id, _)
            | Self::CommentUpdated(id, _)
            | Self::CommentDeleted(id, _)
            | Self::PropertySet(id, _)
            | Self::PropertyDeleted(id, _) => state.issues.get(id),
            Self::AttachmentCreated(a) | Self::AttachmentDeleted(a) => {
                state.issues.get(&a.issue_id)
            }
        }
    }
}

/// Delivers `events` caused by `user` to every enabled webhook that subscribes to them and
/// whose JQL filter matches the issue.
pub fn emit(site: &web::Data<Site>, user: &str, events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    let now = site.now();
    let env = Env {
        caller: user.to_string(),
        now,
    };
    let mut outgoing = Vec::new();
    {
        let state = site.state.read();
        for event in &events {
            let name = event.name();
            let issue = event.issue(&state);
            for hook in state.webhooks.values() {
                if !hook.enabled || !hook.events.iter().any(|e| e == name) {
                    continue;
                }
                if let (Some(filter), Some(issue)) = (&hook.jql_filter, issue) {
                    if filter.trim().is_empty() {
                        // An empty filter matches everything.
                    } else {
                        match jql::matches(&state, filter, &env, issue) {
                            Ok(true) => {}
                            Ok(false) => continue,
                            Err(error) => {
                                tracing::warn!(webhook = hook.id, %error, "webhook filter failed");
                                continue;
                            }
                        }
                    }
                }
                let body = payload::build(&state, &site.base_url, event, user, now, hook.id);
                let url = payload::expand_url(&state, &hook.url, issue, event);
                outgoing.push(delivery::Outgoing {
                    webhook_id: hook.id,
                    event: name.to_string(),
                    url,
                    body: if hook.exclude_body {
                        Vec::new()
                    } else {
                        serde_json::to_vec(&body).unwrap_or_default()
                    },
                    secret: hook.secret.clone(),
                });
            }
        }
    }
    for out in outgoing {
        delivery::spawn(site.clone(), out);
    }
}
