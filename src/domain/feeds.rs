//! An item's reads of Salesforce's change feeds: where the records window starts, how far a run
//! moves each watermark, and which job a changed record gets.
//!
//! A run reads the records changed since the records watermark, and the comments and files
//! created since theirs. These rules decide the run's bookkeeping: a window that reaches back an
//! overlap until a later read proves nothing can still appear behind the watermark; watermarks
//! that never pass a record left unhandled (it is read again); and a record seen again only
//! because the window overlaps costs no job. Pure, so they are tested without Salesforce.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use super::ids::{ItemId, LinkId, SalesforceId};

/// Which changed records to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordWindow {
    /// Every record.
    All,
    /// Records changed at or after this time.
    Since(DateTime<Utc>),
    /// Records after this (SystemModstamp, Id) position, in that order.
    After(DateTime<Utc>, SalesforceId),
}

/// Where the records feed stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordsMark {
    /// `SystemModstamp` of the last record handled in order.
    pub stamp: Option<DateTime<Utc>>,
    /// `Id` of that record, to tell apart records sharing its stamp.
    pub last_id: Option<SalesforceId>,
    /// Salesforce's clock when the records query last answered.
    pub read_at: Option<DateTime<Utc>>,
}

/// Which records to read. A transaction can become visible after a later one, with an earlier
/// `SystemModstamp`, for as long as it runs; so the window reaches back an overlap before the
/// watermark — unless the last read happened (by Salesforce's clock, less a second for the
/// `Date` header's rounding) an overlap or more after the watermark, in which case nothing
/// older can still appear and the window starts right after the last record handled. With no
/// watermark yet, it starts an overlap before the item's baseline (or reads everything).
pub fn records_window(
    mark: &RecordsMark,
    baseline: Option<DateTime<Utc>>,
    overlap: Duration,
) -> RecordWindow {
    match (mark.stamp, mark.read_at, &mark.last_id) {
        (Some(stamp), Some(read), Some(id)) if read - Duration::seconds(1) >= stamp + overlap => {
            RecordWindow::After(stamp, id.clone())
        }
        (Some(stamp), _, _) => RecordWindow::Since(stamp - overlap),
        (None, _, _) => baseline.map_or(RecordWindow::All, |b| RecordWindow::Since(b - overlap)),
    }
}

/// Where an org-wide feed (comments, files: `CreatedDate >=`) starts: an overlap before its
/// watermark, for rows committed late with an earlier `CreatedDate` — unless the run before
/// read Salesforce (its clock, less a second for the `Date` header's rounding) an overlap or
/// more after that watermark, when nothing older can still appear and the feed starts at the
/// watermark itself. With no watermark, an overlap before the item's baseline (or everything).
pub fn feed_since(
    stamp: Option<DateTime<Utc>>,
    read_at: Option<DateTime<Utc>>,
    baseline: Option<DateTime<Utc>>,
    overlap: Duration,
) -> Option<DateTime<Utc>> {
    match (stamp, read_at) {
        (Some(stamp), Some(read)) if read - Duration::seconds(1) >= stamp + overlap => Some(stamp),
        (Some(stamp), _) => Some(stamp - overlap),
        (None, _) => baseline.map(|b| b - overlap),
    }
}

/// Where the Jira sweep starts (`updated >=`). Jira's search index shows a change a little
/// after it happened (`lag`), so the sweep reaches back an overlap before the Jira watermark —
/// until a sweep has run an overlap and the lag after it, when nothing older can still appear
/// and it starts at the watermark itself (issues read again there cost nothing: each link
/// remembers the `updated` it handled). With no watermark yet, it starts an overlap before the
/// item was defined.
pub fn jira_sweep_since(
    stamp: Option<DateTime<Utc>>,
    read_at: Option<DateTime<Utc>>,
    defined_at: DateTime<Utc>,
    overlap: Duration,
    lag: Duration,
) -> DateTime<Utc> {
    match (stamp, read_at) {
        (Some(stamp), Some(read)) if read >= stamp + overlap + lag => stamp,
        (Some(stamp), _) => stamp - overlap,
        (None, _) => defined_at - overlap,
    }
}

/// The records watermark after a run that read `records` (oldest first, as `(Id, stamp)`): it
/// moves to the newest record handled in order and stops before the first one left unhandled.
pub fn advance_records(
    mark: &RecordsMark,
    records: impl IntoIterator<Item = (Option<SalesforceId>, Option<DateTime<Utc>>)>,
    unhandled: &BTreeSet<SalesforceId>,
) -> (Option<DateTime<Utc>>, Option<SalesforceId>) {
    let (mut stamp, mut last_id) = (mark.stamp, mark.last_id.clone());
    for (id, seen) in records {
        if id.as_ref().is_some_and(|id| unhandled.contains(id)) {
            break;
        }
        if let Some(seen) = seen {
            if stamp.is_none_or(|m| seen >= m) {
                stamp = Some(seen);
                last_id = id;
            }
        }
    }
    (stamp, last_id)
}

/// A comments or files watermark after a run that read `items` (each `(record, created)`, the
/// rows on the item's records) out of org-wide rows whose newest was created `newest_read`:
/// the newest of either — rows on other objects' records move it too, so an object that rarely
/// gets posts or files does not re-read the org's activity every run — unless an item belongs
/// to a record left unhandled, which holds it where it was.
pub fn advance_feed<'a>(
    mark: Option<DateTime<Utc>>,
    items: impl IntoIterator<Item = (&'a SalesforceId, DateTime<Utc>)>,
    newest_read: Option<DateTime<Utc>>,
    unhandled: &BTreeSet<SalesforceId>,
) -> Option<DateTime<Utc>> {
    let mut newest = newest_read;
    for (record, created) in items {
        if unhandled.contains(record) {
            return mark;
        }
        newest = newest.max(Some(created));
    }
    mark.max(newest)
}

/// What a run does about one changed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Pull the record's changes into its link.
    Pull(LinkId),
    /// Create the Jira issue of a new record (auto-create), linking it.
    Create(LinkId),
}

/// What the run saw of one changed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordChange {
    /// Its `SystemModstamp`, when the record itself was read.
    pub modstamp: Option<DateTime<Utc>>,
    /// Its `CreatedDate`, when the record itself was read.
    pub created: Option<DateTime<Utc>>,
    /// Whether new comments or files of it were read.
    pub has_new_comments_or_files: bool,
}

/// The link a record already has, as the run knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkedRecord {
    /// The link.
    pub link_id: LinkId,
    /// The newest `SystemModstamp` the link observed.
    pub observed_modstamp: Option<DateTime<Utc>>,
    /// Salesforce's clock when that observation was read, when known.
    pub observed_read_at: Option<DateTime<Utc>>,
}

impl LinkedRecord {
    /// Whether a record read with `modstamp` holds nothing the link has not observed: its stamp
    /// is older than the observed one, or the same and the observation was read in a later
    /// second (Salesforce stamps to the second, so an edit made in the same second as the
    /// observed stamp, after the read, carries that same stamp).
    pub fn has_observed(&self, modstamp: DateTime<Utc>) -> bool {
        let Some(observed) = self.observed_modstamp else {
            return false;
        };
        modstamp < observed
            || (modstamp == observed
                && self
                    .observed_read_at
                    .is_some_and(|read| read >= observed + chrono::Duration::seconds(1)))
    }
}

/// The job a changed record gets, if any: a linked record is pulled unless it is seen again
/// only because the window overlaps (nothing new since its link observed it); an unlinked one
/// is created when the item auto-creates and the record is newer than the item's baseline.
pub fn classify(
    item: ItemId,
    record: &SalesforceId,
    change: &RecordChange,
    linked: Option<&LinkedRecord>,
    auto_create: bool,
    baseline: Option<DateTime<Utc>>,
) -> Option<Job> {
    if let Some(link) = linked {
        let already_observed = !change.has_new_comments_or_files
            && change.modstamp.is_some_and(|m| link.has_observed(m));
        return (!already_observed).then_some(Job::Pull(link.link_id));
    }
    let new_record = change
        .created
        .is_some_and(|created| baseline.is_none_or(|b| created > b));
    (auto_create && new_record).then(|| Job::Create(LinkId::for_record(item, record)))
}

#[cfg(test)]
mod tests;
