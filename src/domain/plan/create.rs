//! Auto-create and the link note, as plans: a new record of an auto-create item becomes one
//! Jira issue (its mapped values set in the create itself), and each link gets one note on the
//! record naming its issue.
//!
//! A link an admin removed is not re-created behind their back; a note stands once per link.

use serde_json::{Map, Value};

use super::fields::{conversion_problem, print, pulled, salesforce_value};
use super::{CreatedRef, Effect, Plan, Step};
use crate::domain::catalog::format_record_label;
use crate::domain::comments::{format_link_note, LinkNote};
use crate::domain::fields::{sf_to_jira, FieldReason, MappedField};
use crate::domain::ids::{ItemId, JiraIssueKey, ProjectKey, SalesforceId};
use crate::domain::item::ItemDefinition;
use crate::domain::link::events::{
    LinkEvent, LinkNoteWritten, LinkOrigin, Linked, SalesforceCommentKind, Trigger,
};
use crate::domain::link::LinkState;

use super::fields::RecordSeen;

/// The Jira issue to create for a new record, and what its settlement records.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueToCreate {
    /// The item.
    pub item_id: ItemId,
    /// The record.
    pub record_id: SalesforceId,
    /// The record's object.
    pub object: String,
    /// The project it is created in.
    pub project: ProjectKey,
    /// Its issue type.
    pub issue_type_id: String,
    /// Its fields: the mapped values, and a summary naming the record when none is mapped.
    pub fields: Map<String, Value>,
    /// `link.field_pulled` for each mapped value set in the create.
    pub pulled: Vec<LinkEvent>,
}

impl IssueToCreate {
    /// `link.linked` (auto), and the pulled values when the issue was created now (an issue
    /// found by its marker may have been edited since).
    pub fn settled(&self, created: &CreatedRef) -> Vec<LinkEvent> {
        let Ok(issue_key) = JiraIssueKey::parse(&created.id) else {
            return Vec::new();
        };
        let mut events = vec![LinkEvent::Linked(Linked {
            item_id: self.item_id,
            issue_key,
            issue_id: created.aux.clone(),
            record_id: self.record_id.clone(),
            object: self.object.clone(),
            origin: LinkOrigin::Auto,
            trigger: Trigger::Scheduler,
        })];
        if created.now {
            events.extend(self.pulled.clone());
        }
        events
    }
}

/// What auto-create sees of a new record.
#[derive(Debug, Clone, Copy)]
pub struct NewRecordObservation<'a> {
    /// The item.
    pub item_id: ItemId,
    /// The record's id.
    pub record_id: &'a SalesforceId,
    /// The record as read.
    pub record: RecordSeen<'a>,
    /// The object's label (for a summary).
    pub object_label: &'a str,
    /// The item's mappings with both fields' specs.
    pub mapped: &'a [MappedField],
}

/// Whether the link may auto-create its issue: it was never linked (a link an admin removed is
/// not re-created behind their back).
pub fn may_auto_create(state: &LinkState) -> bool {
    !state.is_linked() && state.times_linked == 0
}

/// Plans the create of a new record's issue in the item's first project. A mapped value that
/// cannot be converted refuses the create (the issue would be wrong from the start).
pub fn plan_auto_create(
    state: &LinkState,
    definition: &ItemDefinition,
    seen: &NewRecordObservation,
) -> Plan {
    let Some(project) = definition
        .jira_projects
        .first()
        .filter(|_| may_auto_create(state))
    else {
        return Plan::nothing();
    };
    let mut fields = Map::new();
    let mut events = Vec::new();
    for field in seen.mapped {
        let mapping = &field.mapping;
        let source = salesforce_value(seen.record.values, field);
        let value = match sf_to_jira(&source, &field.salesforce, &field.jira) {
            Ok(value) => value,
            Err(e) => {
                let mut refused = Plan::nothing();
                refused.refused.push(conversion_problem(
                    &mapping.salesforce_field,
                    &mapping.jira_field,
                    e,
                ));
                return refused;
            }
        };
        if value.is_null() {
            continue;
        }
        events.push(pulled(
            field,
            value.clone(),
            print(&source),
            seen.record.modstamp,
            FieldReason::FirstSync,
            None,
        ));
        fields.insert(mapping.jira_field.clone(), value);
    }
    if !fields.contains_key("summary") {
        let label = format_record_label(&definition.object, seen.record.values);
        let summary: String = format!("{} {label}", seen.object_label)
            .trim()
            .chars()
            .take(250)
            .collect();
        fields.insert("summary".into(), summary.into());
    }
    Plan::of(vec![Step::write(
        Effect::CreateIssue(Box::new(IssueToCreate {
            item_id: seen.item_id,
            record_id: seen.record_id.clone(),
            object: definition.object.clone(),
            project: project.clone(),
            issue_type_id: definition.issue_type_id.clone().unwrap_or_default(),
            fields,
            pulled: events,
        })),
        Vec::new(),
    )])
}

/// The link note to write on the record, and what its settlement records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkNoteToWrite {
    /// The record.
    pub record_id: SalesforceId,
    /// The linked issue.
    pub issue_key: JiraIssueKey,
    /// The kind of comment the record takes.
    pub kind: SalesforceCommentKind,
    /// The note's text (marked, so it is never mirrored into Jira).
    pub text: String,
}

impl LinkNoteToWrite {
    /// `link.link_note_written` naming the note.
    pub fn settled(&self, created: &CreatedRef) -> Vec<LinkEvent> {
        SalesforceId::parse(&created.id)
            .map(|id| {
                vec![LinkEvent::LinkNoteWritten(LinkNoteWritten {
                    salesforce_id: id,
                    kind: self.kind,
                })]
            })
            .unwrap_or_default()
    }
}

/// Plans the link note: once per link, on records that take comments (`kind`), naming the
/// issue, its URL (`issue_url`), the item and whether the link is manual or automatic.
pub fn plan_link_note(
    state: &LinkState,
    definition: &ItemDefinition,
    kind: Option<SalesforceCommentKind>,
    issue_url: &str,
) -> Plan {
    let (Some(link), Some(kind), false) = (&state.link, kind, state.note_written) else {
        return Plan::nothing();
    };
    let text = format_link_note(&LinkNote {
        issue_key: link.issue_key.clone(),
        issue_url: issue_url.to_string(),
        item_name: definition.name.clone(),
        origin: link.origin,
    });
    Plan::of(vec![Step::write(
        Effect::WriteLinkNote(LinkNoteToWrite {
            record_id: link.record_id.clone(),
            issue_key: link.issue_key.clone(),
            kind,
            text,
        }),
        Vec::new(),
    )])
}

#[cfg(test)]
mod tests;
