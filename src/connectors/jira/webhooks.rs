//! Admin webhooks (`/rest/webhooks/1.0/webhook`): register, list, delete.
//!
//! Jira pushes issue, comment and attachment events to sfjira so that Jira changes reach
//! Salesforce at once. A self-hosted service signing in with a Jira administrator's API token
//! uses the admin webhook resource (the dynamic `/rest/api/3/webhook` registration is for
//! OAuth and Connect apps only). Registering with a secret makes Jira sign every delivery
//! (`X-Hub-Signature`), which the webhook route verifies.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::client::JiraClient;
use super::error::JiraError;
use super::model::Webhook;

/// The filter key for issue-related events.
const ISSUE_FILTER: &str = "issue-related-events-section";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookBody {
    #[serde(rename = "self")]
    self_url: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    filters: Map<String, Value>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    exclude_body: bool,
}

fn yes() -> bool {
    true
}

impl WebhookBody {
    fn into_webhook(self) -> Result<Webhook, JiraError> {
        let id = webhook_id(&self.self_url).ok_or_else(|| {
            JiraError::malformed(
                "webhook",
                format!("`self` {:?} does not end in a numeric id", self.self_url),
            )
        })?;
        let jql_filter = self
            .filters
            .get(ISSUE_FILTER)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string);
        Ok(Webhook {
            id,
            name: self.name,
            url: self.url,
            events: self.events,
            jql_filter,
            enabled: self.enabled,
            exclude_body: self.exclude_body,
        })
    }
}

/// The id at the end of a webhook's `self` URL.
pub fn webhook_id(self_url: &str) -> Option<u64> {
    self_url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
}

impl JiraClient {
    fn webhooks_url(&self, id: Option<u64>) -> url::Url {
        let id = id.map(|i| i.to_string());
        let mut segments = vec!["rest", "webhooks", "1.0", "webhook"];
        if let Some(id) = id.as_deref() {
            segments.push(id);
        }
        self.url(&segments)
    }

    /// Registers an admin webhook delivering `events` to `url` for issues matching
    /// `jql_filter`, signed with `secret` when given.
    pub async fn register_webhook(
        &self,
        name: &str,
        url: &str,
        events: &[&str],
        jql_filter: Option<&str>,
        secret: Option<&SecretString>,
    ) -> Result<Webhook, JiraError> {
        if events.is_empty() {
            return Err(JiraError::InvalidInput(
                "a webhook needs at least one event".into(),
            ));
        }
        let mut body = json!({
            "name": name,
            "url": url,
            "events": events,
            "filters": { ISSUE_FILTER: jql_filter.unwrap_or("") },
            "excludeBody": false,
        });
        if let Some(secret) = secret {
            body["secret"] = Value::String(secret.expose_secret().to_string());
        }
        let created: WebhookBody = self
            .json_call(
                "register webhook",
                Method::POST,
                &self.webhooks_url(None),
                &body,
            )
            .await?;
        created.into_webhook()
    }

    /// Every admin webhook of the site.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, JiraError> {
        let all: Vec<WebhookBody> = self
            .get_json("list webhooks", &self.webhooks_url(None), &[])
            .await?;
        all.into_iter().map(WebhookBody::into_webhook).collect()
    }

    /// Deletes an admin webhook.
    pub async fn delete_webhook(&self, id: u64) -> Result<(), JiraError> {
        self.call_no_content(
            "delete webhook",
            Method::DELETE,
            &self.webhooks_url(Some(id)),
            None,
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_self() {
        assert_eq!(
            webhook_id("https://acme.atlassian.net/rest/webhooks/1.0/webhook/42"),
            Some(42)
        );
        assert_eq!(
            webhook_id("http://127.0.0.1:1/rest/webhooks/1.0/webhook/7/"),
            Some(7)
        );
        assert_eq!(webhook_id("https://x/rest/webhooks/1.0/webhook"), None);
    }

    #[test]
    fn bodies_become_webhooks() {
        let body: WebhookBody = serde_json::from_value(json!({
            "name": "sf", "url": "https://svc/hook", "events": ["comment_created"],
            "filters": {"issue-related-events-section": "project = SUP"},
            "excludeBody": false, "enabled": true,
            "self": "https://acme.atlassian.net/rest/webhooks/1.0/webhook/3"
        }))
        .expect("parses");
        let hook = body.into_webhook().expect("valid");
        assert_eq!(hook.id, 3);
        assert_eq!(hook.jql_filter.as_deref(), Some("project = SUP"));
    }
}
