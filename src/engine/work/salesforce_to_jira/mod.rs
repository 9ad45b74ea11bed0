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
use crate::domain::item::SyncMode;
use crate::domain::link::events::{operations, LinkEvent, RecordObserved, Trigger};
use crate::domain::plan::fields::{plan_pull, pull_needs_issue, pull_news, PullObservation};
use crate::domain::plan::status::salesforce_status_is_news;
use crate::engine::fetch::modstamp;
use crate::engine::work::execute::execute;
use crate::engine::work::{
    issue_of, record_failure, seen, EngineRef, ItemSnapshot, RecordChanges, WorkOutcome,
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
    // A link whose work was cut short after it was linked (a crash before the link note)
    // writes the note at its next pull: `note::write` does nothing once the note stands.
    crate::engine::work::note::write(engine, session, item, &mut outcome).await?;
    if let Some(record) = &changes.record {
        observe(session, item, record, changes.read_at, trigger).await?;
    }
    let definition = &item.definition;
    if definition.mode == SyncMode::DisplayOnly {
        return Ok(outcome);
    }
    if let Some(record) = &changes.record {
        // The issue as the field step read it, for the status step to reuse.
        let mut issue = None;
        if !definition.mappings.is_empty() {
            pull_fields(engine, session, item, record, &mut issue, &mut outcome).await?;
        }
        let status_field = definition.options.status_sync.as_ref();
        let status_value = status_field.and_then(|s| record.get(&s.salesforce_field));
        if status_field.is_some()
            && salesforce_status_is_news(session.state(), status_value.and_then(Value::as_str))
        {
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
    read_at: Option<chrono::DateTime<chrono::Utc>>,
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
            read_at,
            trigger,
        })])
        .await?;
    Ok(())
}

/// Observes the mapped fields that changed in Salesforce (and, for a two-way mapping that
/// can be pushed, the issue's values of them), lets [`plan_pull`] decide, and performs its one
/// edit of the issue. The issue as read (with the status fields too) is left in `issue`.
async fn pull_fields(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    record: &Record,
    issue: &mut Option<Issue>,
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let Some(key) = issue_of(session) else {
        return Ok(());
    };
    let observed = async {
        let (mapped, missing) = metadata::mapped_fields(engine, &item.definition).await?;
        let news = pull_news(session.state(), &mapped, seen::record(record));
        if pull_needs_issue(&item.definition, &news) {
            let mut wanted = crate::engine::work::status::STATUS_FIELDS.to_vec();
            wanted.extend(news.iter().map(|f| f.mapping.jira_field.as_str()));
            let read = engine.jira()?.get_issue(
                &key,
                &wanted,
                crate::engine::work::status::STATUS_EXPAND,
                &[],
            );
            *issue = Some(read.await?);
        }
        Ok::<_, SyncError>((mapped, missing))
    };
    let (mapped, missing) = match observed.await {
        Ok(observed) => observed,
        Err(SyncError::Link(e)) => return Err(e),
        Err(error) => {
            return record_failure(engine, session, outcome, operations::PULL_FIELDS, &error).await
        }
    };
    let jira_side = issue.as_ref().map(|i| seen::issue_fields(i, &mapped));
    let plan = plan_pull(
        session.state(),
        &PullObservation {
            mapped: &mapped,
            missing: &missing,
            record: seen::record(record),
            issue: jira_side.as_ref(),
        },
    );
    execute(
        engine,
        session,
        item,
        plan,
        operations::PULL_FIELDS,
        outcome,
    )
    .await
}
