//! The sync engine: reconciliation of Smart Connected Items against Salesforce and Jira.
//!
//! Until the engine lands, [`EngineReconciler`] lists the synchronised items from the admin
//! view and reports each as not reconciled, with the reason, so runs are recorded honestly.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use crate::actors::Reconciler;
use crate::domain::ids::ItemId;
use crate::events::scheduler::{ItemOutcome, ItemRun, RunCounts};
use crate::projections::admin::{self, AdminItem};
use crate::projections::{scan_json, ProjectionHandle};

/// The reconciler the scheduler drives.
pub struct EngineReconciler {
    admin: Arc<ProjectionHandle>,
}

impl EngineReconciler {
    /// A reconciler reading items from the admin view.
    pub fn new(admin: Arc<ProjectionHandle>) -> Self {
        Self { admin }
    }
}

#[async_trait]
impl Reconciler for EngineReconciler {
    async fn scheduled_items(&self) -> Result<Vec<ItemId>, String> {
        let view = self.admin.view();
        let rows =
            scan_json::<AdminItem>(view.as_ref(), admin::ITEMS).map_err(|e| e.to_string())?;
        Ok(rows
            .into_iter()
            .filter(|(_, item)| item.definition.mode.synchronises())
            .map(|(_, item)| item.item_id)
            .collect())
    }

    async fn reconcile(&self, item: ItemId, _run_id: Uuid) -> ItemRun {
        ItemRun {
            item_id: item,
            outcome: ItemOutcome::Failed {
                error: "the sync engine is not available in this build".into(),
            },
            counts: RunCounts::default(),
            watermarks: Default::default(),
            salesforce_calls: 0,
        }
    }
}
