//! The Salesforce connection: validate credentials against Salesforce before saving anything,
//! keep the secret in the vault, record what was validated, revoke on request.
//!
//! Validation is the whole flow an admin expects from the admin page: a token by client
//! credentials, then the Organization (id and name) and the instance URL. Any failure comes back
//! with Salesforce's own error, its cause and the fix, and nothing is saved.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::context::{Engine, SALESFORCE_SECRET};
use super::SyncError;
use crate::connectors::salesforce::{SalesforceClient, SalesforceConnection};
use crate::domain::link::events::Trigger;
use crate::events::connection::{ConnectionEvent, ConnectionRevoked, ConnectionValidated};
use crate::events::store::ExpectedVersion;
use crate::events::{decode, encode, streams, Meta};

/// `PUT /api/admin/connection` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// Login URL: login, test or My Domain.
    pub login_url: String,
    /// The External Client App's consumer key.
    pub client_id: String,
    /// Its consumer secret.
    #[schema(value_type = String, write_only)]
    pub client_secret: SecretString,
}

/// What the admin page shows of the connection.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ConnectionSummary {
    /// `connected` or `not_connected`.
    pub status: &'static str,
    /// Login URL.
    pub login_url: Option<String>,
    /// OAuth client id.
    pub client_id: Option<String>,
    /// Organization id.
    pub org_id: Option<String>,
    /// Organization name.
    pub org_name: Option<String>,
    /// Instance URL from the token response.
    pub instance_url: Option<String>,
    /// When it was validated.
    pub connected_at: Option<DateTime<Utc>>,
    /// Salesforce API usage seen on the last response, when known.
    pub api_usage: Option<ApiUsageView>,
}

/// API usage as shown.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ApiUsageView {
    /// Calls used in the rolling 24 hours.
    pub used: u64,
    /// The org's daily limit.
    pub limit: u64,
}

impl ConnectionSummary {
    fn disconnected() -> Self {
        Self {
            status: "not_connected",
            login_url: None,
            client_id: None,
            org_id: None,
            org_name: None,
            instance_url: None,
            connected_at: None,
            api_usage: None,
        }
    }
}

/// The connection as the log knows it.
pub struct Current {
    /// The last validation, unless revoked since.
    pub validated: Option<(ConnectionValidated, DateTime<Utc>)>,
    /// The stream's version.
    pub version: Option<u64>,
}

/// Folds the `connection` stream.
pub async fn current(engine: &Engine) -> Result<Current, SyncError> {
    let events = engine.store.read_stream(&streams::connection(), 0).await?;
    let mut validated = None;
    let mut version = None;
    for recorded in &events {
        version = Some(recorded.version);
        match decode::<ConnectionEvent>(recorded)
            .map_err(crate::projections::ProjectionError::from)?
        {
            ConnectionEvent::Validated(v) => validated = Some((v, recorded.recorded_at)),
            ConnectionEvent::Revoked(_) => validated = None,
        }
    }
    Ok(Current { validated, version })
}

fn expected(version: Option<u64>) -> ExpectedVersion {
    version.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact)
}

/// The summary for `GET /api/admin/connection`.
pub async fn summary(engine: &Engine) -> Result<ConnectionSummary, SyncError> {
    let current = current(engine).await?;
    let Some((v, at)) = current.validated else {
        return Ok(ConnectionSummary::disconnected());
    };
    let usage = engine.salesforce().ok().and_then(|c| c.api_usage());
    Ok(ConnectionSummary {
        status: "connected",
        login_url: Some(v.login_url),
        client_id: Some(v.client_id),
        org_id: Some(v.org_id),
        org_name: Some(v.org_name),
        instance_url: Some(v.instance_url),
        connected_at: Some(at),
        api_usage: usage.map(|u| ApiUsageView {
            used: u.used,
            limit: u.limit,
        }),
    })
}

fn fingerprint(secret: &SecretString) -> String {
    let digest = Sha256::digest(secret.expose_secret().as_bytes());
    hex::encode(&digest[..6])
}

/// Validates the credentials against Salesforce and, only if everything works, saves them.
pub async fn connect(
    engine: &Engine,
    request: ConnectRequest,
) -> Result<ConnectionSummary, SyncError> {
    let mut problems = serde_json::Map::new();
    if request.login_url.trim().is_empty() {
        problems.insert("login_url".into(), "enter the Salesforce login URL".into());
    }
    if request.client_id.trim().is_empty() {
        problems.insert(
            "client_id".into(),
            "enter the OAuth client id (consumer key)".into(),
        );
    }
    if request.client_secret.expose_secret().trim().is_empty() {
        problems.insert(
            "client_secret".into(),
            "enter the OAuth client secret (consumer secret)".into(),
        );
    }
    if !problems.is_empty() {
        return Err(SyncError::invalid(
            "invalid_connection",
            "the connection form is incomplete",
            json!({ "fields": problems }),
        ));
    }
    let login_url = request.login_url.trim().trim_end_matches('/').to_string();
    let client = SalesforceClient::new(
        SalesforceConnection {
            login_url: login_url.clone(),
            client_id: request.client_id.trim().to_string(),
            client_secret: request.client_secret.clone(),
        },
        &engine.settings.salesforce,
    )?;
    let token = client.authenticate().await?;
    let organization = client.organization().await?;
    let current = current(engine).await?;
    engine
        .vault
        .put(SALESFORCE_SECRET, &request.client_secret)?;
    let event = ConnectionEvent::Validated(ConnectionValidated {
        login_url,
        client_id: request.client_id.trim().to_string(),
        org_id: organization.id.to_string(),
        org_name: organization.name,
        instance_url: token
            .instance_url
            .as_str()
            .trim_end_matches('/')
            .to_string(),
        secret_fingerprint: fingerprint(&request.client_secret),
    });
    engine
        .store
        .append(
            &streams::connection(),
            expected(current.version),
            vec![encode(&event, Meta::default())],
        )
        .await?;
    engine.set_salesforce(Some(client));
    tracing::info!("Salesforce connection validated and saved");
    summary(engine).await
}

/// Revokes the connection: erases the secret and records it.
pub async fn revoke(engine: &Engine) -> Result<ConnectionSummary, SyncError> {
    let current = current(engine).await?;
    if current.validated.is_none() {
        return Err(SyncError::NotConnected);
    }
    engine.vault.delete(SALESFORCE_SECRET)?;
    engine.set_salesforce(None);
    let event = ConnectionEvent::Revoked(ConnectionRevoked {
        trigger: Trigger::Admin,
    });
    engine
        .store
        .append(
            &streams::connection(),
            expected(current.version),
            vec![encode(&event, Meta::default())],
        )
        .await?;
    tracing::info!("Salesforce connection revoked");
    Ok(ConnectionSummary::disconnected())
}

/// At start: rebuild the client from the log and the vault (no network call until used).
pub async fn restore(engine: &Engine) -> Result<(), SyncError> {
    let current = current(engine).await?;
    let Some((validated, _)) = current.validated else {
        return Ok(());
    };
    let Some(secret) = engine.vault.get(SALESFORCE_SECRET)? else {
        tracing::warn!("the Salesforce connection has no stored secret; reconnect it");
        return Ok(());
    };
    let client = SalesforceClient::new(
        SalesforceConnection {
            login_url: validated.login_url,
            client_id: validated.client_id,
            client_secret: secret,
        },
        &engine.settings.salesforce,
    )?;
    engine.set_salesforce(Some(client));
    Ok(())
}

/// The instance URL of the current connection, for Open-in-Salesforce links.
pub async fn instance_url(engine: &Engine) -> Result<Option<String>, SyncError> {
    Ok(current(engine)
        .await?
        .validated
        .map(|(v, _)| v.instance_url))
}
