//! Workflow transitions: GET lists the transitions available from the issue's current status
//! (with their target `StatusDetails`), POST performs one (204), refusing ids that are unknown
//! or not valid from the current status with Jira's 400 messages.
//!
//! Reaching a `done` status sets the resolution (to the one given on the transition screen, or
//! Done); leaving it clears the resolution, as simplified workflows do. Every transition records
//! history and raises `jira:issue_updated` with `issue_event_type_name` `issue_generic`.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::auth::Ctx;
use super::bean::split_list;
use super::comments;
use super::error::{JiraError, JiraResult};
use super::fields::{self, not_on_screen, FieldValue, Screen};
use super::meta;
use super::model::{Category, Project, State, Transition};
use super::params::Params;
use super::render::View;
use super::store::DONE_RESOLUTION;
use super::webhooks::{self, Event};

/// Registers the routes (inside a `/rest/api/{2,3}` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/issue/{key}/transitions")
            .route(web::get().to(list))
            .route(web::post().to(perform)),
    );
}

/// Transitions available from `status_id`: those starting there, and global ones leading
/// elsewhere.
pub fn available<'a>(state: &State, project: &'a Project, status_id: &str) -> Vec<&'a Transition> {
    let _ = state;
    project
        .workflow
        .transitions
        .iter()
        .filter(|t| {
            if t.from.is_empty() {
                t.to != status_id
            } else {
                t.from.iter().any(|f| f == status_id)
            }
        })
        .collect()
}

fn has_screen(state: &State, t: &Transition) -> bool {
    state.category_of(&t.to) == Category::Done
}

/// An `IssueTransition`.
pub fn render(view: &View, project: &Project, t: &Transition) -> Value {
    let _ = project;
    json!({
        "id": t.id,
        "name": t.name,
        "to": view.status_by_id(&t.to),
        "hasScreen": has_screen(view.state, t),
        "isGlobal": t.from.is_empty(),
        "isInitial": false,
        "isAvailable": true,
        "isConditional": false,
        "isLooped": false,
    })
}

async fn list(ctx: Ctx, path: web::Path<String>, params: Params) -> JiraResult<HttpResponse> {
    let expand = split_list(&params.all("expand"));
    let only = params.get("transitionId").map(String::from);
    let state = ctx.site.state.read();
    let issue = state.issue(&path)?;
    let project = state.project_of(issue)?;
    let view = ctx.view(&state);
    let list: Vec<Value> = available(&state, project, &issue.status_id)
        .into_iter()
        .filter(|t| only.as_deref().is_none_or(|id| t.id == id))
        .map(|t| {
            let mut v = render(&view, project, t);
            if expand.iter().any(|e| e == "transitions.fields") {
                let mut fields = Map::new();
                if has_screen(&state, t) {
                    if let Some(m) = meta::field_metadata(
                        &view,
                        project,
                        &issue.issue_type_id,
                        "resolution",
                        false,
                        false,
                    ) {
                        fields.insert("resolution".into(), m);
                    }
                }
                v["fields"] = Value::Object(fields);
            }
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"expand": "transitions", "transitions": list})))
}

async fn perform(
    ctx: Ctx,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> JiraResult<HttpResponse> {
    let body = body.into_inner();
    let wanted = body
        .pointer("/transition/id")
        .map(fields::scalar_text)
        .ok_or_else(|| JiraError::bad_request("Missing 'transition' identifier"))?;
    let now = ctx.now();
    let mut state = ctx.site.state.write();
    let mut issue = state.issue(&path)?.clone();
    let project = state.project_of(&issue)?.clone();
    let transition = project
        .workflow
        .transitions
        .iter()
        .find(|t| t.id == wanted)
        .ok_or_else(|| {
            JiraError::bad_request(format!(
                "Transition id '{wanted}' is not valid for this issue."
            ))
        })?;
    if !available(&state, &project, &issue.status_id)
        .iter()
        .any(|t| t.id == wanted)
    {
        return Err(JiraError::bad_request(format!(
            "It seems that you have tried to perform a workflow operation ({}) that is not valid for the current state of this issue ({}). The likely cause is that somebody has changed the issue recently, please look at the issue history for details.",
            transition.name, issue.key
        )));
    }
    let mut errors = BTreeMap::new();
    let mut items = Vec::new();
    let mut resolution_given = None;
    if let Some(Value::Object(input)) = body.get("fields") {
        for (field, value) in input {
            if field != "resolution" || !has_screen(&state, transition) {
                errors.insert(field.clone(), not_on_screen(field));
                continue;
            }
            match fields::parse_value(&state, field, value, ctx.version) {
                Ok(FieldValue::Resolution(r)) => resolution_given = Some(r),
                Ok(_) => {}
                Err(message) => {
                    errors.insert(field.clone(), message);
                }
            }
        }
    }
    let mut comments_to_add = Vec::new();
    if let Some(Value::Object(update)) = body.get("update") {
        let mut only_comments = Map::new();
        for (field, ops) in update {
            if field == "comment" {
                only_comments.insert(field.clone(), ops.clone());
            } else {
                errors.insert(field.clone(), not_on_screen(field));
            }
        }
        super::issues::apply_update(
            &state,
            &project,
            &mut issue,
            &only_comments,
            ctx.version,
            Screen::Transition,
            &mut errors,
            &mut comments_to_add,
        );
    }
    if !errors.is_empty() {
        return Err(JiraError::fields(errors));
    }
    let from = issue.status_id.clone();
    let to = transition.to.clone();
    let (from_cat, to_cat) = (state.category_of(&from), state.category_of(&to));
    items.push(fields::item(
        "status",
        Some(from.clone()),
        state.status(&from).map(|s| s.name.clone()),
        Some(to.clone()),
        state.status(&to).map(|s| s.name.clone()),
    ));
    issue.status_id = to;
    if from_cat != to_cat {
        issue.status_category_changed = now;
    }
    let resolution = if to_cat == Category::Done {
        Some(
            resolution_given
                .flatten()
                .unwrap_or_else(|| DONE_RESOLUTION.to_string()),
        )
    } else {
        None
    };
    if resolution.is_some() != issue.resolution_id.is_some()
        || (resolution.is_some() && resolution != issue.resolution_id)
    {
        issue.resolution_date = resolution.as_ref().map(|_| now);
        items.extend(fields::apply(
            &state,
            &mut issue,
            FieldValue::Resolution(resolution),
        ));
    }
    let id = issue.id;
    state.issues.insert(id, issue);
    let mut events = Vec::new();
    if let Some(history) = state.record_history(id, &ctx.caller, now, items) {
        events.push(Event::IssueUpdated {
            issue: id,
            type_name: "issue_generic",
            history: Some(history),
            comment: None,
        });
    }
    for body in comments_to_add {
        if let Some(c) = comments::add(&mut state, id, &ctx.caller, body, None, Vec::new(), now) {
            events.extend(comments::comment_events(id, &c));
        }
    }
    drop(state);
    tracing::info!(issue = id, transition = %wanted, "issue transitioned");
    webhooks::emit(&ctx.site, &ctx.caller, events);
    Ok(HttpResponse::NoContent().finish())
}
