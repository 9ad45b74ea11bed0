//! `/admin/links/{id}`: one link's history as a timeline a person can read.
//!
//! When someone asks "why does Jira say this?", the answer is in the link's stream: what
//! happened, on which side, why, and which remote write it made. The page replays the stream
//! from the log itself (never a projection), exactly as `GET /api/audit/links/{id}` and
//! `sfjira audit replay` do, and tells each event with the same sentences.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::layout::{self, when, Nav};
use super::{PageError, Viewer};
use crate::audit::replay::{replay, ReplayLine, Subject, Until};
use crate::domain::ids::LinkId;
use crate::domain::side::Side;
use crate::http::ApiError;
use crate::http::AppState;

/// `GET /admin/links/{id}`.
pub async fn page(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let link_id = LinkId::parse(&path)
        .map_err(|_| PageError::NotFound(format!("There is no link {:?}.", path.as_str())))?;
    let result = replay(&state.store, &Subject::Link(link_id), Until::End)
        .await
        .map_err(ApiError::internal)?;
    if result.lines.is_empty() {
        return Err(PageError::NotFound(format!(
            "The log has no link {link_id}."
        )));
    }
    let current = result.states.get(&link_id).and_then(|s| s.link.as_ref());
    let first_linked = result
        .lines
        .iter()
        .find(|l| l.event_type == "link.linked")
        .map(|l| &l.payload);
    let from_payload = |key: &str| {
        first_linked
            .and_then(|p| p.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let issue_key = current
        .map(|l| l.issue_key.to_string())
        .or_else(|| from_payload("issue_key"));
    let record_id = current
        .map(|l| l.record_id.to_string())
        .or_else(|| from_payload("record_id"));
    let body = html! {
        nav.breadcrumb aria-label="Breadcrumb" {
            a href="/admin" { "Admin" } " / "
            @if let Some(key) = &issue_key {
                a href=(format!("/panel/{key}")) { "Issue panel of " (key) } " / "
            }
            span aria-current="page" { "Link history" }
        }
        h1 { "Link history" }
        dl.facts {
            dt { "Jira issue" } dd { (issue_key.as_deref().unwrap_or("—")) }
            dt { "Salesforce record" } dd { code { (record_id.as_deref().unwrap_or("—")) } }
            dt { "State" } dd {
                @if current.is_some() { "Linked" } @else { "Not linked any more" }
            }
            dt { "Link id" } dd { code { (link_id) } }
        }
        section aria-labelledby="timeline-title" {
            h2 #timeline-title { "What happened (" (result.lines.len()) " events, oldest first)" }
            ol.timeline {
                @for line in &result.lines { (entry(line)) }
            }
        }
    };
    Ok(super::html(layout::page(
        "Link history",
        &viewer,
        Nav::Admin,
        &[],
        body,
    )))
}

/// `link.field_pulled` → "Field pulled".
fn event_name(event_type: &str) -> String {
    let short = event_type
        .split_once('.')
        .map_or(event_type, |(_, rest)| rest);
    let mut text = short.replace('_', " ");
    if let Some(first) = text.get(0..1) {
        let upper = first.to_uppercase();
        text.replace_range(0..1, &upper);
    }
    text
}

fn side_badge(side: Option<Side>) -> Markup {
    match side {
        Some(Side::Salesforce) => html! { span.side.salesforce { "Salesforce" } },
        Some(Side::Jira) => html! { span.side.jira { "Jira" } },
        None => html! { span.side.none { "sfjira" } },
    }
}

fn entry(line: &ReplayLine) -> Markup {
    let technical = line.event_type.starts_with("link.remote_write");
    html! {
        li class=(if technical { "event technical" } else { "event" }) {
            div.event-head {
                (side_badge(line.description.side))
                strong.event-name { (event_name(&line.event_type)) }
                span.muted { (when(line.at)) }
            }
            p.event-summary { (line.description.summary) }
            @if let Some(why) = &line.description.why {
                p.event-why { span.label { "Why: " } (why) }
            }
            details {
                summary { "Recorded facts" span.visually-hidden { " of event " (line.seq) } }
                p.muted {
                    code { (line.event_type) } " · log position " (line.seq)
                    " · stream version " (line.version)
                }
                pre { (serde_json::to_string_pretty(&line.payload).unwrap_or_default()) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::event_name;

    #[test]
    fn event_types_read_as_words() {
        assert_eq!(event_name("link.field_pulled"), "Field pulled");
        assert_eq!(
            event_name("link.remote_write_intended"),
            "Remote write intended"
        );
        assert_eq!(event_name("weird"), "Weird");
    }
}
