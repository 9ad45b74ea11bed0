//! Issues: create (201 `{id,key,self}`, or 400 with Jira's per-field errors), get (with
//! `fields`, `expand` and `properties`), edit (204, or 200 with `returnIssue`; `fields` and
//! `update` verbs; status changes ignored), delete, and the paged change history.
//!
//! Every successful change records history where Jira does and raises the webhook events a
//! connector depends on.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::auth::Ctx;
use super::bean::{issue_bean, split_list, BeanOptions, FieldSelection};
use super::comments;
use super::error::{JiraError, JiraResult};
use super::fields::{self, not_on_screen, FieldValue, Screen};
use super::model::{Issue, State};
use super::params::Params;
use super::properties::check_property;
use super::render::Version;
use super::webhooks::{self, Event};

/// Registers the routes (inside a `/rest/api/{2,3}` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/issue", web::post().to(create))
        .route("/issue/{key}/changelog", web::get().to(changelog))
        .service(
            web::resource("/issue/{key}")
                .route(web::get().to(get))
                .route(web::put().to(edit))
                .route(web::delete().to(delete)),
        );
}

/// The issue options of a get or search request.
pub fn bean_options(params: &Params, default_fields: &str) -> BeanOptions {
    BeanOptions {
        fields: FieldSelection::parse(&params.all("fields"), default_fields),
        expand: split_list(&params.all("expand")),
        properties: params
            .has("properties")
            .then(|| split_list(&params.all("properties"))),
    }
}

fn object<'a>(body: &'a Value, key: &str) -> JiraResult<Option<&'a Map<String, Value>>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(JiraError::bad_request(format!(
            "Can not deserialize instance of {key} out of a non-object token"
        ))),
    }
}

/// Reads `properties: [{key, value}]` of a create or edit body.
pub fn read_properties(body: &Value) -> JiraResult<Vec<(String, Value)>> {
    let Some(list) = body.get("properties") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err(JiraError::bad_request(
            "The properties must be a list of {key, value} objects.",
        ));
    };
    list.iter()
        .map(|p| {
            let key = p.get("key").and_then(Value::as_str).unwrap_or_default();
            let value = p.get("value").cloned().unwrap_or(Value::Null);
            check_property(key, &value)?;
            Ok((key.to_string(), value))
        })
        .collect()
}

fn resolve_project_and_type(
    state: &State,
    fields: &Map<String, Value>,
    errors: &mut BTreeMap<String, String>,
) -> Option<(String, String)> {
    let project = fields.get("project").and_then(|p| {
        let by_id = p.get("id").map(fields::scalar_text);
        let by_key = p.get("key").and_then(Value::as_str).map(String::from);
        let plain = p.as_str().map(String::from);
        by_id.or(by_key).or(plain).and_then(|k| state.project(&k))
    });
    let Some(project) = project else {
        errors.insert("project".into(), "Specify a valid project ID or key".into());
        return None;
    };
    let Some(wanted) = fields.get("issuetype").filter(|v| !v.is_null()) else {
        errors.insert("issuetype".into(), "Specify an issue type".into());
        return None;
    };
    let id = wanted.get("id").map(fields::scalar_text);
    let name = wanted.get("name").and_then(Value::as_str);
    let found = project
        .issue_types
        .iter()
        .filter_map(|t| state.issue_type(t))
        .find(|t| {
            id.as_deref() == Some(t.id.as_str())
                || name.is_some_and(|n| n.eq_ignore_ascii_case(&t.name))
        });
    match found {
        Some(t) => Some((project.id.clone(), t.id.clone())),
        None => {
            errors.insert(
                "issuetype".into(),
                "The issue type selected is invalid.".into(),
            );
            None
        }
    }
}

async fn create(ctx: Ctx, body: web::Json<Value>) -> JiraResult<HttpResponse> {
    let body = body.into_inner();
    let empty = Map::new();
    let input = object(&body, "fields")?.unwrap_or(&empty);
    let properties = read_properties(&body)?;
    let now = ctx.now();
    let mut state = ctx.site.state.write();
    let mut errors = BTreeMap::new();
    let Some((project_id, type_id)) = resolve_project_and_type(&state, input, &mut errors) else {
        if !input.contains_key("summary") {
            errors.insert(
                "summary".into(),
                "You must specify a summary of the issue.".into(),
            );
        }
        return Err(JiraError::fields(errors));
    };
    let project = state
        .projects
        .iter()
        .find(|p| p.id == project_id)
        .cloned()
        .ok_or_else(|| JiraError::field("project", "Specify a valid project ID or key"))?;
    let (values, field_errors) = fields::parse_fields(
        &state,
        &project,
        &type_id,
        input,
        ctx.version,
        Screen::Create,
    );
    errors.extend(field_errors);
    if !input.contains_key("summary") {
        errors.insert(
            "summary".into(),
            "You must specify a summary of the issue.".into(),
        );
    }
    let mut issue = Issue {
        id: 0,
        key: String::new(),
        project_id: project.id.clone(),
        issue_type_id: type_id.clone(),
        summary: String::new(),
        description: None,
        environment: None,
        status_id: project.workflow.initial.clone(),
        resolution_id: None,
        resolution_date: None,
        status_category_changed: now,
        priority_id: Some(super::store::DEFAULT_PRIORITY.into()),
        labels: Vec::new(),
        reporter: Some(ctx.caller.clone()),
        assignee: None,
        creator: ctx.caller.clone(),
        duedate: None,
        created: now,
        updated: now,
        custom: BTreeMap::new(),
        properties: properties.into_iter().collect(),
        comments: Vec::new(),
        changelog: Vec::new(),
    };
    for value in values {
        fields::apply(&state, &mut issue, value);
    }
    if let Some(update) = object(&body, "update")? {
        let mut comments_to_add = Vec::new();
        apply_update(
            &state,
            &project,
            &mut issue,
            update,
            ctx.version,
            Screen::Create,
            &mut errors,
            &mut comments_to_add,
        );
    }
    for (field, message) in fields::missing_required(&state, &project, &issue) {
        errors.entry(field).or_insert(message);
    }
    if !errors.is_empty() {
        return Err(JiraError::fields(errors));
    }
    issue.id = state.ids.next("issue");
    let number = {
        let p = state
            .project_mut(&project.id)
            .ok_or_else(|| JiraError::field("project", "Specify a valid project ID or key"))?;
        p.last_issue_number += 1;
        p.last_issue_number
    };
    issue.key = format!("{}-{number}", project.key);
    let (id, key) = (issue.id, issue.key.clone());
    state.issues.insert(id, issue);
    drop(state);
    ctx.site.search_index.created(id);
    tracing::info!(%key, "issue created");
    webhooks::emit(&ctx.site, &ctx.caller, vec![Event::IssueCreated(id)]);
    let link = format!(
        "{}/rest/api/{}/issue/{id}",
        ctx.site.base_url,
        ctx.version.number()
    );
    Ok(HttpResponse::Created().json(json!({"id": id.to_string(), "key": key, "self": link})))
}

/// Applies `update` verbs (`set`, `add`, `remove`) to a working copy of an issue; comments to
/// add are collected as ADF bodies.
#[allow(clippy::too_many_arguments)]
pub fn apply_update(
    state: &State,
    project: &super::model::Project,
    issue: &mut Issue,
    update: &Map<String, Value>,
    version: Version,
    screen: Screen,
    errors: &mut BTreeMap<String, String>,
    comments_to_add: &mut Vec<Value>,
) {
    for (field, ops) in update {
        let Some(ops) = ops.as_array() else {
            errors.insert(field.clone(), "data was not an array".into());
            continue;
        };
        if field == "comment" {
            for op in ops {
                match op
                    .pointer("/add/body")
                    .map(|b| comments::parse_body(b, version))
                {
                    Some(Ok(body)) => comments_to_add.push(body),
                    Some(Err(message)) => {
                        errors.insert("comment".into(), message);
                    }
                    None => {
                        errors.insert("comment".into(), "Comment body can not be empty!".into());
                    }
                }
            }
            continue;
        }
        if field == "status" && screen != Screen::Create {
            continue;
        }
        if !fields::on_screen(project, &issue.issue_type_id, field, screen) {
            errors.insert(field.clone(), not_on_screen(field));
            continue;
        }
        for op in ops {
            let Some((verb, value)) = op.as_object().and_then(|o| o.iter().next()) else {
                errors.insert(
                    field.clone(),
                    "Operation must be an object with a single verb".into(),
                );
                continue;
            };
            let result = match (field.as_str(), verb.as_str()) {
                ("labels", "add") => value
                    .as_str()
                    .ok_or_else(|| "data was not a string".to_string())
                    .and_then(|l| fields::check_label(l).map(|_| l.to_string()))
                    .map(|l| {
                        let mut labels = issue.labels.clone();
                        if !labels.contains(&l) {
                            labels.push(l);
                        }
                        FieldValue::Labels(labels)
                    }),
                ("labels", "remove") => value
                    .as_str()
                    .ok_or_else(|| "data was not a string".to_string())
                    .map(|l| {
                        FieldValue::Labels(
                            issue.labels.iter().filter(|x| *x != l).cloned().collect(),
                        )
                    }),
                (_, "set") => fields::parse_value(state, field, value, version),
                (_, other) => Err(format!(
                    "Field '{field}' does not support operation '{other}'"
                )),
            };
            match result {
                Ok(v) => {
                    fields::apply(state, issue, v);
                }
                Err(message) => {
                    errors.insert(field.clone(), message);
                }
            }
        }
    }
}

async fn get(ctx: Ctx, path: web::Path<String>, params: Params) -> JiraResult<HttpResponse> {
    let options = bean_options(&params, "*all");
    let state = ctx.site.state.read();
    let issue = state.issue(&path)?;
    Ok(HttpResponse::Ok().json(issue_bean(&ctx.view(&state), issue, &options)))
}

async fn edit(
    ctx: Ctx,
    path: web::Path<String>,
    params: Params,
    body: web::Json<Value>,
) -> JiraResult<HttpResponse> {
    let body = body.into_inner();
    let properties = read_properties(&body)?;
    let now = ctx.now();
    let mut state = ctx.site.state.write();
    let original = state.issue(&path)?.clone();
    let project = state.project_of(&original)?.clone();
    let mut issue = original.clone();
    let mut errors = BTreeMap::new();
    let mut items = Vec::new();
    if let Some(input) = object(&body, "fields")? {
        let (values, field_errors) = fields::parse_fields(
            &state,
            &project,
            &issue.issue_type_id,
            input,
            ctx.version,
            Screen::Edit,
        );
        errors.extend(field_errors);
        for v in values {
            items.extend(fields::apply(&state, &mut issue, v));
        }
    }
    let mut comments_to_add = Vec::new();
    if let Some(update) = object(&body, "update")? {
        let before = issue.clone();
        apply_update(
            &state,
            &project,
            &mut issue,
            update,
            ctx.version,
            Screen::Edit,
            &mut errors,
            &mut comments_to_add,
        );
        items.extend(diff_items(&state, &before, &issue));
    }
    for (field, message) in fields::missing_required(&state, &project, &issue) {
        if original.custom.contains_key(&field) {
            errors.entry(field).or_insert(message);
        }
    }
    if !errors.is_empty() {
        return Err(JiraError::fields(errors));
    }
    let mut events = Vec::new();
    let id = issue.id;
    for (k, v) in properties {
        issue.properties.insert(k, v);
    }
    state.issues.insert(id, issue);
    if let Some(history) = state.record_history(id, &ctx.caller, now, merge_items(items)) {
        events.push(Event::IssueUpdated {
            issue: id,
            type_name: "issue_updated",
            history: Some(history),
            comment: None,
        });
    }
    for body in comments_to_add {
        if let Some(c) = comments::add(&mut state, id, &ctx.caller, body, None, Vec::new(), now) {
            events.extend(comments::comment_events(id, &c));
        }
    }
    let returned = params.flag("returnIssue", false).then(|| {
        let options = bean_options(&params, "*all");
        state
            .issues
            .get(&id)
            .map(|i| issue_bean(&ctx.view(&state), i, &options))
    });
    drop(state);
    webhooks::emit(&ctx.site, &ctx.caller, events);
    Ok(match returned.flatten() {
        Some(bean) => HttpResponse::Ok().json(bean),
        None => HttpResponse::NoContent().finish(),
    })
}

/// History items between two versions of an issue (used after `update` verbs).
fn diff_items(state: &State, before: &Issue, after: &Issue) -> Vec<super::model::ChangeItem> {
    let mut scratch = before.clone();
    let mut items = Vec::new();
    let changes = [
        (before.labels != after.labels).then(|| FieldValue::Labels(after.labels.clone())),
        (before.summary != after.summary).then(|| FieldValue::Summary(after.summary.clone())),
        (before.description != after.description)
            .then(|| FieldValue::Description(after.description.clone())),
        (before.environment != after.environment)
            .then(|| FieldValue::Environment(after.environment.clone())),
        (before.priority_id != after.priority_id)
            .then(|| FieldValue::Priority(after.priority_id.clone())),
        (before.assignee != after.assignee).then(|| FieldValue::Assignee(after.assignee.clone())),
        (before.reporter != after.reporter).then(|| FieldValue::Reporter(after.reporter.clone())),
        (before.duedate != after.duedate).then(|| FieldValue::DueDate(after.duedate.clone())),
    ];
    for change in changes.into_iter().flatten() {
        items.extend(fields::apply(state, &mut scratch, change));
    }
    let keys: std::collections::BTreeSet<&String> =
        before.custom.keys().chain(after.custom.keys()).collect();
    for key in keys {
        if before.custom.get(key) != after.custom.get(key) {
            items.extend(fields::apply(
                state,
                &mut scratch,
                FieldValue::Custom(key.clone(), after.custom.get(key).cloned()),
            ));
        }
    }
    items
}

/// Keeps one item per field: the first `from` and the last `to`.
fn merge_items(items: Vec<super::model::ChangeItem>) -> Vec<super::model::ChangeItem> {
    let mut merged: Vec<super::model::ChangeItem> = Vec::new();
    for item in items {
        match merged.iter_mut().find(|m| m.field_id == item.field_id) {
            Some(m) => {
                m.to = item.to;
                m.to_string = item.to_string;
            }
            None => merged.push(item),
        }
    }
    merged.retain(|m| m.from != m.to || m.from_string != m.to_string);
    merged
}

async fn delete(ctx: Ctx, path: web::Path<String>) -> JiraResult<HttpResponse> {
    let mut state = ctx.site.state.write();
    let id = state.issue(&path)?.id;
    let Some(issue) = state.issues.remove(&id) else {
        return Err(JiraError::issue_not_found());
    };
    state.attachments.retain(|_, a| a.issue_id != id);
    drop(state);
    tracing::info!(key = %issue.key, "issue deleted");
    webhooks::emit(
        &ctx.site,
        &ctx.caller,
        vec![Event::IssueDeleted(Box::new(issue))],
    );
    Ok(HttpResponse::NoContent().finish())
}

async fn changelog(ctx: Ctx, path: web::Path<String>, params: Params) -> JiraResult<HttpResponse> {
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = params.int("maxResults")?.unwrap_or(100).clamp(0, 100) as usize;
    let state = ctx.site.state.read();
    let issue = state.issue(&path)?;
    let view = ctx.view(&state);
    let total = issue.changelog.len();
    let values: Vec<Value> = issue
        .changelog
        .iter()
        .skip(start)
        .take(max)
        .map(|h| view.history(h))
        .collect();
    let is_last = start + values.len() >= total;
    let link = |s: usize| {
        view.api(&format!(
            "issue/{}/changelog?startAt={s}&maxResults={max}",
            issue.key
        ))
    };
    let mut page = json!({
        "self": link(start),
        "maxResults": max,
        "startAt": start,
        "total": total,
        "isLast": is_last,
        "values": values,
    });
    if !is_last {
        page["nextPage"] = json!(link(start + max));
    }
    Ok(HttpResponse::Ok().json(page))
}
