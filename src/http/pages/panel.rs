//! `/panel/{issueKey}`: what a Jira user sees in the issue panel.
//!
//! One card per Smart Connected Item that applies to the issue's project, painted from the
//! panel projection (the same `Panel` the JSON API returns): the linked record and its preview,
//! Open in Salesforce, Refresh, Unlink for manual links (an auto-managed link says why not),
//! failures, and a way into the link's history. Linking happens in the "Link a Salesforce
//! record" dialog, driven by `panel.js` through the search and link API; after any change the
//! script fetches the card again from `/panel/{key}/cards/{item}`, rendered here.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::history::{item_id, operation_label};
use super::layout::{self, hidden, lozenge, value_text, when, Nav, Tone};
use super::{PageError, Viewer};
use crate::domain::ids::JiraIssueKey;
use crate::domain::item::SyncMode;
use crate::domain::link::events::LinkOrigin;
use crate::engine::panel::{self, LinkedRecord, PanelCard};
use crate::http::AppState;

fn issue_key(raw: &str) -> Result<JiraIssueKey, PageError> {
    JiraIssueKey::parse(raw)
        .map_err(|_| PageError::NotFound(format!("{raw:?} is not a Jira issue key.")))
}

/// `GET /panel/{key}`.
pub async fn page(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let key = issue_key(&path)?;
    let panel = panel::panel(&state.engine, &key).await?;
    let body = html! {
        div.page-header {
            h1 { "Salesforce" span.muted { " · " (key) } }
        }
        p.lead {
            "Salesforce records linked to " strong { (key) } " through the Smart Connected "
            "Items of project " (key.project().to_string()) "."
        }
        @if panel.cards.is_empty() {
            div.card.empty {
                p {
                    "No Smart Connected Item applies to project " (key.project().to_string()) ". "
                    "An admin can add one on the " a href="/admin" { "admin page" } "."
                }
            }
        }
        div.cards data-issue-key=(key) {
            @for card in &panel.cards { (card_markup(&key, card)) }
        }
        (link_dialog())
    };
    Ok(super::html(layout::page(
        &format!("{key} · Salesforce"),
        &viewer,
        Nav::Panel,
        &["panel.js"],
        body,
    )))
}

/// `GET /panel/{key}/cards/{item}`: one card, after a link, refresh or unlink.
pub async fn card_fragment(
    _viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (raw_key, raw_item) = path.into_inner();
    let key = issue_key(&raw_key)?;
    let item = item_id(&raw_item)?;
    let panel = panel::panel(&state.engine, &key).await?;
    let card = panel
        .cards
        .iter()
        .find(|c| c.item_id == item)
        .ok_or_else(|| PageError::NotFound(format!("No card of item {item} on {key}.")))?;
    Ok(super::html(card_markup(&key, card)))
}

fn mode_lozenge(mode: SyncMode) -> Markup {
    match mode {
        SyncMode::DisplayOnly => lozenge(Tone::Neutral, "Display-only"),
        SyncMode::OneWay => lozenge(Tone::Info, "One-way sync"),
        SyncMode::TwoWay => lozenge(Tone::Info, "Two-way sync"),
    }
}

fn card_markup(key: &JiraIssueKey, card: &PanelCard) -> Markup {
    let id = format!("card-{}", card.item_id);
    let title_id = format!("{id}-title");
    html! {
        article.card.panel-card id=(id) aria-labelledby=(title_id)
            data-item-id=(card.item_id) data-item-name=(card.item_name)
            data-object-label=(card.object_label) data-issue-key=(key) {
            div.card-header {
                div {
                    h2 id=(title_id) tabindex="-1" { (card.item_name) }
                    p.meta { (card.module) " · " (card.object_label) }
                }
                (mode_lozenge(card.mode))
            }
            @if let Some(field) = &card.status_sync {
                @if card.link.is_none() {
                    p.status-context { "Status sync on " code { (field) } "." }
                }
            }
            @match &card.link {
                Some(link) => { (linked(card, link)) }
                None => {
                    p.empty { "No Salesforce record is linked to this issue." }
                    div.card-actions {
                        button.button.primary type="button" data-action="link" {
                            "Link a Salesforce record"
                            (hidden(&format!(" ({})", card.item_name)))
                        }
                    }
                }
            }
            div.card-status role="status" aria-live="polite" {}
        }
    }
}

/// A card's linked record: facts, status, preview, mirror counts, failures and actions.
fn linked(card: &PanelCard, link: &LinkedRecord) -> Markup {
    html! {
        (link_facts(card, link))
        @if let Some(reason) = &link.status.not_written {
            p.banner.warning { "Status not written: " (reason) }
        }
        (preview_table(link))
        (sync_summary(card, link))
        @if !link.failures.is_empty() {
            (failures_banner(card, link))
        }
        (link_actions(card, link))
        @if !link.unlink.allowed {
            p.note.unlink-note {
                strong { "Unlink is not available. " }
                (sentence(link.unlink.reason.as_deref().unwrap_or("this link is managed by the scheduler")))
            }
        }
    }
}

/// The record, how and when it was linked, and where status sync stands.
fn link_facts(card: &PanelCard, link: &LinkedRecord) -> Markup {
    let status = &link.status;
    html! {
        dl.facts.compact {
            dt { "Linked record" }
            dd.record {
                code.record-id { (link.record_id) }
                " " span.record-label { (link.record_label) }
            }
            dt { "Link" }
            dd {
                @match link.origin {
                    LinkOrigin::Manual => { "Manual link" },
                    LinkOrigin::Auto => { "Auto-managed by the scheduler" },
                }
                ", " (when(link.linked_at))
            }
            @if let Some(field) = &card.status_sync {
                dt { "Status sync" }
                dd.status-context {
                    code { (field) } ": Salesforce "
                    strong { (status.salesforce_value.as_deref().unwrap_or("—")) }
                    ", Jira " strong { (status.jira_value.as_deref().unwrap_or("—")) }
                    @if let Some(side) = status.last_winner {
                        " — " (side.name()) " won"
                        @if let Some(at) = status.decided_at { " at " (when(at)) }
                    }
                }
            }
        }
    }
}

/// The record's preview fields and values.
fn preview_table(link: &LinkedRecord) -> Markup {
    html! {
        table.preview {
            caption { "Preview" }
            tbody {
                @for row in &link.preview {
                    tr { th scope="row" { (row.label) } td { (value_text(&row.value)) } }
                }
            }
        }
    }
}

/// When the values were read and, for synchronised items, what was mirrored.
fn sync_summary(card: &PanelCard, link: &LinkedRecord) -> Markup {
    html! {
        p.muted.small {
            @if let Some(at) = link.refreshed_at { "Values read " (when(at)) ". " }
            @if card.mode.synchronises() {
                (link.comments_paired) " comments and " (link.attachments_paired) " files mirrored"
                @if link.attachments_skipped > 0 { ", " (link.attachments_skipped) " skipped (too large)" }
                "."
            }
        }
    }
}

/// The link's failures, and the way to the item's dead-letter list.
fn failures_banner(card: &PanelCard, link: &LinkedRecord) -> Markup {
    html! {
        div.banner.error.failures {
            p { strong { "Failures" } }
            ul {
                @for f in &link.failures {
                    li {
                        strong { (operation_label(&f.operation)) } ": " (f.error)
                        " (" (when(f.at)) ") — "
                        @if f.will_retry { "will retry" } @else { "needs attention" }
                    }
                }
            }
            p {
                a href=(format!("/admin/items/{}#dead-letters", card.item_id)) {
                    "Retry or dismiss on the item's dead-letter list"
                    (hidden(&format!(" ({})", card.item_name)))
                }
            }
        }
    }
}

/// Open in Salesforce, Refresh, Unlink when allowed, and the link's history.
fn link_actions(card: &PanelCard, link: &LinkedRecord) -> Markup {
    html! {
        div.card-actions {
            @if let Some(url) = &link.open_url {
                a.button href=(url) target="_blank" rel="noopener noreferrer" {
                    "Open in Salesforce" (hidden(" (opens a new tab)"))
                }
            }
            button.button type="button" data-action="refresh" {
                "Refresh" (hidden(&format!(" {}", card.item_name)))
            }
            @if link.unlink.allowed {
                button.button.danger type="button" data-action="unlink" {
                    "Unlink" (hidden(&format!(" {}", link.record_label)))
                }
            }
            a.button.subtle href=(format!("/admin/links/{}", link.link_id)) { "Link history" }
        }
    }
}

/// `created by the scheduler: …` → `Created by the scheduler: ….`
fn sentence(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut chars = text.trim().chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.extend(chars);
    }
    if !out.is_empty() && !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn link_dialog() -> Markup {
    html! {
        dialog #link-dialog .dialog.wide aria-labelledby="link-dialog-title"
            aria-describedby="link-dialog-desc" {
            h2 #link-dialog-title { "Link a Salesforce record" }
            p #link-dialog-desc {}
            div.field {
                label for="link-query" { "Search or paste a record id" }
                input #link-query type="search" autocomplete="off" spellcheck="false"
                    aria-describedby="link-state" aria-controls="link-results";
            }
            div #link-state .state role="status" aria-live="polite" {}
            ul #link-results .results aria-label="Matching records" {}
            div #link-paste hidden {
                button #link-paste-button .button type="button" { "Link this record id" }
            }
            div.dialog-actions {
                button.button type="button" data-close { "Cancel" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            sentence("created by the scheduler"),
            "Created by the scheduler."
        );
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence(""), "");
    }
}
