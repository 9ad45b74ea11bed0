//! The Jira client's core: the site, the credentials, and the one path every REST call takes
//! (build the URL from escaped segments, authenticate, send, classify, retry).
//!
//! Jira Cloud rate-limits bursts per endpoint and writes per issue; every call therefore goes
//! through [`retry::run`], which honours `Retry-After` on a 429 (or a 503) as long as the wait
//! is short and otherwise hands the error back so the connector slows down as a whole. Paths
//! are built from segments, each percent-encoded, so an issue key, id or property key can never
//! change which resource is called.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use reqwest::header::HeaderValue;
use reqwest::{Method, RequestBuilder, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::error::JiraError;
use crate::config::JiraSettings;
use crate::connectors::hosts::HostPolicy;
use crate::connectors::retry::{self, retry_after_header, Repeat, RetryPolicy};

/// A typed Jira Cloud REST client. Cheap to clone.
#[derive(Clone)]
pub struct JiraClient {
    pub(crate) inner: Arc<Inner>,
    pub(crate) retry: RetryPolicy,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) site: Url,
    authorization: SecretString,
    pub(crate) timeout: Duration,
    pub(crate) hosts: HostPolicy,
    calls: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for JiraClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JiraClient")
            .field("site", &self.inner.site.as_str())
            .finish_non_exhaustive()
    }
}

impl JiraClient {
    /// Checks the site URL against the host policy and prepares a client: basic auth with the
    /// email and API token, or the bearer token when one is set. Nothing is sent yet.
    pub fn new(settings: &JiraSettings) -> Result<Self, JiraError> {
        let hosts = HostPolicy::new(settings.allow_insecure_loopback);
        let raw = settings
            .base_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| JiraError::NotConfigured("jira.base_url is not set".into()))?;
        let site = hosts.jira_site(raw)?;
        let authorization = match (&settings.bearer_token, &settings.email, &settings.api_token) {
            (Some(bearer), _, _) => format!("Bearer {}", bearer.expose_secret()),
            (None, Some(email), Some(token)) if !email.trim().is_empty() => {
                let pair = format!("{}:{}", email.trim(), token.expose_secret());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
            _ => {
                return Err(JiraError::NotConfigured(
                    "set jira.email and jira.api_token, or jira.bearer_token".into(),
                ))
            }
        };
        if HeaderValue::from_str(&authorization).is_err() {
            return Err(JiraError::NotConfigured(
                "the Jira credentials contain characters that cannot be sent in a header".into(),
            ));
        }
        let timeout = Duration::from_secs(settings.timeout_secs.max(1));
        let http = crate::connectors::http_client(timeout)
            .map_err(|e| JiraError::transport("building the HTTP client", e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                site,
                authorization: SecretString::from(authorization),
                timeout,
                hosts,
                calls: std::sync::atomic::AtomicU64::new(0),
            }),
            retry: RetryPolicy::default(),
        })
    }

    /// The same client with another retry policy.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The site URL (ending in `/`).
    pub fn site(&self) -> &Url {
        &self.inner.site
    }

    /// REST calls sent by this client and its clones, each retry included.
    pub fn calls_made(&self) -> u64 {
        self.inner.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `<site>/rest/api/3/<segments…>`, each segment percent-encoded.
    pub(crate) fn api(&self, segments: &[&str]) -> Url {
        let mut all = vec!["rest", "api", "3"];
        all.extend_from_slice(segments);
        self.url(&all)
    }

    /// `<site>/<segments…>`, each segment percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.site.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Sends a request built by `build` (called again for each attempt), retrying transient
    /// failures — for a POST only those that prove the request never reached Jira
    /// ([`Repeat::for_method`]). Returns the successful response with its body unread; no
    /// overall timeout is set here (downloads stream), JSON calls add one in `build`.
    pub(crate) async fn send<F>(
        &self,
        what: &str,
        method: Method,
        url: &Url,
        build: F,
    ) -> Result<Response, JiraError>
    where
        F: Fn(RequestBuilder) -> RequestBuilder,
    {
        let repeat = Repeat::for_method(&method);
        self.send_as(repeat, what, method, url, build).await
    }

    /// [`Self::send`] with an explicit rule for repeating (a POST that only reads is `Safe`).
    pub(crate) async fn send_as<F>(
        &self,
        repeat: Repeat,
        what: &str,
        method: Method,
        url: &Url,
        build: F,
    ) -> Result<Response, JiraError>
    where
        F: Fn(RequestBuilder) -> RequestBuilder,
    {
        retry::run_as(&self.retry, repeat, what, || async {
            let request = build(self.base_request(method.clone(), url.clone()));
            self.send_once(what, request).await
        })
        .await
    }

    /// Sends a request whose body can be sent only once (a streamed upload): no retries.
    pub(crate) async fn send_single(
        &self,
        what: &str,
        request: RequestBuilder,
    ) -> Result<Response, JiraError> {
        // Only uploads (creates) are sent this way.
        self.send_once(what, request)
            .await
            .map_err(|e| retry::final_error(Repeat::OnlyUnsent, e))
    }

    /// A request with the credentials set.
    pub(crate) fn base_request(&self, method: Method, url: Url) -> RequestBuilder {
        let mut auth = HeaderValue::from_str(self.inner.authorization.expose_secret())
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        auth.set_sensitive(true);
        self.inner
            .http
            .request(method, url)
            .header(reqwest::header::AUTHORIZATION, auth)
    }

    async fn send_once(&self, what: &str, request: RequestBuilder) -> Result<Response, JiraError> {
        self.inner
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let response = request
            .send()
            .await
            .map_err(|e| JiraError::transport(what, e))?;
        let status = response.status();
        if status.is_success() || status.is_redirection() {
            return Ok(response);
        }
        let retry_after = retry_after_header(response.headers());
        let reason = response
            .headers()
            .get("ratelimit-reason")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .bytes()
            .await
            .map_err(|e| JiraError::transport(what, e))?;
        Err(JiraError::from_status(
            status.as_u16(),
            &body,
            retry_after,
            reason,
        ))
    }

    /// The overall timeout of one JSON call.
    pub(crate) fn call_timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// GET a JSON document.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        what: &str,
        url: &Url,
        query: &[(&str, String)],
    ) -> Result<T, JiraError> {
        let response = self
            .send(what, Method::GET, url, |r| {
                json_request(r.query(query), self.call_timeout())
            })
            .await?;
        read_json(what, response).await
    }

    /// Sends a JSON body and reads a JSON answer.
    pub(crate) async fn json_call<T: DeserializeOwned>(
        &self,
        what: &str,
        method: Method,
        url: &Url,
        body: &Value,
    ) -> Result<T, JiraError> {
        let response = self
            .send(what, method, url, |r| {
                json_request(r.json(body), self.call_timeout())
            })
            .await?;
        read_json(what, response).await
    }

    /// POSTs a JSON body to an endpoint that only reads (a search, a count): repeated like a GET.
    pub(crate) async fn json_read<T: DeserializeOwned>(
        &self,
        what: &str,
        url: &Url,
        body: &Value,
    ) -> Result<T, JiraError> {
        let response = self
            .send_as(Repeat::Safe, what, Method::POST, url, |r| {
                json_request(r.json(body), self.call_timeout())
            })
            .await?;
        read_json(what, response).await
    }

    /// Sends a request (JSON body optional) whose answer body is ignored; returns the status.
    pub(crate) async fn call_no_content(
        &self,
        what: &str,
        method: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<u16, JiraError> {
        let response = self
            .send(what, method, url, |r| {
                let r = json_request(r, self.call_timeout());
                match body {
                    Some(b) => r.json(b),
                    None => r,
                }
            })
            .await?;
        let status = response.status().as_u16();
        let _ = response.bytes().await;
        Ok(status)
    }
}

/// Asks for JSON and bounds the whole exchange by `timeout`.
pub(crate) fn json_request(request: RequestBuilder, timeout: Duration) -> RequestBuilder {
    request
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(timeout)
}

/// Reads a JSON body; a broken connection is a transport failure, bad JSON is malformed.
pub(crate) async fn read_json<T: DeserializeOwned>(
    what: &str,
    response: Response,
) -> Result<T, JiraError> {
    if response.status().is_redirection() {
        return Err(JiraError::malformed(
            what,
            format!("unexpected redirect (HTTP {})", response.status().as_u16()),
        ));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| JiraError::transport(what, e))?;
    serde_json::from_slice(&body).map_err(|e| JiraError::malformed(what, e))
}

/// Checks a numeric id (issue, comment, attachment, webhook ids are all digits in Jira Cloud).
pub(crate) fn numeric_id<'a>(what: &str, id: &'a str) -> Result<&'a str, JiraError> {
    if !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(JiraError::InvalidInput(format!(
            "{what} {id:?} is not a numeric id"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(base: &str) -> JiraSettings {
        JiraSettings {
            base_url: Some(base.into()),
            email: Some("a@example.com".into()),
            api_token: Some(SecretString::from("tok-secret")),
            ..JiraSettings::default()
        }
    }

    #[test]
    fn new_requires_a_site_and_credentials() {
        assert!(matches!(
            JiraClient::new(&JiraSettings::default()),
            Err(JiraError::NotConfigured(_))
        ));
        let mut s = settings("https://acme.atlassian.net");
        s.api_token = None;
        assert!(matches!(
            JiraClient::new(&s),
            Err(JiraError::NotConfigured(_))
        ));
        s.bearer_token = Some(SecretString::from("b"));
        assert!(JiraClient::new(&s).is_ok(), "a bearer token is enough");
        s.bearer_token = Some(SecretString::from("b\nInjected: header"));
        assert!(matches!(
            JiraClient::new(&s),
            Err(JiraError::NotConfigured(_))
        ));
        assert!(matches!(
            JiraClient::new(&settings("http://acme.atlassian.net")),
            Err(JiraError::HostRefused(_))
        ));
        assert!(matches!(
            JiraClient::new(&settings("http://127.0.0.1:9")),
            Err(JiraError::HostRefused(_))
        ));
        let mut lo = settings("http://127.0.0.1:9");
        lo.allow_insecure_loopback = true;
        assert!(JiraClient::new(&lo).is_ok());
    }

    #[test]
    fn segments_are_escaped_and_secrets_never_print() {
        let client = JiraClient::new(&settings("https://acme.atlassian.net/jira")).expect("ok");
        let url = client.api(&["issue", "SUP-1", "properties", "a/b?c"]);
        assert_eq!(
            url.as_str(),
            "https://acme.atlassian.net/jira/rest/api/3/issue/SUP-1/properties/a%2Fb%3Fc"
        );
        let shown = format!("{client:?}");
        assert!(!shown.contains("tok-secret"), "{shown}");
    }

    #[test]
    fn numeric_ids_only() {
        assert!(numeric_id("comment", "10000").is_ok());
        assert!(numeric_id("comment", "").is_err());
        assert!(numeric_id("comment", "1/../2").is_err());
    }
}
