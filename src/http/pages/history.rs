//! `/admin/items/{id}`: what an item's reconciliations did, run by run, and what still needs an
//! admin.
//!
//! It answers "is this item working?" without a log viewer: the recent runs with their counts
//! and outcome, the unresolved failures (each linking to its link's history), and where the
//! next incremental queries start. Everything comes from the admin projection, the same data as
//! `GET /api/admin/items/{id}`. The dead-letter list with retry and dismiss belongs here once
//! the push work records dead letters; until then there is nothing to show, so nothing is shown.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::admin::{counts_text, latest_sync};
use super::layout::{self, lozenge, when, Nav, Tone};
use super::{PageError, Viewer};
use crate::domain::ids::ItemId;
use crate::events::scheduler::ItemOutcome;
use crate::projections::admin::{Attention, RunRow};
use crate::startup::AppState;
use crate::sync::items::{self, ItemDetail};

/// Parses an item id from a page path.
pub fn item_id(raw: &str) -> Result<ItemId, PageError> {
    ItemId::parse(raw).map_err(|_| PageError::NotFound(format!("There is no item {raw:?}.")))
}

/// `GET /admin/items/{id}`.
pub async fn page(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = item_id(&path)?;
    let detail = items::get(&state.engine, id).await?;
    let title = format!("{} — history", detail.row.name);
    Ok(super::html(layout::page(
        &title,
        &viewer,
        Nav::Admin,
        &["admin.js"],
        body(&detail),
    )))
}

fn outcome(outcome: &ItemOutcome) -> Markup {
    match outcome {
        ItemOutcome::Completed => lozenge(Tone::Success, "Completed"),
        ItemOutcome::Partial { reason } => html! {
            (lozenge(Tone::Warning, "Partial")) p.cell-note { (reason) }
        },
        ItemOutcome::Paused { reason } => html! {
            (lozenge(Tone::Warning, "Paused")) p.cell-note { (reason) }
        },
        ItemOutcome::Failed { error } => html! {
            (lozenge(Tone::Danger, "Failed")) p.cell-note { (error) }
        },
    }
}

fn body(detail: &ItemDetail) -> Markup {
    let row = &detail.row;
    let object_label = row
        .salesforce_source
        .get("object_label")
        .and_then(|v| v.as_str())
        .unwrap_or(&row.definition.object);
    html! {
        nav.breadcrumb aria-label="Breadcrumb" {
            a href="/admin" { "Admin" } " / " span aria-current="page" { (row.name) }
        }
        div.page-header {
            h1 { (row.name) }
            div.toolbar data-item-id=(row.id) data-item-name=(row.name) {
                a.button href=(format!("/admin/items/{}/edit", row.id)) { "Edit item" }
                @if row.mode.synchronises() {
                    button.button.primary type="button" data-action="sync" { "Sync now" }
                }
            }
        }
        p.lead {
            (row.mode_label) " · " (object_label) " · Jira " (row.jira_scope.join(", "))
            " · " (row.live_links) " live link" (if row.live_links == 1 { "" } else { "s" })
        }
        section.card aria-labelledby="latest-title" {
            h2 #latest-title { "Latest sync" }
            div #latest-sync { (latest_sync(&row.latest_sync)) }
        }
        @if !detail.attention.is_empty() {
            section.card aria-labelledby="attention-title" {
                h2 #attention-title { "Needs attention" }
                (attention_table(&detail.attention))
            }
        }
        section.card aria-labelledby="runs-title" {
            h2 #runs-title { "Runs" }
            @if detail.runs.is_empty() {
                p.empty {
                    @if row.mode.synchronises() {
                        "No run yet. The scheduler runs every few minutes, or use Sync now."
                    } @else {
                        "Display-only items never run: people link records from the issue panel."
                    }
                }
            } @else {
                (runs_table(&detail.runs))
            }
        }
        @if row.mode.synchronises() {
            section.card aria-labelledby="watermarks-title" {
                h2 #watermarks-title { "Where the next run starts" }
                p.hint { "Records, comments and files are each looked up from their own position." }
                dl.facts {
                    dt { "Records" } dd { (maybe_when(detail.watermarks.records)) }
                    dt { "Comments" } dd { (maybe_when(detail.watermarks.comments)) }
                    dt { "Files" } dd { (maybe_when(detail.watermarks.files)) }
                }
            }
        }
    }
}

fn maybe_when(at: Option<chrono::DateTime<chrono::Utc>>) -> Markup {
    match at {
        Some(at) => when(at),
        None => html! { span.muted { "from the item's creation" } },
    }
}

fn attention_table(rows: &[Attention]) -> Markup {
    html! {
        div.table-wrap {
            table.stack {
                caption.visually-hidden { "Failures that need attention" }
                thead { tr {
                    th scope="col" { "When" }
                    th scope="col" { "Issue" }
                    th scope="col" { "Record" }
                    th scope="col" { "Operation" }
                    th scope="col" { "Error" }
                    th scope="col" { "Retry" }
                    th scope="col" { "History" }
                } }
                tbody {
                    @for a in rows {
                        tr {
                            td data-label="When" { (when(a.at)) }
                            td data-label="Issue" {
                                @if let Some(key) = &a.issue_key {
                                    a href=(format!("/panel/{key}")) { (key.to_string()) }
                                } @else { "—" }
                            }
                            td data-label="Record" {
                                code { (a.record_id.as_ref().map(|r| r.to_string()).unwrap_or_else(|| "—".into())) }
                            }
                            td data-label="Operation" { (a.operation) }
                            td data-label="Error" { (a.error) }
                            td data-label="Retry" {
                                @if a.will_retry {
                                    "Attempt " (a.attempt) "; next "
                                    @if let Some(at) = a.next_retry_at { (when(at)) } @else { "soon" }
                                } @else { "No further retries" }
                            }
                            td data-label="History" {
                                a href=(format!("/admin/links/{}", a.link_id)) { "Link history" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn runs_table(runs: &[RunRow]) -> Markup {
    html! {
        div.table-wrap {
            table.stack.runs {
                caption.visually-hidden { "Recent runs, newest first" }
                thead { tr {
                    th scope="col" { "Finished" }
                    th scope="col" { "Outcome" }
                    th scope="col" { "Records seen" }
                    th scope="col" { "Issues created" }
                    th scope="col" { "Fields pulled" }
                    th scope="col" { "Statuses written" }
                    th scope="col" { "Comments" }
                    th scope="col" { "Files (skipped)" }
                    th scope="col" { "Failures" }
                    th scope="col" { "Salesforce calls" }
                } }
                tbody {
                    @for run in runs {
                        tr title=(counts_text(&run.counts)) {
                            td data-label="Finished" { (when(run.finished_at)) }
                            td data-label="Outcome" { (outcome(&run.outcome)) }
                            td.num data-label="Records seen" { (run.counts.records_seen) }
                            td.num data-label="Issues created" { (run.counts.issues_created) }
                            td.num data-label="Fields pulled" { (run.counts.fields_pulled) }
                            td.num data-label="Statuses written" { (run.counts.statuses_written) }
                            td.num data-label="Comments" { (run.counts.comments_paired) }
                            td.num data-label="Files (skipped)" {
                                (run.counts.attachments_paired) " (" (run.counts.attachments_skipped) ")"
                            }
                            td.num data-label="Failures" { (run.counts.failures) }
                            td.num data-label="Salesforce calls" { (run.salesforce_calls) }
                        }
                    }
                }
            }
        }
    }
}
