//! JQL text search: what the `~` operator looks in (`summary`, `description`, `environment`,
//! `comment`, or all of them plus text custom fields for `text`) and how it matches words,
//! prefixes and phrases, approximating Jira's word-based index.

use serde_json::Value;

use super::eval::Val;
use crate::jira::adf;
use crate::jira::fields::custom_text;
use crate::jira::model::{CustomKind, Issue, State};

/// The texts a text field holds.
pub fn text_of(state: &State, which: &str, issue: &Issue) -> Vec<String> {
    let doc = |d: &Option<Value>| d.as_ref().map(adf::to_text).unwrap_or_default();
    match which {
        "summary" => vec![issue.summary.clone()],
        "description" => vec![doc(&issue.description)],
        "environment" => vec![doc(&issue.environment)],
        "comment" => issue
            .comments
            .iter()
            .map(|c| adf::to_text(&c.body))
            .collect(),
        _ => {
            let mut all = vec![
                issue.summary.clone(),
                doc(&issue.description),
                doc(&issue.environment),
            ];
            all.extend(issue.comments.iter().map(|c| adf::to_text(&c.body)));
            for (field_id, value) in &issue.custom {
                if let Some(cf) = state.custom_field(field_id) {
                    if matches!(cf.kind, CustomKind::Text | CustomKind::Textarea) {
                        all.push(custom_text(cf, value));
                    }
                }
            }
            all
        }
    }
}

/// Jira-like text search: every word of the query must occur as a word (or, with a trailing
/// `*`, a word prefix; plural and -ed/-ing forms match too) in the text, case-insensitively; a
/// query in inner quotes must occur as a phrase.
pub fn text_match(have: &Val, query: &str) -> bool {
    let text = match have {
        Val::Str(s) => s.to_lowercase(),
        Val::Num(n) => n.to_string(),
        _ => return false,
    };
    let query = query.trim().to_lowercase();
    if let Some(phrase) = query.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
        return text.contains(phrase);
    }
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let terms: Vec<&str> = query
        .split(|c: char| !c.is_alphanumeric() && c != '*' && c != '?')
        .filter(|w| !w.is_empty())
        .collect();
    !terms.is_empty()
        && terms.iter().all(|term| {
            words.iter().any(|w| match term.strip_suffix('*') {
                Some(prefix) => w.starts_with(prefix),
                None => {
                    *w == *term
                        || w.strip_prefix(term)
                            .is_some_and(|rest| ["s", "es", "ed", "ing"].contains(&rest))
                }
            })
        })
}
