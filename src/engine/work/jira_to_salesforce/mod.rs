//! Jira → Salesforce for one linked issue: mapped fields (two-way items), status (any item with
//! status sync), comments and their edits, and files — compared against the link's memory so
//! that what sfjira wrote itself is recognised and never written back.
//!
//! A webhook and the scheduler's Jira sweep both run this same unit: the webhook makes it
//! immediate, the sweep makes it certain (a delivery lost while sfjira was down is caught by
//! the next run).

pub mod comments;
mod fields;
pub mod files;

pub(crate) use comments::browse_url;

use async_trait::async_trait;

use crate::actors::link::{LinkError, LinkSession, LinkWork};
use crate::connectors::jira::Issue;
use crate::connectors::salesforce::Record;
use crate::domain::catalog::comment_model;
use crate::domain::comments::{comment_sobject, written_comment_kind};
use crate::domain::item::SyncMode;
use crate::domain::link::events::{
    operations, IssueRead, LinkEvent, SalesforceCommentKind, Trigger,
};
use crate::domain::plan::comments::jira_comments_could_be_new;
use crate::engine::work::execute::linked_record;
use crate::engine::work::{issue_of, record_failure, EngineRef, ItemSnapshot, WorkOutcome};
use crate::engine::{fetch, metadata, Engine, SyncError};

/// Applies the linked issue's Jira-side changes to its record.
#[derive(Clone)]
pub struct PushWork {
    /// The engine.
    pub engine: EngineRef,
    /// The item.
    pub item: ItemSnapshot,
    /// What caused it.
    pub trigger: Trigger,
    /// The issue as the caller already saw it — a webhook's payload or a sweep's search page —
    /// used instead of reading it again when it carries every field the steps compare.
    pub seen: Option<Issue>,
}

#[async_trait]
impl LinkWork for PushWork {
    type Output = WorkOutcome;

    async fn run(&mut self, session: &mut LinkSession) -> Result<WorkOutcome, LinkError> {
        apply(
            &self.engine,
            session,
            &self.item,
            self.trigger,
            self.seen.as_ref(),
        )
        .await
    }
}

/// Compares the linked issue with the link's memory and writes what changed to Salesforce.
///
/// The issue is read only when `seen` cannot serve: it lacks a compared field, or the status
/// moved and its change time (the changelog) is needed. A `seen` no newer than what the link
/// last handled costs nothing at all — a late or repeated delivery, or sfjira's own write
/// coming back after a sweep already took it.
pub async fn apply(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    trigger: Trigger,
    seen: Option<&Issue>,
) -> Result<WorkOutcome, LinkError> {
    let mut outcome = WorkOutcome::default();
    let definition = &item.definition;
    let (Some(key), true) = (issue_of(session), definition.mode.synchronises()) else {
        return Ok(outcome);
    };
    let wanted = wanted_fields(item);
    let seen = seen.filter(|issue| serves(session, item, issue, &wanted));
    if seen.is_some_and(|issue| already_handled(session, issue)) {
        return Ok(outcome);
    }
    let read;
    let issue = match seen {
        Some(issue) => issue,
        None => match read_issue(engine, session, &key, &wanted, &mut outcome).await? {
            Some(fresh) => {
                read = fresh;
                &read
            }
            None => return Ok(outcome),
        },
    };
    let two_way = definition.mode == SyncMode::TwoWay;
    let mut fresh = FreshRecord::default();
    if two_way && !definition.mappings.is_empty() {
        fields::push_fields(engine, session, item, issue, &mut fresh, &mut outcome).await?;
    }
    if status_moved(session, item, issue) {
        status_from_jira(engine, session, item, issue, &mut fresh, &mut outcome).await?;
    }
    if two_way && definition.options.comments_sync && comments_could_be_new(session, issue) {
        comments::push_comments(engine, session, item, &key, &mut outcome).await?;
    }
    if two_way && definition.options.attachments_sync {
        let attachments = issue.attachments();
        files::push_files(engine, session, item, &key, &attachments, &mut outcome).await?;
    }
    remember_read(session, issue, trigger, &outcome).await?;
    Ok(outcome)
}

/// Whether the issue's comments, as the issue read shows them, can hold anything to mirror.
fn comments_could_be_new(session: &LinkSession, issue: &Issue) -> bool {
    let Some((comments, complete)) = issue.comment_page() else {
        return true;
    };
    let seen: Vec<(String, String)> = comments
        .iter()
        .map(|c| (c.id.clone(), c.body_text()))
        .collect();
    jira_comments_could_be_new(session.state(), &seen, complete)
}

/// Records that the issue was handled as of its `updated` (unless a step must be retried), so
/// a sweep that finds it no newer costs nothing.
async fn remember_read(
    session: &mut LinkSession,
    issue: &Issue,
    trigger: Trigger,
    outcome: &WorkOutcome,
) -> Result<(), LinkError> {
    let Some(updated) = issue.updated() else {
        return Ok(());
    };
    if outcome.retry_needed || session.state().issue_read >= Some(updated) {
        return Ok(());
    }
    session
        .record(vec![LinkEvent::IssueRead(IssueRead { updated, trigger })])
        .await?;
    Ok(())
}

/// The issue fields the push steps compare: status, attachments, comments and the mapped
/// fields. A sweep asks its search for these so that what it finds can serve as `seen`.
pub fn wanted_fields(item: &ItemSnapshot) -> Vec<&str> {
    let mut wanted: Vec<&str> = crate::engine::work::status::STATUS_FIELDS.to_vec();
    wanted.extend(["attachment", "comment"]);
    wanted.extend(
        item.definition
            .mappings
            .iter()
            .map(|m| m.jira_field.as_str()),
    );
    wanted
}

/// Whether an issue the caller saw can stand for a read: it has every wanted field, its
/// `updated`, and — when its status differs from the one the link remembers — the changelog
/// that dates the change.
fn serves(session: &LinkSession, item: &ItemSnapshot, issue: &Issue, wanted: &[&str]) -> bool {
    if issue.updated().is_none() || !wanted.iter().all(|f| issue.fields.contains_key(*f)) {
        return false;
    }
    !status_moved(session, item, issue) || issue.changelog.is_some()
}

/// Whether the item syncs status and the issue shows one other than the link remembers.
fn status_moved(session: &LinkSession, item: &ItemSnapshot, issue: &Issue) -> bool {
    if item.definition.options.status_sync.is_none() {
        return false;
    }
    let current = issue.status().map(|s| s.name);
    let remembered = session
        .state()
        .status
        .as_ref()
        .and_then(|m| m.jira_value.clone());
    current.is_some() && current != remembered
}

/// Whether the link already handled the issue as of this `updated` or later.
fn already_handled(session: &LinkSession, issue: &Issue) -> bool {
    issue
        .updated()
        .is_some_and(|updated| session.state().issue_read >= Some(updated))
}

/// Reads the issue with the wanted fields and the changelog; `None` (the failure recorded)
/// when it cannot be read.
async fn read_issue(
    engine: &Engine,
    session: &mut LinkSession,
    key: &crate::domain::ids::JiraIssueKey,
    wanted: &[&str],
    outcome: &mut WorkOutcome,
) -> Result<Option<Issue>, LinkError> {
    let Ok(jira) = engine.jira() else {
        return Ok(None);
    };
    match jira
        .get_issue(key, wanted, crate::engine::work::status::STATUS_EXPAND, &[])
        .await
    {
        Ok(issue) => Ok(Some(issue)),
        Err(e) => {
            record_failure(engine, session, outcome, operations::READ_ISSUE, &e.into()).await?;
            Ok(None)
        }
    }
}

/// The linked record as Salesforce holds it now, read at most once per push and shared by the
/// field and status steps.
#[derive(Default)]
pub(super) struct FreshRecord(Option<Option<Record>>);

impl FreshRecord {
    /// The record, read on first use; `None` when it no longer exists.
    pub(super) async fn get(
        &mut self,
        engine: &Engine,
        item: &ItemSnapshot,
        session: &LinkSession,
    ) -> Result<Option<&Record>, SyncError> {
        if self.0.is_none() {
            let id = linked_record(session)?;
            let sf = engine.salesforce()?;
            self.0 = Some(fetch::one_record(&sf, &item.definition, &id).await?);
        }
        Ok(self.0.as_ref().and_then(Option::as_ref))
    }
}

/// Reads the record (unless the field step already did) and settles the status race (Jira
/// changed) against the issue as just read.
async fn status_from_jira(
    engine: &Engine,
    session: &mut LinkSession,
    item: &ItemSnapshot,
    issue: &Issue,
    fresh: &mut FreshRecord,
    outcome: &mut WorkOutcome,
) -> Result<(), LinkError> {
    if linked_record(session).is_err() {
        return Ok(());
    }
    match fresh.get(engine, item, session).await {
        Ok(Some(values)) => {
            let values = values.clone();
            crate::engine::work::status::sync(engine, session, item, &values, Some(issue), outcome)
                .await
        }
        Ok(None) => Ok(()),
        Err(e) => record_failure(engine, session, outcome, operations::STATUS, &e).await,
    }
}

/// The comment surface of the item's object.
pub(crate) async fn surface(
    engine: &Engine,
    object: &str,
) -> Result<Option<(SalesforceCommentKind, &'static str, &'static str)>, SyncError> {
    let feed = metadata::describe(engine, object)
        .await?
        .is_some_and(|d| d.object.feed_enabled);
    Ok(
        written_comment_kind(comment_model(object, Some(feed))).map(|kind| {
            let (sobject, body_field) = comment_sobject(kind);
            (kind, sobject, body_field)
        }),
    )
}
