//! Auto-create: a new Salesforce record of an auto-create item becomes a Jira issue, linked as
//! auto-managed — exactly once, even across crashes.
//!
//! The issue carries a label naming the link (`sfjira-<link id>`) and an `sfjira` property with
//! the record, set in the create request itself. The intent to create is durable before the
//! call; if the process dies before the settlement, the next run finds the labelled issue
//! instead of creating a second one.

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use crate::actors::link::{LinkError, LinkSession, LinkWork};
use crate::domain::catalog::format_record_label;
use crate::domain::escape::jql_quote;
use crate::domain::fields::{sf_to_jira, FieldReason};
use crate::domain::ids::JiraIssueKey;
use crate::domain::link::events::{
    operations, LinkEvent, LinkOrigin, Linked, RemoteOperation, Trigger,
};
use crate::domain::side::Side;
use crate::domain::unknown_outcome::LookupConsistency;
use crate::engine::fetch::{modstamp, record_id};
use crate::engine::work::intent::{create_once, CreateFailed, Created, Intent, RemoteRef};
use crate::engine::work::{
    field_sides, note, record_failure, EngineRef, ItemSnapshot, RecordChanges, WorkOutcome,
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
        if session.state().is_linked() {
            return super::apply(
                engine,
                session,
                &self.item,
                &self.changes,
                Trigger::Scheduler,
            )
            .await;
        }
        let mut outcome = WorkOutcome::default();
        // A link that existed and was removed by an admin is not re-created behind their back.
        if session.state().times_linked > 0 {
            return Ok(outcome);
        }
        let Some(record) = self.changes.record.clone() else {
            return Ok(outcome);
        };
        match create_issue(engine, session, &self.item, &record).await {
            Ok(created) => outcome.issue_created = matches!(created, Created::Now(_)),
            Err(CreateFailed::Link(e)) => return Err(e),
            Err(CreateFailed::Remote(error)) => {
                record_failure(
                    engine,
                    session,
                    &mut outcome,
                    operations::CREATE_ISSUE,
                    &error,
                )
                .await?;
                return Ok(outcome);
            }
        }
        note::write(engine, session, &self.item, &mut outcome).await?;
        let pulled = super::apply(
            engine,
            session,
            &self.item,
            &self.changes,
            Trigger::Scheduler,
        )
        .await?;
        outcome.add(pulled);
        Ok(outcome)
    }
}

/// The mapped values as Jira fields, with the events recording them.
async fn initial_fields(
    engine: &Engine,
    item: &ItemSnapshot,
    record: &crate::connectors::salesforce::Record,
) -> Result<(Map<String, Value>, Vec<LinkEvent>), SyncError> {
    let definition = &item.definition;
    let (mapped, _) = metadata::mapped_fields(engine, definition).await?;
    let mut fields = Map::new();
    let mut events = Vec::new();
    for field in &mapped {
        let mapping = &field.mapping;
        let source = field_sides::salesforce_value(record, field);
        let value = sf_to_jira(&source, &field.salesforce, &field.jira).map_err(|e| {
            let problem =
                field_sides::conversion_problem(&mapping.salesforce_field, &mapping.jira_field, e);
            SyncError::invalid("field_conversion", problem, Value::Null)
        })?;
        if value.is_null() {
            continue;
        }
        events.push(field_sides::pulled(
            field,
            value.clone(),
            field_sides::print(&source),
            modstamp(record),
            FieldReason::FirstSync,
            None,
        ));
        fields.insert(mapping.jira_field.clone(), value);
    }
    if !fields.contains_key("summary") {
        let label = format_record_label(&definition.object, record);
        let summary: String = format!("{} {label}", item.context.object_label)
            .trim()
            .chars()
            .take(250)
            .collect();
        fields.insert("summary".into(), summary.into());
    }
    Ok((fields, events))
}

async fn create_issue(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    record: &crate::connectors::salesforce::Record,
) -> Result<Created, CreateFailed> {
    let jira = engine.jira().map_err(CreateFailed::Remote)?;
    let definition = &item.definition;
    let record_id = record_id(record).ok_or_else(|| {
        CreateFailed::Remote(SyncError::not_found(
            "record_not_found",
            "the record has no id",
        ))
    })?;
    let project = definition.jira_projects.first().cloned().ok_or_else(|| {
        CreateFailed::Remote(SyncError::invalid(
            "invalid_item",
            "no project",
            Value::Null,
        ))
    })?;
    let type_id = definition.issue_type_id.clone().unwrap_or_default();
    let (fields, pulled) = initial_fields(engine, item, record)
        .await
        .map_err(CreateFailed::Remote)?;
    let link_id = session.link_id();
    let label = marker_label(link_id);
    let intent = Intent {
        operation: RemoteOperation::CreateIssue,
        target: Side::Jira,
        marker: label.clone(),
        detail: json!({"item_id": item.id, "record_id": record_id.to_string(), "project": project.to_string()}),
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
                "item_id": item.id.to_string(),
                "record_id": record_id.to_string(),
                "object": definition.object,
            }),
        )];
        let created = jira
            .create_issue(
                &project,
                &type_id,
                fields.clone(),
                properties,
                vec!["sfjira".into(), label.clone()],
            )
            .await?;
        Ok(RemoteRef {
            id: created.key.to_string(),
            aux: Some(created.id),
        })
    };
    let settle = |created: &Created| {
        let Ok(issue_key) = JiraIssueKey::parse(&created.remote().id) else {
            return Vec::new();
        };
        let mut events = vec![LinkEvent::Linked(Linked {
            item_id: item.id,
            issue_key,
            issue_id: created.remote().aux.clone(),
            record_id: record_id.clone(),
            object: definition.object.clone(),
            origin: LinkOrigin::Auto,
            trigger: Trigger::Scheduler,
        })];
        if matches!(created, Created::Now(_)) {
            events.extend(pulled.clone());
        }
        events
    };
    create_once(engine, session, intent, find, create, settle).await
}
