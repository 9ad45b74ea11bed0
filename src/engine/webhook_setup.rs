//! Registering sfjira's webhook in Jira through the admin webhook resource, so an admin does
//! not have to copy the URL, the events and the secret into Jira by hand.

use serde::Serialize;

use super::{items, Engine, SyncError};
use crate::domain::escape::jql_quote;
use crate::events::webhook::HANDLED_EVENTS;

/// What was registered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Registration {
    /// Jira's webhook id.
    pub id: u64,
    /// The URL Jira will call.
    pub url: String,
    /// The events it sends.
    pub events: Vec<String>,
    /// The JQL filter (the projects of the synchronised items).
    pub jql_filter: Option<String>,
    /// Whether an earlier registration for the same URL was replaced.
    pub replaced: bool,
}

/// Registers (or re-registers) the webhook for `url`.
pub async fn register(engine: &Engine, url: &str) -> Result<Registration, SyncError> {
    let secret = engine.settings.jira.webhook_secret.clone().ok_or_else(|| {
        SyncError::conflict(
            "webhook_secret_not_configured",
            "set jira.webhook_secret first: Jira signs every delivery with it and sfjira refuses unsigned ones",
            serde_json::Value::Null,
        )
    })?;
    let jira = engine.jira()?;
    let mut projects: Vec<String> = items::list(engine)
        .await?
        .into_iter()
        .filter(|i| i.mode.synchronises())
        .flat_map(|i| i.jira_scope)
        .collect();
    projects.sort();
    projects.dedup();
    let jql = (!projects.is_empty()).then(|| {
        format!(
            "project in ({})",
            projects
                .iter()
                .map(|p| jql_quote(p))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    let mut replaced = false;
    for existing in jira.webhooks().await? {
        if existing.url == url {
            jira.delete_webhook(existing.id).await?;
            replaced = true;
        }
    }
    let created = jira
        .register_webhook("sfjira", url, HANDLED_EVENTS, jql.as_deref(), Some(&secret))
        .await?;
    Ok(Registration {
        id: created.id,
        url: url.to_string(),
        events: HANDLED_EVENTS.iter().map(|e| e.to_string()).collect(),
        jql_filter: jql,
        replaced,
    })
}
