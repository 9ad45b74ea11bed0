//! The `query` and `queryAll` resources: run SOQL, answer the first page, and keep a cursor for
//! the rest behind `nextRecordsUrl` (present only while `done` is false).
//!
//! Page size is 2,000, or the `Sforce-Query-Options: batchSize=N` hint clamped to 200..2000.
//! Cursors are snapshots (later writes do not change pages already computed) and expire after
//! 15 minutes of emulated inactivity, as Salesforce's query locators do.
//! Source: REST API Developer Guide, "Query", "QueryAll", "Retrieving the Remaining SOQL Query
//! Results" and "Query Options Header".

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::error::{Reply, SfError, SfResult};
use super::ids;
use super::router::Ctx;
use super::soql::bind::Binder;
use super::soql::eval::Env;
use super::soql::run::Runner;
use super::soql::{self};
use super::store::Org;

/// Default and maximum page size.
pub const MAX_BATCH: usize = 2000;
/// Smallest page size the batch-size hint may ask for.
pub const MIN_BATCH: usize = 200;
/// How long an idle cursor lives.
const CURSOR_IDLE_MINUTES: i64 = 15;
/// How many cursors are kept at most.
const MAX_CURSORS: usize = 200;

/// The rest of a query's rows.
#[derive(Debug, Clone)]
struct Cursor {
    rows: Vec<Value>,
    total: usize,
    page: usize,
    user_id: String,
    version: String,
    all: bool,
    last_used: DateTime<Utc>,
}

/// Open cursors by locator id.
#[derive(Debug, Clone, Default)]
pub struct Cursors {
    open: HashMap<String, Cursor>,
    issued: u64,
}

/// The page size for a request.
pub fn page_size(hint: Option<usize>) -> usize {
    hint.map_or(MAX_BATCH, |n| n.clamp(MIN_BATCH, MAX_BATCH))
}

/// Runs a SOQL query and answers its first page.
pub fn run_query(org: &mut Org, ctx: &Ctx, q: Option<&str>, all: bool) -> SfResult<Reply> {
    let src = q.map(str::trim).unwrap_or("");
    if src.is_empty() {
        return Err(SfError::new(
            400,
            "MALFORMED_QUERY",
            "A query string has to be specified",
        ));
    }
    let query = soql::parse(src).map_err(|e| e.into_sf(src))?;
    let output = {
        let binder = Binder {
            org,
            user_id: &ctx.user_id,
            now: ctx.now,
            system: false,
        };
        let plan = binder.bind(&query).map_err(|e| e.into_sf(src))?;
        let runner = Runner {
            env: Env {
                org,
                include_deleted: all,
            },
            version: &ctx.version,
        };
        runner.run(&plan)
    };
    let page = page_size(ctx.batch_size);
    if output.rows.len() <= page {
        return Ok(Reply::ok(json!({
            "totalSize": output.total,
            "done": true,
            "records": output.rows,
        })));
    }
    let rows: Vec<Value> = output.rows[..page].to_vec();
    let locator = open_cursor(org, ctx, output.rows, output.total, page, all);
    Ok(Reply::ok(json!({
        "totalSize": output.total,
        "done": false,
        "nextRecordsUrl": next_url(&ctx.version, all, &locator, page),
        "records": rows,
    })))
}

fn next_url(version: &str, all: bool, locator: &str, offset: usize) -> String {
    let resource = if all { "queryAll" } else { "query" };
    format!("/services/data/{version}/{resource}/{locator}-{offset}")
}

fn open_cursor(
    org: &mut Org,
    ctx: &Ctx,
    rows: Vec<Value>,
    total: usize,
    page: usize,
    all: bool,
) -> String {
    let cursors = &mut org.cursors;
    cursors.issued += 1;
    let locator = ids::make("01g", cursors.issued);
    if cursors.open.len() >= MAX_CURSORS {
        if let Some(oldest) = cursors
            .open
            .iter()
            .min_by_key(|(_, c)| c.last_used)
            .map(|(k, _)| k.clone())
        {
            cursors.open.remove(&oldest);
        }
    }
    cursors.open.insert(
        locator.clone(),
        Cursor {
            rows,
            total,
            page,
            user_id: ctx.user_id.clone(),
            version: ctx.version.clone(),
            all,
            last_used: ctx.now,
        },
    );
    locator
}

fn invalid_locator() -> SfError {
    SfError::new(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
}

/// Answers the page at `<locator>-<offset>`.
pub fn query_more(org: &mut Org, ctx: &Ctx, locator: &str) -> SfResult<Reply> {
    let (id, offset) = locator.rsplit_once('-').ok_or_else(invalid_locator)?;
    let offset: usize = offset.parse().map_err(|_| invalid_locator())?;
    let cursors = &mut org.cursors;
    let expired = cursors
        .open
        .get(id)
        .is_some_and(|c| ctx.now - c.last_used > Duration::minutes(CURSOR_IDLE_MINUTES));
    if expired {
        cursors.open.remove(id);
    }
    let cursor = cursors
        .open
        .get_mut(id)
        .filter(|c| c.user_id == ctx.user_id && offset <= c.rows.len())
        .ok_or_else(invalid_locator)?;
    cursor.last_used = ctx.now;
    let end = (offset + cursor.page).min(cursor.rows.len());
    let records: Vec<Value> = cursor.rows[offset..end].to_vec();
    let total = cursor.total;
    if end < cursor.rows.len() {
        let url = next_url(&cursor.version, cursor.all, id, end);
        return Ok(Reply::ok(json!({
            "totalSize": total,
            "done": false,
            "nextRecordsUrl": url,
            "records": records,
        })));
    }
    cursors.open.remove(id);
    Ok(Reply::ok(json!({
        "totalSize": total,
        "done": true,
        "records": records,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_size_hint_is_clamped_to_salesforce_bounds() {
        assert_eq!(page_size(None), 2000);
        assert_eq!(page_size(Some(10)), 200);
        assert_eq!(page_size(Some(500)), 500);
        assert_eq!(page_size(Some(5000)), 2000);
    }
}
