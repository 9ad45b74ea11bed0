//! The issue panel's operations: the cards of an issue, record search, link by search result or
//! pasted id, refresh, unlink.
//!
//! Cards paint from the panel view alone. Link, refresh and unlink go through the link's actor
//! and answer with the card as the view shows it afterwards.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use super::fetch;
use super::work::manual_link::ManualLinkWork;
use super::work::salesforce_to_jira::PullWork;
use super::work::ItemSnapshot;
use super::{connection, metadata, Engine, SyncError};
use crate::actors::link::Execute;
use crate::domain::catalog::{self, format_record_label};
use crate::domain::escape::{soql_like_contains, soql_quote};
use crate::domain::ids::{ItemId, JiraIssueKey, LinkId, SalesforceId};
use crate::domain::item::SyncMode;
use crate::domain::link::events::{LinkOrigin, Trigger};
use crate::domain::link::LinkCommand;
use crate::events::Meta;
use crate::projections::panel::{self, Card, CardFailure, CardStatus, PanelItem};
use crate::projections::{read_json, scan_json};

/// How long an operation waits for the panel view to show its result.
const VIEW_WAIT: Duration = Duration::from_secs(5);

/// One row of a card's preview table.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewRow {
    /// Field API name.
    pub field: String,
    /// Label.
    pub label: String,
    /// Value as Salesforce returned it.
    pub value: Value,
}

/// Whether the card offers Unlink.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnlinkAction {
    /// Unlink is offered.
    pub allowed: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

/// The linked record of a card.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkedRecord {
    /// The link.
    pub link_id: LinkId,
    /// The record.
    pub record_id: SalesforceId,
    /// Its label (`00001026 [Printer on fire]`).
    pub record_label: String,
    /// Manual or automatic.
    pub origin: LinkOrigin,
    /// Open in Salesforce.
    pub open_url: Option<String>,
    /// The preview table.
    pub preview: Vec<PreviewRow>,
    /// When the values were read.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// When it was linked.
    pub linked_at: DateTime<Utc>,
    /// Unlink.
    pub unlink: UnlinkAction,
    /// Status context.
    pub status: CardStatus,
    /// Unresolved failures.
    pub failures: Vec<CardFailure>,
    /// Comments mirrored.
    pub comments_paired: u64,
    /// Files mirrored.
    pub attachments_paired: u64,
    /// Files skipped.
    pub attachments_skipped: u64,
}

/// One card of the panel: one Smart Connected Item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PanelCard {
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Module label.
    pub module: String,
    /// Object API name.
    pub object: String,
    /// Object label.
    pub object_label: String,
    /// Mode.
    pub mode: SyncMode,
    /// Mode as shown.
    pub mode_label: &'static str,
    /// The status-like field when status sync is on.
    pub status_sync: Option<String>,
    /// The linked record, if any.
    pub link: Option<LinkedRecord>,
}

/// The panel of one issue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Panel {
    /// The issue.
    pub issue_key: JiraIssueKey,
    /// Its cards.
    pub cards: Vec<PanelCard>,
}

fn card_of(item: &PanelItem, card: Option<Card>, instance_url: Option<&str>) -> PanelCard {
    let d = &item.definition;
    let link = card.map(|c| {
        let preview_fields: Vec<&String> = if d.preview_fields.is_empty() {
            d.mappings.iter().map(|m| &m.salesforce_field).collect()
        } else {
            d.preview_fields.iter().collect()
        };
        let values: serde_json::Map<String, Value> = c.values.clone().into_iter().collect();
        LinkedRecord {
            link_id: c.link_id,
            record_id: c.record_id.clone(),
            record_label: if values.is_empty() {
                c.record_id.to_string()
            } else {
                format_record_label(&d.object, &values)
            },
            origin: c.origin,
            open_url: instance_url.map(|base| {
                format!("{}/lightning/r/{}/{}/view", base.trim_end_matches('/'), d.object, c.record_id)
            }),
            preview: preview_fields
                .into_iter()
                .map(|f| PreviewRow {
                    field: f.clone(),
                    label: item.context.field_labels.get(f).cloned().unwrap_or_else(|| f.clone()),
                    value: c.values.get(f).cloned().unwrap_or(Value::Null),
                })
                .collect(),
            refreshed_at: c.refreshed_at,
            linked_at: c.linked_at,
            unlink: match c.origin {
                LinkOrigin::Manual => UnlinkAction { allowed: true, reason: None },
                LinkOrigin::Auto => UnlinkAction {
                    allowed: false,
                    reason: Some(
                        "created by the scheduler: auto-managed links stay linked so comments, files and status keep their history"
                            .into(),
                    ),
                },
            },
            status: c.status.clone(),
            failures: c.failures.values().cloned().collect(),
            comments_paired: c.comments_paired,
            attachments_paired: c.attachments_paired,
            attachments_skipped: c.attachments_skipped,
        }
    });
    PanelCard {
        item_id: item.item_id,
        item_name: d.name.clone(),
        module: item.context.module.clone(),
        object: d.object.clone(),
        object_label: item.context.object_label.clone(),
        mode: d.mode,
        mode_label: d.mode.label(),
        status_sync: d
            .options
            .status_sync
            .as_ref()
            .map(|s| s.salesforce_field.clone()),
        link,
    }
}

/// The panel of `key`: one card per item that applies to its project.
pub async fn panel(engine: &Engine, key: &JiraIssueKey) -> Result<Panel, SyncError> {
    let view = engine.panel_view()?.view();
    let instance_url = connection::instance_url(engine).await?;
    let mut cards = Vec::new();
    for (_, item) in scan_json::<PanelItem>(view.as_ref(), panel::ITEMS)? {
        if !item.applies_to(key.project()) {
            continue;
        }
        let card = read_json::<Card>(view.as_ref(), &panel::card_key(key, item.item_id))?;
        cards.push(card_of(&item, card, instance_url.as_deref()));
    }
    cards.sort_by_key(|c| c.item_name.to_lowercase());
    Ok(Panel {
        issue_key: key.clone(),
        cards,
    })
}

async fn item_for(
    engine: &Engine,
    key: &JiraIssueKey,
    item: ItemId,
) -> Result<PanelItem, SyncError> {
    engine.panel_view()?.wait_for_head(VIEW_WAIT).await;
    let view = engine.panel_view()?.view();
    let found = read_json::<PanelItem>(view.as_ref(), &panel::item_key(item))?
        .ok_or_else(|| SyncError::not_found("item_not_found", format!("no item {item}")))?;
    if !found.applies_to(key.project()) {
        return Err(SyncError::invalid(
            "item_not_for_project",
            format!(
                "item \"{}\" does not apply to project {}",
                found.definition.name,
                key.project()
            ),
            json!({"item_id": item, "project": key.project().to_string()}),
        ));
    }
    Ok(found)
}

fn snapshot(item: &PanelItem) -> ItemSnapshot {
    ItemSnapshot {
        id: item.item_id,
        definition: item.definition.clone(),
        context: item.context.clone(),
    }
}

async fn one_card(
    engine: &Engine,
    key: &JiraIssueKey,
    item: &PanelItem,
) -> Result<PanelCard, SyncError> {
    engine.panel_view()?.wait_for_head(VIEW_WAIT).await;
    let view = engine.panel_view()?.view();
    let card = read_json::<Card>(view.as_ref(), &panel::card_key(key, item.item_id))?;
    let instance_url = connection::instance_url(engine).await?;
    Ok(card_of(item, card, instance_url.as_deref()))
}

/// One search result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    /// The record id.
    pub id: SalesforceId,
    /// Its label.
    pub label: String,
}

/// Search results with the fields that were searched.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    /// Matches.
    pub results: Vec<SearchHit>,
    /// Fields the text was looked for in.
    pub searched_fields: Vec<String>,
    /// A hint when nothing matched.
    pub hint: Option<String>,
}

/// Looks `text` up in the item's object by its search fields, or as a pasted id.
pub async fn search(
    engine: &Engine,
    key: &JiraIssueKey,
    item: ItemId,
    text: &str,
) -> Result<SearchResults, SyncError> {
    let item = item_for(engine, key, item).await?;
    let object = &item.definition.object;
    let sf = engine.salesforce()?;
    let fields: Vec<String> = catalog::search_fields(object)
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut select: Vec<String> = vec!["Id".into()];
    for f in catalog::display_fields(object)
        .into_iter()
        .map(str::to_string)
        .chain(fields.iter().cloned())
    {
        if !select.contains(&f) {
            select.push(f);
        }
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(SyncError::invalid(
            "empty_search",
            "type part of a record's searchable fields, or paste its id",
            Value::Null,
        ));
    }
    let soql = match SalesforceId::parse(text) {
        Ok(id) => format!(
            "SELECT {} FROM {object} WHERE Id = {}",
            select.join(", "),
            soql_quote(id.as_str())
        ),
        Err(_) => format!(
            "SELECT {} FROM {object} WHERE {} ORDER BY LastModifiedDate DESC LIMIT 20",
            select.join(", "),
            fields
                .iter()
                .map(|f| format!("{f} LIKE {}", soql_like_contains(text)))
                .collect::<Vec<_>>()
                .join(" OR ")
        ),
    };
    let rows = sf.query(&soql).await?;
    let results: Vec<SearchHit> = rows
        .iter()
        .filter_map(|r| {
            Some(SearchHit {
                id: fetch::record_id(r)?,
                label: format_record_label(object, r),
            })
        })
        .collect();
    let hint = results.is_empty().then(|| {
        format!(
            "No matching records found. Searched {} {}; a 15- or 18-character record id can be pasted too.",
            item.context.object_label,
            fields.join(", ")
        )
    });
    Ok(SearchResults {
        results,
        searched_fields: fields,
        hint,
    })
}

/// Links a record (found by search or pasted as a 15- or 18-character id) to the issue.
pub async fn link(
    engine: &std::sync::Arc<Engine>,
    key: &JiraIssueKey,
    item_id: ItemId,
    record_input: &str,
) -> Result<PanelCard, SyncError> {
    let item = item_for(engine, key, item_id).await?;
    let record = SalesforceId::parse(record_input).map_err(|e| {
        SyncError::invalid(
            "invalid_record_id",
            format!("{record_input:?} is not a Salesforce id: {e}"),
            json!({"record_id": record_input}),
        )
    })?;
    let object = &item.definition.object;
    let expected = metadata::describe(engine, object)
        .await?
        .and_then(|d| d.object.key_prefix.clone());
    if let Some(expected) = expected.filter(|p| p != record.key_prefix()) {
        let actual = catalog::object_for_key_prefix(record.key_prefix())
            .map(|o| format!("an {o} id"))
            .unwrap_or_else(|| format!("an id with prefix {}", record.key_prefix()));
        return Err(SyncError::invalid(
            "wrong_object",
            format!(
                "{record} is {actual}; this item links {object} records (ids starting {expected})"
            ),
            json!({"record_id": record.to_string(), "expected_prefix": expected}),
        ));
    }
    let view = engine.panel_view()?.view();
    if let Some(existing) = read_json::<Card>(view.as_ref(), &panel::card_key(key, item_id))? {
        if existing.record_id != record {
            return Err(SyncError::conflict(
                "already_linked",
                format!(
                    "{key} is already linked to {} under this item; unlink it first",
                    existing.record_id
                ),
                json!({"record_id": existing.record_id.to_string()}),
            ));
        }
    }
    let changes = super::work::record_changes(engine, &item.definition, &record)
        .await?
        .ok_or_else(|| {
            SyncError::not_found(
                "record_not_found",
                format!("no {object} {record} visible to the integration user"),
            )
        })?;
    let issue = engine
        .jira()?
        .get_issue(key, &["summary"], &[], &[])
        .await
        .map_err(|e| {
            if e.is_not_found() {
                SyncError::not_found(
                    "issue_not_found",
                    format!("Jira issue {key} does not exist or is not visible"),
                )
            } else {
                e.into()
            }
        })?;
    let work = ManualLinkWork {
        engine: engine.clone(),
        item: snapshot(&item),
        issue_key: key.clone(),
        issue_id: Some(issue.id),
        record_id: record.clone(),
        changes,
    };
    engine
        .registry
        .run(LinkId::for_record(item_id, &record), work, Meta::default())
        .await?;
    one_card(engine, key, &item).await
}

fn linked_card(
    view: &dyn crate::events::store::ViewTree,
    key: &JiraIssueKey,
    item: ItemId,
) -> Result<Card, SyncError> {
    read_json::<Card>(view, &panel::card_key(key, item))?.ok_or_else(|| {
        SyncError::not_found(
            "not_linked",
            format!("{key} has no record linked under item {item}"),
        )
    })
}

/// Pulls the linked record's fields, comments and files now.
pub async fn refresh(
    engine: &std::sync::Arc<Engine>,
    key: &JiraIssueKey,
    item_id: ItemId,
) -> Result<PanelCard, SyncError> {
    let item = item_for(engine, key, item_id).await?;
    let card = linked_card(engine.panel_view()?.view().as_ref(), key, item_id)?;
    let changes = super::work::record_changes(engine, &item.definition, &card.record_id)
        .await?
        .ok_or_else(|| {
            SyncError::not_found(
                "record_not_found",
                format!(
                    "{} {} no longer exists or is not visible",
                    item.definition.object, card.record_id
                ),
            )
        })?;
    let work = PullWork {
        engine: engine.clone(),
        item: snapshot(&item),
        changes,
        trigger: Trigger::Refresh,
    };
    engine
        .registry
        .run(card.link_id, work, Meta::default())
        .await?;
    one_card(engine, key, &item).await
}

/// Unlinks a manual link; an auto-managed one is refused with the reason.
pub async fn unlink(
    engine: &Engine,
    key: &JiraIssueKey,
    item_id: ItemId,
) -> Result<PanelCard, SyncError> {
    let item = item_for(engine, key, item_id).await?;
    let card = linked_card(engine.panel_view()?.view().as_ref(), key, item_id)?;
    engine
        .registry
        .run(
            card.link_id,
            Execute(LinkCommand::Unlink {
                trigger: Trigger::Panel,
                reason: None,
            }),
            Meta::default(),
        )
        .await?;
    one_card(engine, key, &item).await
}
