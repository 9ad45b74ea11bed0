//! Salesforce → Jira for one linked record: observe the values, write mapped fields, settle
//! the status race, mirror new comments and files.
//!
//! Each step is independent: a refused field does not stop comments, and every failure is
//! recorded with the remote system's words. A value both sides already hold (same fingerprint)
//! is not written again, so our own push from Jira is not sent back; when a two-way field
//! changed on both sides, the later change wins.

pub mod comments;
pub mod create_issue;
pub mod files;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::actors::link::{LinkError, LinkSession, LinkWork};
use crate::connectors::jira::Issue;
use crate::connectors::salesforce::Record;
use crate::domain::fields::{FieldReason, FieldVerdict};
use crate::domain::item::SyncMode;
use crate::domain::link::events::{operations, LinkEvent, RecordObserved, Trigger};
use crate::domain::side::Side;
use crate::engine::fetch::modstamp;
use crate::engine::metadata::MappedField;
use crate::engine::work::field_sides::{self, JiraEdit};
use crate::engine::work::{
    issue_of, record_failure, EngineRef, ItemSnapshot, RecordChanges, WorkOutcome,
};
use crate::engine::{metadata, Engine, SyncError};

/// Applies one record's Salesforce changes to its linked issue.
#[derive(Clone)]
pub struct PullWork {
    /// The engine.
    pub engine: EngineRef,
    /// The item.
    pub item: ItemSnapshot,
    /// What is new.
    pub changes: RecordChanges,
    /// What caused it.
    pub trigger: Trigger,
}

#[async_trait]
impl LinkWork for PullWork {
    type Output = WorkOutcome;

    async fn run(&mut self, session: &mut LinkSession) -> Result<WorkOutcome, LinkError> {
        apply(
            &self.engine,
            session,
            &self.item,
            &self.changes,
            self.trigger,
        )
        .await
    }
}

/// Applies `changes` to the session's linked issue; does nothing when the link is gone.
pub async fn apply(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    changes: &RecordChanges,
    trigger: Trigger,
) -> Result<WorkOutcome, LinkError> {
    let mut outcome = WorkOutcome::default();
    if !session.state().is_linked() {
        return Ok(outcome);
    }
    if let Some(record) = &changes.record {
        observe(session, item, record, trigger).await?;
    }
    let definition = &item.definition;
    if definition.mode == SyncMode::DisplayOnly {
        return Ok(outcome);
    }
    if let Some(record) = &changes.record {
        // The issue as the field step read it, for the status step to reuse.
        let mut issue = None;
        if !definition.mappings.is_empty() {
            if let Err(error) =
                pull_fields(engine, session, item, record, &mut issue, &mut outcome).await
            {
                record_failure(
                    engine,
                    session,
                    &mut outcome,
                    operations::PULL_FIELDS,
                    &error,
                )
                .await?;
            }
        }
        if definition.options.status_sync.is_some() {
            crate::engine::work::status::sync(
                engine,
                session,
                item,
                record,
                issue.as_ref(),
                &mut outcome,
            )
            .await?;
        }
    }
    if definition.options.comments_sync && !changes.comments.is_empty() {
        comments::mirror_to_jira(engine, session, item, &changes.comments, &mut outcome).await?;
    }
    if definition.options.attachments_sync && !changes.files.is_empty() {
        files::mirror_to_jira(engine, session, item, &changes.files, &mut outcome).await?;
    }
    Ok(outcome)
}

/// Records the values the panel shows, when they differ from the last observation.
async fn observe(
    session: &mut LinkSession,
    item: &ItemSnapshot,
    record: &Record,
    trigger: Trigger,
) -> Result<(), LinkError> {
    let fields = crate::engine::fetch::record_fields(&item.definition);
    let values: Map<String, Value> = fields
        .iter()
        .filter(|f| {
            !["Id", "SystemModstamp", "CreatedDate", "LastModifiedDate"].contains(&f.as_str())
        })
        .map(|f| (f.clone(), record.get(f).cloned().unwrap_or(Value::Null)))
        .collect();
    let unchanged = session
        .state()
        .observed
        .as_ref()
        .is_some_and(|o| o.values == values);
    if unchanged {
        return Ok(());
    }
    session
        .record(vec![LinkEvent::RecordObserved(RecordObserved {
            values,
            system_modstamp: modstamp(record),
            trigger,
        })])
        .await?;
    Ok(())
}

/// Converts and writes the mapped fields that changed in Salesforce, in one edit.
///
/// A value the link already agreed on, or from a snapshot older than a write the link made
/// since, is not news. For a two-way mapping Jira is read first: when Jira changed too, the
/// later change wins ([`field_sides`]); Jira's winning values are left to the push path. That
/// read (with the status fields too) is left in `issue`.
async fn pull_fields(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    record: &Record,
    issue: &mut Option<Issue>,
    outcome: &mut WorkOutcome,
) -> Result<(), SyncError> {
    let Some(key) = issue_of(session) else {
        return Ok(());
    };
    let definition = &item.definition;
    let (mapped, missing) = metadata::mapped_fields(engine, definition).await?;
    let mut problems: Vec<String> = missing
        .iter()
        .map(|m| {
            field_sides::conversion_problem(
                &m.salesforce_field,
                &m.jira_field,
                "the field is no longer available",
            )
        })
        .collect();
    let stamp = modstamp(record);
    let news: Vec<&MappedField> = mapped
        .iter()
        .filter(|field| {
            let sf_print = field_sides::print(&field_sides::salesforce_value(record, field));
            !field_sides::memory(session, field)
                .is_some_and(|m| m.agreed == sf_print || m.predates(&sf_print, stamp))
        })
        .collect();
    // Only a mapping that can be pushed can have a Jira change that beats Salesforce's.
    let contested =
        definition.mode == SyncMode::TwoWay && news.iter().any(|f| f.salesforce.updateable);
    if contested {
        let mut wanted = crate::engine::work::status::STATUS_FIELDS.to_vec();
        wanted.extend(news.iter().map(|f| f.mapping.jira_field.as_str()));
        *issue = Some(
            engine
                .jira()?
                .get_issue(&key, &wanted, &["changelog"], &[])
                .await?,
        );
    }
    let mut edit = JiraEdit::default();
    let mut events = Vec::new();
    for field in news {
        let source = field_sides::salesforce_value(record, field);
        let sf_print = field_sides::print(&source);
        let memory = field_sides::memory(session, field);
        let why = match issue.as_ref().filter(|_| field.salesforce.updateable) {
            None if memory.is_none() => (FieldReason::FirstSync, None),
            None => (FieldReason::OnlyThisSideChanged, None),
            Some(issue) => {
                let jira_at = field_sides::jira_changed_at(issue, field);
                let jira_print = field_sides::jira_print(issue, field);
                match field_sides::verdict(memory, (&sf_print, stamp), (&jira_print, jira_at)) {
                    FieldVerdict::InStep => {
                        events.extend(field_sides::in_step(memory, field, &sf_print, stamp));
                        continue;
                    }
                    FieldVerdict::Wins {
                        winner: Side::Jira, ..
                    } => continue,
                    FieldVerdict::Wins {
                        winner: Side::Salesforce,
                        reason,
                    } => (reason, jira_at),
                }
            }
        };
        edit.pull(field, &source, stamp, why, &mut problems);
    }
    events.extend(edit.write(engine, &key, outcome).await?);
    if !events.is_empty() {
        session.record(events).await?;
    }
    field_sides::refused(problems)
}
