//! JQL: lexing, parsing, checking against the site, matching issues and ordering results.
//!
//! Search endpoints and webhook filters both select issues with JQL, so they share this
//! module: [`parse`] gives the syntax tree (or Jira's "Error in the JQL Query" message), and
//! [`Compiled::new`] resolves fields and values against the site (or Jira's "Field 'x' does
//! not exist…" / "The value 'y' does not exist for the field 'x'." messages).

pub mod dates;
pub mod eval;
pub mod lexer;
pub mod order;
pub mod parser;
pub mod text;

use chrono::{DateTime, Utc};

use super::error::JiraError;
use super::model::{Issue, State};

pub use eval::Compiled;
pub use parser::{parse, Query};

/// A JQL error: one or more messages exactly as Jira words them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct JqlError(pub Vec<String>);

impl JqlError {
    /// A syntax error at a 1-based character position.
    pub fn syntax(message: impl AsRef<str>, pos: usize) -> Self {
        Self(vec![format!(
            "Error in the JQL Query: {} (line 1, character {pos})",
            message.as_ref()
        )])
    }
}

impl From<JqlError> for JiraError {
    fn from(error: JqlError) -> Self {
        JiraError::bad_requests(error.0)
    }
}

/// Who runs a query and when: `currentUser()` and relative dates depend on it.
#[derive(Debug, Clone)]
pub struct Env {
    /// Account id of the caller.
    pub caller: String,
    /// The emulated current time.
    pub now: DateTime<Utc>,
}

/// Ids of the issues matching `text`, in result order.
pub fn search(state: &State, text: &str, env: &Env) -> Result<Vec<u64>, JqlError> {
    let query = parse(text)?;
    let compiled = Compiled::new(state, &query, env)?;
    let mut hits: Vec<&Issue> = state
        .issues
        .values()
        .filter(|i| compiled.matches(state, i))
        .collect();
    compiled.sort(state, &mut hits);
    Ok(hits.into_iter().map(|i| i.id).collect())
}

/// Whether one issue matches `text` (webhook filters).
pub fn matches(state: &State, text: &str, env: &Env, issue: &Issue) -> Result<bool, JqlError> {
    let query = parse(text)?;
    let compiled = Compiled::new(state, &query, env)?;
    Ok(compiled.matches(state, issue))
}

#[cfg(test)]
mod tests;
