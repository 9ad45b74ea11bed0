//! Two-way fields from Jira: observe the issue's mapped values (and the record, only when some
//! Jira value is news), let [`plan_push`] weigh them, and perform its plan — Jira's winners
//! to the record in one update, Salesforce's later changes back to the issue in one edit.
//!
//! A webhook for our own write costs no Salesforce call: the record is read only when some
//! mapped Jira value differs from the agreed one.

use super::FreshRecord;
use crate::actors::link::{LinkError, LinkSession};
use crate::connectors::jira::Issue;
use crate::domain::link::events::operations;
use crate::domain::plan::fields::{plan_push, push_needs_record, PushObservation};
use crate::engine::work::execute::execute;
use crate::engine::work::{record_failure, seen, ItemSnapshot, WorkOutcome};
use crate::engine::{metadata, Engine, SyncError};

/// Settles every mapped field that changed in Jira, writing each winner's value once.
pub(super) async fn push_fields(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    issue: &Issue,
    fresh: &mut FreshRecord,
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    let observed = async {
        let (mapped, _) = metadata::mapped_fields(engine, &item.definition).await?;
        let issue = seen::issue_fields(issue, &mapped);
        let record = if push_needs_record(session.state(), &mapped, &issue) {
            fresh.get(engine, item, session).await?.cloned()
        } else {
            None
        };
        Ok::<_, SyncError>((mapped, issue, record))
    };
    let (mapped, issue, record) = match observed.await {
        Ok(observed) => observed,
        Err(SyncError::Link(e)) => return Err(e),
        Err(error) => {
            return record_failure(engine, session, outcome, operations::PUSH_FIELDS, &error).await
        }
    };
    let plan = plan_push(
        session.state(),
        &PushObservation {
            mapped: &mapped,
            issue: &issue,
            record: record.as_ref().map(seen::record),
        },
    );
    execute(
        engine,
        session,
        item,
        plan,
        operations::PUSH_FIELDS,
        outcome,
    )
    .await
}
