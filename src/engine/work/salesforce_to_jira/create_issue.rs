//! Auto-create: a new Salesforce record of an auto-create item becomes a Jira issue, linked as
//! auto-managed — exactly once, even across crashes.
//!
//! The issue carries a label naming the link (`sfjira-<link id>`) and an `sfjira` property with
//! the record, set in the create request itself. The intent to create is durable before the
//! call; if the process dies before the settlement, the next run finds the labelled issue
//! instead of creating a second one.

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::actors::link::{LinkError, LinkSession, LinkWork};
use crate::connectors::salesforce::Record;
use crate::domain::escape::jql_quote;
use crate::domain::fields::MappedField;
use crate::domain::ids::SalesforceId;
use crate::domain::link::events::{operations, IntentDetail, RemoteOperation, Trigger};
use crate::domain::plan::create::{may_auto_create, plan_auto_create, NewRecordObservation};
use crate::domain::plan::{Effect, IssueToCreate};
use crate::domain::side::Side;
use crate::domain::unknown_outcome::LookupConsistency;
use crate::engine::fetch::record_id;
use crate::engine::work::execute::{execute, settled_by};
use crate::engine::work::intent::{create_once, Created, Intent, RemoteRef};
use crate::engine::work::{
    note, record_failure, seen, EngineRef, ItemSnapshot, RecordChanges, WorkOutcome,
};
use crate::engine::{metadata, Engine, SyncError};

/// The label that marks an auto-created issue as the one of `link`.
pub fn marker_label(link: crate::domain::ids::LinkId) -> String {
    format!("sfjira-{link}")
}

/// Creates the Jira issue of a new record and links it.
#[derive(Clone)]
pub struct AutoCreateWork {
    /// The engine.
    pub engine: EngineRef,
    /// The item.
    pub item: ItemSnapshot,
    /// The record and its new comments and files.
    pub changes: RecordChanges,
}

#[async_trait]
impl LinkWork for AutoCreateWork {
    type Output = WorkOutcome;

    async fn run(&mut self, session: &mut LinkSession) -> Result<WorkOutcome, LinkError> {
        let engine = self.engine.as_ref();
        let (item, changes) = (&self.item, &self.changes);
        if session.state().is_linked() {
            return super::apply(engine, session, item, changes, Trigger::Scheduler).await;
        }
        let mut outcome = WorkOutcome::default();
        let Some(record) = changes
            .record
            .as_ref()
            .filter(|_| may_auto_create(session.state()))
        else {
            return Ok(outcome);
        };
        let (record_id, mapped) = match observe(engine, item, record).await {
            Ok(observed) => observed,
            Err(SyncError::Link(e)) => return Err(e),
            Err(error) => {
                let operation = operations::CREATE_ISSUE;
                record_failure(engine, session, &mut outcome, operation, &error).await?;
                return Ok(outcome);
            }
        };
        let plan = plan_auto_create(
            session.state(),
            &item.definition,
            &NewRecordObservation {
                item_id: item.id,
                record_id: &record_id,
                record: seen::record(record),
                object_label: &item.context.object_label,
                mapped: &mapped,
            },
        );
        execute(
            engine,
            session,
            item,
            plan,
            operations::CREATE_ISSUE,
            &mut outcome,
        )
        .await?;
        if !session.state().is_linked() {
            return Ok(outcome);
        }
        note::write(engine, session, item, &mut outcome).await?;
        let pulled = super::apply(engine, session, item, changes, Trigger::Scheduler).await?;
        outcome.add(pulled);
        Ok(outcome)
    }
}

/// What auto-create needs besides the record: its id, a project to create in, and the
/// item's mappings with both fields' specs.
async fn observe(
    engine: &Engine,
    item: &ItemSnapshot,
    record: &Record,
) -> Result<(SalesforceId, Vec<MappedField>), SyncError> {
    let record_id = record_id(record)
        .ok_or_else(|| SyncError::not_found("record_not_found", "the record has no id"))?;
    if item.definition.jira_projects.is_empty() {
        return Err(SyncError::invalid(
            "invalid_item",
            "no project",
            Value::Null,
        ));
    }
    let (mapped, _) = metadata::mapped_fields(engine, &item.definition).await?;
    Ok((record_id, mapped))
}

/// Creates the planned issue once. Its marker is a label naming the link, found through JQL.
pub async fn create(
    engine: &Engine,
    session: &mut LinkSession,
    effect: &Effect,
    issue: &IssueToCreate,
) -> Result<Created, SyncError> {
    let jira = engine.jira()?;
    let link_id = session.link_id();
    let label = marker_label(link_id);
    let project = &issue.project;
    let intent = Intent {
        operation: RemoteOperation::CreateIssue,
        target: Side::Jira,
        marker: label.clone(),
        detail: IntentDetail {
            item_id: Some(issue.item_id),
            record_id: Some(issue.record_id.clone()),
            project: Some(project.to_string()),
            ..IntentDetail::default()
        },
        // JQL reads a search index that lags behind writes; no key can be known before the
        // create, so an empty search proves absence only once the index had time to catch up.
        lookup: LookupConsistency::SearchIndex,
    };
    let find = || async {
        let jql = format!("project = {project} AND labels = {}", jql_quote(&label));
        let found = jira.search_jql(&jql, &["summary"], &[], Some(1)).await?;
        Ok(found.into_iter().next().and_then(|i| {
            i.key.clone().map(|k| RemoteRef {
                id: k.to_string(),
                aux: Some(i.id),
            })
        }))
    };
    let create = || async {
        let properties = vec![(
            "sfjira".to_string(),
            json!({
                "link_id": link_id.to_string(),
                "item_id": issue.item_id.to_string(),
                "record_id": issue.record_id.to_string(),
                "object": issue.object,
            }),
        )];
        let labels = vec!["sfjira".into(), label.clone()];
        let created = jira
            .create_issue(
                project,
                &issue.issue_type_id,
                issue.fields.clone(),
                properties,
                labels,
            )
            .await?;
        Ok(RemoteRef {
            id: created.key.to_string(),
            aux: Some(created.id),
        })
    };
    Ok(create_once(engine, session, intent, find, create, settled_by(effect)).await?)
}
