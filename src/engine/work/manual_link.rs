//! A manual link from the issue panel: link, write the link note, and pull the record's fields,
//! status, comments and files at once (a new link should not wait five minutes to show
//! anything).

use async_trait::async_trait;

use super::{
    note, salesforce_to_jira as pull, EngineRef, ItemSnapshot, RecordChanges, WorkOutcome,
};
use crate::actors::link::{LinkError, LinkSession, LinkWork};
use crate::domain::ids::{JiraIssueKey, SalesforceId};
use crate::domain::link::events::{LinkOrigin, Trigger};
use crate::domain::link::{decide, LinkCommand};

/// Links a record to an issue by hand.
#[derive(Clone)]
pub struct ManualLinkWork {
    /// The engine.
    pub engine: EngineRef,
    /// The item.
    pub item: ItemSnapshot,
    /// The issue.
    pub issue_key: JiraIssueKey,
    /// Jira's issue id.
    pub issue_id: Option<String>,
    /// The record.
    pub record_id: SalesforceId,
    /// The record's values and every comment and file it has.
    pub changes: RecordChanges,
}

#[async_trait]
impl LinkWork for ManualLinkWork {
    type Output = WorkOutcome;

    async fn run(&mut self, session: &mut LinkSession) -> Result<WorkOutcome, LinkError> {
        let events = decide(
            session.state(),
            &LinkCommand::Link {
                item_id: self.item.id,
                issue_key: self.issue_key.clone(),
                issue_id: self.issue_id.clone(),
                record_id: self.record_id.clone(),
                object: self.item.definition.object.clone(),
                origin: LinkOrigin::Manual,
                trigger: Trigger::Panel,
            },
        )?;
        session.record(events).await?;
        let engine = self.engine.as_ref();
        let mut outcome = WorkOutcome::default();
        note::write(engine, session, &self.item, &mut outcome).await?;
        let pulled =
            pull::apply(engine, session, &self.item, &self.changes, Trigger::Panel).await?;
        outcome.add(pulled);
        Ok(outcome)
    }
}
