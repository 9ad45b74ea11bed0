//! Who is calling: Basic auth with an email and an API token, or a bearer token, checked
//! against the site's users, plus the API version the request addressed.
//!
//! Every authenticated handler takes a [`Ctx`] extractor, so a request without valid
//! credentials never reaches one: it gets Jira Cloud's 401 (plain text "Client must be
//! authenticated to access this resource.").

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use base64::Engine;
use chrono::{DateTime, Utc};

use super::error::{JiraError, JiraResult};
use super::model::State;
use super::render::{Version, View};
use super::site::Site;

/// An authenticated request's context.
pub struct Ctx {
    /// The site.
    pub site: web::Data<Site>,
    /// Account id of the caller.
    pub caller: String,
    /// API version addressed.
    pub version: Version,
}

impl Ctx {
    /// The emulated time.
    pub fn now(&self) -> DateTime<Utc> {
        self.site.now()
    }

    /// A renderer over `state` for this request's version.
    pub fn view<'a>(&'a self, state: &'a State) -> View<'a> {
        View::new(state, &self.site.base_url, self.version)
    }

    /// 403 unless the caller is a Jira administrator.
    pub fn require_admin(&self) -> JiraResult<()> {
        let state = self.site.state.read();
        match state.user(&self.caller) {
            Some(u) if u.admin => Ok(()),
            _ => Err(JiraError::forbidden(
                "You do not have permission to perform this operation. Only Jira administrators can manage webhooks.",
            )),
        }
    }
}

/// The API version of a path: v2 under `/rest/api/2/`, v3 otherwise.
pub fn version_of(path: &str) -> Version {
    if path.starts_with("/rest/api/2/") {
        Version::V2
    } else {
        Version::V3
    }
}

/// Resolves the `Authorization` header to an account id.
pub fn authenticate(state: &State, authorization: Option<&str>) -> JiraResult<String> {
    let Some(value) = authorization.map(str::trim) else {
        return Err(JiraError::Unauthenticated { failed: false });
    };
    let failed = JiraError::Unauthenticated { failed: true };
    let (scheme, credentials) = value.split_once(' ').ok_or(failed.clone())?;
    let credentials = credentials.trim();
    let user = if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .map_err(|_| failed.clone())?;
        let text = String::from_utf8(decoded).map_err(|_| failed.clone())?;
        let (email, token) = text.split_once(':').ok_or(failed.clone())?;
        state.users.iter().find(|u| {
            u.email.eq_ignore_ascii_case(email) && u.api_tokens.iter().any(|t| t == token)
        })
    } else if scheme.eq_ignore_ascii_case("bearer") {
        state
            .users
            .iter()
            .find(|u| u.bearer_tokens.iter().any(|t| t == credentials))
    } else {
        None
    };
    match user {
        Some(u) if u.active => Ok(u.account_id.clone()),
        _ => Err(failed),
    }
}

impl FromRequest for Ctx {
    type Error = JiraError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(extract(req))
    }
}

fn extract(req: &HttpRequest) -> JiraResult<Ctx> {
    let site = req.app_data::<web::Data<Site>>().cloned().ok_or_else(|| {
        JiraError::status(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "site missing",
        )
    })?;
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = authenticate(&site.state.read(), authorization)?;
    Ok(Ctx {
        site,
        caller,
        version: version_of(req.path()),
    })
}
