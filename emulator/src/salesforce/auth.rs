//! OAuth 2.0 client credentials on the org's My Domain, the identity URL, token revocation,
//! and bearer-token checks for every REST call.
//!
//! The token endpoint answers exactly the documented success body (`access_token`,
//! `signature` = base64 HMAC-SHA256(secret, id + issued_at), `scope`, `instance_url`, `id`,
//! `token_type`, `issued_at` as a string of milliseconds) and the documented
//! `{error, error_description}` failures. Tokens expire after the configured TTL of emulated
//! time. The generic login host refuses client credentials, as login.salesforce.com does.
//! Sources: Salesforce Help "OAuth 2.0 Client Credentials Flow for Server-to-Server
//! Integration"; `shared/reference/api-shapes.md` A1.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde_json::{json, Value};
use sha2::Sha256;

use super::error::SfError;
use super::store::{Org, Token};

/// An OAuth endpoint failure: HTTP 400 `{"error", "error_description"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct OAuthError {
    /// `error`.
    pub error: &'static str,
    /// `error_description`.
    pub description: &'static str,
}

impl OAuthError {
    const fn new(error: &'static str, description: &'static str) -> Self {
        Self { error, description }
    }

    /// The response body.
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

/// Unknown client id.
pub const UNKNOWN_CLIENT: OAuthError =
    OAuthError::new("invalid_client_id", "client identifier invalid");
/// Wrong secret.
pub const BAD_SECRET: OAuthError = OAuthError::new("invalid_client", "invalid client credentials");
/// No run-as user, or the flow is not enabled on the app (Salesforce reports both alike).
pub const NO_USER: OAuthError =
    OAuthError::new("invalid_grant", "no client credentials user enabled");
/// The run-as user is inactive.
pub const INACTIVE_USER: OAuthError = OAuthError::new("invalid_grant", "inactive user");
/// Client credentials sent to the generic login host.
pub const WRONG_DOMAIN: OAuthError =
    OAuthError::new("invalid_grant", "request not supported on this domain");
/// No `grant_type`.
pub const NO_GRANT: OAuthError = OAuthError::new("invalid_request", "grant type is missing");
/// A grant type the emulator does not serve.
pub const BAD_GRANT: OAuthError =
    OAuthError::new("unsupported_grant_type", "grant type not supported");

/// Client credentials as sent: form fields, or HTTP Basic.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// `grant_type`.
    pub grant_type: Option<String>,
    /// `client_id` (or the Basic user).
    pub client_id: Option<String>,
    /// `client_secret` (or the Basic password).
    pub client_secret: Option<String>,
}

impl TokenRequest {
    /// Reads form parameters and an optional `Authorization: Basic` header.
    pub fn from_parts(params: &[(String, String)], authorization: Option<&str>) -> Self {
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let mut out = Self {
            grant_type: get("grant_type"),
            client_id: get("client_id"),
            client_secret: get("client_secret"),
        };
        let basic = authorization
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok());
        if let Some((id, secret)) = basic.as_deref().and_then(|s| s.split_once(':')) {
            out.client_id.get_or_insert_with(|| id.to_string());
            out.client_secret.get_or_insert_with(|| secret.to_string());
        }
        out
    }

    fn grant(&self) -> Result<(), OAuthError> {
        match self.grant_type.as_deref() {
            None | Some("") => Err(NO_GRANT),
            Some("client_credentials") => Ok(()),
            Some(_) => Err(BAD_GRANT),
        }
    }
}

/// What the generic login host answers to a token request.
pub fn login_host_token(req: &TokenRequest) -> OAuthError {
    match req.grant() {
        Ok(()) => WRONG_DOMAIN,
        Err(e) => e,
    }
}

fn signature(secret: &str, id: &str, issued_at: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(id.as_bytes());
    mac.update(issued_at.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn new_token(org_id: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    let mut rng = rand::thread_rng();
    let tail: String = (0..110)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}!AQ{tail}", &org_id[..15.min(org_id.len())])
}

/// The identity URL of a user.
pub fn identity_url(instance_url: &str, org_id: &str, user_id: &str) -> String {
    format!("{instance_url}/id/{org_id}/{user_id}")
}

/// Runs the client-credentials flow on the My Domain host.
pub fn issue(
    org: &mut Org,
    req: &TokenRequest,
    now: DateTime<Utc>,
    instance_url: &str,
) -> Result<Value, OAuthError> {
    req.grant()?;
    let client_id = req.client_id.as_deref().unwrap_or("");
    let app = org.apps.get(client_id).cloned().ok_or(UNKNOWN_CLIENT)?;
    if req.client_secret.as_deref() != Some(app.client_secret.as_str()) {
        return Err(BAD_SECRET);
    }
    let user_id = app
        .run_as
        .clone()
        .filter(|_| app.client_credentials)
        .ok_or(NO_USER)?;
    let user = org.record(&user_id).ok_or(NO_USER)?;
    if user.get("IsActive").as_bool() != Some(true) {
        return Err(INACTIVE_USER);
    }
    let token = new_token(&org.org_id);
    let issued_at = now.timestamp_millis().to_string();
    let id = identity_url(instance_url, &org.org_id, &user_id);
    let api_scope = app.scopes.iter().any(|s| s == "api" || s == "full");
    org.tokens.insert(
        token.clone(),
        Token {
            client_id: app.client_id.clone(),
            user_id,
            issued_at: now,
            api_scope,
        },
    );
    Ok(json!({
        "access_token": token,
        "signature": signature(&app.client_secret, &id, &issued_at),
        "scope": app.scopes.join(" "),
        "instance_url": instance_url,
        "id": id,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }))
}

/// The bearer token of an `Authorization` header (`Bearer` or `OAuth`).
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    let h = authorization?.trim();
    h.strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("OAuth "))
        .map(str::trim)
}

/// Checks a bearer token for a REST call; returns the user it acts as.
pub fn authenticate(
    org: &mut Org,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, SfError> {
    let token = token.ok_or_else(SfError::invalid_session)?;
    let ttl = Duration::seconds(org.settings.token_ttl_secs);
    let Some(session) = org.tokens.get(token).cloned() else {
        return Err(SfError::invalid_session());
    };
    if now >= session.issued_at + ttl {
        org.tokens.remove(token);
        return Err(SfError::invalid_session());
    }
    let active = org
        .record(&session.user_id)
        .is_some_and(|u| u.get("IsActive").as_bool() == Some(true));
    if !active {
        return Err(SfError::invalid_session());
    }
    if !session.api_scope {
        return Err(SfError::session_not_for_rest());
    }
    if !org.access_of(&session.user_id).api_enabled {
        return Err(SfError::new(
            403,
            "API_CURRENTLY_DISABLED",
            "API is disabled for this User",
        ));
    }
    Ok(session.user_id)
}

/// Revokes a token (`POST /services/oauth2/revoke`).
pub fn revoke(org: &mut Org, token: &str) -> Result<(), OAuthError> {
    org.tokens.remove(token).map(|_| ()).ok_or(OAuthError::new(
        "unsupported_token_type",
        "this token type is not supported",
    ))
}

/// The identity service's answer for the token's user.
pub fn identity(org: &Org, user_id: &str, instance_url: &str, version: &str) -> Value {
    let user = org.record(user_id);
    let get = |f: &str| user.map_or(Value::Null, |u| u.get(f).clone());
    let rest = format!("{instance_url}/services/data/v{version}/");
    json!({
        "id": identity_url(instance_url, &org.org_id, user_id),
        "asserted_user": true,
        "user_id": user_id,
        "organization_id": org.org_id,
        "username": get("Username"),
        "nick_name": get("Alias"),
        "display_name": get("Name"),
        "email": get("Email"),
        "email_verified": true,
        "first_name": get("FirstName"),
        "last_name": get("LastName"),
        "timezone": "GMT",
        "active": get("IsActive"),
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 0,
        "urls": {
            "rest": rest,
            "sobjects": format!("{rest}sobjects/"),
            "search": format!("{rest}search/"),
            "query": format!("{rest}query/"),
            "custom_domain": instance_url,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_supplies_missing_form_credentials() {
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("id:secret")
        );
        let req = TokenRequest::from_parts(
            &[("grant_type".into(), "client_credentials".into())],
            Some(&header),
        );
        assert_eq!(req.client_id.as_deref(), Some("id"));
        assert_eq!(req.client_secret.as_deref(), Some("secret"));
    }

    #[test]
    fn the_login_host_refuses_client_credentials() {
        let mut req = TokenRequest::default();
        assert_eq!(login_host_token(&req), NO_GRANT);
        req.grant_type = Some("client_credentials".into());
        assert_eq!(login_host_token(&req), WRONG_DOMAIN);
        req.grant_type = Some("password".into());
        assert_eq!(login_host_token(&req), BAD_GRANT);
    }

    #[test]
    fn signature_is_hmac_of_id_and_issued_at() {
        let sig = signature("secret", "https://x/id/00D/005", "1700000000000");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"https://x/id/00D/0051700000000000");
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(sig, expected);
    }
}
