//! The site's issues by numeric id, with the look-ups a large site needs to answer like Jira
//! without scanning: by key (case-insensitively), in `updated` order (milliseconds, then id:
//! the order JQL's `ORDER BY updated ASC` gives), and the issue of each comment id.
//!
//! Every change goes through [`Issues::insert`], [`Issues::remove`] or the [`IssueMut`] guard
//! of [`Issues::get_mut`], which re-indexes the issue when it is dropped, so the indexes are
//! always exact. The state file holds the issues alone; the indexes are rebuilt when it is
//! loaded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::{Deref, DerefMut, Index};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::Issue;

/// Issues by numeric id, indexed by key and by `updated`.
#[derive(Debug, Clone, Default)]
pub struct Issues {
    by_id: BTreeMap<u64, Issue>,
    /// Upper-case key → id.
    by_key: HashMap<String, u64>,
    /// (updated in milliseconds, id) in order.
    by_updated: BTreeSet<(i64, u64)>,
    /// Comment id → issue id.
    by_comment: HashMap<u64, u64>,
}

fn comment_ids(issue: &Issue) -> Vec<u64> {
    issue.comments.iter().map(|c| c.id).collect()
}

fn key_of(key: &str) -> String {
    key.to_ascii_uppercase()
}

impl Issues {
    /// An issue by id.
    pub fn get(&self, id: &u64) -> Option<&Issue> {
        self.by_id.get(id)
    }

    /// An issue to change in place; re-indexed when the guard is dropped.
    pub fn get_mut(&mut self, id: &u64) -> Option<IssueMut<'_>> {
        let Self {
            by_id,
            by_key,
            by_updated,
            by_comment,
        } = self;
        let issue = by_id.get_mut(id)?;
        let key = issue.key.clone();
        let updated = issue.updated.timestamp_millis();
        let comments = comment_ids(issue);
        Some(IssueMut {
            id: *id,
            issue,
            by_key,
            by_updated,
            by_comment,
            key,
            updated,
            comments,
        })
    }

    /// Stores an issue under `id`, replacing the one there; answers the replaced one.
    pub fn insert(&mut self, id: u64, issue: Issue) -> Option<Issue> {
        let (key, updated) = (key_of(&issue.key), issue.updated.timestamp_millis());
        let comments = comment_ids(&issue);
        let old = self.by_id.insert(id, issue);
        if let Some(old) = &old {
            self.unindex(id, old);
        }
        self.by_key.insert(key, id);
        self.by_updated.insert((updated, id));
        self.by_comment
            .extend(comments.into_iter().map(|c| (c, id)));
        old
    }

    /// Takes an issue out.
    pub fn remove(&mut self, id: &u64) -> Option<Issue> {
        let old = self.by_id.remove(id)?;
        self.unindex(*id, &old);
        Some(old)
    }

    fn unindex(&mut self, id: u64, old: &Issue) {
        let key = key_of(&old.key);
        if self.by_key.get(&key) == Some(&id) {
            self.by_key.remove(&key);
        }
        self.by_updated
            .remove(&(old.updated.timestamp_millis(), id));
        for comment in comment_ids(old) {
            if self.by_comment.get(&comment) == Some(&id) {
                self.by_comment.remove(&comment);
            }
        }
    }

    /// The id of the issue holding comment `comment_id`.
    pub fn issue_of_comment(&self, comment_id: u64) -> Option<u64> {
        self.by_comment.get(&comment_id).copied()
    }

    /// Whether an issue has this id.
    pub fn contains_key(&self, id: &u64) -> bool {
        self.by_id.contains_key(id)
    }

    /// The id of the issue with this key (case-insensitively).
    pub fn id_of_key(&self, key: &str) -> Option<u64> {
        self.by_key.get(&key_of(key)).copied()
    }

    /// Every issue in id order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Issue> {
        self.by_id.values()
    }

    /// Every id in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &u64> {
        self.by_id.keys()
    }

    /// How many issues.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The issues in (updated, id) order, `updated` in milliseconds, starting after `after`
    /// (exclusive) or at `from` (inclusive) when given.
    pub fn by_updated(
        &self,
        from: Option<i64>,
        after: Option<(i64, u64)>,
    ) -> impl Iterator<Item = &Issue> + '_ {
        use std::ops::Bound;
        let start = match (after, from) {
            (Some(position), _) => Bound::Excluded(position),
            (None, Some(from)) => Bound::Included((from, 0)),
            (None, None) => Bound::Unbounded,
        };
        self.by_updated
            .range((start, Bound::Unbounded))
            .filter_map(|(_, id)| self.by_id.get(id))
    }
}

impl Index<&u64> for Issues {
    type Output = Issue;
    fn index(&self, id: &u64) -> &Issue {
        &self.by_id[id]
    }
}

/// An issue borrowed for change; re-indexed when dropped.
pub struct IssueMut<'a> {
    id: u64,
    issue: &'a mut Issue,
    by_key: &'a mut HashMap<String, u64>,
    by_updated: &'a mut BTreeSet<(i64, u64)>,
    by_comment: &'a mut HashMap<u64, u64>,
    key: String,
    updated: i64,
    comments: Vec<u64>,
}

impl Deref for IssueMut<'_> {
    type Target = Issue;
    fn deref(&self) -> &Issue {
        self.issue
    }
}

impl DerefMut for IssueMut<'_> {
    fn deref_mut(&mut self) -> &mut Issue {
        self.issue
    }
}

impl Drop for IssueMut<'_> {
    fn drop(&mut self) {
        let id = self.id;
        if self.issue.key != self.key {
            let old = key_of(&self.key);
            if self.by_key.get(&old) == Some(&id) {
                self.by_key.remove(&old);
            }
            self.by_key.insert(key_of(&self.issue.key), id);
        }
        let updated = self.issue.updated.timestamp_millis();
        if updated != self.updated {
            self.by_updated.remove(&(self.updated, id));
            self.by_updated.insert((updated, id));
        }
        let comments = comment_ids(self.issue);
        if comments != self.comments {
            for gone in self.comments.iter().filter(|c| !comments.contains(c)) {
                if self.by_comment.get(gone) == Some(&id) {
                    self.by_comment.remove(gone);
                }
            }
            self.by_comment
                .extend(comments.into_iter().map(|c| (c, id)));
        }
    }
}

impl Serialize for Issues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.by_id.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Issues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let by_id = BTreeMap::<u64, Issue>::deserialize(d)?;
        let mut issues = Issues::default();
        for (id, issue) in by_id {
            issues.insert(id, issue);
        }
        Ok(issues)
    }
}
