//! A page's view of a projection's rows: the stored rows plus the writes made so far in the page.
//!
//! A projection often updates one row several times in one page (a link linked then observed).
//! `Rows` overlays pending writes on the stored tree so each `apply` sees the effect of the
//! previous ones, and hands the net writes to one atomic commit at the end of the page.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::ProjectionError;
use crate::events::store::{StoreError, ViewTree, ViewWrite};

/// Rows as `(key, value)` pairs in key order.
pub type RowList = Vec<(Vec<u8>, Vec<u8>)>;

/// Where stored rows come from: a view tree, or a map for in-memory refolds.
pub trait RowSource {
    /// Reads a row.
    fn get_row(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Rows whose key starts with `prefix`, in key order.
    fn scan_rows(&self, prefix: &[u8]) -> Result<RowList, StoreError>;
}

/// Adapts a view tree to [`RowSource`].
pub struct TreeRows<'a>(pub &'a dyn ViewTree);

impl RowSource for TreeRows<'_> {
    fn get_row(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key)
    }

    fn scan_rows(&self, prefix: &[u8]) -> Result<RowList, StoreError> {
        self.0.scan_prefix(prefix)
    }
}

impl RowSource for BTreeMap<Vec<u8>, Vec<u8>> {
    fn get_row(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get(key).cloned())
    }

    fn scan_rows(&self, prefix: &[u8]) -> Result<RowList, StoreError> {
        Ok(self
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

/// Stored rows with this page's pending writes laid over them.
pub struct Rows<'a> {
    view: &'a str,
    base: &'a dyn RowSource,
    pending: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> Rows<'a> {
    /// Starts a page over `base`.
    pub fn new(view: &'a str, base: &'a dyn RowSource) -> Self {
        Self {
            view,
            base,
            pending: BTreeMap::new(),
        }
    }

    /// Reads a row as the page sees it.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.pending.get(key) {
            Some(pending) => Ok(pending.clone()),
            None => self.base.get_row(key),
        }
    }

    /// Rows under `prefix` as the page sees them, in key order.
    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<RowList, StoreError> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.base.scan_rows(prefix)?.into_iter().collect();
        for (k, v) in self
            .pending
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
        {
            match v {
                Some(v) => merged.insert(k.clone(), v.clone()),
                None => merged.remove(k),
            };
        }
        Ok(merged.into_iter().collect())
    }

    /// Writes a row.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: Vec<u8>) {
        self.pending.insert(key.into(), Some(value));
    }

    /// Deletes a row.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.pending.insert(key.into(), None);
    }

    /// Reads a JSON row.
    pub fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ProjectionError> {
        match self.get(key.as_bytes())? {
            None => Ok(None),
            Some(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| ProjectionError::Row {
                        view: self.view.to_string(),
                        key: key.to_string(),
                        message: e.to_string(),
                    })
            }
        }
    }

    /// JSON rows under `prefix`, with their keys.
    pub fn scan_json<T: DeserializeOwned>(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, T)>, ProjectionError> {
        self.scan_prefix(prefix.as_bytes())?
            .into_iter()
            .map(|(k, v)| {
                let key = String::from_utf8_lossy(&k).into_owned();
                serde_json::from_slice(&v)
                    .map(|t| (key.clone(), t))
                    .map_err(|e| ProjectionError::Row {
                        view: self.view.to_string(),
                        key,
                        message: e.to_string(),
                    })
            })
            .collect()
    }

    /// Writes a JSON row.
    pub fn put_json<T: Serialize>(&mut self, key: &str, value: &T) {
        // Projection rows are plain data structs: serialising them cannot fail.
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        self.put(key.as_bytes().to_vec(), bytes);
    }

    /// The net writes of the page.
    pub fn into_writes(self) -> Vec<ViewWrite> {
        self.pending.into_iter().collect()
    }
}

/// Reads a JSON row straight from a view (for HTTP handlers).
pub fn read_json<T: DeserializeOwned>(
    view: &dyn ViewTree,
    key: &str,
) -> Result<Option<T>, ProjectionError> {
    let source = TreeRows(view);
    Rows::new(view.name(), &source).get_json(key)
}

/// JSON rows under a prefix straight from a view (for HTTP handlers).
pub fn scan_json<T: DeserializeOwned>(
    view: &dyn ViewTree,
    prefix: &str,
) -> Result<Vec<(String, T)>, ProjectionError> {
    let source = TreeRows(view);
    Rows::new(view.name(), &source).scan_json(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_writes_shadow_the_base_in_gets_and_scans() {
        let mut base = BTreeMap::new();
        base.insert(b"a/1".to_vec(), b"old".to_vec());
        base.insert(b"a/2".to_vec(), b"keep".to_vec());
        base.insert(b"b/1".to_vec(), b"other".to_vec());
        let mut rows = Rows::new("t", &base);
        rows.put(b"a/1".to_vec(), b"new".to_vec());
        rows.delete(b"a/2".to_vec());
        rows.put(b"a/3".to_vec(), b"added".to_vec());
        assert_eq!(rows.get(b"a/1").expect("get"), Some(b"new".to_vec()));
        assert_eq!(rows.get(b"a/2").expect("get"), None);
        let keys: Vec<_> = rows
            .scan_prefix(b"a/")
            .expect("scan")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, vec![b"a/1".to_vec(), b"a/3".to_vec()]);
        assert_eq!(rows.into_writes().len(), 3);
    }
}
