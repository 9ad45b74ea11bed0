//! The Salesforce client's core: the connection, the token cache, and the one path every REST
//! call takes (authenticate, send, renew once on an invalid session, classify, retry).
//!
//! Keeping a single request path means every call gets the same guarantees: the bearer token
//! comes from one cache shared by clones of the client (renewed once, by one caller, when a
//! session dies), the API usage header is read from every answer, every call is counted, URLs
//! the server hands back stay on the instance host, and transient failures are retried with the
//! same bounded back-off. The operations themselves live in the sibling modules.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::auth::{
    parse_identity_url, parse_issued_at, OAuthFailure, Token, TokenErrorResponse, TokenInfo,
    TokenResponse,
};
use super::coalesce::Coalescer;
use super::error::{parse_error_body, SalesforceError};
use super::limits::{ApiUsage, UsageTracker};
use super::names::normalise_version;
use crate::config::SalesforceSettings;
use crate::connectors::hosts::{HostPolicy, HostRule};
use crate::connectors::retry::{self, retry_after_header, Repeat, RetryPolicy};

/// What the administrator enters to connect an org.
#[derive(Clone)]
pub struct SalesforceConnection {
    /// `https://login.salesforce.com`, `https://test.salesforce.com` or a My Domain URL.
    pub login_url: String,
    /// The app's consumer key.
    pub client_id: String,
    /// The app's consumer secret.
    pub client_secret: SecretString,
}

impl fmt::Debug for SalesforceConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceConnection")
            .field("login_url", &self.login_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish()
    }
}

/// A typed Salesforce REST client. Cheap to clone; clones share the token and the counters.
#[derive(Clone)]
pub struct SalesforceClient {
    pub(crate) inner: Arc<Inner>,
    pub(crate) retry: RetryPolicy,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    login_url: Url,
    client_id: String,
    client_secret: SecretString,
    pub(crate) api_version: String,
    pub(crate) hosts: HostPolicy,
    pub(crate) timeout: Duration,
    token: Mutex<Option<Arc<Token>>>,
    pub(crate) usage: UsageTracker,
    /// Writes from many links waiting to share a call.
    pub(crate) coalescer: Coalescer,
}

impl fmt::Debug for SalesforceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceClient")
            .field("login_url", &self.inner.login_url.as_str())
            .field("client_id", &self.inner.client_id)
            .field("api_version", &self.inner.api_version)
            .finish_non_exhaustive()
    }
}

/// Where a request goes.
pub(crate) enum Target<'a> {
    /// A path under `/services/data/vXX.X/`.
    Data(&'a str),
    /// A path the server returned (`nextRecordsUrl`), or a path from the instance root.
    Instance(&'a str),
}

impl SalesforceClient {
    /// Checks the login URL against the host policy and prepares a client. Nothing is sent
    /// until the first call.
    pub fn new(
        connection: SalesforceConnection,
        settings: &SalesforceSettings,
    ) -> Result<Self, SalesforceError> {
        let hosts = HostPolicy::new(settings.allow_insecure_loopback);
        let login_url = hosts.salesforce_login(&connection.login_url)?;
        let api_version = normalise_version(&settings.api_version)?;
        if connection.client_id.trim().is_empty() {
            return Err(SalesforceError::InvalidInput(
                "the client id is empty".into(),
            ));
        }
        let timeout = Duration::from_secs(settings.timeout_secs.max(1));
        let http = crate::connectors::http_client(timeout)
            .map_err(|e| SalesforceError::transport("building the HTTP client", e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                login_url,
                client_id: connection.client_id.trim().to_string(),
                client_secret: connection.client_secret,
                api_version,
                hosts,
                timeout,
                token: Mutex::new(None),
                usage: UsageTracker::default(),
                coalescer: Coalescer::default(),
            }),
            retry: RetryPolicy::default(),
        })
    }

    /// The same client with another retry policy (the token cache and counters stay shared).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The REST API version in paths, e.g. `v60.0`.
    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    /// The latest `Sforce-Limit-Info` usage seen on any response.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        self.inner.usage.latest()
    }

    /// REST calls sent by this client and its clones, each retry included; token requests are
    /// not counted.
    pub fn calls_made(&self) -> u64 {
        self.inner.usage.calls()
    }

    /// What the cached token says, when there is one.
    pub async fn token_info(&self) -> Option<TokenInfo> {
        self.inner
            .token
            .lock()
            .await
            .as_ref()
            .map(|t| t.info.clone())
    }

    /// Requests a new token (client credentials), caches it, and returns what it says.
    /// Transient failures are retried; a refusal is [`SalesforceError::OAuth`].
    pub async fn authenticate(&self) -> Result<TokenInfo, SalesforceError> {
        let mut slot = self.inner.token.lock().await;
        let token = retry::run(&self.retry, "salesforce token", || {
            self.request_token_once()
        })
        .await?;
        let info = token.info.clone();
        *slot = Some(token);
        Ok(info)
    }

    /// Drops the cached token; the next call authenticates again.
    pub async fn forget_token(&self) {
        *self.inner.token.lock().await = None;
    }

    /// The cached token, authenticating first when there is none. The token request is tried
    /// once here: the caller's own retry loop covers it, so attempts do not multiply.
    async fn current_token(&self) -> Result<Arc<Token>, SalesforceError> {
        let mut slot = self.inner.token.lock().await;
        if let Some(token) = slot.as_ref() {
            return Ok(token.clone());
        }
        let token = self.request_token_once().await?;
        *slot = Some(token.clone());
        Ok(token)
    }

    /// Replaces `stale` with a fresh token, unless another caller already did (tried once, like
    /// [`Self::current_token`]).
    async fn renew(&self, stale: &Arc<Token>) -> Result<Arc<Token>, SalesforceError> {
        let mut slot = self.inner.token.lock().await;
        if let Some(current) = slot.as_ref() {
            if !Arc::ptr_eq(current, stale) {
                return Ok(current.clone());
            }
        }
        tracing::info!("Salesforce session invalid; requesting a new token");
        *slot = None;
        let token = self.request_token_once().await?;
        *slot = Some(token.clone());
        Ok(token)
    }

    async fn request_token_once(&self) -> Result<Arc<Token>, SalesforceError> {
        const CONTEXT: &str = "the OAuth token request";
        let url = self
            .inner
            .login_url
            .join("/services/oauth2/token")
            .map_err(|e| SalesforceError::InvalidInput(e.to_string()))?;
        let response = self
            .inner
            .http
            .post(url)
            .timeout(self.inner.timeout)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.inner.client_id.as_str()),
                ("client_secret", self.inner.client_secret.expose_secret()),
            ])
            .send()
            .await
            .map_err(|e| SalesforceError::transport(CONTEXT, e.without_url()))?;
        let status = response.status();
        let retry_after = retry_after_header(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|e| SalesforceError::transport(CONTEXT, e.without_url()))?;
        if status.is_success() {
            let parsed: TokenResponse = serde_json::from_slice(&body)
                .map_err(|e| SalesforceError::malformed(CONTEXT, e))?;
            let instance_url = self.inner.hosts.salesforce_instance(&parsed.instance_url)?;
            let (org_id, user_id) = parse_identity_url(&parsed.id)
                .map_err(|e| SalesforceError::malformed(CONTEXT, e))?;
            let info = TokenInfo {
                instance_url,
                org_id,
                user_id,
                issued_at: parse_issued_at(parsed.issued_at.as_deref(), Utc::now()),
                scopes: parsed
                    .scope
                    .as_deref()
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect(),
                token_type: parsed.token_type.unwrap_or_else(|| "Bearer".into()),
            };
            tracing::debug!(org = %info.org_id, instance = %info.instance_url, "Salesforce token issued");
            return Ok(Arc::new(Token {
                info,
                access_token: parsed.access_token,
            }));
        }
        if let Ok(refusal) = serde_json::from_slice::<TokenErrorResponse>(&body) {
            let failure = OAuthFailure::classify(&refusal.error, &refusal.error_description);
            if !status.is_server_error() || failure.is_transient() {
                tracing::warn!(kind = ?failure.kind, error = %failure.error, "Salesforce token request refused");
                return Err(SalesforceError::OAuth(failure));
            }
        }
        Err(SalesforceError::Api {
            status: status.as_u16(),
            errors: parse_error_body(&body),
            retry_after,
        })
    }

    /// The absolute URL of a target on the token's instance.
    fn url_for(&self, token: &Token, target: &Target<'_>) -> Result<Url, SalesforceError> {
        let base = &token.info.instance_url;
        let joined = match target {
            Target::Data(path) => base.join(&format!(
                "/services/data/{}/{}",
                self.inner.api_version,
                path.trim_start_matches('/')
            )),
            Target::Instance(path) => base.join(path),
        }
        .map_err(|e| SalesforceError::InvalidInput(format!("bad path: {e}")))?;
        self.inner
            .hosts
            .same_origin(base, &joined, HostRule::SalesforceInstanceHost)?;
        Ok(joined)
    }

    /// Sends one request built by `build` (called again for each attempt), with the bearer
    /// token, one renewal on an invalid session, and retries of transient failures. Returns the
    /// successful response with its body unread. No overall timeout is set here (a download
    /// may stream for long); JSON calls add [`Self::call_timeout`] in `build`.
    ///
    /// A POST (a create, a composite request) is repeated only when the failure proves it was
    /// never handled ([`Repeat::for_method`]); an unknown outcome goes back to the caller.
    pub(crate) async fn send<F>(
        &self,
        what: &str,
        method: Method,
        target: Target<'_>,
        build: F,
    ) -> Result<Response, SalesforceError>
    where
        F: Fn(RequestBuilder) -> RequestBuilder,
    {
        let repeat = Repeat::for_method(&method);
        retry::run_as(&self.retry, repeat, what, || async {
            let token = self.current_token().await?;
            let request = self.prepare(&token, &method, &target, &build)?;
            match self.send_once(what, request).await {
                Err(SalesforceError::SessionExpired { .. }) => {
                    let fresh = self.renew(&token).await?;
                    let request = self.prepare(&fresh, &method, &target, &build)?;
                    self.send_once(what, request).await
                }
                other => other,
            }
        })
        .await
    }

    /// Sends a request whose body can be sent only once (a streamed upload): no retries. When
    /// the session turns out invalid, a fresh token is fetched for the next call and the error
    /// says so (`SessionExpired { renewed: true }`, retryable with a fresh body).
    pub(crate) async fn send_single<F>(
        &self,
        what: &str,
        method: Method,
        target: Target<'_>,
        build: F,
    ) -> Result<Response, SalesforceError>
    where
        F: FnOnce(RequestBuilder) -> RequestBuilder,
    {
        let repeat = Repeat::for_method(&method);
        let token = self.current_token().await?;
        let url = self.url_for(&token, &target)?;
        let request = build(self.base_request(&token, method, url));
        match self.send_once(what, request).await {
            Err(SalesforceError::SessionExpired { message, .. }) => {
                self.renew(&token).await?;
                Err(SalesforceError::SessionExpired {
                    message,
                    renewed: true,
                })
            }
            Err(e) => Err(retry::final_error(repeat, e)),
            ok => ok,
        }
    }

    fn prepare<F>(
        &self,
        token: &Token,
        method: &Method,
        target: &Target<'_>,
        build: &F,
    ) -> Result<RequestBuilder, SalesforceError>
    where
        F: Fn(RequestBuilder) -> RequestBuilder,
    {
        let url = self.url_for(token, target)?;
        Ok(build(self.base_request(token, method.clone(), url)))
    }

    fn base_request(&self, token: &Token, method: Method, url: Url) -> RequestBuilder {
        self.inner
            .http
            .request(method, url)
            .bearer_auth(token.access_token.expose_secret())
    }

    /// One HTTP exchange: counts the call, reads the usage header, maps error statuses.
    async fn send_once(
        &self,
        what: &str,
        request: RequestBuilder,
    ) -> Result<Response, SalesforceError> {
        self.inner.usage.count_call();
        let response = request
            .send()
            .await
            .map_err(|e| SalesforceError::transport(what, e))?;
        self.inner.usage.observe(response.headers());
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = retry_after_header(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|e| SalesforceError::transport(what, e))?;
        Err(self.map_error(status, &body, retry_after))
    }

    fn map_error(
        &self,
        status: StatusCode,
        body: &[u8],
        retry_after: Option<Duration>,
    ) -> SalesforceError {
        let errors = parse_error_body(body);
        let first = |code: &str| errors.iter().find(|e| e.code == code);
        if let Some(e) = first("INVALID_SESSION_ID") {
            if e.message
                .to_ascii_lowercase()
                .contains("not valid for use with the rest api")
            {
                return SalesforceError::OAuth(OAuthFailure::missing_api_scope(
                    &e.code, &e.message,
                ));
            }
            return SalesforceError::SessionExpired {
                message: e.message.clone(),
                renewed: false,
            };
        }
        if let Some(e) = first("API_CURRENTLY_DISABLED") {
            return SalesforceError::OAuth(OAuthFailure::api_disabled(&e.code, &e.message));
        }
        if status == StatusCode::UNAUTHORIZED && errors.is_empty() {
            return SalesforceError::SessionExpired {
                message: "HTTP 401 without details".into(),
                renewed: false,
            };
        }
        if let Some(e) = first("REQUEST_LIMIT_EXCEEDED") {
            return SalesforceError::RequestLimitExceeded {
                message: e.message.clone(),
                usage: self.inner.usage.latest(),
            };
        }
        SalesforceError::Api {
            status: status.as_u16(),
            errors,
            retry_after,
        }
    }

    /// The overall timeout of one JSON call.
    pub(crate) fn call_timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// GET a JSON document.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        what: &str,
        target: Target<'_>,
        query: &[(&str, String)],
    ) -> Result<T, SalesforceError> {
        let response = self
            .send(what, Method::GET, target, |r| {
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
        target: Target<'_>,
        body: &Value,
    ) -> Result<T, SalesforceError> {
        let response = self
            .send(what, method, target, |r| {
                json_request(r.json(body), self.call_timeout())
            })
            .await?;
        read_json(what, response).await
    }

    /// Sends a JSON body to an endpoint that answers 204.
    pub(crate) async fn json_no_content(
        &self,
        what: &str,
        method: Method,
        target: Target<'_>,
        body: &Value,
    ) -> Result<(), SalesforceError> {
        let response = self
            .send(what, method, target, |r| {
                json_request(r.json(body), self.call_timeout())
            })
            .await?;
        // Drain the (normally empty) body so the connection can be reused.
        let _ = response.bytes().await;
        Ok(())
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
) -> Result<T, SalesforceError> {
    let body = response
        .bytes()
        .await
        .map_err(|e| SalesforceError::transport(what, e))?;
    serde_json::from_slice(&body).map_err(|e| SalesforceError::malformed(what, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_checks_the_login_url_and_never_prints_the_secret() {
        let settings = SalesforceSettings::default();
        let connection = SalesforceConnection {
            login_url: "https://evil.example.com".into(),
            client_id: "id".into(),
            client_secret: SecretString::from("hunter2"),
        };
        assert!(format!("{connection:?}").contains("REDACTED"));
        assert!(!format!("{connection:?}").contains("hunter2"));
        let err = SalesforceClient::new(connection.clone(), &settings).expect_err("refused");
        assert!(matches!(err, SalesforceError::HostRefused(_)), "{err}");
        let ok = SalesforceClient::new(
            SalesforceConnection {
                login_url: "https://acme.my.salesforce.com".into(),
                ..connection
            },
            &settings,
        )
        .expect("accepted");
        assert!(!format!("{ok:?}").contains("hunter2"));
        assert_eq!(ok.api_version(), "v60.0");
        assert_eq!(ok.calls_made(), 0);
        assert_eq!(ok.api_usage(), None);
    }
}
