//! Smart Connected Items: create, change, delete, list — validated against live metadata,
//! recorded as events, read back from the admin view.
//!
//! Writes go to the item's stream with its exact expected version (an edit based on a stale
//! copy is refused with 409); reads come from the admin projection once it has folded the write,
//! so the answer to a save is the row as every later read will show it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::context::Engine;
use super::metadata::{self, labels_of};
use super::SyncError;
use crate::domain::catalog::{self, Module};
use crate::domain::fields::parse_datetime_lenient;
use crate::domain::ids::ItemId;
use crate::domain::item::{validate, ItemDefinition, Validation};
use crate::domain::link::events::Trigger;
use crate::events::item::{ItemChanged, ItemContext, ItemDefined, ItemDeleted, ItemEvent};
use crate::events::scheduler::{ItemOutcome, RunCounts};
use crate::events::store::ExpectedVersion;
use crate::events::{decode, encode, streams, Meta};
use crate::projections::admin::{self, AdminItem, Attention, RunRow};
use crate::projections::{read_json, scan_json};

/// How long a write waits for the admin view to show it.
const VIEW_WAIT: Duration = Duration::from_secs(5);

/// The "Latest Sync" column.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LatestSync {
    /// Display-only items never sync.
    DisplayOnly,
    /// No run yet.
    Waiting,
    /// The last run completed.
    Ok {
        /// When.
        finished_at: DateTime<Utc>,
        /// What it did.
        counts: RunCounts,
    },
    /// The last run was paused (API budget).
    Paused {
        /// Why.
        reason: String,
        /// When.
        finished_at: DateTime<Utc>,
    },
    /// Something needs an admin.
    Attention {
        /// Why, one line each.
        reasons: Vec<String>,
        /// When the last run finished, if any ran.
        finished_at: Option<DateTime<Utc>>,
    },
}

/// One row of the Smart Connected Items table.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemRow {
    /// Id.
    pub id: ItemId,
    /// Stream version (send it back as `If-Match` to edit).
    pub version: u64,
    /// Name.
    pub name: String,
    /// `display_only`, `one_way`, `two_way`.
    pub mode: crate::domain::item::SyncMode,
    /// The mode as shown.
    pub mode_label: &'static str,
    /// Jira projects.
    pub jira_scope: Vec<String>,
    /// Issue type id and name.
    pub issue_type: Option<serde_json::Value>,
    /// Module and object.
    pub salesforce_source: serde_json::Value,
    /// `Subject → summary, …` or the preview fields.
    pub fields_summary: String,
    /// Option flags.
    pub options: serde_json::Value,
    /// Latest Sync.
    pub latest_sync: LatestSync,
    /// Live links.
    pub live_links: u64,
    /// Warnings from the last save.
    pub warnings: Vec<String>,
    /// The full definition.
    pub definition: ItemDefinition,
}

/// An item with its attention list and recent runs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemDetail {
    /// The row.
    #[serde(flatten)]
    pub row: ItemRow,
    /// Unresolved failures.
    pub attention: Vec<Attention>,
    /// Recent runs, newest first.
    pub runs: Vec<RunRow>,
    /// Watermarks.
    pub watermarks: crate::events::scheduler::Watermarks,
}

/// The admin list's row of an item, with the link failures that need attention.
fn row_of(item: &AdminItem, attention: &[Attention]) -> ItemRow {
    let d = &item.definition;
    ItemRow {
        id: item.item_id,
        version: item.version,
        name: d.name.clone(),
        mode: d.mode,
        mode_label: d.mode.label(),
        jira_scope: d.jira_projects.iter().map(|p| p.to_string()).collect(),
        issue_type: d
            .issue_type_id
            .as_ref()
            .map(|id| json!({"id": id, "name": item.context.issue_type_name})),
        salesforce_source: json!({
            "module": item.context.module,
            "object": d.object,
            "object_label": item.context.object_label,
        }),
        fields_summary: fields_summary(d),
        options: json!({
            "auto_create": d.options.auto_create,
            "comments_sync": d.options.comments_sync,
            "attachments_sync": d.options.attachments_sync,
            "status_sync": d.options.status_sync.as_ref().map(|s| &s.salesforce_field),
        }),
        latest_sync: latest_sync(item, attention),
        live_links: item.live_links,
        warnings: item.warnings.clone(),
        definition: d.clone(),
    }
}

/// The "Latest Sync" of an item: link failures needing attention come before the last run.
fn latest_sync(item: &AdminItem, attention: &[Attention]) -> LatestSync {
    if !item.definition.mode.synchronises() {
        LatestSync::DisplayOnly
    } else if !attention.is_empty() {
        LatestSync::Attention {
            reasons: attention
                .iter()
                .map(|a| {
                    format!(
                        "{} {}: {}",
                        a.issue_key
                            .as_ref()
                            .map(|k| k.to_string())
                            .unwrap_or_default(),
                        a.operation,
                        a.error
                    )
                })
                .collect(),
            finished_at: item.latest_run.as_ref().map(|r| r.finished_at),
        }
    } else {
        match &item.latest_run {
            None => LatestSync::Waiting,
            Some(run) => last_run_sync(run),
        }
    }
}

/// The "Latest Sync" the last run's outcome gives.
fn last_run_sync(run: &RunRow) -> LatestSync {
    match &run.outcome {
        ItemOutcome::Completed => LatestSync::Ok {
            finished_at: run.finished_at,
            counts: run.counts,
        },
        ItemOutcome::Paused { reason } => LatestSync::Paused {
            reason: reason.clone(),
            finished_at: run.finished_at,
        },
        ItemOutcome::Partial { reason } | ItemOutcome::Failed { error: reason } => {
            LatestSync::Attention {
                reasons: vec![reason.clone()],
                finished_at: Some(run.finished_at),
            }
        }
    }
}

/// The "Fields" column: the mappings with their direction, or the preview fields.
fn fields_summary(d: &ItemDefinition) -> String {
    if d.mappings.is_empty() {
        return d.preview_fields.join(", ");
    }
    let arrow = if d.mode == crate::domain::item::SyncMode::TwoWay {
        "⇄"
    } else {
        "→"
    };
    d.mappings
        .iter()
        .map(|m| format!("{} {arrow} {}", m.salesforce_field, m.jira_field))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every item, in name order.
pub async fn list(engine: &Engine) -> Result<Vec<ItemRow>, SyncError> {
    let view = engine.admin_view()?.view();
    let mut rows = Vec::new();
    for (_, item) in scan_json::<AdminItem>(view.as_ref(), admin::ITEMS)? {
        let attention =
            scan_json::<Attention>(view.as_ref(), &admin::attention_prefix(item.item_id))?;
        let attention: Vec<Attention> = attention.into_iter().map(|(_, a)| a).collect();
        rows.push(row_of(&item, &attention));
    }
    rows.sort_by_key(|r| r.name.to_lowercase());
    Ok(rows)
}

/// One item with its attention list and recent runs.
pub async fn get(engine: &Engine, id: ItemId) -> Result<ItemDetail, SyncError> {
    let view = engine.admin_view()?.view();
    let item = read_json::<AdminItem>(view.as_ref(), &admin::item_key(id))?
        .ok_or_else(|| SyncError::not_found("item_not_found", format!("no item {id}")))?;
    let attention: Vec<Attention> =
        scan_json::<Attention>(view.as_ref(), &admin::attention_prefix(id))?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
    let mut runs: Vec<RunRow> = scan_json::<RunRow>(view.as_ref(), &admin::runs_prefix(id))?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    runs.reverse();
    runs.truncate(50);
    Ok(ItemDetail {
        row: row_of(&item, &attention),
        attention,
        runs,
        watermarks: item.watermarks,
    })
}

/// The item's definition and stream version, from its stream.
pub async fn load(
    engine: &Engine,
    id: ItemId,
) -> Result<Option<(ItemDefinition, ItemContext, u64)>, SyncError> {
    let events = engine.store.read_stream(&streams::item(id), 0).await?;
    let mut current = None;
    for recorded in &events {
        let event: ItemEvent =
            decode(recorded).map_err(crate::projections::ProjectionError::from)?;
        current = match event {
            ItemEvent::Defined(e) => Some((e.definition, e.context, recorded.version)),
            ItemEvent::Changed(e) => Some((e.definition, e.context, recorded.version)),
            ItemEvent::Deleted(_) => None,
        };
    }
    Ok(current.map(|(d, c, _)| (d, c, events.last().map_or(0, |e| e.version))))
}

/// Validates a definition against live metadata, returning what the admin page shows before
/// saving, and the context to record.
pub async fn check(
    engine: &Engine,
    definition: &ItemDefinition,
) -> Result<(Validation, ItemContext), SyncError> {
    let object = metadata::object_metadata(engine, &definition.object).await?;
    let (jira, issue_type) = metadata::jira_metadata(
        engine,
        &definition.jira_projects,
        definition.issue_type_id.as_deref(),
    )
    .await?;
    let validation = validate(definition, object.as_ref(), &jira);
    let mut context = ItemContext {
        module: if catalog::is_custom_object(&definition.object) {
            Module::CustomObjects.label().to_string()
        } else {
            catalog::module_of(&definition.object)
                .map(|m| m.label().to_string())
                .unwrap_or_default()
        },
        issue_type_name: issue_type.map(|t| t.name),
        ..ItemContext::default()
    };
    if let Some(describe) = metadata::describe(engine, &definition.object).await? {
        context.object_label = describe.object.label.clone();
        let names = definition
            .preview_fields
            .iter()
            .chain(definition.mappings.iter().map(|m| &m.salesforce_field))
            .chain(
                definition
                    .options
                    .status_sync
                    .iter()
                    .map(|s| &s.salesforce_field),
            );
        context.field_labels = labels_of(&describe, names);
    }
    Ok((validation, context))
}

/// The newest `SystemModstamp` of the object: where a new item's runs begin.
async fn baseline(engine: &Engine, object: &str) -> Result<Option<DateTime<Utc>>, SyncError> {
    let soql = format!("SELECT SystemModstamp FROM {object} ORDER BY SystemModstamp DESC LIMIT 1");
    let rows = engine.salesforce()?.query(&soql).await?;
    Ok(rows
        .first()
        .and_then(|r| r.get("SystemModstamp"))
        .and_then(|v| v.as_str())
        .and_then(parse_datetime_lenient))
}

fn refuse(validation: Validation) -> SyncError {
    SyncError::invalid(
        "invalid_item",
        format!(
            "the item has {} problem(s): {}",
            validation.problems.len(),
            validation
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        json!({"problems": validation.problems, "warnings": validation.warnings}),
    )
}

async fn settle(engine: &Engine, seq: u64, id: ItemId) -> Result<ItemRow, SyncError> {
    for view in engine.projections.handles() {
        view.wait_for(seq, VIEW_WAIT).await;
    }
    Ok(get(engine, id).await?.row)
}

/// Creates an item.
pub async fn create(engine: &Engine, definition: ItemDefinition) -> Result<ItemRow, SyncError> {
    let (validation, mut context) = check(engine, &definition).await?;
    if !validation.is_valid() {
        return Err(refuse(validation));
    }
    if definition.mode.synchronises() {
        context.baseline = baseline(engine, &definition.object).await?;
    }
    let id = ItemId::new();
    let event = ItemEvent::Defined(ItemDefined {
        definition,
        context,
        warnings: validation.warnings,
    });
    let outcome = engine
        .store
        .append(
            &streams::item(id),
            ExpectedVersion::NoStream,
            vec![encode(&event, Meta::default())],
        )
        .await?;
    settle(engine, outcome.last_seq, id).await
}

fn changed_settings(old: &ItemDefinition, new: &ItemDefinition) -> Vec<String> {
    let mut changed = Vec::new();
    let mut check = |name: &str, differs: bool| {
        if differs {
            changed.push(name.to_string());
        }
    };
    check("name", old.name != new.name);
    check("mode", old.mode != new.mode);
    check("jira_projects", old.jira_projects != new.jira_projects);
    check("issue_type_id", old.issue_type_id != new.issue_type_id);
    check("object", old.object != new.object);
    check("preview_fields", old.preview_fields != new.preview_fields);
    check("mappings", old.mappings != new.mappings);
    check("options", old.options != new.options);
    changed
}

/// Changes an item; `expected_version` (from `If-Match`) guards against a stale edit.
pub async fn update(
    engine: &Engine,
    id: ItemId,
    definition: ItemDefinition,
    expected_version: Option<u64>,
) -> Result<ItemRow, SyncError> {
    let (old, old_context, version) = load(engine, id)
        .await?
        .ok_or_else(|| SyncError::not_found("item_not_found", format!("no item {id}")))?;
    if let Some(expected) = expected_version.filter(|e| *e != version) {
        return Err(SyncError::conflict(
            "stale_item",
            format!(
                "the item changed since version {expected}; reload it (now at version {version})"
            ),
            json!({"expected": expected, "actual": version}),
        ));
    }
    let (validation, mut context) = check(engine, &definition).await?;
    if !validation.is_valid() {
        return Err(refuse(validation));
    }
    let changed = changed_settings(&old, &definition);
    if changed.is_empty() {
        return Ok(get(engine, id).await?.row);
    }
    context.baseline = match (old_context.baseline, definition.mode.synchronises()) {
        (Some(b), true) if old.object == definition.object => Some(b),
        (_, true) => baseline(engine, &definition.object).await?,
        (_, false) => None,
    };
    let event = ItemEvent::Changed(ItemChanged {
        definition,
        context,
        changed,
        warnings: validation.warnings,
    });
    let outcome = engine
        .store
        .append(
            &streams::item(id),
            ExpectedVersion::Exact(version),
            vec![encode(&event, Meta::default())],
        )
        .await
        .map_err(|e| match e {
            crate::events::store::StoreError::Conflict { actual, .. } => SyncError::conflict(
                "stale_item",
                "the item changed while it was being saved; reload it",
                json!({"expected": version, "actual": actual}),
            ),
            other => other.into(),
        })?;
    settle(engine, outcome.last_seq, id).await
}

/// Deletes an item; its links stop syncing, their history stays.
pub async fn delete(engine: &Engine, id: ItemId) -> Result<(), SyncError> {
    let Some((_, _, version)) = load(engine, id).await? else {
        return Err(SyncError::not_found(
            "item_not_found",
            format!("no item {id}"),
        ));
    };
    let event = ItemEvent::Deleted(ItemDeleted {
        trigger: Trigger::Admin,
    });
    let outcome = engine
        .store
        .append(
            &streams::item(id),
            ExpectedVersion::Exact(version),
            vec![encode(&event, Meta::default())],
        )
        .await?;
    engine
        .admin_view()?
        .wait_for(outcome.last_seq, VIEW_WAIT)
        .await;
    Ok(())
}
