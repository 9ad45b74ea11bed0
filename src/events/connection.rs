//! Events of the Salesforce connection (stream `connection`).
//!
//! Only what was validated is recorded: the login URL, client id and what Salesforce said about
//! the org. The client secret is never in the log (it is encrypted at rest elsewhere), so that
//! revoking a connection really forgets it while the history stays append-only.

use serde::{Deserialize, Serialize};

use super::codec::Catalogued;
use super::link::Trigger;

/// Payload of `connection.validated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionValidated {
    /// Login URL the admin gave.
    pub login_url: String,
    /// OAuth client id of the External Client App.
    pub client_id: String,
    /// Organization id (`00D…`).
    pub org_id: String,
    /// Organization name.
    pub org_name: String,
    /// Instance URL from the token response.
    pub instance_url: String,
    /// SHA-256 fingerprint of the secret, to tell a rotation from a re-save.
    pub secret_fingerprint: String,
}

/// Payload of `connection.revoked`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionRevoked {
    /// Who revoked it.
    pub trigger: Trigger,
}

/// Every event of the connection stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ConnectionEvent {
    /// Credentials were checked against Salesforce and saved.
    #[serde(rename = "connection.validated")]
    Validated(ConnectionValidated),
    /// The connection was revoked and its secret erased.
    #[serde(rename = "connection.revoked")]
    Revoked(ConnectionRevoked),
}

impl Catalogued for ConnectionEvent {
    const PREFIX: &'static str = "connection.";

    fn event_type(&self) -> &'static str {
        match self {
            ConnectionEvent::Validated(_) => "connection.validated",
            ConnectionEvent::Revoked(_) => "connection.revoked",
        }
    }
}
