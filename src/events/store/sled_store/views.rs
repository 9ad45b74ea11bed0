//! Projection trees on sled: one tree per view, rows and checkpoint in the same tree.
//!
//! sled batches are atomic within one tree only, so a view keeps its checkpoint *inside* its own
//! tree, under a key no row can take: rows are stored under `r` + key, the checkpoint under the
//! single byte `c`. A commit is then one `apply_batch` and a crash leaves the view exactly at a
//! checkpoint. View trees are named `view:<name>`; a `view-meta` tree holds the small meta
//! entries (active-version pointers). All of it is derived data: deleting any of these trees
//! loses nothing that the log cannot rebuild.
//!
//! Commits are not flushed here: sled's background flush, or the writer's next flush, makes them
//! durable, and a lost commit only means replaying a page.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::LockFile;
use crate::events::store::contract::{check_checkpoint, validate_view_name};
use crate::events::store::{StoreError, ViewRow, ViewStore, ViewTree, ViewWrite};

/// Prefix of view tree names.
pub const VIEW_TREE_PREFIX: &str = "view:";
/// Name of the tree holding view meta entries.
pub const VIEW_META_TREE: &str = "view-meta";
/// Row keys are stored under this byte plus the caller's key.
const ROW: u8 = b'r';
/// The checkpoint key (u64 big-endian value).
const CHECKPOINT: &[u8] = b"c";

fn storage(context: &'static str) -> impl FnOnce(sled::Error) -> StoreError {
    move |e| StoreError::storage(context, e)
}

fn row_key(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + key.len());
    out.push(ROW);
    out.extend_from_slice(key);
    out
}

fn read_checkpoint(tree: &sled::Tree, name: &str) -> Result<u64, StoreError> {
    match tree
        .get(CHECKPOINT)
        .map_err(storage("reading a view checkpoint"))?
    {
        None => Ok(0),
        Some(v) => super::keys::decode_u64(&v).ok_or_else(|| StoreError::Corrupt {
            detail: format!("view {name}: undecodable checkpoint"),
        }),
    }
}

/// Every view and its checkpoint, for the invariant check.
pub(super) fn all_checkpoints(db: &sled::Db) -> Result<Vec<(String, u64)>, StoreError> {
    let mut out = Vec::new();
    for raw in db.tree_names() {
        let Some(name) = std::str::from_utf8(&raw)
            .ok()
            .and_then(|n| n.strip_prefix(VIEW_TREE_PREFIX))
        else {
            continue;
        };
        let tree = db.open_tree(&raw).map_err(storage("opening a view"))?;
        out.push((name.to_owned(), read_checkpoint(&tree, name)?));
    }
    Ok(out)
}

/// The sled [`ViewStore`].
pub(super) struct SledViews {
    db: sled::Db,
    meta: sled::Tree,
    /// Open views by name, so every handle of one view shares its commit lock.
    open: Mutex<BTreeMap<String, Arc<SledView>>>,
    committed: Arc<AtomicU64>,
    lock: Arc<LockFile>,
}

impl SledViews {
    pub(super) fn new(
        db: sled::Db,
        committed: Arc<AtomicU64>,
        lock: Arc<LockFile>,
    ) -> Result<Self, StoreError> {
        let meta = db
            .open_tree(VIEW_META_TREE)
            .map_err(storage("opening the view meta tree"))?;
        Ok(Self {
            db,
            meta,
            open: Mutex::new(BTreeMap::new()),
            committed,
            lock,
        })
    }
}

impl ViewStore for SledViews {
    fn open_view(&self, name: &str) -> Result<Arc<dyn ViewTree>, StoreError> {
        validate_view_name(name)?;
        let mut open = self.open.lock();
        if let Some(view) = open.get(name) {
            return Ok(Arc::clone(view) as Arc<dyn ViewTree>);
        }
        let tree = self
            .db
            .open_tree(format!("{VIEW_TREE_PREFIX}{name}"))
            .map_err(storage("opening a view"))?;
        let view = Arc::new(SledView {
            name: name.to_owned(),
            tree,
            commit_lock: Mutex::new(()),
            committed: Arc::clone(&self.committed),
            _lock: Arc::clone(&self.lock),
        });
        open.insert(name.to_owned(), Arc::clone(&view));
        Ok(view as Arc<dyn ViewTree>)
    }

    fn drop_view(&self, name: &str) -> Result<bool, StoreError> {
        validate_view_name(name)?;
        self.open.lock().remove(name);
        self.db
            .drop_tree(format!("{VIEW_TREE_PREFIX}{name}"))
            .map_err(storage("dropping a view"))
    }

    fn list_views(&self) -> Result<Vec<String>, StoreError> {
        let mut names: Vec<String> = self
            .db
            .tree_names()
            .iter()
            .filter_map(|raw| std::str::from_utf8(raw).ok())
            .filter_map(|n| n.strip_prefix(VIEW_TREE_PREFIX))
            .map(str::to_owned)
            .collect();
        names.sort();
        Ok(names)
    }

    fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .meta
            .get(key)
            .map_err(storage("reading view meta"))?
            .map(|v| v.to_vec()))
    }

    fn set_meta(&self, key: &str, value: Option<Vec<u8>>) -> Result<(), StoreError> {
        match value {
            Some(v) => self.meta.insert(key, v).map(|_| ()),
            None => self.meta.remove(key).map(|_| ()),
        }
        .map_err(storage("writing view meta"))?;
        // Pointer flips are rare and decide which view serves reads: make them durable now.
        self.meta
            .flush()
            .map(|_| ())
            .map_err(storage("flushing view meta"))
    }
}

/// One sled view.
struct SledView {
    name: String,
    tree: sled::Tree,
    /// Serialises commits so the checkpoint check and the batch are one step.
    commit_lock: Mutex<()>,
    committed: Arc<AtomicU64>,
    /// Keeps the data directory locked while a handle lives.
    _lock: Arc<LockFile>,
}

impl ViewTree for SledView {
    fn name(&self) -> &str {
        &self.name
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tree
            .get(row_key(key))
            .map_err(storage("reading a view row"))?
            .map(|v| v.to_vec()))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<ViewRow>, StoreError> {
        self.tree
            .scan_prefix(row_key(prefix))
            .map(|item| {
                let (k, v) = item.map_err(storage("scanning a view"))?;
                Ok((k[1..].to_vec(), v.to_vec()))
            })
            .collect()
    }

    fn checkpoint(&self) -> Result<u64, StoreError> {
        read_checkpoint(&self.tree, &self.name)
    }

    fn commit(&self, writes: Vec<ViewWrite>, checkpoint: u64) -> Result<(), StoreError> {
        let _guard = self.commit_lock.lock();
        let current = read_checkpoint(&self.tree, &self.name)?;
        check_checkpoint(
            &self.name,
            current,
            checkpoint,
            self.committed.load(Ordering::Acquire),
        )?;
        let mut batch = sled::Batch::default();
        for (key, value) in writes {
            match value {
                Some(v) => batch.insert(row_key(&key), v),
                None => batch.remove(row_key(&key)),
            }
        }
        batch.insert(CHECKPOINT, &checkpoint.to_be_bytes());
        self.tree
            .apply_batch(batch)
            .map_err(storage("committing a view"))
    }

    fn clear(&self) -> Result<(), StoreError> {
        let _guard = self.commit_lock.lock();
        // sled's Tree::clear is not atomic; one batch of removals is.
        let mut batch = sled::Batch::default();
        for key in self.tree.iter().keys() {
            batch.remove(key.map_err(storage("clearing a view"))?);
        }
        self.tree
            .apply_batch(batch)
            .map_err(storage("clearing a view"))
    }
}
