//! The records of one sObject with the indexes a large org needs to answer like Salesforce
//! without scanning: by id (the map itself), by the audit datetimes (`SystemModstamp`,
//! `CreatedDate`, `LastModifiedDate`, ordered) and by every reference field (`ParentId`,
//! `LinkedEntityId`, `ContentDocumentId`…, by value).
//!
//! Indexes only choose candidates: a query still tests each candidate against its whole
//! condition, so an index can make a query cheaper but never change its answer. They are kept
//! exact all the same: every change goes through [`Table::insert`], [`Table::remove`] or the
//! [`RecordMut`] guard of [`Table::get_mut`], which re-indexes the record when it is dropped.
//! The state file holds the records alone; the indexes are rebuilt when it is loaded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::{Deref, DerefMut};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::store::Record;
use super::values::parse_datetime;

/// The datetime fields kept in order.
pub const TIME_FIELDS: [&str; 3] = ["SystemModstamp", "CreatedDate", "LastModifiedDate"];

/// Whether `field` is indexed by value as a reference (a name ending in `Id`, `Id` itself
/// aside: the table is keyed by it).
pub fn is_reference_field(field: &str) -> bool {
    field.len() > 2 && field.ends_with("Id")
}

/// What one record contributes to the indexes.
#[derive(Debug, Clone, PartialEq, Default)]
struct Entries {
    /// Per time field (in [`TIME_FIELDS`] order): its instant, `None` when absent or not a
    /// datetime.
    times: [Option<DateTime<Utc>>; 3],
    /// Reference fields with a text value.
    refs: Vec<(String, String)>,
}

impl Entries {
    fn of(record: &Record) -> Self {
        let mut times = [None; 3];
        for (slot, field) in times.iter_mut().zip(TIME_FIELDS) {
            *slot = record.str(field).and_then(parse_datetime);
        }
        let refs = record
            .fields
            .iter()
            .filter(|(k, _)| is_reference_field(k))
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect();
        Self { times, refs }
    }
}

/// Records of one object by 18-character id, with their indexes.
#[derive(Debug, Clone, Default)]
pub struct Table {
    rows: BTreeMap<String, Record>,
    /// Per time field: (instant, id) in order.
    times: [BTreeSet<(DateTime<Utc>, String)>; 3],
    /// Per time field: ids of records without a datetime there (always candidates).
    untimed: [BTreeSet<String>; 3],
    /// Per reference field, per value: the ids of the records holding it.
    refs: HashMap<String, HashMap<String, BTreeSet<String>>>,
}

impl Table {
    /// A record by id.
    pub fn get(&self, id: &str) -> Option<&Record> {
        self.rows.get(id)
    }

    /// A record to change in place; it is re-indexed when the guard is dropped.
    pub fn get_mut(&mut self, id: &str) -> Option<RecordMut<'_>> {
        let Self {
            rows,
            times,
            untimed,
            refs,
        } = self;
        let record = rows.get_mut(id)?;
        let before = Entries::of(record);
        Some(RecordMut {
            record,
            indexes: Indexes {
                times,
                untimed,
                refs,
            },
            before,
        })
    }

    /// Stores a record, replacing the one with the same id; answers the replaced one.
    pub fn insert(&mut self, record: Record) -> Option<Record> {
        let id = record.id().to_string();
        let after = Entries::of(&record);
        let old = self.rows.insert(id.clone(), record);
        let before = old.as_ref().map(Entries::of);
        self.indexes().update(&id, before.as_ref(), Some(&after));
        old
    }

    /// Takes a record out.
    pub fn remove(&mut self, id: &str) -> Option<Record> {
        let old = self.rows.remove(id)?;
        self.indexes().update(id, Some(&Entries::of(&old)), None);
        Some(old)
    }

    /// Every record, in id order.
    pub fn values(&self) -> impl Iterator<Item = &Record> {
        self.rows.values()
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The records whose `field` (one of [`TIME_FIELDS`]) is at or after `from`, in (instant,
    /// id) order, then those without a datetime there; `None` when `field` is not indexed.
    pub fn since(
        &self,
        field: &str,
        from: DateTime<Utc>,
    ) -> Option<impl Iterator<Item = &Record> + '_> {
        let slot = TIME_FIELDS.iter().position(|f| *f == field)?;
        let start = (from, String::new());
        let timed = self.times[slot].range(start..).map(|(_, id)| id);
        let untimed = self.untimed[slot].iter();
        Some(timed.chain(untimed).filter_map(|id| self.rows.get(id)))
    }

    /// The records whose reference `field` holds `value` (an 18-character id), in id order;
    /// `None` when `field` is not a reference field.
    pub fn referring(
        &self,
        field: &str,
        value: &str,
    ) -> Option<impl Iterator<Item = &Record> + '_> {
        if !is_reference_field(field) {
            return None;
        }
        let ids = self
            .refs
            .get(field)
            .and_then(|by_value| by_value.get(value));
        Some(ids.into_iter().flatten().filter_map(|id| self.rows.get(id)))
    }

    fn indexes(&mut self) -> Indexes<'_> {
        Indexes {
            times: &mut self.times,
            untimed: &mut self.untimed,
            refs: &mut self.refs,
        }
    }
}

/// The index part of a table, borrowed apart from its rows.
struct Indexes<'a> {
    times: &'a mut [BTreeSet<(DateTime<Utc>, String)>; 3],
    untimed: &'a mut [BTreeSet<String>; 3],
    refs: &'a mut HashMap<String, HashMap<String, BTreeSet<String>>>,
}

impl Indexes<'_> {
    /// Moves `id` from what `before` indexed to what `after` does.
    fn update(&mut self, id: &str, before: Option<&Entries>, after: Option<&Entries>) {
        if before == after {
            return;
        }
        if let Some(old) = before {
            for (slot, time) in old.times.iter().enumerate() {
                match time {
                    Some(t) => self.times[slot].remove(&(*t, id.to_string())),
                    None => self.untimed[slot].remove(id),
                };
            }
            for (field, value) in &old.refs {
                if let Some(by_value) = self.refs.get_mut(field) {
                    if let Some(ids) = by_value.get_mut(value) {
                        ids.remove(id);
                        if ids.is_empty() {
                            by_value.remove(value);
                        }
                    }
                }
            }
        }
        if let Some(new) = after {
            for (slot, time) in new.times.iter().enumerate() {
                match time {
                    Some(t) => self.times[slot].insert((*t, id.to_string())),
                    None => self.untimed[slot].insert(id.to_string()),
                };
            }
            for (field, value) in &new.refs {
                self.refs
                    .entry(field.clone())
                    .or_default()
                    .entry(value.clone())
                    .or_default()
                    .insert(id.to_string());
            }
        }
    }
}

/// A record borrowed for change; re-indexed when dropped.
pub struct RecordMut<'a> {
    record: &'a mut Record,
    indexes: Indexes<'a>,
    before: Entries,
}

impl Deref for RecordMut<'_> {
    type Target = Record;
    fn deref(&self) -> &Record {
        self.record
    }
}

impl DerefMut for RecordMut<'_> {
    fn deref_mut(&mut self) -> &mut Record {
        self.record
    }
}

impl Drop for RecordMut<'_> {
    fn drop(&mut self) {
        let after = Entries::of(self.record);
        let id = self.record.id().to_string();
        self.indexes.update(&id, Some(&self.before), Some(&after));
    }
}

impl FromIterator<Record> for Table {
    fn from_iter<I: IntoIterator<Item = Record>>(records: I) -> Self {
        let mut table = Table::default();
        for record in records {
            table.insert(record);
        }
        table
    }
}

impl Serialize for Table {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.rows.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Table {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let rows = BTreeMap::<String, Record>::deserialize(d)?;
        Ok(rows.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn record(id: &str, stamp: &str, parent: Option<&str>) -> Record {
        let mut fields = Map::new();
        fields.insert("Id".into(), json!(id));
        fields.insert("SystemModstamp".into(), json!(stamp));
        if let Some(p) = parent {
            fields.insert("ParentId".into(), json!(p));
        }
        Record {
            object: "CaseComment".into(),
            fields,
        }
    }

    fn ids<'a>(records: impl Iterator<Item = &'a Record>) -> Vec<String> {
        records.map(|r| r.id().to_string()).collect()
    }

    fn at(text: &str) -> DateTime<Utc> {
        parse_datetime(text).expect("datetime")
    }

    #[test]
    fn time_ranges_follow_inserts_changes_and_removals() {
        let mut table: Table = [
            record("a", "2024-01-01T00:00:03.000+0000", None),
            record("b", "2024-01-01T00:00:01.000+0000", None),
            record("c", "2024-01-01T00:00:02.000+0000", None),
        ]
        .into_iter()
        .collect();
        let since =
            |t: &Table, from: &str| ids(t.since("SystemModstamp", at(from)).expect("indexed"));
        assert_eq!(since(&table, "2024-01-01T00:00:02.000Z"), ["c", "a"]);
        if let Some(mut b) = table.get_mut("b") {
            b.fields.insert(
                "SystemModstamp".into(),
                json!("2024-01-01T00:00:09.000+0000"),
            );
        }
        assert_eq!(since(&table, "2024-01-01T00:00:02.000Z"), ["c", "a", "b"]);
        table.remove("c");
        assert_eq!(since(&table, "2024-01-01T00:00:00.000Z"), ["a", "b"]);
        if let Some(mut a) = table.get_mut("a") {
            a.fields.insert("SystemModstamp".into(), Value::Null);
        }
        assert_eq!(since(&table, "2024-01-01T00:00:05.000Z"), ["b", "a"]);
        assert!(table.since("Subject", at("2024-01-01T00:00:00Z")).is_none());
    }

    #[test]
    fn references_are_found_by_value() {
        let mut table: Table = [
            record("a", "2024-01-01T00:00:01.000Z", Some("p1")),
            record("b", "2024-01-01T00:00:01.000Z", Some("p2")),
            record("c", "2024-01-01T00:00:01.000Z", Some("p1")),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            ids(table.referring("ParentId", "p1").expect("ref")),
            ["a", "c"]
        );
        table.insert(record("c", "2024-01-01T00:00:01.000Z", Some("p2")));
        assert_eq!(ids(table.referring("ParentId", "p1").expect("ref")), ["a"]);
        assert_eq!(
            ids(table.referring("ParentId", "p2").expect("ref")),
            ["b", "c"]
        );
        assert!(table.referring("Subject", "x").is_none());
        let copy: Table =
            serde_json::from_value(serde_json::to_value(&table).expect("json")).expect("table");
        assert_eq!(
            ids(copy.referring("ParentId", "p2").expect("ref")),
            ["b", "c"]
        );
    }
}
