//! The dead-letter list of an item: failures that need an admin (or are waiting for their next
//! attempt), with retry and dismiss.
//!
//! Each entry is one link's failed operation with the remote system's words, the attempts so
//! far and when the next automatic attempt is due. Retry runs the link's whole reconciliation at
//! once (both directions, against fresh reads); dismiss records that an admin accepted the
//! failure, which takes it off the list until the operation fails again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::reconcile::snapshot;
use super::work::jira_to_salesforce::PushWork;
use super::work::salesforce_to_jira::PullWork;
use super::work::{record_changes, WorkOutcome};
use super::{Engine, SyncError};
use crate::actors::link::{LinkError, LinkSession, LinkWork};
use crate::domain::ids::{ItemId, LinkId};
use crate::domain::link::events::{FailureDismissed, LinkEvent, Trigger};
use crate::events::Meta;
use crate::projections::admin::{self, Attention};
use crate::projections::{read_json, scan_json};

const VIEW_WAIT: Duration = Duration::from_secs(5);

/// The dead letters of an item, oldest failure first.
pub async fn list(engine: &Engine, item: ItemId) -> Result<Vec<Attention>, SyncError> {
    engine.admin_view()?.wait_for_head(VIEW_WAIT).await;
    let view = engine.admin_view()?.view();
    read_json::<admin::AdminItem>(view.as_ref(), &admin::item_key(item))?
        .ok_or_else(|| SyncError::not_found("item_not_found", format!("no item {item}")))?;
    let mut entries: Vec<Attention> =
        scan_json::<Attention>(view.as_ref(), &admin::attention_prefix(item))?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
    entries.sort_by_key(|a| a.at);
    Ok(entries)
}

async fn entry(
    engine: &Engine,
    item: ItemId,
    link: LinkId,
    operation: &str,
) -> Result<Attention, SyncError> {
    list(engine, item)
        .await?
        .into_iter()
        .find(|a| a.link_id == link && a.operation == operation)
        .ok_or_else(|| {
            SyncError::not_found(
                "dead_letter_not_found",
                format!("no {operation} failure of link {link} in item {item}"),
            )
        })
}

/// Re-runs the link's reconciliation now; answers the link's remaining dead letters.
pub async fn retry(
    engine: &Arc<Engine>,
    item: ItemId,
    link: LinkId,
    operation: &str,
) -> Result<Vec<Attention>, SyncError> {
    entry(engine, item, link, operation).await?;
    let (snapshot, _) = snapshot(engine, item).await?;
    let row = engine
        .registry
        .link(link)
        .await?
        .ok_or_else(|| SyncError::not_found("link_not_found", format!("no link {link}")))?;
    if row.linked {
        if let Some(changes) = record_changes(engine, &snapshot.definition, &row.record_id).await? {
            let pull = PullWork {
                engine: engine.clone(),
                item: snapshot.clone(),
                changes,
                trigger: Trigger::Admin,
            };
            engine.registry.run(link, pull, Meta::default()).await?;
        }
        let push = PushWork {
            engine: engine.clone(),
            item: snapshot,
            trigger: Trigger::Admin,
            seen: None,
        };
        engine.registry.run(link, push, Meta::default()).await?;
    }
    Ok(list(engine, item)
        .await?
        .into_iter()
        .filter(|a| a.link_id == link)
        .collect())
}

#[derive(Clone)]
struct Dismiss {
    operation: String,
}

#[async_trait]
impl LinkWork for Dismiss {
    type Output = WorkOutcome;

    async fn run(&mut self, session: &mut LinkSession) -> Result<WorkOutcome, LinkError> {
        session
            .record(vec![LinkEvent::FailureDismissed(FailureDismissed {
                operation: self.operation.clone(),
                trigger: Trigger::Admin,
            })])
            .await?;
        Ok(WorkOutcome::default())
    }
}

/// Takes a failure off the list (it comes back if the operation fails again).
pub async fn dismiss(
    engine: &Engine,
    item: ItemId,
    link: LinkId,
    operation: &str,
) -> Result<(), SyncError> {
    entry(engine, item, link, operation).await?;
    engine
        .registry
        .run(
            link,
            Dismiss {
                operation: operation.to_string(),
            },
            Meta::default(),
        )
        .await?;
    engine.admin_view()?.wait_for_head(VIEW_WAIT).await;
    Ok(())
}
