//! `/admin/items/new` and `/admin/items/{id}/edit`: the Smart Connected Item editor.
//!
//! The form paints at once with what the admin projection already knows (name, mode, the
//! current project, issue type, object and options); the live pickers (Jira projects and issue
//! types, Salesforce modules, objects and fields) need Salesforce and Jira, so `editor.js` loads
//! them after the page is up and never holds the first paint. "Check" asks
//! `POST /api/admin/items/validate` for field-level problems and required-field warnings before
//! anything is saved; saving an edit sends the version it started from as `If-Match`.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde_json::json;

use super::history::item_id;
use super::layout::{self, json_block, Nav};
use super::{PageError, Viewer};
use crate::domain::item::{ItemDefinition, ItemOptions, SyncMode};
use crate::engine::items::{self, ItemRow};
use crate::http::AppState;

/// `GET /admin/items/new`.
pub async fn new_item(viewer: Viewer) -> Result<HttpResponse, PageError> {
    let definition = ItemDefinition {
        name: String::new(),
        mode: SyncMode::DisplayOnly,
        jira_projects: Vec::new(),
        issue_type_id: None,
        object: String::new(),
        preview_fields: Vec::new(),
        mappings: Vec::new(),
        options: ItemOptions::default(),
    };
    Ok(render(&viewer, None, &definition))
}

/// `GET /admin/items/{id}/edit`.
pub async fn edit_item(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = item_id(&path)?;
    let detail = items::get(&state.engine, id).await?;
    let definition = detail.row.definition.clone();
    Ok(render(&viewer, Some(&detail.row), &definition))
}

fn render(viewer: &Viewer, row: Option<&ItemRow>, d: &ItemDefinition) -> HttpResponse {
    let title = match row {
        Some(row) => format!("Edit {}", row.name),
        None => "New Smart Connected Item".to_string(),
    };
    let state = json!({
        "item_id": row.map(|r| r.id),
        "version": row.map(|r| r.version),
        "definition": d,
        "issue_type_name": row
            .and_then(|r| r.issue_type.as_ref())
            .and_then(|t| t.get("name").cloned()),
        "object_label": row.and_then(|r| r.salesforce_source.get("object_label").cloned()),
        "module": row.and_then(|r| r.salesforce_source.get("module").cloned()),
    });
    let body = html! {
        nav.breadcrumb aria-label="Breadcrumb" {
            a href="/admin" { "Admin" } " / "
            @if let Some(row) = row {
                a href=(format!("/admin/items/{}", row.id)) { (row.name) } " / "
                span aria-current="page" { "Edit" }
            } @else {
                span aria-current="page" { "New item" }
            }
        }
        h1 { (title) }
        (json_block("item-state", &state))
        div #editor-problems .banner.error role="alert" tabindex="-1" hidden {}
        div #editor-warnings .banner.warning role="status" hidden {}
        form #item-form novalidate {
            (basics(d))
            (jira_scope(d, row))
            (salesforce_source(d, row))
            (mappings_section())
            (options_section(d))
            div.form-actions.sticky {
                button #check-item .button type="button" { "Check" }
                button #save-item .button.primary type="submit" {
                    @if row.is_some() { "Save changes" } @else { "Create item" }
                }
                a.button.subtle href="/admin" { "Cancel" }
                span #editor-busy .muted role="status" aria-live="polite" {}
            }
        }
    };
    super::html(layout::page(
        &title,
        viewer,
        Nav::Admin,
        &["editor.js"],
        body,
    ))
}

fn error_slot(key: &str) -> Markup {
    html! { p.field-error data-error-for=(key) hidden {} }
}

fn basics(d: &ItemDefinition) -> Markup {
    let modes = [
        (
            SyncMode::DisplayOnly,
            "display_only",
            "People link records from the issue panel and see the chosen fields. Nothing is written to either side; several Jira projects are allowed.",
        ),
        (
            SyncMode::OneWay,
            "one_way",
            "Salesforce is the source of mapped fields; the scheduler applies its changes to one Jira project and issue type.",
        ),
        (
            SyncMode::TwoWay,
            "two_way",
            "As one-way, and mapped Jira changes go back to Salesforce at once.",
        ),
    ];
    html! {
        section.card aria-labelledby="basics-title" {
            h2 #basics-title { "Basics" }
            div.field {
                label for="f-name" { "Name" }
                input #f-name name="name" type="text" maxlength="80" required value=(d.name)
                    aria-describedby="f-name-hint";
                p #f-name-hint .hint { "Shown to admins and on the issue panel cards." }
                (error_slot("name"))
            }
            fieldset #f-mode .choices {
                legend { "Sync mode" }
                @for (mode, value, hint) in modes {
                    div.choice {
                        input type="radio" name="mode" id=(format!("mode-{value}")) value=(value)
                            checked[d.mode == mode] aria-describedby=(format!("mode-{value}-hint"));
                        label for=(format!("mode-{value}")) { (mode.label()) }
                        p.hint id=(format!("mode-{value}-hint")) { (hint) }
                    }
                }
                (error_slot("mode"))
            }
        }
    }
}

fn jira_scope(d: &ItemDefinition, row: Option<&ItemRow>) -> Markup {
    let type_name = row
        .and_then(|r| r.issue_type.as_ref())
        .and_then(|t| t.get("name"))
        .and_then(|n| n.as_str());
    html! {
        section.card aria-labelledby="jira-title" {
            h2 #jira-title { "Jira scope" }
            fieldset #f-projects .choices {
                legend { "Jira projects" }
                p #projects-hint .hint {}
                div #projects-list .choice-list {
                    @for key in &d.jira_projects {
                        div.choice {
                            input type="checkbox" checked disabled id=(format!("project-{key}"));
                            label for=(format!("project-{key}")) { (key) }
                        }
                    }
                }
                p.loading data-loading="projects" { "Loading Jira projects…" }
                (error_slot("jira_projects"))
            }
            div.field data-sync-only {
                label for="f-issue-type" { "Issue type" }
                select #f-issue-type name="issue_type_id" aria-describedby="f-issue-type-hint" {
                    option value="" { "Choose an issue type" }
                    @if let Some(id) = &d.issue_type_id {
                        option value=(id) selected { (type_name.unwrap_or(id)) }
                    }
                }
                p #f-issue-type-hint .hint { "Auto-created issues get this type; mappings use its create screen." }
                (error_slot("issue_type_id"))
            }
        }
    }
}

fn salesforce_source(d: &ItemDefinition, row: Option<&ItemRow>) -> Markup {
    let source = row.map(|r| &r.salesforce_source);
    let text = |key: &str| {
        source
            .and_then(|s| s.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    html! {
        section.card aria-labelledby="salesforce-title" {
            h2 #salesforce-title { "Salesforce source" }
            div.field-row {
                div.field {
                    label for="f-module" { "Module" }
                    select #f-module name="module" {
                        @if let Some(module) = text("module") { option selected { (module) } }
                        @else { option value="" { "Choose a module" } }
                    }
                }
                div.field {
                    label for="f-object" { "Object" }
                    select #f-object name="object" {
                        @if d.object.is_empty() { option value="" { "Choose an object" } }
                        @else {
                            option value=(d.object) selected {
                                (text("object_label").unwrap_or_else(|| d.object.clone()))
                            }
                        }
                    }
                    (error_slot("object"))
                }
            }
            p.loading data-loading="objects" { "Loading Salesforce objects…" }
            fieldset #f-preview .choices {
                legend { "Preview fields" }
                p.hint { "Shown on the issue panel card once a record is linked. With none chosen, the card shows the mapped fields." }
                div.field.inline {
                    label for="preview-filter" { "Filter fields" }
                    input #preview-filter type="search" autocomplete="off";
                }
                div #preview-list .choice-list.scroll {
                    @for field in &d.preview_fields {
                        div.choice {
                            input type="checkbox" checked disabled id=(format!("preview-{field}"));
                            label for=(format!("preview-{field}")) { (field) }
                        }
                    }
                }
                (error_slot("preview_fields"))
            }
        }
    }
}

fn mappings_section() -> Markup {
    html! {
        section.card data-sync-only aria-labelledby="mappings-title" {
            h2 #mappings-title { "Field mappings" }
            p #mappings-hint .hint {
                "Each row pairs a Salesforce field with a field of the issue type's create screen."
            }
            div #mappings-list {}
            (error_slot("mappings"))
            button #add-mapping .button type="button" { "Add mapping" }
        }
    }
}

fn options_section(d: &ItemDefinition) -> Markup {
    let o = &d.options;
    let status_field = o.status_sync.as_ref().map(|s| s.salesforce_field.as_str());
    html! {
        section.card data-sync-only aria-labelledby="options-title" {
            h2 #options-title { "Options" }
            div.choice {
                input #o-auto-create type="checkbox" checked[o.auto_create]
                    aria-describedby="o-auto-create-hint";
                label for="o-auto-create" { "Auto-create Jira issues" }
                p #o-auto-create-hint .hint {
                    "New Salesforce records become Jira issues, linked as auto-managed."
                }
            }
            div.choice {
                input #o-status type="checkbox" checked[status_field.is_some()]
                    aria-describedby="o-status-hint";
                label for="o-status" { "Status sync" }
                p #o-status-hint .hint {
                    "Jira status and a Salesforce status-like field follow whichever side changed last."
                }
                div.field.nested {
                    label for="o-status-field" { "Salesforce status field" }
                    select #o-status-field {
                        @if let Some(field) = status_field { option value=(field) selected { (field) } }
                        @else { option value="" { "Choose a status field" } }
                    }
                    (error_slot("options.status_sync"))
                }
            }
            div.choice {
                input #o-comments type="checkbox" checked[o.comments_sync];
                label for="o-comments" { "Comments sync" }
                (error_slot("options.comments_sync"))
            }
            div.choice {
                input #o-attachments type="checkbox" checked[o.attachments_sync];
                label for="o-attachments" { "Attachments sync" }
            }
            (error_slot("options"))
        }
    }
}
