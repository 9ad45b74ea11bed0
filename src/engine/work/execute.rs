//! The executor of link plans: performs each step's remote write in order, records the step's
//! events as its write succeeds, and counts what was written. It decides nothing; the rules
//! live in [`crate::domain::plan`].
//!
//! Creates go through the exactly-once intents ([`super::intent`]), whose settlement records
//! the events the effect names. A failed step is recorded as `link.sync_failed` under the
//! plan's operation and the next steps go on, except those that need the one before (a note
//! about a file that was not copied); values the plan refused are recorded as one failure once
//! every step succeeded.

use serde_json::{Map, Value};

use super::intent::Created;
use super::{issue_of, record_failure, ItemSnapshot, WorkOutcome};
use crate::actors::link::{LinkError, LinkSession};
use crate::domain::comments::sobject_of_part;
use crate::domain::ids::{JiraIssueKey, SalesforceId};
use crate::domain::link::events::LinkEvent;
use crate::domain::plan::{CreatedRef, Effect, Plan};
use crate::engine::{Engine, SyncError};

/// Performs `plan` for the session's link; failures are recorded under `operation`.
pub async fn execute(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    plan: Plan,
    operation: &str,
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let mut previous_done = true;
    let mut failed = false;
    for step in plan.steps {
        if step.needs_previous && !previous_done {
            continue;
        }
        let done = match &step.effect {
            None => Ok(()),
            Some(effect) => perform(engine, session, item, effect, outcome).await,
        };
        previous_done = match done {
            Ok(()) => {
                outcome.attachments_skipped += step
                    .events
                    .iter()
                    .filter(|e| matches!(e, LinkEvent::AttachmentSkipped(_)))
                    .count() as u64;
                if !step.events.is_empty() {
                    session.record(step.events).await?;
                }
                true
            }
            Err(SyncError::Link(e)) => return Err(e),
            Err(error) => {
                failed = true;
                record_failure(engine, session, outcome, operation, &error).await?;
                false
            }
        };
    }
    if !failed && !plan.refused.is_empty() {
        let refused = SyncError::invalid("field_conversion", plan.refused.join("; "), Value::Null);
        record_failure(engine, session, outcome, operation, &refused).await?;
    }
    Ok(())
}

/// The linked issue, or why there is none.
pub(super) fn linked_issue(session: &LinkSession) -> Result<JiraIssueKey, SyncError> {
    issue_of(session).ok_or_else(|| SyncError::not_found("not_linked", "the link is gone"))
}

/// The linked record, or why there is none.
pub(super) fn linked_record(session: &LinkSession) -> Result<SalesforceId, SyncError> {
    session
        .state()
        .link
        .as_ref()
        .map(|l| l.record_id.clone())
        .ok_or_else(|| SyncError::not_found("not_linked", "the link is gone"))
}

/// The events a create's settlement records, from what its effect planned.
pub(super) fn settled_by(effect: &Effect) -> impl FnOnce(&Created) -> Vec<LinkEvent> + '_ {
    move |created| {
        let remote = created.remote();
        effect.settled(&CreatedRef {
            id: remote.id.clone(),
            aux: remote.aux.clone(),
            now: matches!(created, Created::Now(_)),
        })
    }
}

/// Performs one effect and counts it.
async fn perform(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    effect: &Effect,
    outcome: &mut WorkOutcome,
) -> Result<(), SyncError> {
    use super::{jira_to_salesforce as to_sf, note, salesforce_to_jira as to_jira};
    match effect {
        Effect::TransitionIssue { transition_id, to } => {
            let key = linked_issue(session)?;
            tracing::debug!(link_id = %session.link_id(), %key, to, "transitioning the issue");
            engine.jira()?.transition(&key, transition_id).await?;
            outcome.statuses_written += 1;
        }
        Effect::UpdateRecordField { field, value } => {
            let mut body = Map::new();
            body.insert(field.clone(), Value::String(value.clone()));
            update_record(engine, session, item, &body).await?;
            outcome.statuses_written += 1;
        }
        Effect::EditIssue { fields } => {
            engine
                .jira()?
                .edit_issue(&linked_issue(session)?, fields.clone())
                .await?;
            outcome.fields_pulled += fields.len() as u64;
        }
        Effect::UpdateRecord { fields } => {
            update_record(engine, session, item, fields).await?;
            outcome.fields_pushed += fields.len() as u64;
        }
        Effect::CreateIssue(issue) => {
            let created = to_jira::create_issue::create(engine, session, effect, issue).await?;
            outcome.issue_created |= matches!(created, Created::Now(_));
        }
        Effect::WriteLinkNote(n) => note::create(engine, session, effect, n).await?,
        Effect::CreateJiraComment(c) => {
            to_jira::comments::create(engine, session, effect, c).await?;
            outcome.comments_paired += 1;
        }
        Effect::CreateSalesforceComment(c) => {
            to_sf::comments::create(engine, session, effect, c).await?;
            outcome.comments_paired += 1;
        }
        Effect::UpdateSalesforceComment(update) => {
            let sf = engine.salesforce()?;
            for (id, text) in &update.parts {
                let (object, field) = sobject_of_part(update.kind, id);
                let mut body = Map::new();
                body.insert(field.into(), text.clone().into());
                sf.update_shared(object, id, &body).await?;
            }
        }
        Effect::UploadToJira(file) => {
            to_jira::files::upload(engine, session, effect, file).await?;
            outcome.attachments_paired += 1;
        }
        Effect::UploadToSalesforce(file) => {
            to_sf::files::upload(engine, session, effect, file).await?;
            outcome.attachments_paired += 1;
        }
        Effect::WriteFileNote(n) => super::file_note::create(engine, session, n).await?,
    }
    Ok(())
}

/// Writes `fields` to the linked record in one update.
async fn update_record(
    engine: &Engine,
    session: &LinkSession,
    item: &ItemSnapshot,
    fields: &Map<String, Value>,
) -> Result<(), SyncError> {
    engine
        .salesforce()?
        .update_shared(&item.definition.object, &linked_record(session)?, fields)
        .await?;
    Ok(())
}
