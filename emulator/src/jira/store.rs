//! Look-ups and small mutations on the site's [`State`]: finding projects, issues, comments and
//! the like by id or key the way Jira resolves them, and recording change history.
//!
//! Jira accepts an id or a key wherever a path says `{issueIdOrKey}` or `{projectIdOrKey}`, keys
//! case-insensitively; keeping that rule here means every endpoint resolves them the same way.

use chrono::{DateTime, Utc};

use super::error::{JiraError, JiraResult};
use super::issue_table::IssueMut;
use super::model::{
    Category, ChangeItem, Comment, CustomField, History, Issue, IssueType, Project, State, Status,
    User,
};

/// Priorities: id, name, colour; Jira Cloud's defaults.
pub const PRIORITIES: [(&str, &str, &str); 5] = [
    ("1", "Highest", "#d04437"),
    ("2", "High", "#f15C75"),
    ("3", "Medium", "#f79232"),
    ("4", "Low", "#707070"),
    ("5", "Lowest", "#999999"),
];

/// Default priority id (Medium).
pub const DEFAULT_PRIORITY: &str = "3";

/// Resolutions: id, name, description.
pub const RESOLUTIONS: [(&str, &str, &str); 4] = [
    ("10000", "Done", "Work has been completed on this issue."),
    ("10001", "Won't Do", "This issue won't be actioned."),
    (
        "10002",
        "Duplicate",
        "The problem is a duplicate of an existing issue.",
    ),
    (
        "10003",
        "Cannot Reproduce",
        "All attempts at reproducing this issue failed.",
    ),
];

/// The resolution set when an issue reaches a done status.
pub const DONE_RESOLUTION: &str = "10000";

impl State {
    /// User by account id.
    pub fn user(&self, account_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.account_id == account_id)
    }

    /// Project by id or key (keys case-insensitively).
    pub fn project(&self, id_or_key: &str) -> Option<&Project> {
        self.projects
            .iter()
            .find(|p| p.id == id_or_key || p.key.eq_ignore_ascii_case(id_or_key))
    }

    /// Mutable project by id.
    pub fn project_mut(&mut self, id: &str) -> Option<&mut Project> {
        self.projects.iter_mut().find(|p| p.id == id)
    }

    /// Project by id, for an issue that must have one.
    pub fn project_of(&self, issue: &Issue) -> JiraResult<&Project> {
        self.projects
            .iter()
            .find(|p| p.id == issue.project_id)
            .ok_or_else(|| JiraError::not_found("No project could be found for the issue."))
    }

    /// Status by id.
    pub fn status(&self, id: &str) -> Option<&Status> {
        self.statuses.iter().find(|s| s.id == id)
    }

    /// Category of a status (undefined when unknown).
    pub fn category_of(&self, status_id: &str) -> Category {
        self.status(status_id)
            .map(|s| s.category)
            .unwrap_or(Category::Undefined)
    }

    /// Issue type by id.
    pub fn issue_type(&self, id: &str) -> Option<&IssueType> {
        self.issue_types.iter().find(|t| t.id == id)
    }

    /// Custom field by field id (`customfield_10000`).
    pub fn custom_field(&self, field_id: &str) -> Option<&CustomField> {
        let id: u64 = field_id.strip_prefix("customfield_")?.parse().ok()?;
        self.custom_fields.iter().find(|f| f.id == id)
    }

    /// Numeric id of the issue with this id or key (keys case-insensitively).
    pub fn issue_id(&self, id_or_key: &str) -> Option<u64> {
        if let Ok(id) = id_or_key.parse::<u64>() {
            return self.issues.contains_key(&id).then_some(id);
        }
        self.issues.id_of_key(id_or_key)
    }

    /// Issue by id or key, or Jira's 404.
    pub fn issue(&self, id_or_key: &str) -> JiraResult<&Issue> {
        self.issue_id(id_or_key)
            .and_then(|id| self.issues.get(&id))
            .ok_or_else(JiraError::issue_not_found)
    }

    /// Issue to change by id or key (re-indexed when the guard drops), or Jira's 404.
    pub fn issue_mut(&mut self, id_or_key: &str) -> JiraResult<IssueMut<'_>> {
        let id = self
            .issue_id(id_or_key)
            .ok_or_else(JiraError::issue_not_found)?;
        self.issues
            .get_mut(&id)
            .ok_or_else(JiraError::issue_not_found)
    }

    /// The issue holding comment `comment_id`, and the comment's index in it.
    pub fn comment_location(&self, comment_id: &str) -> Option<(u64, usize)> {
        let id: u64 = comment_id.parse().ok()?;
        let issue_id = self.issues.issue_of_comment(id)?;
        let issue = self.issues.get(&issue_id)?;
        issue
            .comments
            .iter()
            .position(|c| c.id == id)
            .map(|idx| (issue_id, idx))
    }

    /// Comment by id, with its issue.
    pub fn comment(&self, comment_id: &str) -> Option<(&Issue, &Comment)> {
        let (issue_id, idx) = self.comment_location(comment_id)?;
        let issue = self.issues.get(&issue_id)?;
        Some((issue, issue.comments.get(idx)?))
    }

    /// Appends a change history entry to an issue and bumps `updated`; returns the entry.
    pub fn record_history(
        &mut self,
        issue_id: u64,
        author: &str,
        at: DateTime<Utc>,
        items: Vec<ChangeItem>,
    ) -> Option<History> {
        if items.is_empty() {
            return None;
        }
        let id = self.ids.next("history");
        let mut issue = self.issues.get_mut(&issue_id)?;
        let history = History {
            id,
            author: author.to_string(),
            created: at,
            items,
        };
        issue.changelog.push(history.clone());
        issue.updated = at;
        Some(history)
    }
}

/// Priority name by id.
pub fn priority_name(id: &str) -> Option<&'static str> {
    PRIORITIES.iter().find(|p| p.0 == id).map(|p| p.1)
}

/// Resolution name by id.
pub fn resolution_name(id: &str) -> Option<&'static str> {
    RESOLUTIONS.iter().find(|r| r.0 == id).map(|r| r.1)
}

/// Splits `SUP-12` into (`SUP`, 12).
pub fn split_key(key: &str) -> Option<(&str, u64)> {
    let (project, number) = key.rsplit_once('-')?;
    Some((project, number.parse().ok()?))
}
