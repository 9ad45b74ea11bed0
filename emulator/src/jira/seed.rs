//! The data a site starts with: `empty` (the site's statuses and issue types, and an admin user
//! with an API token) or `demo` (also the SUP service project and the ENG software project, a
//! workflow To Do → In Progress → Waiting for customer → Done, custom fields, issues and
//! comments).
//!
//! Ids and credentials are derived deterministically, so tests and the demo can name them; only
//! timestamps follow the clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::adf;
use super::model::{
    Category, ChangeItem, Comment, CustomField, CustomKind, History, Issue, IssueType, Project,
    ScreenField, SelectOption, State, Status, Transition, User, Workflow,
};
use crate::common::Seed;

/// Email of the seeded admin user.
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// Email of the demo's non-admin agent.
pub const AGENT_EMAIL: &str = "agent@example.com";

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A user with deterministic account id, API token and bearer token derived from the email.
pub fn make_user(email: &str, display_name: &str, admin: bool) -> User {
    let d = digest(&format!("sfjira-jira-emulator:{email}"));
    User {
        account_id: d[..24].to_string(),
        email: email.to_string(),
        display_name: display_name.to_string(),
        time_zone: "Etc/UTC".into(),
        active: true,
        admin,
        api_tokens: vec![format!("ATATT3xFfGF0{}", &d[24..64])],
        bearer_tokens: vec![format!("emu-oauth-{}", &digest(&d)[..40])],
    }
}

/// Builds the state for a seed at time `now`.
pub fn build(seed: Seed, now: DateTime<Utc>) -> State {
    let mut state = State::default();
    state
        .users
        .push(make_user(ADMIN_EMAIL, "Avery Admin", true));
    for (name, description, category) in [
        ("To Do", "Work that has not been started.", Category::New),
        (
            "In Progress",
            "The issue is currently being worked on.",
            Category::Indeterminate,
        ),
        (
            "Waiting for customer",
            "Waiting for the customer to respond.",
            Category::Indeterminate,
        ),
        (
            "Done",
            "Work has been completed on this issue.",
            Category::Done,
        ),
    ] {
        let id = state.ids.next("status").to_string();
        state.statuses.push(Status {
            id,
            name: name.into(),
            description: description.into(),
            category,
        });
    }
    for (name, description, avatar) in [
        ("Task", "A small, distinct piece of work.", 10318),
        ("Bug", "A problem or error.", 10303),
        ("Story", "A user story.", 10315),
        ("Support Request", "A request from a customer.", 10320),
    ] {
        let id = state.ids.next("issuetype").to_string();
        state.issue_types.push(IssueType {
            id,
            name: name.into(),
            description: description.into(),
            subtask: false,
            hierarchy_level: 0,
            avatar_id: avatar,
        });
    }
    if seed == Seed::Demo {
        demo(&mut state, now);
    }
    state
}

/// The simplified workflow over all site statuses: one transition per target status, named
/// after it; `Done` is global, `Waiting for customer` only from `In Progress`.
pub fn default_workflow(state: &State) -> Workflow {
    let ids: Vec<String> = state.statuses.iter().map(|s| s.id.clone()).collect();
    let mut transitions = Vec::new();
    for (n, status) in state.statuses.iter().enumerate() {
        let from: Vec<String> = match status.category {
            Category::Done => Vec::new(),
            _ if status.name == "Waiting for customer" => state
                .statuses
                .iter()
                .filter(|s| s.name == "In Progress")
                .map(|s| s.id.clone())
                .collect(),
            _ => ids.iter().filter(|i| **i != status.id).cloned().collect(),
        };
        transitions.push(Transition {
            id: format!("{}", (n + 1) * 10 + 1),
            name: status.name.clone(),
            from,
            to: status.id.clone(),
        });
    }
    Workflow {
        name: "Simplified Workflow".into(),
        initial: ids.first().cloned().unwrap_or_default(),
        statuses: ids,
        transitions,
    }
}

fn type_id(state: &State, name: &str) -> String {
    state
        .issue_types
        .iter()
        .find(|t| t.name == name)
        .map(|t| t.id.clone())
        .unwrap_or_default()
}

fn status_id(state: &State, name: &str) -> String {
    state
        .statuses
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.id.clone())
        .unwrap_or_default()
}

fn screen(fields: &[(&str, bool)]) -> Vec<ScreenField> {
    fields
        .iter()
        .map(|(f, required)| ScreenField {
            field_id: f.to_string(),
            required: *required,
        })
        .collect()
}

fn demo(state: &mut State, now: DateTime<Utc>) {
    state
        .users
        .push(make_user(AGENT_EMAIL, "Sam Support", false));
    let case_id = "customfield_10000";
    let severity = "customfield_10001";
    let points = "customfield_10002";
    let steps = "customfield_10003";
    let mut option_id = 10100;
    let mut options = |values: &[&str]| {
        values
            .iter()
            .map(|v| {
                option_id += 1;
                SelectOption {
                    id: (option_id - 1).to_string(),
                    value: v.to_string(),
                }
            })
            .collect::<Vec<_>>()
    };
    for (name, description, kind, opts) in [
        (
            "Salesforce Case Id",
            "Id of the linked Salesforce Case.",
            CustomKind::Text,
            Vec::new(),
        ),
        (
            "Severity",
            "How bad it is.",
            CustomKind::Select,
            options(&["Critical", "Major", "Minor"]),
        ),
        ("Story Points", "Estimate.", CustomKind::Number, Vec::new()),
        (
            "Steps to Reproduce",
            "How to see the problem.",
            CustomKind::Textarea,
            Vec::new(),
        ),
    ] {
        let id = state.ids.next("customfield");
        state.custom_fields.push(CustomField {
            id,
            name: name.into(),
            description: description.into(),
            kind,
            options: opts,
        });
    }
    let workflow = default_workflow(state);
    let admin = state.users[0].account_id.clone();
    let (task, bug, story, request) = (
        type_id(state, "Task"),
        type_id(state, "Bug"),
        type_id(state, "Story"),
        type_id(state, "Support Request"),
    );
    let sup = Project {
        id: state.ids.next("project").to_string(),
        key: "SUP".into(),
        name: "Customer Support".into(),
        description: "Requests raised by customers, mirrored from Salesforce Cases.".into(),
        project_type: "service_desk".into(),
        lead: admin.clone(),
        issue_types: vec![request.clone(), task.clone(), bug.clone()],
        screens: BTreeMap::from([
            (
                request.clone(),
                screen(&[(case_id, false), (severity, false)]),
            ),
            (task.clone(), screen(&[(case_id, false)])),
            (
                bug.clone(),
                screen(&[(case_id, false), (severity, false), (steps, false)]),
            ),
        ]),
        workflow: workflow.clone(),
        last_issue_number: 0,
    };
    let eng = Project {
        id: state.ids.next("project").to_string(),
        key: "ENG".into(),
        name: "Engineering".into(),
        description: "Product engineering backlog.".into(),
        project_type: "software".into(),
        lead: admin,
        issue_types: vec![task.clone(), bug.clone(), story.clone()],
        screens: BTreeMap::from([
            (task.clone(), screen(&[(case_id, false), (points, false)])),
            (
                bug.clone(),
                screen(&[(case_id, false), (severity, true), (steps, false)]),
            ),
            (story.clone(), screen(&[(points, false), (case_id, false)])),
        ]),
        workflow,
        last_issue_number: 0,
    };
    state.projects.push(sup);
    state.projects.push(eng);

    let agent = state.users[1].account_id.clone();
    let days = |d: i64| now - Duration::days(d);
    let issues = [
        (
            "SUP",
            &request,
            "Printer on fire in building 2",
            "Smoke is coming out of the second-floor printer.",
            "In Progress",
            5,
            vec!["salesforce", "hardware"],
            vec![
                (case_id, json!("500xx000000bQ2LAAU")),
                (severity, json!("10100")),
            ],
            vec![
                "Facilities have been called.",
                "Customer confirms the fire is out.",
            ],
        ),
        (
            "SUP",
            &request,
            "Cannot log in to the customer portal",
            "The login page answers 'invalid session' after the password step.",
            "Waiting for customer",
            4,
            vec!["salesforce", "portal"],
            vec![(case_id, json!("500xx000000bQ2MAAU"))],
            vec!["Could you send a screenshot of the error?"],
        ),
        (
            "SUP",
            &task,
            "Renew the support certificate",
            "The support portal certificate expires next month.",
            "Done",
            3,
            vec![],
            vec![],
            vec![],
        ),
        (
            "ENG",
            &bug,
            "Crash when exporting reports",
            "Exporting a report with 10k rows crashes the worker.",
            "To Do",
            2,
            vec!["export"],
            vec![
                (severity, json!("10101")),
                (steps, adf::from_text("Open Reports\nExport 10k rows")),
            ],
            vec!["Reproduced on staging."],
        ),
        (
            "ENG",
            &story,
            "Add CSV export to the dashboard",
            "As an analyst I want CSV exports of dashboard tiles.",
            "To Do",
            1,
            vec![],
            vec![(points, json!(5))],
            vec![],
        ),
    ];
    for (project_key, issue_type, summary, description, status, age, labels, custom, comments) in
        issues
    {
        let created = days(age);
        let project = state
            .projects
            .iter_mut()
            .find(|p| p.key == project_key)
            .map(|p| {
                p.last_issue_number += 1;
                (
                    p.id.clone(),
                    format!("{}-{}", p.key, p.last_issue_number),
                    p.workflow.initial.clone(),
                )
            });
        let Some((project_id, key, initial)) = project else {
            continue;
        };
        let id = state.ids.next("issue");
        let mut issue = Issue {
            id,
            key,
            project_id,
            issue_type_id: issue_type.clone(),
            summary: summary.into(),
            description: Some(adf::from_text(description)),
            environment: None,
            status_id: initial.clone(),
            resolution_id: None,
            resolution_date: None,
            status_category_changed: created,
            priority_id: Some(super::store::DEFAULT_PRIORITY.into()),
            labels: labels.into_iter().map(String::from).collect(),
            reporter: Some(agent.clone()),
            assignee: None,
            creator: agent.clone(),
            duedate: None,
            created,
            updated: created,
            custom: custom
                .into_iter()
                .map(|(k, v): (&str, Value)| (k.to_string(), v))
                .collect(),
            properties: BTreeMap::new(),
            comments: Vec::new(),
            changelog: Vec::new(),
        };
        let target = status_id(state, status);
        if target != initial {
            let at = created + Duration::hours(2);
            let from_name = state.status(&initial).map(|s| s.name.clone());
            let mut items = vec![ChangeItem {
                field: "status".into(),
                fieldtype: "jira".into(),
                field_id: "status".into(),
                from: Some(initial.clone()),
                from_string: from_name,
                to: Some(target.clone()),
                to_string: Some(status.into()),
            }];
            if state.category_of(&target) == Category::Done {
                issue.resolution_id = Some(super::store::DONE_RESOLUTION.into());
                issue.resolution_date = Some(at);
                items.push(ChangeItem {
                    field: "resolution".into(),
                    fieldtype: "jira".into(),
                    field_id: "resolution".into(),
                    from: None,
                    from_string: None,
                    to: Some(super::store::DONE_RESOLUTION.into()),
                    to_string: Some("Done".into()),
                });
            }
            issue.status_id = target;
            issue.status_category_changed = at;
            issue.changelog.push(History {
                id: state.ids.next("history"),
                author: agent.clone(),
                created: at,
                items,
            });
            issue.updated = at;
        }
        for (n, text) in comments.into_iter().enumerate() {
            let at = created + Duration::hours(3 + n as i64);
            issue.comments.push(Comment {
                id: state.ids.next("comment"),
                author: agent.clone(),
                update_author: agent.clone(),
                body: adf::from_text(text),
                created: at,
                updated: at,
                visibility: None,
                jsd_public: true,
                properties: BTreeMap::new(),
            });
            issue.updated = at;
        }
        state.issues.insert(id, issue);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_deterministic_apart_from_time() {
        let now = Utc::now();
        let a = build(Seed::Demo, now);
        let b = build(Seed::Demo, now);
        assert_eq!(
            serde_json::to_string(&a).expect("json"),
            serde_json::to_string(&b).expect("json")
        );
        assert_eq!(a.projects.len(), 2);
        assert_eq!(a.issues.keys().next(), Some(&10000));
        assert!(build(Seed::Empty, now).projects.is_empty());
    }
}
