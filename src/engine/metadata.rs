//! Live remote metadata, cached briefly: Salesforce objects and fields (describe), case
//! statuses, Jira projects, issue types and create-screen fields (createmeta).
//!
//! The admin pickers, item validation, field conversion and status matching all read the same
//! metadata; one short-lived cache (a minute) keeps a busy admin page or a reconciliation run
//! from asking twice, while a field added in Salesforce shows up within a minute.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Serialize;

use super::context::Engine;
use super::SyncError;
use crate::connectors::jira::{FieldMeta, IssueType, Project};
use crate::connectors::salesforce::{CaseStatus, DescribeGlobal, SObjectDescribe};
use crate::domain::catalog::{self, Module};
use crate::domain::fields::{JiraFieldSpec, SfFieldSpec};
use crate::domain::ids::ProjectKey;
use crate::domain::item::{JiraMetadata, JiraScreenField, ObjectMetadata};

/// How long metadata is trusted.
const TTL: Duration = Duration::from_secs(60);

struct TtlMap<K, V> {
    entries: Mutex<HashMap<K, (Instant, Arc<V>)>>,
    /// Held while a miss is fetched: callers that miss at once (a run's first links, all
    /// starting together) wait for that one fetch instead of each asking the remote system.
    filling: tokio::sync::Mutex<()>,
    /// The last fetch that failed: its key, when, and why. Callers that were waiting for it
    /// fail at once rather than each trying (and timing out) in turn.
    failed: Mutex<Option<(K, Instant, String)>>,
}

impl<K, V> Default for TtlMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            filling: tokio::sync::Mutex::new(()),
            failed: Mutex::new(None),
        }
    }
}

impl<K: Eq + Hash + Clone, V> TtlMap<K, V> {
    fn get(&self, key: &K) -> Option<Arc<V>> {
        let entries = self.entries.lock();
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, value: V) -> Arc<V> {
        let value = Arc::new(value);
        self.entries
            .lock()
            .insert(key, (Instant::now(), value.clone()));
        value
    }

    fn clear(&self) {
        self.entries.lock().clear();
    }

    /// The cached value of `key`, else what `fetch` answers (cached); one fetch at a time. A
    /// caller that waited while the fetch of its key failed gets that failure too.
    async fn get_or_fetch<Fut>(
        &self,
        key: K,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<Arc<V>, SyncError>
    where
        Fut: std::future::Future<Output = Result<V, SyncError>>,
    {
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        let asked = Instant::now();
        let _filling = self.filling.lock().await;
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        if let Some((_, _, why)) = self
            .failed
            .lock()
            .as_ref()
            .filter(|(failed, at, _)| *failed == key && *at >= asked)
        {
            return Err(SyncError::conflict(
                "metadata_unavailable",
                format!("the metadata could not be read a moment ago: {why}"),
                serde_json::Value::Null,
            ));
        }
        match fetch().await {
            Ok(value) => Ok(self.put(key, value)),
            Err(error) => {
                *self.failed.lock() = Some((key, Instant::now(), error.to_string()));
                Err(error)
            }
        }
    }
}

/// The metadata cache.
#[derive(Default)]
pub struct MetadataCache {
    global: TtlMap<(), DescribeGlobal>,
    describes: TtlMap<String, SObjectDescribe>,
    case_statuses: TtlMap<(), Vec<CaseStatus>>,
    projects: TtlMap<(), Vec<Project>>,
    issue_types: TtlMap<ProjectKey, Vec<IssueType>>,
    create_meta: TtlMap<(ProjectKey, String), Vec<FieldMeta>>,
}

impl MetadataCache {
    /// Forgets everything (after connecting to another org).
    pub fn clear(&self) {
        self.global.clear();
        self.describes.clear();
        self.case_statuses.clear();
        self.projects.clear();
        self.issue_types.clear();
        self.create_meta.clear();
    }
}

/// describeGlobal.
pub async fn describe_global(engine: &Engine) -> Result<Arc<DescribeGlobal>, SyncError> {
    let sf = engine.salesforce()?;
    let fetch = || async move { sf.describe_global().await.map_err(SyncError::from) };
    engine.metadata.global.get_or_fetch((), fetch).await
}

/// Describe of `object`, or `None` when the integration user cannot see or query it.
pub async fn describe(
    engine: &Engine,
    object: &str,
) -> Result<Option<Arc<SObjectDescribe>>, SyncError> {
    if let Some(hit) = engine.metadata.describes.get(&object.to_string()) {
        return Ok(Some(hit));
    }
    let global = describe_global(engine).await?;
    let Some(summary) = global.sobjects.iter().find(|s| s.name == object) else {
        return Ok(None);
    };
    if !summary.queryable {
        return Ok(None);
    }
    let sf = engine.salesforce()?;
    let fetch = || async move { sf.describe(&summary.name).await.map_err(SyncError::from) };
    let describe = engine
        .metadata
        .describes
        .get_or_fetch(object.to_string(), fetch)
        .await?;
    Ok(Some(describe))
}

/// Field specs of `object` by API name.
pub fn field_specs(describe: &SObjectDescribe) -> BTreeMap<String, SfFieldSpec> {
    describe
        .fields
        .iter()
        .filter_map(|f| serde_json::to_value(f).ok())
        .map(|v| SfFieldSpec::from_describe(&v))
        .map(|spec| (spec.name.clone(), spec))
        .collect()
}

/// What item validation needs of `object`.
pub async fn object_metadata(
    engine: &Engine,
    object: &str,
) -> Result<Option<ObjectMetadata>, SyncError> {
    Ok(describe(engine, object).await?.map(|d| ObjectMetadata {
        name: d.object.name.clone(),
        label: d.object.label.clone(),
        fields: field_specs(&d).into_values().collect(),
        feed_enabled: d.object.feed_enabled,
    }))
}

/// CaseStatus rows (which values close a Case).
pub async fn case_statuses(engine: &Engine) -> Result<Arc<Vec<CaseStatus>>, SyncError> {
    let sf = engine.salesforce()?;
    let fetch = || async move { sf.case_statuses().await.map_err(SyncError::from) };
    engine.metadata.case_statuses.get_or_fetch((), fetch).await
}

/// Jira projects the account can see.
pub async fn jira_projects(engine: &Engine) -> Result<Arc<Vec<Project>>, SyncError> {
    let jira = engine.jira()?;
    let fetch = || async move { jira.projects().await.map_err(SyncError::from) };
    engine.metadata.projects.get_or_fetch((), fetch).await
}

/// Issue types of a project.
pub async fn issue_types(
    engine: &Engine,
    project: &ProjectKey,
) -> Result<Arc<Vec<IssueType>>, SyncError> {
    let jira = engine.jira()?;
    let fetch = || async move { jira.issue_types(project).await.map_err(SyncError::from) };
    engine
        .metadata
        .issue_types
        .get_or_fetch(project.clone(), fetch)
        .await
}

/// Create-screen fields of a project's issue type.
pub async fn create_meta(
    engine: &Engine,
    project: &ProjectKey,
    issue_type_id: &str,
) -> Result<Arc<Vec<FieldMeta>>, SyncError> {
    let key = (project.clone(), issue_type_id.to_string());
    let jira = engine.jira()?;
    let fetch = || async move {
        jira.create_meta_fields(project, issue_type_id)
            .await
            .map_err(SyncError::from)
    };
    engine.metadata.create_meta.get_or_fetch(key, fetch).await
}

/// Create-screen fields as conversion specs.
pub fn screen_fields(meta: &[FieldMeta]) -> Vec<JiraScreenField> {
    meta.iter()
        .filter_map(|f| {
            let value = serde_json::to_value(f).ok()?;
            Some(JiraScreenField {
                spec: JiraFieldSpec::from_createmeta(&value),
                required: f.required,
                has_default: f.has_default_value,
            })
        })
        .collect()
}

/// What item validation needs of Jira for `projects` and `issue_type_id`.
pub async fn jira_metadata(
    engine: &Engine,
    projects: &[ProjectKey],
    issue_type_id: Option<&str>,
) -> Result<(JiraMetadata, Option<IssueType>), SyncError> {
    let known: Vec<ProjectKey> = jira_projects(engine)
        .await?
        .iter()
        .filter_map(|p| ProjectKey::parse(&p.key).ok())
        .collect();
    let mut metadata = JiraMetadata {
        projects: known.clone(),
        issue_type: None,
    };
    let mut chosen = None;
    if let (Some(project), Some(type_id)) = (projects.first(), issue_type_id) {
        if known.contains(project) {
            let types = issue_types(engine, project).await?;
            if let Some(t) = types.iter().find(|t| t.id == type_id) {
                let meta = create_meta(engine, project, &t.id).await?;
                metadata.issue_type = Some((t.id.clone(), screen_fields(&meta)));
                chosen = Some(t.clone());
            }
        }
    }
    Ok((metadata, chosen))
}

/// One object in the admin picker.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ObjectEntry {
    /// API name.
    pub name: String,
    /// Label.
    pub label: String,
    /// Custom object.
    pub custom: bool,
    /// Key prefix of its ids.
    pub key_prefix: Option<String>,
    /// Has a feed.
    pub feed_enabled: bool,
}

/// A module and its objects.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModuleGroup {
    /// `service_cloud`, `crm`, …
    pub module: Module,
    /// Its label.
    pub label: &'static str,
    /// Its objects the integration user can query.
    pub objects: Vec<ObjectEntry>,
}

/// The object picker: curated standard objects, then custom objects from describeGlobal.
pub async fn objects_by_module(engine: &Engine) -> Result<Vec<ModuleGroup>, SyncError> {
    let global = describe_global(engine).await?;
    let mut groups: Vec<ModuleGroup> = Module::ALL
        .iter()
        .map(|m| ModuleGroup {
            module: *m,
            label: m.label(),
            objects: Vec::new(),
        })
        .collect();
    for s in global.sobjects.iter().filter(|s| s.queryable) {
        let module = if catalog::is_custom_object(&s.name) {
            Some(Module::CustomObjects)
        } else {
            catalog::curated_object(&s.name).map(|c| c.module)
        };
        let Some(module) = module else { continue };
        if let Some(group) = groups.iter_mut().find(|g| g.module == module) {
            group.objects.push(ObjectEntry {
                name: s.name.clone(),
                label: s.label.clone(),
                custom: s.custom,
                key_prefix: s.key_prefix.clone(),
                feed_enabled: s.feed_enabled,
            });
        }
    }
    Ok(groups)
}

/// One field in the admin picker.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldEntry {
    /// API name.
    pub name: String,
    /// Label as shown (generic labels expanded: `Account Name`).
    pub label: String,
    /// Describe's type.
    #[serde(rename = "type")]
    pub field_type: String,
    /// The integration user can update it.
    pub updateable: bool,
    /// It can be set on create.
    pub createable: bool,
    /// It may be empty.
    pub nillable: bool,
    /// Maximum length, for text.
    pub length: u64,
    /// Active picklist values.
    pub picklist_values: Vec<String>,
    /// Objects a lookup points to.
    pub reference_to: Vec<String>,
    /// It can drive status sync.
    pub status_like: bool,
}

/// The field picker of `object` (`None` when the object is unknown or hidden).
pub async fn object_fields(
    engine: &Engine,
    object: &str,
) -> Result<Option<Vec<FieldEntry>>, SyncError> {
    let Some(describe) = describe(engine, object).await? else {
        return Ok(None);
    };
    let picklists: Vec<&str> = describe
        .fields
        .iter()
        .filter(|f| f.field_type == "picklist")
        .map(|f| f.name.as_str())
        .collect();
    let status_like = catalog::status_field_candidates(&describe.object.name, &picklists);
    Ok(Some(
        describe
            .fields
            .iter()
            .map(|f| FieldEntry {
                name: f.name.clone(),
                label: catalog::expand_field_label(&describe.object.label, &f.name, &f.label),
                field_type: f.field_type.clone(),
                updateable: f.updateable,
                createable: f.createable,
                nillable: f.nillable,
                length: f.length,
                picklist_values: f.active_values().map(|v| v.value.clone()).collect(),
                reference_to: f.reference_to.clone(),
                status_like: status_like.contains(&f.name),
            })
            .collect(),
    ))
}

/// Expanded labels of some fields of `describe`.
pub fn labels_of<'a>(
    describe: &SObjectDescribe,
    fields: impl Iterator<Item = &'a String>,
) -> BTreeMap<String, String> {
    fields
        .filter_map(|name| {
            describe.field(name).map(|f| {
                (
                    name.clone(),
                    catalog::expand_field_label(&describe.object.label, &f.name, &f.label),
                )
            })
        })
        .collect()
}

pub use crate::domain::fields::MappedField;

/// The item's mappings with both fields' specs, and the mappings one side no longer has.
pub async fn mapped_fields(
    engine: &Engine,
    definition: &crate::domain::item::ItemDefinition,
) -> Result<(Vec<MappedField>, Vec<crate::domain::item::FieldMapping>), SyncError> {
    let describe = describe(engine, &definition.object).await?.ok_or_else(|| {
        SyncError::not_found(
            "object_not_found",
            format!("Salesforce object {} is not visible", definition.object),
        )
    })?;
    let sf_specs = field_specs(&describe);
    let project = definition.jira_projects.first().ok_or_else(|| {
        SyncError::invalid(
            "invalid_item",
            "the item has no Jira project",
            serde_json::Value::Null,
        )
    })?;
    let type_id = definition.issue_type_id.as_deref().unwrap_or_default();
    let jira_specs = screen_fields(&create_meta(engine, project, type_id).await?);
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for mapping in &definition.mappings {
        match (
            sf_specs.get(&mapping.salesforce_field),
            jira_specs.iter().find(|f| f.spec.id == mapping.jira_field),
        ) {
            (Some(sf), Some(jira)) => found.push(MappedField {
                mapping: mapping.clone(),
                salesforce: sf.clone(),
                jira: jira.spec.clone(),
            }),
            _ => missing.push(mapping.clone()),
        }
    }
    Ok((found, missing))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn callers_missing_at_once_share_one_fetch() {
        let cache: TtlMap<(), u32> = TtlMap::default();
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok::<_, SyncError>(7)
        };
        let (a, b) = tokio::join!(cache.get_or_fetch((), fetch), cache.get_or_fetch((), fetch));
        assert_eq!((*a.expect("a"), *b.expect("b")), (7, 7));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn callers_waiting_on_a_failed_fetch_fail_without_fetching_again() {
        let cache: TtlMap<(), u32> = TtlMap::default();
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Err::<u32, _>(SyncError::NotConnected)
        };
        let (a, b) = tokio::join!(cache.get_or_fetch((), fetch), cache.get_or_fetch((), fetch));
        assert!(matches!(a, Err(SyncError::NotConnected)), "{a:?}");
        assert!(
            matches!(
                b,
                Err(SyncError::Conflict {
                    code: "metadata_unavailable",
                    ..
                })
            ),
            "{b:?}"
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // A caller that asks after the failure tries again.
        let later = cache
            .get_or_fetch((), || async { Ok::<_, SyncError>(8) })
            .await;
        assert_eq!(*later.expect("later"), 8);
    }
}
