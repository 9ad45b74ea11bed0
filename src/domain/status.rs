//! Status matching between a Jira workflow and a Salesforce status-like picklist, and the rule
//! that decides which side's status wins.
//!
//! The two workflows are never identical, so a status is carried across by the *closest safe
//! match*: the same name if one exists, otherwise a status of the same kind (not started, in
//! progress, done), otherwise nothing at all with a reason a person can act on. "Safe" means a
//! match never closes a record that should be open or opens one that should be closed: closure
//! on the Salesforce side follows `IsClosed` (for Cases the `CaseStatus` object), not the
//! literal word "Closed".
//!
//! Which side wins is a separate, timestamp-based decision ([`decide_status_winner`]): the first
//! link initialises from Salesforce, afterwards the later change wins whatever the field
//! mapping direction, and a tie goes to Salesforce. The decision carries both values and both
//! timestamps so it can be recorded as an event and explained later.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::side::Side;

/// The kind of a Jira status, from its `statusCategory.key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCategory {
    /// Not started (`new`, shown as "To Do").
    New,
    /// Under way (`indeterminate`, shown as "In Progress").
    InProgress,
    /// Finished (`done`).
    Done,
}

impl StatusCategory {
    /// Reads Jira's `statusCategory.key`; `undefined` and unknown keys give `None`.
    pub fn from_jira_key(key: &str) -> Option<StatusCategory> {
        match key.trim() {
            "new" => Some(StatusCategory::New),
            "indeterminate" => Some(StatusCategory::InProgress),
            "done" => Some(StatusCategory::Done),
            _ => None,
        }
    }

    /// The key Jira uses for this category.
    pub fn jira_key(self) -> &'static str {
        match self {
            StatusCategory::New => "new",
            StatusCategory::InProgress => "indeterminate",
            StatusCategory::Done => "done",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            StatusCategory::New => "not started",
            StatusCategory::InProgress => "in progress",
            StatusCategory::Done => "done",
        }
    }
}

/// A status in a Jira workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraStatus {
    /// Jira's status id.
    pub id: String,
    /// The display name (`In Progress`).
    pub name: String,
    /// Its category.
    pub category: StatusCategory,
}

/// One value of a Salesforce status-like picklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesforceStatusValue {
    /// The API value written to the field.
    pub value: String,
    /// The label people see.
    pub label: String,
    /// Whether the value closes the record, when Salesforce says so (`CaseStatus.IsClosed`,
    /// `TaskStatus.IsClosed`, …); `None` when the object has no such metadata.
    pub is_closed: Option<bool>,
    /// Whether it is the picklist's default value.
    pub is_default: bool,
}

/// No status on the other side is a safe match.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("no safe status match: {reason}")]
pub struct NoSafeMatch {
    /// Why, for people.
    pub reason: String,
}

fn no_match(reason: String) -> NoSafeMatch {
    NoSafeMatch { reason }
}

/// Case-, whitespace- and punctuation-insensitive form of a status name.
fn name_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().collect::<String>()
            } else {
                " ".to_string()
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

const CLOSED_WORDS: &[&str] = &[
    "closed",
    "done",
    "completed",
    "complete",
    "resolved",
    "cancelled",
    "canceled",
    "rejected",
    "won",
    "lost",
    "converted",
];
const NEW_WORDS: &[&str] = &[
    "new",
    "open",
    "to do",
    "todo",
    "not started",
    "draft",
    "backlog",
];

/// Whether a name reads like a closed state, for values without `IsClosed` metadata.
fn looks_closed(name: &str) -> bool {
    let key = name_key(name);
    CLOSED_WORDS
        .iter()
        .any(|w| key == *w || key.split(' ').any(|word| word == *w))
}

fn looks_new(name: &str) -> bool {
    NEW_WORDS.contains(&name_key(name).as_str())
}

impl SalesforceStatusValue {
    fn names(&self) -> [String; 2] {
        [name_key(&self.value), name_key(&self.label)]
    }

    fn has_name(&self, key: &str) -> bool {
        !key.is_empty() && self.names().iter().any(|n| n == key)
    }

    /// Closed by metadata, or by its name when there is no metadata.
    fn closed(&self) -> bool {
        match self.is_closed {
            Some(closed) => closed,
            None => looks_closed(&self.value) || looks_closed(&self.label),
        }
    }

    /// The category this value belongs to.
    pub fn category(&self) -> StatusCategory {
        if self.closed() {
            StatusCategory::Done
        } else if self.is_default || looks_new(&self.value) || looks_new(&self.label) {
            StatusCategory::New
        } else {
            StatusCategory::InProgress
        }
    }

    /// Whether this value may stand for a Jira status of `category`: a closed value only for
    /// Done, and an open value never for Done.
    fn compatible_with(&self, category: StatusCategory) -> bool {
        self.closed() == (category == StatusCategory::Done)
    }
}

/// The Jira status closest to a Salesforce value: the same name (value or label, ignoring case,
/// spacing and punctuation), else the only — or first listed — status of the value's category
/// (closed → Done, default or new-like → New, anything else → In Progress). A name match whose
/// category contradicts the value's closedness is not taken.
pub fn match_jira_status<'a>(
    sf_value: &SalesforceStatusValue,
    available: &'a [JiraStatus],
) -> Result<&'a JiraStatus, NoSafeMatch> {
    if available.is_empty() {
        return Err(no_match(
            "the Jira workflow offers no statuses to move to".to_string(),
        ));
    }
    let category = sf_value.category();
    let by_name = available
        .iter()
        .find(|s| sf_value.has_name(&name_key(&s.name)) && sf_value.compatible_with(s.category));
    if let Some(status) = by_name {
        return Ok(status);
    }
    available
        .iter()
        .find(|s| s.category == category)
        .ok_or_else(|| {
            no_match(format!(
                "Salesforce status {:?} is {}, and the Jira workflow has no status named like it \
                 and no {} status",
                sf_value.value,
                category.describe(),
                category.describe()
            ))
        })
}

/// The Salesforce value closest to a Jira status, for the object `object` (an API name such as
/// `Case`): the same name, else by category — Done → a value known to close the record
/// (preferring one named `Closed`), New → the default value, In Progress → the first open value
/// that is not the default. A closed value is never chosen for a status that is not Done, and
/// for a Case a Done status only matches a value whose `IsClosed` is known to be true, because a
/// Case closes only through such a value.
pub fn match_salesforce_status<'a>(
    jira: &JiraStatus,
    values: &'a [SalesforceStatusValue],
    object: &str,
) -> Result<&'a SalesforceStatusValue, NoSafeMatch> {
    let is_case = object.trim().eq_ignore_ascii_case("Case");
    let closes = |v: &SalesforceStatusValue| {
        if is_case {
            v.is_closed == Some(true)
        } else {
            v.closed()
        }
    };
    let fits = |v: &SalesforceStatusValue| match jira.category {
        StatusCategory::Done => closes(v),
        _ => !v.closed(),
    };
    if values.is_empty() {
        return Err(no_match(format!(
            "the {object} status field has no values to choose from"
        )));
    }
    let key = name_key(&jira.name);
    if let Some(v) = values.iter().find(|v| v.has_name(&key) && fits(v)) {
        return Ok(v);
    }
    let found = match jira.category {
        StatusCategory::Done => values
            .iter()
            .filter(|v| closes(v))
            .find(|v| v.has_name("closed"))
            .or_else(|| values.iter().find(|v| closes(v))),
        StatusCategory::New => values
            .iter()
            .find(|v| v.is_default && !v.closed())
            .or_else(|| {
                values
                    .iter()
                    .find(|v| !v.closed() && v.category() == StatusCategory::New)
            }),
        StatusCategory::InProgress => values
            .iter()
            .find(|v| !v.closed() && !v.is_default && v.category() == StatusCategory::InProgress)
            .or_else(|| values.iter().find(|v| !v.closed() && !v.is_default)),
    };
    found.ok_or_else(|| {
        let why = match jira.category {
            StatusCategory::Done if is_case => {
                "no Case status is marked closed (IsClosed) in Salesforce".to_string()
            }
            StatusCategory::Done => format!("no {object} status value closes the record"),
            StatusCategory::New => format!("the {object} status field has no open default value"),
            StatusCategory::InProgress => {
                format!("the {object} status field has no open value besides the default")
            }
        };
        no_match(format!(
            "Jira status {:?} is {}, no {object} status has that name, and {why}",
            jira.name,
            jira.category.describe()
        ))
    })
}

/// Whether a Salesforce value and a Jira status already say the same thing: equal names, or
/// either one is the safe match of the other. When this holds nothing needs writing, and it
/// stays true after either side's winner is applied, so the sync cannot ping-pong.
pub fn statuses_correspond(
    sf_value: &SalesforceStatusValue,
    sf_values: &[SalesforceStatusValue],
    jira: &JiraStatus,
    jira_statuses: &[JiraStatus],
    object: &str,
) -> bool {
    sf_value.has_name(&name_key(&jira.name))
        || match_jira_status(sf_value, jira_statuses).is_ok_and(|m| m.id == jira.id)
        || match_salesforce_status(jira, sf_values, object).is_ok_and(|m| m.value == sf_value.value)
}

/// One side's current status and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSnapshot {
    /// The status as that side names it (Salesforce value, Jira status name).
    pub value: String,
    /// When that side last changed its status; `None` when unknown (counts as oldest).
    pub changed_at: Option<DateTime<Utc>>,
}

/// What [`decide_status_winner`] needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDecisionInput {
    /// Whether status has been synchronised on this link before. `false` on the first link.
    pub initialised: bool,
    /// Salesforce's side.
    pub salesforce: StatusSnapshot,
    /// Jira's side.
    pub jira: StatusSnapshot,
    /// Whether the two values already correspond (see [`statuses_correspond`]).
    pub already_aligned: bool,
}

/// Why the decision came out as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusReason {
    /// The two sides already agree.
    AlreadyAligned,
    /// First sync on a new link: Salesforce initialises Jira.
    FirstLinkFromSalesforce,
    /// Salesforce changed after Jira.
    SalesforceChangedLater,
    /// Jira changed after Salesforce.
    JiraChangedLater,
    /// Both changed at the same instant (or neither time is known): Salesforce is preferred.
    TieGoesToSalesforce,
}

/// The outcome of a status comparison, complete enough to be recorded as an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDecision {
    /// The side whose status should be written to the other side, or `None` when nothing is
    /// to be done.
    pub winner: Option<Side>,
    /// Why.
    pub reason: StatusReason,
    /// Salesforce's value at decision time.
    pub salesforce_value: String,
    /// Jira's status name at decision time.
    pub jira_value: String,
    /// When Salesforce's status last changed.
    pub salesforce_changed_at: Option<DateTime<Utc>>,
    /// When Jira's status last changed.
    pub jira_changed_at: Option<DateTime<Utc>>,
}

impl StatusDecision {
    /// The side that must be written to, if any.
    pub fn target(&self) -> Option<Side> {
        self.winner.map(Side::other)
    }
}

/// Decides which side's status wins: nothing when the sides already agree; Salesforce on the
/// first link; afterwards the side that changed later, with an unknown time counting as older
/// and a tie going to Salesforce.
pub fn decide_status_winner(input: &StatusDecisionInput) -> StatusDecision {
    let (winner, reason) = if input.already_aligned {
        (None, StatusReason::AlreadyAligned)
    } else if !input.initialised {
        (
            Some(Side::Salesforce),
            StatusReason::FirstLinkFromSalesforce,
        )
    } else {
        match input.salesforce.changed_at.cmp(&input.jira.changed_at) {
            std::cmp::Ordering::Greater => {
                (Some(Side::Salesforce), StatusReason::SalesforceChangedLater)
            }
            std::cmp::Ordering::Less => (Some(Side::Jira), StatusReason::JiraChangedLater),
            std::cmp::Ordering::Equal => {
                (Some(Side::Salesforce), StatusReason::TieGoesToSalesforce)
            }
        }
    };
    StatusDecision {
        winner,
        reason,
        salesforce_value: input.salesforce.value.clone(),
        jira_value: input.jira.value.clone(),
        salesforce_changed_at: input.salesforce.changed_at,
        jira_changed_at: input.jira.changed_at,
    }
}

#[cfg(test)]
mod tests;
