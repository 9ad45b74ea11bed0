//! `/admin/items/{id}`: what an item's reconciliations did, run by run, and what still needs an
//! admin.
//!
//! It answers "is this item working?" without a log viewer: the recent runs with their counts
//! and outcome, the dead letters (each failed operation of a link with the remote system's own
//! words, its attempts and whether it will be retried, with Retry and Dismiss), and where the
//! next incremental queries start. Everything comes from the admin projection, the same data as
//! `GET /api/admin/items/{id}` and `GET /api/admin/items/{id}/dead-letters`.
//!
//! Retry and Dismiss are done by `history.js` through the JSON API; afterwards it fetches
//! `/admin/items/{id}/dead-letters`, rendered here, and swaps in the dead-letter table and the
//! Latest sync summary (which lists the same failures), so both have a single renderer.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::admin::{counts_text, latest_sync};
use super::layout::{self, hidden, lozenge, when, Nav, Tone};
use super::{PageError, Viewer};
use crate::domain::ids::ItemId;
use crate::domain::link::events::operations;
use crate::engine::deadletters;
use crate::engine::items::{self, ItemDetail};
use crate::events::scheduler::ItemOutcome;
use crate::http::AppState;
use crate::projections::admin::{Attention, RunRow};

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
    // The dead-letter list waits for the admin view to fold what was recorded so far; reading
    // the item after it shows the same moment.
    let letters = deadletters::list(&state.engine, id).await?;
    let detail = items::get(&state.engine, id).await?;
    let title = format!("{} — history", detail.row.name);
    Ok(super::html(layout::page(
        &title,
        &viewer,
        Nav::Admin,
        &["admin.js", "history.js"],
        body(&detail, &letters),
    )))
}

/// `GET /admin/items/{id}/dead-letters`: the dead-letter table and the Latest sync summary,
/// each in an element naming the page region it replaces (`data-region`), for `history.js`
/// after a retry or a dismiss.
pub async fn dead_letters_fragment(
    _viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = item_id(&path)?;
    let letters = deadletters::list(&state.engine, id).await?;
    let detail = items::get(&state.engine, id).await?;
    Ok(super::html(html! {
        div data-region="latest-sync" { (latest_sync(&detail.row.latest_sync)) }
        div data-region="dead-letters" { (dead_letter_table(&letters)) }
    }))
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

fn body(detail: &ItemDetail, letters: &[Attention]) -> Markup {
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
            div #latest-sync data-region="latest-sync" { (latest_sync(&row.latest_sync)) }
        }
        section #dead-letters .card aria-labelledby="dead-letters-title" data-item-id=(row.id) {
            h2 #dead-letters-title tabindex="-1" { "Dead letters" }
            p.hint {
                "Operations of this item's links that failed, in Salesforce's or Jira's own "
                "words. " strong { "Retry" } " runs the link's reconciliation both ways now; "
                strong { "Dismiss" } " takes a failure off the list (it comes back if the "
                "operation fails again)."
            }
            p #dead-letters-status .action-status role="status" {}
            div #dead-letters-region data-region="dead-letters" { (dead_letter_table(letters)) }
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

/// What an operation name means, for people.
pub fn operation_label(operation: &str) -> &str {
    match operation {
        operations::PULL_FIELDS => "Write fields to Jira",
        operations::PUSH_FIELDS => "Write fields to Salesforce",
        operations::STATUS => "Write the status",
        operations::COMMENTS => "Mirror a comment",
        operations::ATTACHMENTS => "Mirror a file",
        operations::CREATE_ISSUE => "Create the Jira issue",
        operations::LINK_NOTE => "Write the link note",
        operations::READ_RECORD => "Read the Salesforce record",
        operations::READ_ISSUE => "Read the Jira issue",
        other => other,
    }
}

/// "Will retry at …" or "Needs attention".
pub fn retry_state(will_retry: bool, next: Option<chrono::DateTime<chrono::Utc>>) -> Markup {
    html! {
        @if will_retry {
            (lozenge(Tone::Info, "Will retry"))
            p.cell-note {
                @if let Some(at) = next { "at " (when(at)) } @else { "with the next run" }
            }
        } @else {
            (lozenge(Tone::Danger, "Needs attention"))
            p.cell-note { "No automatic retry: fix the cause, then Retry." }
        }
    }
}

fn dead_letter_table(rows: &[Attention]) -> Markup {
    if rows.is_empty() {
        return html! {
            p.empty.no-failures {
                strong { "No failures." }
                " Every operation of this item's links succeeded, or its failure was dismissed."
            }
        };
    }
    html! {
        div.table-wrap {
            table.stack.dead-letters {
                caption.visually-hidden { "Dead letters, oldest failure first" }
                thead { tr {
                    th scope="col" { "Failed" }
                    th scope="col" { "Issue" }
                    th scope="col" { "Record" }
                    th scope="col" { "Operation" }
                    th scope="col" { "Error" }
                    th scope="col" { "Attempts" }
                    th scope="col" { "Retry" }
                    th scope="col" { "Actions" }
                } }
                tbody {
                    @for a in rows { (dead_letter_row(a)) }
                }
            }
        }
    }
}

fn dead_letter_row(a: &Attention) -> Markup {
    let issue = a.issue_key.as_ref().map(|k| k.to_string());
    let label = operation_label(&a.operation);
    // Which row a button acts on, for screen readers: "Write fields to Salesforce on SUP-1".
    let target = match &issue {
        Some(key) => format!(" {label} on {key}"),
        None => format!(" {label}"),
    };
    html! {
        tr data-link-id=(a.link_id) data-operation=(a.operation)
            data-issue=[issue.as_deref()] data-operation-label=(label) {
            td data-label="Failed" { (when(a.at)) }
            td data-label="Issue" {
                @if let Some(key) = &issue {
                    a href=(format!("/panel/{key}")) { (key) }
                } @else { span.muted { "not created yet" } }
            }
            td data-label="Record" {
                @if let Some(record) = &a.record_id { code { (record.to_string()) } }
                @else { "—" }
            }
            td data-label="Operation" {
                (label)
                @if label != a.operation { p.cell-note { code { (a.operation) } } }
            }
            td.error-words data-label="Error" { (a.error) }
            td.num data-label="Attempts" { (a.attempt) }
            td data-label="Retry" { (retry_state(a.will_retry, a.next_retry_at)) }
            td data-label="Actions" {
                div.row-actions {
                    button.button.small type="button" data-action="retry-dead-letter" {
                        "Retry" (hidden(&target))
                    }
                    button.button.small.danger type="button" data-action="dismiss-dead-letter" {
                        "Dismiss" (hidden(&target))
                    }
                    a.button.small.subtle href=(format!("/admin/links/{}", a.link_id)) {
                        "Link history" (hidden(&target))
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
                    th scope="col" { "Fields pushed" }
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
                            td.num data-label="Fields pushed" { (run.counts.fields_pushed) }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_dead_letters_is_said_plainly() {
        let html = dead_letter_table(&[]).into_string();
        assert!(html.contains("No failures."), "{html}");
        assert!(!html.contains("<table"), "{html}");
    }

    #[test]
    fn the_retry_state_says_when_or_that_an_admin_is_needed() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-01T10:05:00Z")
            .expect("a time")
            .with_timezone(&chrono::Utc);
        let later = retry_state(true, Some(at)).into_string();
        assert!(later.contains("Will retry"), "{later}");
        assert!(later.contains("2026-03-01 10:05:00 UTC"), "{later}");
        let next_run = retry_state(true, None).into_string();
        assert!(next_run.contains("with the next run"), "{next_run}");
        let stuck = retry_state(false, None).into_string();
        assert!(stuck.contains("Needs attention"), "{stuck}");
    }

    #[test]
    fn operations_read_as_what_was_attempted() {
        assert_eq!(
            operation_label(operations::PUSH_FIELDS),
            "Write fields to Salesforce"
        );
        assert_eq!(operation_label("something_new"), "something_new");
    }
}
