//! Site and project metadata: `serverInfo`, `myself`, users, projects, issue types, statuses,
//! the field catalogue and create metadata (the new paged createmeta endpoints and the
//! deprecated `issue/createmeta` the Python client still calls).
//!
//! A connector reads these once at start to learn keys, ids and which fields a create needs;
//! they are derived from the same project configuration create and edit enforce.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::auth::{version_of, Ctx};
use super::error::{JiraError, JiraResult};
use super::fields::SYSTEM_FIELDS;
use super::meta;
use super::model::{Project, State};
use super::params::Params;
use super::render::{timestamp, View};
use super::site::Site;

/// Registers the routes (inside a `/rest/api/{2,3}` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/serverInfo", web::get().to(server_info))
        .route("/myself", web::get().to(myself))
        .route("/user", web::get().to(user))
        .route("/project/search", web::get().to(project_search))
        .route("/project", web::get().to(project_list))
        .route("/project/{key}", web::get().to(project_get))
        .route("/issuetype/project", web::get().to(issue_types_of_project))
        .route("/issuetype", web::get().to(issue_types))
        .route("/status", web::get().to(statuses))
        .route("/field", web::get().to(field_list))
        .route("/issue/createmeta", web::get().to(createmeta_deprecated))
        .route(
            "/issue/createmeta/{project}/issuetypes",
            web::get().to(createmeta_issue_types),
        )
        .route(
            "/issue/createmeta/{project}/issuetypes/{type}",
            web::get().to(createmeta_fields),
        );
}

/// `GET /serverInfo`, answered anonymously as in Jira.
async fn server_info(req: HttpRequest, site: web::Data<Site>) -> HttpResponse {
    let _ = version_of(req.path());
    HttpResponse::Ok().json(json!({
        "baseUrl": site.base_url,
        "displayUrl": site.base_url,
        "displayUrlServicedeskHelpCenter": site.base_url,
        "version": "1001.0.0-SNAPSHOT",
        "versionNumbers": [1001, 0, 0],
        "deploymentType": "Cloud",
        "buildNumber": 100_289,
        "buildDate": "2025-12-01T00:00:00.000+0000",
        "serverTime": timestamp(site.now()),
        "scmInfo": "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71",
        "serverTitle": "Jira",
        "serverTimeZone": "Etc/UTC",
    }))
}

async fn myself(ctx: Ctx) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let user = state
        .user(&ctx.caller)
        .ok_or(JiraError::Unauthenticated { failed: true })?;
    Ok(HttpResponse::Ok().json(ctx.view(&state).user_full(user)))
}

async fn user(ctx: Ctx, params: Params) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let account = params.get("accountId").unwrap_or_default();
    let user = state.user(account).ok_or_else(|| {
        JiraError::not_found(
            "Specified user does not exist or you do not have required permissions",
        )
    })?;
    Ok(HttpResponse::Ok().json(ctx.view(&state).user_full(user)))
}

fn expand_list(params: &Params) -> Vec<String> {
    super::bean::split_list(&params.all("expand"))
}

async fn project_search(ctx: Ctx, params: Params) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let view = ctx.view(&state);
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = params.int("maxResults")?.unwrap_or(50).clamp(0, 100) as usize;
    let keys = super::bean::split_list(&params.all("keys"));
    let query = params.get("query").map(str::to_lowercase);
    let expand = expand_list(&params);
    let matching: Vec<&Project> = state
        .projects
        .iter()
        .filter(|p| {
            keys.is_empty()
                || keys
                    .iter()
                    .any(|k| p.key.eq_ignore_ascii_case(k) || &p.id == k)
        })
        .filter(|p| {
            query.as_deref().is_none_or(|q| {
                p.key.to_lowercase().contains(q) || p.name.to_lowercase().contains(q)
            })
        })
        .collect();
    let total = matching.len();
    let values: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(max)
        .map(|p| {
            view.project(
                p,
                expand.iter().any(|e| e == "issueTypes"),
                expand.iter().any(|e| e == "lead" || e == "description"),
            )
        })
        .collect();
    let is_last = start + values.len() >= total;
    let mut page = json!({
        "self": view.api(&format!("project/search?startAt={start}&maxResults={max}")),
        "maxResults": max,
        "startAt": start,
        "total": total,
        "isLast": is_last,
        "values": values,
    });
    if !is_last {
        page["nextPage"] = json!(view.api(&format!(
            "project/search?startAt={}&maxResults={max}",
            start + max
        )));
    }
    Ok(HttpResponse::Ok().json(page))
}

async fn project_list(ctx: Ctx, params: Params) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let view = ctx.view(&state);
    let expand = expand_list(&params);
    let with_types = expand.iter().any(|e| e == "issueTypes");
    let list: Vec<Value> = state
        .projects
        .iter()
        .map(|p| view.project(p, with_types, false))
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// Project by id or key, or Jira's 404.
pub fn find_project<'a>(state: &'a State, id_or_key: &str) -> JiraResult<&'a Project> {
    state.project(id_or_key).ok_or_else(|| {
        let what = if id_or_key.chars().all(|c| c.is_ascii_digit()) {
            "id"
        } else {
            "key"
        };
        JiraError::not_found(format!(
            "No project could be found with {what} '{id_or_key}'."
        ))
    })
}

async fn project_get(ctx: Ctx, path: web::Path<String>) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let project = find_project(&state, &path)?;
    Ok(HttpResponse::Ok().json(ctx.view(&state).project(project, true, true)))
}

async fn issue_types_of_project(ctx: Ctx, params: Params) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let view = ctx.view(&state);
    let id = params
        .get("projectId")
        .ok_or_else(|| JiraError::bad_request("The projectId parameter must be provided."))?;
    let project = state.projects.iter().find(|p| p.id == id).ok_or_else(|| {
        JiraError::not_found("The project is not found or you do not have permission to view it.")
    })?;
    let list: Vec<Value> = project
        .issue_types
        .iter()
        .filter_map(|t| state.issue_type(t))
        .map(|t| view.issue_type(t))
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

async fn issue_types(ctx: Ctx) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let view = ctx.view(&state);
    let list: Vec<Value> = state
        .issue_types
        .iter()
        .map(|t| view.issue_type(t))
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

async fn statuses(ctx: Ctx) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let view = ctx.view(&state);
    let list: Vec<Value> = state.statuses.iter().map(|s| view.status(s)).collect();
    Ok(HttpResponse::Ok().json(list))
}

/// The `FieldDetails` list.
pub fn field_details(view: &View) -> Vec<Value> {
    let mut list: Vec<Value> = SYSTEM_FIELDS
        .iter()
        .map(|f| {
            let mut v = json!({
                "id": f.id,
                "key": f.id,
                "name": f.name,
                "custom": false,
                "orderable": f.orderable,
                "navigable": f.navigable,
                "searchable": f.searchable,
                "clauseNames": f.clause_names,
            });
            if let Some(schema) = super::fields::schema_of(view.state, f.id) {
                v["schema"] = schema;
            }
            v
        })
        .collect();
    for cf in &view.state.custom_fields {
        list.push(json!({
            "id": cf.field_id(),
            "key": cf.field_id(),
            "name": cf.name,
            "custom": true,
            "orderable": true,
            "navigable": true,
            "searchable": true,
            "clauseNames": [format!("cf[{}]", cf.id), cf.name.clone()],
            "schema": super::fields::custom_schema(cf),
        }));
    }
    list
}

async fn field_list(ctx: Ctx) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    Ok(HttpResponse::Ok().json(field_details(&ctx.view(&state))))
}

fn createmeta_paging(params: &Params) -> JiraResult<(usize, usize)> {
    super::params::paging(params, 50, 200)
}

async fn createmeta_issue_types(
    ctx: Ctx,
    path: web::Path<String>,
    params: Params,
) -> JiraResult<HttpResponse> {
    let (start, max) = createmeta_paging(&params)?;
    let state = ctx.site.state.read();
    let view = ctx.view(&state);
    let project = find_project(&state, &path)?;
    let all: Vec<Value> = project
        .issue_types
        .iter()
        .filter_map(|t| state.issue_type(t))
        .map(|t| view.issue_type(t))
        .collect();
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(start).take(max).collect();
    Ok(HttpResponse::Ok().json(json!({
        "issueTypes": page, "maxResults": max, "startAt": start, "total": total,
    })))
}

async fn createmeta_fields(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    params: Params,
) -> JiraResult<HttpResponse> {
    let (start, max) = createmeta_paging(&params)?;
    let (project_key, type_id) = path.into_inner();
    let state = ctx.site.state.read();
    let view = ctx.view(&state);
    let project = find_project(&state, &project_key)?;
    if !project.issue_types.contains(&type_id) {
        return Err(JiraError::not_found(format!(
            "Issue type with id '{type_id}' does not exist in project '{}'.",
            project.key
        )));
    }
    let all = meta::create_fields(&view, project, &type_id);
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(start).take(max).collect();
    Ok(HttpResponse::Ok().json(json!({
        "fields": page, "maxResults": max, "startAt": start, "total": total,
    })))
}

async fn createmeta_deprecated(ctx: Ctx, params: Params) -> JiraResult<HttpResponse> {
    let state = ctx.site.state.read();
    let view = ctx.view(&state);
    let keys = super::bean::split_list(&params.all("projectKeys"));
    let ids = super::bean::split_list(&params.all("projectIds"));
    let type_ids = super::bean::split_list(&params.all("issuetypeIds"));
    let type_names = super::bean::split_list(&params.all("issuetypeNames"));
    let expand = expand_list(&params);
    let with_fields = expand.iter().any(|e| e == "projects.issuetypes.fields");
    let projects: Vec<Value> = state
        .projects
        .iter()
        .filter(|p| {
            (keys.is_empty() && ids.is_empty())
                || keys.iter().any(|k| p.key.eq_ignore_ascii_case(k))
                || ids.contains(&p.id)
        })
        .map(|p| {
            let types: Vec<Value> = p
                .issue_types
                .iter()
                .filter_map(|t| state.issue_type(t))
                .filter(|t| {
                    (type_ids.is_empty() && type_names.is_empty())
                        || type_ids.contains(&t.id)
                        || type_names.contains(&t.name)
                })
                .map(|t| {
                    let mut v = view.issue_type(t);
                    v["expand"] = json!("fields");
                    if with_fields {
                        v["fields"] = Value::Object(meta::create_fields_map(&view, p, &t.id));
                    }
                    v
                })
                .collect();
            let reference = view.project_ref(p);
            json!({
                "expand": "issuetypes",
                "self": reference["self"],
                "id": p.id,
                "key": p.key,
                "name": p.name,
                "avatarUrls": reference["avatarUrls"],
                "issuetypes": types,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"expand": "projects", "projects": projects})))
}
