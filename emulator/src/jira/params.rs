//! Query-string parameters as Jira reads them: repeated keys (`fields=a&fields=b`) and
//! comma-separated lists both work, and a malformed number is a 400 in Jira's shape rather than
//! a framework error page.

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use std::future::{ready, Ready};

use super::error::{JiraError, JiraResult};

/// The decoded query string.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a raw query string (undecodable input gives no parameters).
    pub fn parse(query: &str) -> Self {
        Self(serde_urlencoded::from_str(query).unwrap_or_default())
    }

    /// First value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether `name` was given at all.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// An integer parameter, with Jira's 400 when it is not one.
    pub fn int(&self, name: &str) -> JiraResult<Option<i64>> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(raw) => raw.trim().parse().map(Some).map_err(|_| {
                JiraError::bad_request(format!(
                    "The value '{raw}' is not a valid number for the parameter '{name}'."
                ))
            }),
        }
    }

    /// A boolean parameter (`true`/`false`), `default` when absent.
    pub fn flag(&self, name: &str, default: bool) -> bool {
        match self.get(name) {
            Some(v) => v.eq_ignore_ascii_case("true"),
            None => default,
        }
    }
}

impl FromRequest for Params {
    type Error = JiraError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::parse(req.query_string())))
    }
}

/// `startAt`/`maxResults` paging with bounds checks.
pub fn paging(params: &Params, default_max: i64, limit: i64) -> JiraResult<(usize, usize)> {
    let start = params.int("startAt")?.unwrap_or(0).max(0);
    let max = params.int("maxResults")?.unwrap_or(default_max);
    if max > limit {
        return Err(JiraError::bad_request(format!(
            "Parameter 'maxResults' must not exceed the limit '{limit}'"
        )));
    }
    Ok((start as usize, max.max(0) as usize))
}
