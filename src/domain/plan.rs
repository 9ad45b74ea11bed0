//! Observe → decide → act: what a link's work decided, as data.
//!
//! A unit of link work first gathers an observation (what the remote sides show, read with as
//! few calls as it needs), then a pure planner here turns the link's state, the item's
//! definition and that observation into a [`Plan`]: steps, each a remote effect (or none) and
//! the events to record once it succeeded. The engine's executor performs the steps in order
//! and records each step's events as its effect succeeds; it decides nothing. So every rule can
//! be tested as given (past events) / when (an observation) / then (a plan), in milliseconds,
//! without either system.
//!
//! Creates (an issue, a comment, a file, a note) run through the engine's exactly-once intents;
//! their events depend on what the remote side answers (the new comment's id), so the effect
//! itself says which events its settlement records ([`Effect::settled`]).

pub mod comments;
pub mod create;
pub mod fields;
pub mod files;
pub mod status;

#[cfg(test)]
pub(crate) mod given;

use serde_json::{Map, Value};

use super::link::events::LinkEvent;

pub use comments::{CommentToJira, CommentToSalesforce, CommentUpdate};
pub use create::{IssueToCreate, LinkNoteToWrite};
pub use files::{FileNote, FileToJira, FileToSalesforce};

/// A remote write the executor performs for a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Move the linked Jira issue through this workflow transition.
    TransitionIssue {
        /// The transition's id.
        transition_id: String,
        /// The status it leads to, for logs.
        to: String,
    },
    /// Write one field of the linked Salesforce record.
    UpdateRecordField {
        /// The field's API name.
        field: String,
        /// The value to write.
        value: String,
    },
    /// Write these fields of the linked issue in one edit.
    EditIssue {
        /// Jira field id → value in Jira's form.
        fields: Map<String, Value>,
    },
    /// Write these fields of the linked record in one update.
    UpdateRecord {
        /// API name → value in Salesforce's form.
        fields: Map<String, Value>,
    },
    /// Create the Jira issue of a new record (exactly once).
    CreateIssue(Box<IssueToCreate>),
    /// Write the link note on the record (exactly once).
    WriteLinkNote(LinkNoteToWrite),
    /// Mirror a Salesforce comment into Jira (exactly once).
    CreateJiraComment(CommentToJira),
    /// Mirror a Jira comment into Salesforce, in parts (exactly once).
    CreateSalesforceComment(CommentToSalesforce),
    /// Mirror an edit of a Jira-written comment onto its Salesforce parts.
    UpdateSalesforceComment(CommentUpdate),
    /// Copy a Salesforce file into the issue (exactly once).
    UploadToJira(FileToJira),
    /// Copy a Jira attachment into the record's Files (exactly once).
    UploadToSalesforce(FileToSalesforce),
    /// Say on one side where a file came from, or why it was not copied (exactly once).
    WriteFileNote(FileNote),
}

/// What a create's intent found or made, as the settlement records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedRef {
    /// The id recorded in the settlement (issue key, comment id(s), record id).
    pub id: String,
    /// A second identifier, when the object has one (an issue's numeric id, a file's
    /// ContentDocument id).
    pub aux: Option<String>,
    /// Created by this attempt (not found by its marker, made before a crash or a lost
    /// answer).
    pub now: bool,
}

impl Effect {
    /// The events a create's settlement records with it, given what was created or found;
    /// empty for effects that are not creates (their step carries its events).
    pub fn settled(&self, created: &CreatedRef) -> Vec<LinkEvent> {
        match self {
            Effect::CreateIssue(issue) => issue.settled(created),
            Effect::WriteLinkNote(note) => note.settled(created),
            Effect::CreateJiraComment(comment) => comment.settled(created),
            Effect::CreateSalesforceComment(comment) => comment.settled(created),
            Effect::UploadToJira(file) => file.settled(created),
            Effect::UploadToSalesforce(file) => file.settled(created),
            _ => Vec::new(),
        }
    }
}

/// One step of a plan: a remote write (or none), then the facts to record once it succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The write; `None` for a step that only records.
    pub effect: Option<Effect>,
    /// Facts to record after the write.
    pub events: Vec<LinkEvent>,
    /// Skip this step when the step before it failed (a note about a file that was not
    /// copied, the rest of an ordered batch).
    pub needs_previous: bool,
}

impl Step {
    /// A step that performs `effect` and records `events` after it.
    pub fn write(effect: Effect, events: Vec<LinkEvent>) -> Self {
        Self {
            effect: Some(effect),
            events,
            needs_previous: false,
        }
    }

    /// A step that only records `events`.
    pub fn record(events: Vec<LinkEvent>) -> Self {
        Self {
            effect: None,
            events,
            needs_previous: false,
        }
    }

    /// The same step, skipped when the one before it failed.
    pub fn after_previous(mut self) -> Self {
        self.needs_previous = true;
        self
    }
}

/// What a link's work decided: steps to perform in order, and values it refused to write (each
/// named `from → to: why`, recorded as one failure once the steps succeeded). A plan with
/// neither costs nothing: no call, no append.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Values that could not be converted; they do not hold up the others.
    pub refused: Vec<String>,
}

impl Plan {
    /// A plan that does nothing.
    pub fn nothing() -> Self {
        Self::default()
    }

    /// A plan that only records `events` (no remote write).
    pub fn record(events: Vec<LinkEvent>) -> Self {
        Self::of(vec![Step::record(events)])
    }

    /// A plan that performs `effect` and then records `event`.
    pub fn write(effect: Effect, event: LinkEvent) -> Self {
        Self::of(vec![Step::write(effect, vec![event])])
    }

    /// A plan of these steps.
    pub fn of(steps: Vec<Step>) -> Self {
        Self {
            steps,
            refused: Vec::new(),
        }
    }

    /// Adds a step; a step with neither effect nor events is dropped.
    pub fn push(&mut self, step: Step) {
        if step.effect.is_some() || !step.events.is_empty() {
            self.steps.push(step);
        }
    }

    /// The remote writes, in order.
    pub fn effects(&self) -> Vec<Effect> {
        self.steps.iter().filter_map(|s| s.effect.clone()).collect()
    }

    /// The events the steps record (not those a create's settlement adds), in order.
    pub fn events(&self) -> Vec<LinkEvent> {
        self.steps.iter().flat_map(|s| s.events.clone()).collect()
    }

    /// Whether the plan does nothing at all.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.refused.is_empty()
    }
}
