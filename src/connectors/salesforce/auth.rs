//! OAuth 2.0 client credentials against Salesforce, and what each refusal means for people.
//!
//! sfjira signs in as the connected app's Run-As user: one form POST of `grant_type`,
//! `client_id` and `client_secret` to `<login host>/services/oauth2/token`. The answer has no
//! expiry and no refresh token, so the token is kept until a REST call says the session is
//! invalid, then requested again once. Setting the flow up in Salesforce has many ways to go
//! wrong, and each comes back as a terse `{error, error_description}` pair; the admin page has
//! to tell the administrator what is wrong and what to change, so every known pair maps to an
//! [`OAuthFailureKind`] with a [`cause`](OAuthFailure::cause) and a [`fix`](OAuthFailure::fix).

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use crate::domain::ids::SalesforceId;

/// What kind of OAuth failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthFailureKind {
    /// `invalid_client_id`: no connected app has this client id.
    UnknownClient,
    /// `invalid_client`: the client secret does not match.
    WrongSecret,
    /// `invalid_grant` / "no client credentials user enabled": no Run-As user.
    NoRunAsUser,
    /// "client credentials flow not enabled" on the app.
    FlowNotEnabled,
    /// `invalid_grant` / "request not supported on this domain": the token was requested from
    /// a generic login host instead of the org's My Domain.
    WrongDomain,
    /// `invalid_app_access` / "user is not admin approved to access this app".
    NotAdminApproved,
    /// `invalid_grant` / "inactive user": the Run-As user is deactivated or frozen.
    InactiveUser,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `invalid_request` / "grant type is missing".
    MissingGrantType,
    /// `invalid_scope` and scope complaints: too many scopes, or a scope parameter refused.
    InvalidScope,
    /// A token was issued but the app lacks the `api` scope: REST answers "This session is not
    /// valid for use with the REST API".
    MissingApiScope,
    /// A token was issued but the Run-As user lacks "API Enabled": REST answers 403
    /// `API_CURRENTLY_DISABLED`.
    ApiDisabledForUser,
    /// `unknown_error` / "retry your request": transient on Salesforce's side.
    Transient,
    /// Anything else.
    Other,
}

/// A refused token request (or an unusable token), with Salesforce's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthFailure {
    /// What it means.
    pub kind: OAuthFailureKind,
    /// Salesforce's `error` (or the REST `errorCode` for [`OAuthFailureKind::MissingApiScope`]).
    pub error: String,
    /// Salesforce's `error_description` (or the REST message).
    pub description: String,
}

impl OAuthFailure {
    /// Maps an `error` / `error_description` pair to its kind.
    pub fn classify(error: &str, description: &str) -> Self {
        let e = error.trim().to_ascii_lowercase();
        let d = description.trim().to_ascii_lowercase();
        let kind = if d.contains("flow not enabled") {
            OAuthFailureKind::FlowNotEnabled
        } else if d.contains("no client credentials user enabled") {
            OAuthFailureKind::NoRunAsUser
        } else if d.contains("not supported on this domain") {
            OAuthFailureKind::WrongDomain
        } else if e == "invalid_app_access" || d.contains("admin approved") {
            OAuthFailureKind::NotAdminApproved
        } else if d.contains("not valid for use with the rest api") {
            OAuthFailureKind::MissingApiScope
        } else if e == "api_currently_disabled" || d.contains("api is disabled for this user") {
            OAuthFailureKind::ApiDisabledForUser
        } else if d.contains("inactive user") {
            OAuthFailureKind::InactiveUser
        } else {
            match e.as_str() {
                "invalid_client_id" => OAuthFailureKind::UnknownClient,
                "invalid_client" if d.contains("client identifier invalid") => {
                    OAuthFailureKind::UnknownClient
                }
                "invalid_client" => OAuthFailureKind::WrongSecret,
                "unsupported_grant_type" => OAuthFailureKind::UnsupportedGrantType,
                "invalid_request" if d.contains("grant type") => OAuthFailureKind::MissingGrantType,
                "invalid_scope" => OAuthFailureKind::InvalidScope,
                _ if d.contains("scope") => OAuthFailureKind::InvalidScope,
                "unknown_error" => OAuthFailureKind::Transient,
                _ => OAuthFailureKind::Other,
            }
        };
        Self {
            kind,
            error: error.trim().to_string(),
            description: description.trim().to_string(),
        }
    }

    /// The failure of a token that REST refuses for lack of the `api` scope.
    pub fn missing_api_scope(error_code: &str, message: &str) -> Self {
        Self {
            kind: OAuthFailureKind::MissingApiScope,
            error: error_code.to_string(),
            description: message.to_string(),
        }
    }

    /// The failure of a token whose Run-As user lacks "API Enabled".
    pub fn api_disabled(error_code: &str, message: &str) -> Self {
        Self {
            kind: OAuthFailureKind::ApiDisabledForUser,
            error: error_code.to_string(),
            description: message.to_string(),
        }
    }

    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        self.kind == OAuthFailureKind::Transient
    }

    /// What is wrong, in words for an administrator.
    pub fn cause(&self) -> &'static str {
        match self.kind {
            OAuthFailureKind::UnknownClient => {
                "Salesforce does not know this Client ID (consumer key)."
            }
            OAuthFailureKind::WrongSecret => "The Client Secret does not match the Client ID.",
            OAuthFailureKind::NoRunAsUser => {
                "The app has no Run As user for the client credentials flow, or the flow is not \
                 enabled (\"no client credentials user enabled\")."
            }
            OAuthFailureKind::FlowNotEnabled => {
                "The Client Credentials Flow is not enabled on the External Client App (or \
                 Connected App)."
            }
            OAuthFailureKind::WrongDomain => {
                "The token was requested from a generic login host; Salesforce issues \
                 client-credentials tokens only on the org's My Domain (\"request not supported \
                 on this domain\")."
            }
            OAuthFailureKind::NotAdminApproved => {
                "The Run As user is not pre-authorized for this app (\"user is not admin \
                 approved to access this app\")."
            }
            OAuthFailureKind::InactiveUser => {
                "The Run As user of the app is inactive or frozen (\"inactive user\")."
            }
            OAuthFailureKind::ApiDisabledForUser => {
                "A token was issued, but the Run As user does not have the \"API Enabled\" \
                 permission, so the REST API refuses it (\"API is disabled for this User\")."
            }
            OAuthFailureKind::UnsupportedGrantType => {
                "Salesforce does not accept the client_credentials grant type at this endpoint."
            }
            OAuthFailureKind::MissingGrantType => {
                "The token request reached Salesforce without a grant type (a proxy may have \
                 dropped the request body)."
            }
            OAuthFailureKind::InvalidScope => {
                "Salesforce refused the app's OAuth scopes (too many scopes, or a scope \
                 parameter the org does not support)."
            }
            OAuthFailureKind::MissingApiScope => {
                "A token was issued, but the app lacks the \"Manage user data via APIs (api)\" \
                 scope, so the REST API refuses it (\"This session is not valid for use with \
                 the REST API\")."
            }
            OAuthFailureKind::Transient => {
                "Salesforce had a temporary problem issuing the token (\"retry your request\")."
            }
            OAuthFailureKind::Other => "Salesforce refused the token request.",
        }
    }

    /// What to change, in words for an administrator.
    pub fn fix(&self) -> &'static str {
        match self.kind {
            OAuthFailureKind::UnknownClient => {
                "Copy the Client ID (consumer key) again from the External Client App's OAuth \
                 settings, and check that the Login URL belongs to the org that owns the app."
            }
            OAuthFailureKind::WrongSecret => {
                "Copy the Client Secret (consumer secret) again from the External Client App, \
                 or reset it there and paste the new value."
            }
            OAuthFailureKind::NoRunAsUser => {
                "In the External Client App's Policies tab, enable Client Credentials Flow and \
                 set the Run As user to the integration user."
            }
            OAuthFailureKind::FlowNotEnabled => {
                "In the External Client App's Policies tab (Connected App: Manage > Edit \
                 Policies), enable Client Credentials Flow, then save and retry."
            }
            OAuthFailureKind::WrongDomain => {
                "Use your org's My Domain URL as the Login URL (https://<your-domain>.my.\
                 salesforce.com, shown under Setup > My Domain) instead of login.salesforce.com \
                 or test.salesforce.com."
            }
            OAuthFailureKind::NotAdminApproved => {
                "In the app's policies set Permitted Users to \"Admin approved users are \
                 pre-authorized\" and assign the Run As user a profile or permission set that \
                 grants access to the app."
            }
            OAuthFailureKind::InactiveUser => {
                "Reactivate (or unfreeze) the integration user in Setup > Users, or set another \
                 active user as the app's Run As user."
            }
            OAuthFailureKind::ApiDisabledForUser => {
                "Grant the integration user \"API Enabled\" through its profile or a permission \
                 set, then retry."
            }
            OAuthFailureKind::UnsupportedGrantType => {
                "Check that the Login URL points at Salesforce itself (not a proxy that rewrites \
                 requests) and that Client Credentials Flow is enabled on the app."
            }
            OAuthFailureKind::MissingGrantType => {
                "Check any proxy between sfjira and Salesforce: the token request must reach \
                 Salesforce as a form body."
            }
            OAuthFailureKind::InvalidScope => {
                "Configure the app with only the minimal scope, \"Manage user data via APIs \
                 (api)\", save, and retry."
            }
            OAuthFailureKind::MissingApiScope => {
                "Add the \"Manage user data via APIs (api)\" scope to the External Client App's \
                 OAuth settings, save, and retry."
            }
            OAuthFailureKind::Transient => "Wait a moment and retry; nothing needs changing.",
            OAuthFailureKind::Other => {
                "Check the Login URL, Client ID and Client Secret, and that the app has Client \
                 Credentials Flow enabled with a Run As user that has API access."
            }
        }
    }
}

impl fmt::Display for OAuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}: {}) Fix: {}",
            self.cause(),
            self.error,
            self.description,
            self.fix()
        )
    }
}

/// What a successful token request tells about the connection (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Where REST calls go.
    #[serde(serialize_with = "url_as_str")]
    pub instance_url: Url,
    /// The org (`00D…`), from the `id` URL.
    pub org_id: SalesforceId,
    /// The Run-As user (`005…`), from the `id` URL.
    pub user_id: SalesforceId,
    /// When Salesforce issued the token.
    pub issued_at: DateTime<Utc>,
    /// Granted scopes, when listed.
    pub scopes: Vec<String>,
    /// `Bearer`.
    pub token_type: String,
}

fn url_as_str<S: serde::Serializer>(url: &Url, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(url.as_str())
}

/// A cached token: what it says, and the secret itself.
#[derive(Debug)]
pub(crate) struct Token {
    pub(crate) info: TokenInfo,
    pub(crate) access_token: SecretString,
}

/// The token endpoint's success body.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: SecretString,
    pub(crate) instance_url: String,
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) token_type: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    pub(crate) issued_at: Option<String>,
    #[serde(default)]
    pub(crate) scope: Option<String>,
}

/// The token endpoint's error body.
#[derive(Deserialize)]
pub(crate) struct TokenErrorResponse {
    pub(crate) error: String,
    #[serde(default)]
    pub(crate) error_description: String,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Splits the token's `id` URL (`…/id/<org 00D…>/<user 005…>`) into the org and user ids.
pub fn parse_identity_url(id_url: &str) -> Result<(SalesforceId, SalesforceId), String> {
    let url = Url::parse(id_url).map_err(|e| format!("`id` is not a URL ({e}): {id_url}"))?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    let [.., org, user] = segments.as_slice() else {
        return Err(format!("`id` URL has no org and user segments: {id_url}"));
    };
    let org = SalesforceId::parse(org).map_err(|e| format!("org id in `id` URL: {e}"))?;
    let user = SalesforceId::parse(user).map_err(|e| format!("user id in `id` URL: {e}"))?;
    if org.key_prefix() != "00D" {
        return Err(format!("`id` URL's org id {org} is not an organization id"));
    }
    if user.key_prefix() != "005" {
        return Err(format!("`id` URL's user id {user} is not a user id"));
    }
    Ok((org, user))
}

/// Reads `issued_at` (epoch milliseconds, sent as a string). Missing or unreadable: `now`.
pub fn parse_issued_at(raw: Option<&str>, now: DateTime<Utc>) -> DateTime<Utc> {
    raw.and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_failure_has_its_kind() {
        let cases = [
            (
                "invalid_client_id",
                "client identifier invalid",
                OAuthFailureKind::UnknownClient,
            ),
            (
                "invalid_client",
                "invalid client credentials",
                OAuthFailureKind::WrongSecret,
            ),
            (
                "invalid_grant",
                "no client credentials user enabled",
                OAuthFailureKind::NoRunAsUser,
            ),
            (
                "invalid_grant",
                "client credentials flow not enabled",
                OAuthFailureKind::FlowNotEnabled,
            ),
            (
                "invalid_client",
                "Client Credentials Flow Not Enabled",
                OAuthFailureKind::FlowNotEnabled,
            ),
            (
                "invalid_grant",
                "request not supported on this domain",
                OAuthFailureKind::WrongDomain,
            ),
            (
                "invalid_app_access",
                "user is not admin approved to access this app",
                OAuthFailureKind::NotAdminApproved,
            ),
            (
                "unsupported_grant_type",
                "grant type not supported",
                OAuthFailureKind::UnsupportedGrantType,
            ),
            (
                "invalid_request",
                "grant type is missing",
                OAuthFailureKind::MissingGrantType,
            ),
            (
                "invalid_scope",
                "the requested scope is not allowed",
                OAuthFailureKind::InvalidScope,
            ),
            (
                "invalid_request",
                "scope parameter not supported",
                OAuthFailureKind::InvalidScope,
            ),
            (
                "unknown_error",
                "retry your request",
                OAuthFailureKind::Transient,
            ),
            (
                "invalid_grant",
                "inactive user",
                OAuthFailureKind::InactiveUser,
            ),
            (
                "API_CURRENTLY_DISABLED",
                "API is disabled for this User",
                OAuthFailureKind::ApiDisabledForUser,
            ),
            (
                "invalid_grant",
                "authentication failure",
                OAuthFailureKind::Other,
            ),
            (
                "INVALID_SESSION_ID",
                "This session is not valid for use with the REST API",
                OAuthFailureKind::MissingApiScope,
            ),
        ];
        for (error, description, kind) in cases {
            let f = OAuthFailure::classify(error, description);
            assert_eq!(f.kind, kind, "{error} / {description}");
            assert!(!f.cause().is_empty() && !f.fix().is_empty());
        }
    }

    #[test]
    fn the_wrong_domain_fix_points_at_my_domain() {
        let f = OAuthFailure::classify("invalid_grant", "request not supported on this domain");
        assert!(f.fix().contains("My Domain"), "{}", f.fix());
        let shown = f.to_string();
        assert!(
            shown.contains("request not supported on this domain"),
            "{shown}"
        );
    }

    #[test]
    fn only_the_transient_kind_is_transient() {
        assert!(OAuthFailure::classify("unknown_error", "retry your request").is_transient());
        assert!(!OAuthFailure::classify("invalid_client", "x").is_transient());
    }

    #[test]
    fn identity_urls_give_org_and_user() {
        let (org, user) = parse_identity_url(
            "https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS",
        )
        .expect("valid");
        assert_eq!(org.as_str(), "00Dxx0000001gPLEAY");
        assert_eq!(user.as_str(), "005xx000001SwiUAAS");
        let (org, _) =
            parse_identity_url("http://127.0.0.1:8081/id/00Dxx0000001gPL/005xx000001SwiU/")
                .expect("15-char ids and a trailing slash");
        assert_eq!(org.as_str().len(), 18);
    }

    #[test]
    fn bad_identity_urls_are_refused() {
        assert!(parse_identity_url("not a url").is_err());
        assert!(parse_identity_url("https://login.salesforce.com/id/").is_err());
        assert!(parse_identity_url(
            "https://login.salesforce.com/id/005xx000001SwiUAAS/00Dxx0000001gPLEAY"
        )
        .is_err());
        assert!(
            parse_identity_url("https://login.salesforce.com/id/00Dxx0000001gPLEAY/xyz").is_err()
        );
    }

    #[test]
    fn issued_at_is_epoch_millis_as_a_string() {
        let now = Utc::now();
        let t = parse_issued_at(Some("1700000000000"), now);
        assert_eq!(t.timestamp_millis(), 1_700_000_000_000);
        assert_eq!(parse_issued_at(None, now), now);
        assert_eq!(parse_issued_at(Some("soon"), now), now);
    }

    #[test]
    fn token_responses_accept_issued_at_as_number_and_redact_the_token() {
        let body = r#"{"access_token":"00D!SECRET","instance_url":"https://acme.my.salesforce.com",
            "id":"https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS",
            "token_type":"Bearer","issued_at":1700000000000,"scope":"api"}"#;
        let parsed: TokenResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(parsed.issued_at.as_deref(), Some("1700000000000"));
        let token = Token {
            info: TokenInfo {
                instance_url: Url::parse(&parsed.instance_url).expect("url"),
                org_id: SalesforceId::parse("00Dxx0000001gPLEAY").expect("id"),
                user_id: SalesforceId::parse("005xx000001SwiUAAS").expect("id"),
                issued_at: Utc::now(),
                scopes: vec!["api".into()],
                token_type: "Bearer".into(),
            },
            access_token: parsed.access_token,
        };
        assert!(!format!("{token:?}").contains("SECRET"));
    }
}
