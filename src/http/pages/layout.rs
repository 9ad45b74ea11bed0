//! The frame every page shares (head, top bar, skip link, the live region and the confirmation
//! dialog) and the small pieces pages are built from: times, lozenges, embedded JSON.
//!
//! Keeping them in one place keeps the pages consistent for people using a keyboard or a
//! screen reader: the same landmarks, the same announcement region, the same dialog.

use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Serialize;

use super::assets;
use super::Viewer;

/// Which top-bar entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// The admin page and the pages under it.
    Admin,
    /// The issue panel.
    Panel,
    /// Nothing (sign-in, errors).
    None,
}

/// A full page: `title`, the viewer (for the sign-out form), page scripts and the body.
pub fn page(title: &str, viewer: &Viewer, nav: Nav, scripts: &[&str], body: Markup) -> Markup {
    frame(title, Some(viewer), nav, scripts, body)
}

/// A page for someone not signed in.
pub fn public_page(title: &str, body: Markup) -> Markup {
    frame(title, None, Nav::None, &[], body)
}

fn frame(title: &str, viewer: Option<&Viewer>, nav: Nav, scripts: &[&str], body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · sfjira" }
                link rel="icon" href=(assets::url("favicon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(assets::url("app.css"));
                @if viewer.is_some() {
                    script src=(assets::url("app.js")) defer {}
                    @for script in scripts {
                        script src=(assets::url(script)) defer {}
                    }
                }
            }
            body {
                a.skip-link href="#main" { "Skip to content" }
                header.topbar {
                    a.brand href="/admin" {
                        span.logo aria-hidden="true" { "⇄" }
                        " sfjira"
                    }
                    @if let Some(viewer) = viewer {
                        nav.topnav aria-label="Main" {
                            a href="/admin" aria-current=[(nav == Nav::Admin).then_some("page")] {
                                "Admin"
                            }
                            @if nav == Nav::Panel {
                                span aria-current="page" { "Issue panel" }
                            }
                        }
                        @if let Some(csrf) = &viewer.csrf {
                            form.signout method="post" action="/admin/logout" {
                                input type="hidden" name="csrf" value=(csrf);
                                button.button.subtle type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
                div #announcer .visually-hidden role="status" aria-live="polite" {}
                @if viewer.is_some() { (confirm_dialog()) }
            }
        }
    }
}

/// The one confirmation dialog page scripts open (`sfj.confirm`).
fn confirm_dialog() -> Markup {
    html! {
        dialog #confirm-dialog .dialog aria-labelledby="confirm-title"
            aria-describedby="confirm-message" {
            h2 #confirm-title { "Are you sure?" }
            p #confirm-message {}
            div.dialog-actions {
                button.button type="button" data-confirm="cancel" { "Cancel" }
                button.button.danger type="button" data-confirm="ok" { "Confirm" }
            }
        }
    }
}

/// A page for a refusal or failure.
pub fn error_page(title: &str, message: &str) -> Markup {
    public_page(
        title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p { (message) }
                p { a href="/admin" { "Back to the admin page" } }
            }
        },
    )
}

/// A time as people read it, with the exact instant for machines.
pub fn when(at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) {
            (at.format("%Y-%m-%d %H:%M:%S UTC"))
        }
    }
}

/// The colour family of a lozenge.
#[derive(Debug, Clone, Copy)]
pub enum Tone {
    /// Grey.
    Neutral,
    /// Green.
    Success,
    /// Blue.
    Info,
    /// Amber.
    Warning,
    /// Red.
    Danger,
}

/// A small status label.
pub fn lozenge(tone: Tone, text: &str) -> Markup {
    let class = match tone {
        Tone::Neutral => "lozenge",
        Tone::Success => "lozenge success",
        Tone::Info => "lozenge info",
        Tone::Warning => "lozenge warning",
        Tone::Danger => "lozenge danger",
    };
    html! { span class=(class) { (text) } }
}

/// A value for a `<script type="application/json">` block: `<`, `>` and `&` are escaped so no
/// string inside can end the element.
pub fn json_block(id: &str, value: &impl Serialize) -> Markup {
    let text = serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    html! { script type="application/json" id=(id) { (PreEscaped(text)) } }
}

/// A Salesforce value as shown in a preview table.
pub fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) if s.is_empty() => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "Yes".into(),
        serde_json::Value::Bool(false) => "No".into(),
        other => other.to_string(),
    }
}

/// Text only screen readers read (e.g. which row a button acts on).
pub fn hidden(text: &str) -> Markup {
    html! { span.visually-hidden { (text) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_its_script_element() {
        let block = json_block("x", &serde_json::json!({"name": "</script><b>&"})).into_string();
        assert!(!block.contains("</script><b>"), "{block}");
        assert!(block.contains("\\u003c/script\\u003e"), "{block}");
    }

    #[test]
    fn values_read_as_people_expect() {
        assert_eq!(value_text(&serde_json::Value::Null), "—");
        assert_eq!(value_text(&serde_json::json!(true)), "Yes");
        assert_eq!(value_text(&serde_json::json!("New")), "New");
        assert_eq!(value_text(&serde_json::json!(3.5)), "3.5");
    }
}
