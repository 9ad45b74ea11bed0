//! The Salesforce reads of reconciliation, in bulk: changed records of an item in one query,
//! and new comments and files by their own creation dates in one query per kind.
//!
//! Nothing here is per link. A cycle costs a fixed handful of queries (records, CaseComment,
//! FeedItem, FeedComment, ContentVersion) plus a few more only when something new turned up
//! (ContentDocumentLink for new files, parents of new replies), so the count grows with
//! changes, never with the number of links. Record-scoped variants serve a manual link and the
//! panel's Refresh.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::SyncError;
use crate::connectors::salesforce::{QueryPager, Record, SalesforceClient};
use crate::domain::catalog::CommentModel;
use crate::domain::comments::{is_connector_text, salesforce_text_to_plain, ParentComment};
use crate::domain::escape::soql_quote;
use crate::domain::fields::{format_datetime, parse_datetime_lenient};
use crate::domain::ids::SalesforceId;
use crate::domain::item::ItemDefinition;
use crate::domain::link::events::SalesforceCommentKind;

/// Ids per `IN (…)` list, far below the URL length limits.
const IN_CHUNK: usize = 200;

/// A Salesforce comment found for a record.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundComment {
    /// Its id.
    pub id: SalesforceId,
    /// CaseComment, FeedItem or FeedComment.
    pub kind: SalesforceCommentKind,
    /// The record it is on.
    pub record_id: SalesforceId,
    /// Plain text.
    pub body: String,
    /// Author's name.
    pub author: String,
    /// When it was written.
    pub created: DateTime<Utc>,
    /// For a feed reply: the post it answers.
    pub parent: Option<ParentComment>,
}

/// A Salesforce file found for a record.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundFile {
    /// Its latest ContentVersion.
    pub version_id: SalesforceId,
    /// Its ContentDocument.
    pub document_id: SalesforceId,
    /// Title.
    pub title: String,
    /// Extension without the dot.
    pub extension: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// When the version was created.
    pub created: DateTime<Utc>,
}

impl FoundFile {
    /// The file name to give it in Jira.
    pub fn filename(&self) -> String {
        crate::domain::attachments::jira_filename_from_salesforce(
            &self.title,
            self.extension.as_deref(),
        )
    }
}

fn text(record: &Record, field: &str) -> Option<String> {
    record
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn id(record: &Record, field: &str) -> Option<SalesforceId> {
    text(record, field).and_then(|s| SalesforceId::parse(&s).ok())
}

fn time(record: &Record, field: &str) -> Option<DateTime<Utc>> {
    text(record, field).and_then(|s| parse_datetime_lenient(&s))
}

fn author(record: &Record) -> String {
    record
        .get("CreatedBy")
        .and_then(|c| c.get("Name"))
        .and_then(Value::as_str)
        .unwrap_or("Salesforce user")
        .to_string()
}

/// `SystemModstamp` of a record.
pub fn modstamp(record: &Record) -> Option<DateTime<Utc>> {
    time(record, "SystemModstamp")
}

/// `CreatedDate` of a record.
pub fn created(record: &Record) -> Option<DateTime<Utc>> {
    time(record, "CreatedDate")
}

/// `Id` of a record.
pub fn record_id(record: &Record) -> Option<SalesforceId> {
    id(record, "Id")
}

/// The fields an item reads from each record: system fields, preview, mapped and status.
pub fn record_fields(definition: &ItemDefinition) -> Vec<String> {
    let mut fields: Vec<String> = ["Id", "SystemModstamp", "CreatedDate", "LastModifiedDate"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let wanted = definition
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
    for field in wanted {
        if !fields.iter().any(|f| f.eq_ignore_ascii_case(field)) {
            fields.push(field.clone());
        }
    }
    for label_field in crate::domain::catalog::display_fields(&definition.object) {
        if !fields.iter().any(|f| f.eq_ignore_ascii_case(label_field)) {
            fields.push(label_field.to_string());
        }
    }
    fields
}

fn since_clause(field: &str, since: Option<DateTime<Utc>>) -> String {
    since
        .map(|t| format!(" WHERE {field} >= {}", soql_datetime(t)))
        .unwrap_or_default()
}

/// A SOQL datetime literal (`2024-01-02T03:04:05.000Z`, never quoted).
pub fn soql_datetime(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub use crate::domain::feeds::RecordWindow;

/// The SOQL condition of a records window (empty for every record).
fn window_clause(window: &RecordWindow) -> String {
    match window {
        RecordWindow::All => String::new(),
        RecordWindow::Since(t) => since_clause("SystemModstamp", Some(*t)),
        RecordWindow::After(t, id) => format!(
            " WHERE (SystemModstamp > {at} OR (SystemModstamp = {at} AND Id > {id}))",
            at = soql_datetime(*t),
            id = soql_quote(id.as_str())
        ),
    }
}

/// A pager over the records of the item's object changed in `window`, oldest first (by
/// `SystemModstamp`, then `Id`), `page_size` at a time; nothing is read until its first page
/// is asked for.
pub fn changed_records(
    sf: &SalesforceClient,
    definition: &ItemDefinition,
    window: &RecordWindow,
    page_size: u32,
) -> QueryPager {
    let soql = format!(
        "SELECT {} FROM {}{} ORDER BY SystemModstamp ASC, Id ASC",
        record_fields(definition).join(", "),
        definition.object,
        window_clause(window)
    );
    sf.pager(&soql).batch_size(page_size)
}

/// One record with the item's fields.
pub async fn one_record(
    sf: &SalesforceClient,
    definition: &ItemDefinition,
    record: &SalesforceId,
) -> Result<Option<Record>, SyncError> {
    let soql = format!(
        "SELECT {} FROM {} WHERE Id = {}",
        record_fields(definition).join(", "),
        definition.object,
        soql_quote(record.as_str())
    );
    Ok(sf.query(&soql).await?.into_iter().next())
}

/// Which records' comments to read.
#[derive(Debug, Clone)]
pub enum Scope<'a> {
    /// Every record of the object, created at or after the time.
    Since(Option<DateTime<Utc>>),
    /// One record, whenever created.
    Record(&'a SalesforceId),
}

fn scope_clause(scope: &Scope<'_>, parent_field: &str) -> String {
    match scope {
        Scope::Since(since) => since_clause("CreatedDate", *since),
        Scope::Record(id) => format!(" WHERE {parent_field} = {}", soql_quote(id.as_str())),
    }
}

fn same_object(record: &SalesforceId, key_prefix: Option<&str>) -> bool {
    key_prefix.is_none_or(|p| record.key_prefix() == p)
}

/// What a feed read found on the item's records, and the newest `CreatedDate` of every row it
/// read (on any object's records): how far the feed was read.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRead<T> {
    /// What is on the item's records, oldest first.
    pub found: Vec<T>,
    /// The newest row read, matching or not.
    pub newest_read: Option<DateTime<Utc>>,
}

impl<T> Default for FeedRead<T> {
    fn default() -> Self {
        Self {
            found: Vec::new(),
            newest_read: None,
        }
    }
}

/// The newest `CreatedDate` among `rows`.
fn newest_created(rows: &[Record]) -> Option<DateTime<Utc>> {
    rows.iter().filter_map(created).max()
}

/// New comments of the object (or of one record), oldest first: CaseComment for Cases, plus
/// feed posts and replies for feed-enabled objects; replies carry their parent post. What
/// sfjira wrote itself is left out: it is never mirrored back.
pub async fn comments(
    sf: &SalesforceClient,
    model: CommentModel,
    feed_enabled: bool,
    key_prefix: Option<&str>,
    scope: Scope<'_>,
) -> Result<FeedRead<FoundComment>, SyncError> {
    let mut found = Vec::new();
    let mut newest_read = None;
    if model == CommentModel::CaseComment {
        let (comments, newest) = case_comments(sf, key_prefix, &scope).await?;
        found.extend(comments);
        newest_read = newest_read.max(newest);
    }
    if feed_enabled && model != CommentModel::Unsupported {
        let (posts, mut parents, newest) = feed_posts(sf, key_prefix, &scope).await?;
        found.extend(posts.into_iter().filter(mirrorable));
        newest_read = newest_read.max(newest);
        let soql = format!(
            "SELECT Id, FeedItemId, ParentId, CommentBody, CreatedDate, CreatedBy.Name FROM FeedComment{} ORDER BY CreatedDate ASC, Id ASC",
            scope_clause(&scope, "ParentId")
        );
        let replies = sf.query(&soql).await?;
        newest_read = newest_read.max(newest_created(&replies));
        read_missing_parents(sf, &replies, &mut parents).await?;
        found.extend(
            replies
                .iter()
                .filter_map(|row| feed_reply(row, key_prefix, &parents))
                .filter(mirrorable),
        );
    }
    found.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    Ok(FeedRead { found, newest_read })
}

/// Whether a comment could be mirrored: not something sfjira wrote (a link note, a copy of a
/// Jira comment), which is never mirrored back.
fn mirrorable(comment: &FoundComment) -> bool {
    !is_connector_text(&comment.body)
}

/// CaseComments in scope on records of the object, and the newest row read.
async fn case_comments(
    sf: &SalesforceClient,
    key_prefix: Option<&str>,
    scope: &Scope<'_>,
) -> Result<(Vec<FoundComment>, Option<DateTime<Utc>>), SyncError> {
    let soql = format!(
        "SELECT Id, ParentId, CommentBody, CreatedDate, CreatedBy.Name FROM CaseComment{} ORDER BY CreatedDate ASC, Id ASC",
        scope_clause(scope, "ParentId")
    );
    let mut found = Vec::new();
    let mut newest = None;
    // Page by page, keeping only what could be mirrored: after a back-fill the feed holds a
    // link note for every new link, and none of them is news.
    let mut pager = sf.pager(&soql);
    while let Some(page) = pager.next_page().await? {
        newest = newest.max(newest_created(&page.records));
        for row in page.records {
            let (Some(cid), Some(parent), Some(at)) =
                (id(&row, "Id"), id(&row, "ParentId"), created(&row))
            else {
                continue;
            };
            if !same_object(&parent, key_prefix) {
                continue;
            }
            let comment = FoundComment {
                id: cid,
                kind: SalesforceCommentKind::CaseComment,
                record_id: parent,
                body: text(&row, "CommentBody").unwrap_or_default(),
                author: author(&row),
                created: at,
                parent: None,
            };
            if mirrorable(&comment) {
                found.push(comment);
            }
        }
    }
    Ok((found, newest))
}

/// Feed posts in scope: the text posts on records of the object, and every post read (of any
/// type or object) as a parent its replies can name, and the newest post read.
#[allow(clippy::type_complexity)]
async fn feed_posts(
    sf: &SalesforceClient,
    key_prefix: Option<&str>,
    scope: &Scope<'_>,
) -> Result<
    (
        Vec<FoundComment>,
        BTreeMap<SalesforceId, ParentComment>,
        Option<DateTime<Utc>>,
    ),
    SyncError,
> {
    let soql = format!(
        "SELECT Id, ParentId, Body, Type, CreatedDate, CreatedBy.Name FROM FeedItem{} ORDER BY CreatedDate ASC, Id ASC",
        scope_clause(scope, "ParentId")
    );
    let mut found = Vec::new();
    let mut posts: BTreeMap<SalesforceId, ParentComment> = BTreeMap::new();
    let rows = sf.query(&soql).await?;
    let newest = newest_created(&rows);
    for row in rows {
        let (Some(pid), Some(parent), Some(at)) =
            (id(&row, "Id"), id(&row, "ParentId"), created(&row))
        else {
            continue;
        };
        let body = salesforce_text_to_plain(&text(&row, "Body").unwrap_or_default());
        posts.insert(
            pid.clone(),
            ParentComment {
                author: author(&row),
                body: body.clone(),
            },
        );
        let is_text = text(&row, "Type").is_none_or(|t| t == "TextPost");
        if is_text && !body.trim().is_empty() && same_object(&parent, key_prefix) {
            found.push(FoundComment {
                id: pid,
                kind: SalesforceCommentKind::FeedItem,
                record_id: parent,
                body,
                author: author(&row),
                created: at,
                parent: None,
            });
        }
    }
    Ok((found, posts, newest))
}

/// Reads the posts that replies answer but that were not read with the feed (older ones).
async fn read_missing_parents(
    sf: &SalesforceClient,
    replies: &[Record],
    posts: &mut BTreeMap<SalesforceId, ParentComment>,
) -> Result<(), SyncError> {
    let missing: BTreeSet<SalesforceId> = replies
        .iter()
        .filter_map(|r| id(r, "FeedItemId"))
        .filter(|p| !posts.contains_key(p))
        .collect();
    for chunk in missing.into_iter().collect::<Vec<_>>().chunks(IN_CHUNK) {
        let soql = format!(
            "SELECT Id, Body, CreatedBy.Name FROM FeedItem WHERE Id IN ({})",
            in_list(chunk)
        );
        for row in sf.query(&soql).await? {
            if let Some(pid) = id(&row, "Id") {
                posts.insert(
                    pid,
                    ParentComment {
                        author: author(&row),
                        body: salesforce_text_to_plain(&text(&row, "Body").unwrap_or_default()),
                    },
                );
            }
        }
    }
    Ok(())
}

/// A feed reply on a record of the object, with the post it answers when that was read.
fn feed_reply(
    row: &Record,
    key_prefix: Option<&str>,
    posts: &BTreeMap<SalesforceId, ParentComment>,
) -> Option<FoundComment> {
    let (Some(rid), Some(parent), Some(at)) = (id(row, "Id"), id(row, "ParentId"), created(row))
    else {
        return None;
    };
    if !same_object(&parent, key_prefix) {
        return None;
    }
    Some(FoundComment {
        id: rid,
        kind: SalesforceCommentKind::FeedComment,
        record_id: parent,
        body: salesforce_text_to_plain(&text(row, "CommentBody").unwrap_or_default()),
        author: author(row),
        created: at,
        parent: id(row, "FeedItemId").and_then(|p| posts.get(&p).cloned()),
    })
}

/// The quoted ids of a SOQL `IN (…)` list.
fn in_list(ids: &[SalesforceId]) -> String {
    ids.iter()
        .map(|i| soql_quote(i.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn version_row(row: &Record) -> Option<FoundFile> {
    Some(FoundFile {
        version_id: id(row, "Id")?,
        document_id: id(row, "ContentDocumentId")?,
        title: text(row, "Title").unwrap_or_else(|| "file".into()),
        extension: text(row, "FileExtension").filter(|e| !e.is_empty()),
        size: row.get("ContentSize").and_then(Value::as_u64).unwrap_or(0),
        created: created(row)?,
    })
}

const VERSION_FIELDS: &str =
    "Id, ContentDocumentId, Title, FileExtension, ContentSize, CreatedDate";

/// New files (latest versions) linked to records of the object, with the records they are on.
pub async fn files_since(
    sf: &SalesforceClient,
    key_prefix: Option<&str>,
    since: Option<DateTime<Utc>>,
) -> Result<FeedRead<(SalesforceId, FoundFile)>, SyncError> {
    let filter = since
        .map(|t| {
            format!(
                " WHERE CreatedDate >= {} AND IsLatest = true",
                soql_datetime(t)
            )
        })
        .unwrap_or_else(|| " WHERE IsLatest = true".into());
    let soql = format!(
        "SELECT {VERSION_FIELDS} FROM ContentVersion{filter} ORDER BY CreatedDate ASC, Id ASC"
    );
    let versions: Vec<FoundFile> = sf
        .query(&soql)
        .await?
        .iter()
        .filter_map(version_row)
        .collect();
    let newest_read = versions.iter().map(|v| v.created).max();
    let mut by_document: BTreeMap<SalesforceId, FoundFile> = versions
        .into_iter()
        .map(|v| (v.document_id.clone(), v))
        .collect();
    let mut found = Vec::new();
    let documents: Vec<SalesforceId> = by_document.keys().cloned().collect();
    for chunk in documents.chunks(IN_CHUNK) {
        let list = in_list(chunk);
        let soql = format!(
            "SELECT ContentDocumentId, LinkedEntityId FROM ContentDocumentLink WHERE ContentDocumentId IN ({list})"
        );
        for row in sf.query(&soql).await? {
            let (Some(doc), Some(entity)) =
                (id(&row, "ContentDocumentId"), id(&row, "LinkedEntityId"))
            else {
                continue;
            };
            if same_object(&entity, key_prefix) {
                if let Some(file) = by_document.get(&doc) {
                    found.push((entity, file.clone()));
                }
            }
        }
    }
    by_document.clear();
    found.sort_by(|a, b| (a.1.created, &a.1.version_id).cmp(&(b.1.created, &b.1.version_id)));
    Ok(FeedRead { found, newest_read })
}

/// Every file (latest version) linked to one record.
pub async fn files_of_record(
    sf: &SalesforceClient,
    record: &SalesforceId,
) -> Result<Vec<FoundFile>, SyncError> {
    let soql = format!(
        "SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = {}",
        soql_quote(record.as_str())
    );
    let documents: Vec<SalesforceId> = sf
        .query(&soql)
        .await?
        .iter()
        .filter_map(|r| id(r, "ContentDocumentId"))
        .collect();
    let mut found = Vec::new();
    for chunk in documents.chunks(IN_CHUNK) {
        let list = in_list(chunk);
        let soql = format!(
            "SELECT {VERSION_FIELDS} FROM ContentVersion WHERE ContentDocumentId IN ({list}) AND IsLatest = true ORDER BY CreatedDate ASC, Id ASC"
        );
        found.extend(sf.query(&soql).await?.iter().filter_map(version_row));
    }
    Ok(found)
}

/// Salesforce's datetime format, for writing.
pub fn salesforce_datetime(at: DateTime<Utc>) -> String {
    format_datetime(&at)
}
