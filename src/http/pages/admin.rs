//! `/admin`: where an admin connects sfjira to Salesforce and reviews the Smart Connected Items.
//!
//! The page paints from the log and the admin projection only (the connection summary and the
//! item rows the JSON API returns), so it is fast whatever Salesforce is doing. Connecting,
//! revoking, deleting and "sync now" are done by `admin.js` through the JSON API; after a change
//! it fetches the items table again from `/admin/items/table`, rendered here, so the table has
//! a single renderer.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::layout::{self, hidden, lozenge, when, Nav, Tone};
use super::{PageError, Viewer};
use crate::engine::connection::{self, ConnectionSummary};
use crate::engine::items::{self, ItemRow, LatestSync};
use crate::events::scheduler::RunCounts;
use crate::http::AppState;

/// `GET /admin`.
pub async fn page(viewer: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let summary = connection::summary(&state.engine).await?;
    let rows = items::list(&state.engine).await?;
    let body = html! {
        h1 { "Salesforce Connector administration" }
        (connection_card(&summary))
        section.card aria-labelledby="items-title" {
            div.card-header {
                h2 #items-title { "Smart Connected Items" }
                div.toolbar {
                    button #refresh-items .button type="button" { "Refresh list" }
                    a.button.primary href="/admin/items/new" { "New item" }
                }
            }
            p #items-status .action-status role="status" {}
            div #items-region { (items_table(&rows)) }
        }
    };
    Ok(super::html(layout::page(
        "Admin",
        &viewer,
        Nav::Admin,
        &["admin.js"],
        body,
    )))
}

/// `GET /admin/items/table`: the items table alone, for the refresh button.
pub async fn items_fragment(
    _viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let rows = items::list(&state.engine).await?;
    Ok(super::html(items_table(&rows)))
}

fn field(id: &str, label: &str, kind: &str, hint: Option<&str>, autocomplete: &str) -> Markup {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(id) type=(kind) required autocomplete=(autocomplete)
                spellcheck="false" aria-describedby=(described);
            @if let Some(hint) = hint { p.hint id=(hint_id) { (hint) } }
            p.field-error id=(error_id) data-error-for=(id) hidden {}
        }
    }
}

fn fact(label: &str, value: Option<&str>) -> Markup {
    html! {
        dt { (label) }
        dd { @match value { Some(v) => { (v) }, None => { "—" } } }
    }
}

fn connection_card(summary: &ConnectionSummary) -> Markup {
    let connected = summary.status == "connected";
    html! {
        section #connection .card aria-labelledby="connection-title" {
            div.card-header {
                h2 #connection-title { "Salesforce connection" }
                @if connected { (lozenge(Tone::Success, "Connected")) }
                @else { (lozenge(Tone::Neutral, "Not connected")) }
            }
            @if connected {
                dl.facts {
                    (fact("Login URL", summary.login_url.as_deref()))
                    (fact("Client ID", summary.client_id.as_deref()))
                    (fact("Org Name", summary.org_name.as_deref()))
                    (fact("Org ID", summary.org_id.as_deref()))
                    (fact("Instance URL", summary.instance_url.as_deref()))
                    dt { "Connected at" }
                    dd { @if let Some(at) = summary.connected_at { (when(at)) } @else { "—" } }
                    @if let Some(usage) = &summary.api_usage {
                        dt { "API usage (24 h)" }
                        dd { (grouped(usage.used)) " of " (grouped(usage.limit)) " calls" }
                    }
                }
                div.form-actions {
                    button #revoke-connection .button.danger type="button" { "Revoke Connection" }
                }
            } @else {
                p {
                    "Enter the credentials of your External Client App. sfjira asks Salesforce "
                    "for a token and reads the organization before it saves anything."
                }
                div #connection-error .banner.error role="alert" hidden {}
                form #connection-form novalidate {
                    (field("login_url", "Login URL", "url",
                        Some("https://login.salesforce.com, https://test.salesforce.com or your My Domain URL"),
                        "url"))
                    (field("client_id", "Client ID", "text", Some("The Consumer Key"), "off"))
                    (field("client_secret", "Client Secret", "password", Some("The Consumer Secret; stored encrypted, never shown again"), "off"))
                    div.form-actions {
                        button.button.primary type="submit" { "Connect" }
                    }
                }
            }
        }
    }
}

/// `100000` → `100,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Run counts as one line: "3 records seen, 2 issues created, …" (zeros left out).
pub fn counts_text(counts: &RunCounts) -> String {
    let parts = [
        (counts.records_seen, "record seen", "records seen"),
        (counts.issues_created, "issue created", "issues created"),
        (counts.fields_pulled, "field pulled", "fields pulled"),
        (counts.fields_pushed, "field pushed", "fields pushed"),
        (
            counts.statuses_written,
            "status written",
            "statuses written",
        ),
        (counts.comments_paired, "comment", "comments"),
        (counts.attachments_paired, "file", "files"),
        (counts.attachments_skipped, "file skipped", "files skipped"),
        (counts.failures, "failure", "failures"),
    ];
    let shown: Vec<String> = parts
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
    if shown.is_empty() {
        "nothing changed".into()
    } else {
        shown.join(", ")
    }
}

/// The Latest Sync cell.
pub fn latest_sync(latest: &LatestSync) -> Markup {
    html! {
        @match latest {
            LatestSync::DisplayOnly => {
                (lozenge(Tone::Neutral, "Display-only"))
                p.cell-note { "Manual links; nothing syncs." }
            }
            LatestSync::Waiting => {
                (lozenge(Tone::Info, "Waiting"))
                p.cell-note { "No run yet." }
            }
            LatestSync::Ok { finished_at, counts } => {
                (lozenge(Tone::Success, "OK"))
                p.cell-note { (counts_text(counts)) }
                p.cell-note { (when(*finished_at)) }
            }
            LatestSync::Paused { reason, finished_at } => {
                (lozenge(Tone::Warning, "Paused"))
                p.cell-note { (reason) }
                p.cell-note { (when(*finished_at)) }
            }
            LatestSync::Attention { reasons, finished_at } => {
                (lozenge(Tone::Danger, "Attention required"))
                ul.cell-list { @for reason in reasons { li { (reason.trim()) } } }
                @if let Some(at) = finished_at { p.cell-note { (when(*at)) } }
            }
        }
    }
}

fn indicator(label: &str, on: bool, detail: Option<&str>) -> Markup {
    html! {
        li class=(if on { "indicator on" } else { "indicator off" }) {
            span aria-hidden="true" { (if on { "✓" } else { "–" }) }
            " " (label)
            @if let Some(detail) = detail.filter(|_| on) { " (" (detail) ")" }
            (hidden(if on { ": on" } else { ": off" }))
        }
    }
}

fn option_flag(row: &ItemRow, name: &str) -> bool {
    row.options
        .get(name)
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

fn items_table(rows: &[ItemRow]) -> Markup {
    if rows.is_empty() {
        return html! {
            p.empty {
                "No Smart Connected Items yet. "
                a href="/admin/items/new" { "Create the first one" }
                " to show or sync Salesforce records in Jira issues."
            }
        };
    }
    html! {
        div.table-wrap {
            table.items.stack {
                caption.visually-hidden { "Smart Connected Items" }
                thead {
                    tr {
                        th scope="col" { "Name" }
                        th scope="col" { "Sync Mode" }
                        th scope="col" { "Jira Scope" }
                        th scope="col" { "Issue Type" }
                        th scope="col" { "Salesforce Source" }
                        th scope="col" { "Fields / Mappings" }
                        th scope="col" { "Auto Create / Comments / Attachments / Status" }
                        th scope="col" { "Latest Sync" }
                        th scope="col" { "Actions" }
                    }
                }
                tbody {
                    @for row in rows { (item_row(row)) }
                }
            }
        }
    }
}

fn item_row(row: &ItemRow) -> Markup {
    let source = &row.salesforce_source;
    let text = |key: &str| {
        source
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let status_field = row.options.get("status_sync").and_then(|v| v.as_str());
    html! {
        tr data-item-id=(row.id) data-item-name=(row.name) {
            th scope="row" data-label="Name" {
                a href=(format!("/admin/items/{}", row.id)) { (row.name) }
                @for warning in &row.warnings {
                    p.cell-warning { span aria-hidden="true" { "⚠ " } (warning) }
                }
            }
            td data-label="Sync Mode" { (row.mode_label) }
            td data-label="Jira Scope" { (row.jira_scope.join(", ")) }
            td data-label="Issue Type" {
                @match row.issue_type.as_ref().and_then(|t| t.get("name")).and_then(|n| n.as_str()) {
                    Some(name) => { (name) },
                    None => { span.muted { "Manual link only" } },
                }
            }
            td data-label="Salesforce Source" {
                (text("module"))
                br;
                strong { (text("object_label")) } " " span.muted { "(" (text("object")) ")" }
            }
            td data-label="Fields / Mappings" { (row.fields_summary) }
            td data-label="Auto Create / Comments / Attachments / Status" {
                ul.indicators {
                    (indicator("Auto create", option_flag(row, "auto_create"), None))
                    (indicator("Comments", option_flag(row, "comments_sync"), None))
                    (indicator("Attachments", option_flag(row, "attachments_sync"), None))
                    (indicator("Status", status_field.is_some(), status_field))
                }
            }
            td data-label="Latest Sync" { (latest_sync(&row.latest_sync)) }
            td data-label="Actions" {
                div.row-actions {
                    a.button.small href=(format!("/admin/items/{}/edit", row.id)) {
                        "Edit" (hidden(&format!(" {}", row.name)))
                    }
                    @if row.mode.synchronises() {
                        button.button.small type="button" data-action="sync" {
                            "Sync now" (hidden(&format!(" {}", row.name)))
                        }
                    }
                    button.button.small.danger type="button" data-action="delete" {
                        "Delete" (hidden(&format!(" {}", row.name)))
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
    fn large_numbers_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(100_000), "100,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn counts_leave_zeros_out() {
        let counts = RunCounts {
            records_seen: 3,
            issues_created: 1,
            fields_pushed: 2,
            ..RunCounts::default()
        };
        assert_eq!(
            counts_text(&counts),
            "3 records seen, 1 issue created, 2 fields pushed"
        );
        assert_eq!(counts_text(&RunCounts::default()), "nothing changed");
    }
}
