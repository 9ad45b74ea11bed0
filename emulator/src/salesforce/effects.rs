//! What the org itself does when a record is saved: compound names, case closure from
//! `CaseStatus.IsClosed` (with `ClosedDate`), opportunity and task closure, event durations,
//! contract end dates, auto-numbers, feed bookkeeping, and the file machinery (delegated to
//! [`super::files`]).
//!
//! Children never touch their parent's audit fields: a comment, feed item or file added to a
//! Case leaves the Case's `LastModifiedDate` and `SystemModstamp` alone, as in Salesforce.

use bytes::Bytes;
use chrono::{Duration, Months};
use serde_json::{Map, Value};

use super::error::{SfError, SfResult};
use super::files;
use super::router::Ctx;
use super::schema::ObjectDef;
use super::store::{Org, Record};
use super::values::{fmt_date, fmt_datetime, parse_date, stored_datetime};

/// Required fields that depend on other values (beyond `nillable=false`).
pub fn extra_required(def: &ObjectDef, rec: &Record, has_blob: bool) -> Vec<String> {
    let mut out = Vec::new();
    let missing = |f: &str| rec.get(f).is_null();
    match def.name.as_str() {
        "ContentVersion" if missing("ContentUrl") => {
            if missing("PathOnClient") {
                out.push("PathOnClient".into());
            }
            if !has_blob {
                out.push("VersionData".into());
            }
        }
        "Event" => {
            for f in ["StartDateTime", "EndDateTime"] {
                if missing(f) {
                    out.push(f.into());
                }
            }
        }
        "FeedItem" => {
            let needed = match rec.str("Type") {
                Some("TextPost") | None => Some("Body"),
                Some("LinkPost") => Some("LinkUrl"),
                Some("ContentPost") => Some("RelatedRecordId"),
                _ => None,
            };
            if let Some(f) = needed.filter(|f| missing(f)) {
                out.push(f.into());
            }
        }
        _ => {}
    }
    out
}

/// Whether a Case status value is a closed one, per the `CaseStatus` records.
pub fn status_is_closed(org: &Org, status: &str) -> bool {
    org.records_of("CaseStatus")
        .filter(|r| !r.is_deleted())
        .find(|r| r.str("ApiName") == Some(status))
        .and_then(|r| r.get("IsClosed").as_bool())
        .unwrap_or(false)
}

fn set(rec: &mut Record, field: &str, value: Value) {
    rec.fields.insert(field.to_string(), value);
}

/// Fields derived from others, on insert and update.
fn derive(
    org: &Org,
    ctx: &Ctx,
    def: &ObjectDef,
    rec: &mut Record,
    old: Option<&Record>,
) -> SfResult<()> {
    if def
        .fields
        .iter()
        .any(|f| f.compound_field_name.as_deref() == Some("Name"))
    {
        let name: Vec<&str> = ["FirstName", "LastName"]
            .iter()
            .filter_map(|f| rec.str(f))
            .filter(|s| !s.is_empty())
            .collect();
        let full = name.join(" ");
        set(
            rec,
            "Name",
            if full.is_empty() {
                Value::Null
            } else {
                Value::String(full)
            },
        );
    }
    match def.name.as_str() {
        "Case" => {
            let closed = rec.str("Status").is_some_and(|s| status_is_closed(org, s));
            let was_closed = old.is_some_and(|o| o.get("IsClosed").as_bool() == Some(true));
            set(rec, "IsClosed", Value::Bool(closed));
            if !closed {
                set(rec, "ClosedDate", Value::Null);
            } else if rec.get("ClosedDate").is_null() || (old.is_some() && !was_closed) {
                set(rec, "ClosedDate", Value::String(fmt_datetime(ctx.now)));
            }
        }
        "Opportunity" => {
            let stage = rec.str("StageName").unwrap_or("");
            let closed = stage == "Closed Won" || stage == "Closed Lost";
            let won = stage == "Closed Won";
            set(rec, "IsClosed", Value::Bool(closed));
            set(rec, "IsWon", Value::Bool(won));
        }
        "Task" => {
            let closed = rec.str("Status") == Some("Completed");
            set(rec, "IsClosed", Value::Bool(closed));
        }
        "Event" => {
            let start = stored_datetime(rec.get("StartDateTime"));
            let end = stored_datetime(rec.get("EndDateTime"));
            if let (Some(s), Some(e)) = (start, end) {
                if e < s {
                    return Err(SfError::dml(
                        "FIELD_INTEGRITY_EXCEPTION",
                        "End Date Time: End Date Time cannot be earlier than Start Date Time.",
                        &["EndDateTime"],
                    ));
                }
                set(rec, "ActivityDateTime", Value::String(fmt_datetime(s)));
                set(rec, "ActivityDate", Value::String(fmt_date(s.date_naive())));
                set(rec, "DurationInMinutes", Value::from((e - s).num_minutes()));
            }
        }
        "Contract" => {
            let start = rec.str("StartDate").and_then(parse_date);
            let term = rec.get("ContractTerm").as_i64();
            let end = match (start, term) {
                (Some(s), Some(t)) if t > 0 => s
                    .checked_add_months(Months::new(t as u32))
                    .map(|d| fmt_date(d - Duration::days(1))),
                _ => None,
            };
            set(rec, "EndDate", end.map_or(Value::Null, Value::String));
        }
        _ => {}
    }
    Ok(())
}

/// Before a new record is stored (after validation of its input).
pub fn before_insert(
    org: &Org,
    ctx: &Ctx,
    def: &ObjectDef,
    rec: &mut Record,
    blob: Option<&Bytes>,
) -> SfResult<()> {
    derive(org, ctx, def, rec, None)?;
    let user = Value::String(ctx.user_id.clone());
    match def.name.as_str() {
        "ContentVersion" => files::prepare_version(org, ctx, rec, blob)?,
        "ContentDocumentLink" => files::check_new_link(org, rec)?,
        "FeedItem" => {
            set(rec, "InsertedById", user);
            set(rec, "CommentCount", Value::from(0));
            set(rec, "LikeCount", Value::from(0));
        }
        "FeedComment" => {
            let parent = rec
                .str("FeedItemId")
                .and_then(|id| org.record(id))
                .map(|item| item.get("ParentId").clone())
                .unwrap_or(Value::Null);
            set(rec, "ParentId", parent);
            set(rec, "InsertedById", user);
        }
        _ => {}
    }
    Ok(())
}

/// Before an updated record is stored.
pub fn before_update(
    org: &Org,
    ctx: &Ctx,
    def: &ObjectDef,
    rec: &mut Record,
    old: &Record,
    changed: &Map<String, Value>,
) -> SfResult<()> {
    derive(org, ctx, def, rec, Some(old))?;
    let edited = ["Body", "CommentBody", "Title", "LinkUrl"]
        .iter()
        .any(|f| changed.contains_key(*f));
    if matches!(def.name.as_str(), "FeedItem" | "FeedComment") && edited {
        set(rec, "LastEditDate", Value::String(fmt_datetime(ctx.now)));
        set(rec, "LastEditById", Value::String(ctx.user_id.clone()));
    }
    Ok(())
}

/// Auto-number fields get the next number of their sequence (`00001001` for cases).
pub fn auto_numbers(org: &mut Org, def: &ObjectDef, rec: &mut Record) {
    for field in def.fields.iter().filter(|f| f.auto_number) {
        if !rec.get(&field.name).is_null() {
            continue;
        }
        let start = match def.name.as_str() {
            "Case" => 1000,
            "Contract" | "Order" => 99,
            _ => 0,
        };
        let n = org.next_auto_number(&def.name, &field.name, start);
        set(rec, &field.name, Value::String(format!("{n:08}")));
    }
}

/// After a new record is stored.
pub fn after_insert(
    org: &mut Org,
    ctx: &Ctx,
    def: &ObjectDef,
    rec: &Record,
    blob: Option<Bytes>,
) -> SfResult<()> {
    match def.name.as_str() {
        "ContentVersion" => files::after_insert_version(org, ctx, rec, blob),
        "FeedComment" => {
            let when = rec.get("CreatedDate").clone();
            bump_comment_count(org, rec, 1, when);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// After a record went to the recycle bin.
pub fn after_delete(org: &mut Org, ctx: &Ctx, rec: &Record) {
    if rec.object == "FeedComment" {
        bump_comment_count(org, rec, -1, Value::String(fmt_datetime(ctx.now)));
    }
}

/// A reply changes its feed item's comment count and modification stamps (but not the
/// record the feed item is on).
fn bump_comment_count(org: &mut Org, comment: &Record, by: i64, now: Value) {
    let Some(item_id) = comment.str("FeedItemId").map(str::to_string) else {
        return;
    };
    if let Some(mut item) = org.record_mut(&item_id) {
        let count = item.get("CommentCount").as_i64().unwrap_or(0) + by;
        item.fields
            .insert("CommentCount".into(), Value::from(count.max(0)));
        item.fields.insert("LastModifiedDate".into(), now.clone());
        item.fields.insert("SystemModstamp".into(), now);
    }
}
