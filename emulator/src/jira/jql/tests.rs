//! JQL semantics over the demo seed: fields, operators, values, ordering and Jira's errors.

use chrono::{DateTime, Utc};

use super::{search, Env};
use crate::common::Seed;
use crate::jira::model::State;
use crate::jira::seed;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-10T12:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .expect("valid literal")
}

fn demo() -> (State, Env) {
    let state = seed::build(Seed::Demo, now());
    let env = Env {
        caller: state.users[0].account_id.clone(),
        now: now(),
    };
    (state, env)
}

fn keys(state: &State, env: &Env, jql: &str) -> Vec<String> {
    search(state, jql, env)
        .unwrap_or_else(|e| panic!("{jql}: {e}"))
        .into_iter()
        .map(|id| state.issues[&id].key.clone())
        .collect()
}

fn error(state: &State, env: &Env, jql: &str) -> String {
    search(state, jql, env).expect_err(jql).to_string()
}

#[test]
fn project_key_and_list_clauses_select_issues() {
    let (s, e) = demo();
    assert_eq!(
        keys(&s, &e, "project = SUP ORDER BY key"),
        ["SUP-1", "SUP-2", "SUP-3"]
    );
    assert_eq!(
        keys(&s, &e, "project in (ENG) order by key asc"),
        ["ENG-1", "ENG-2"]
    );
    assert_eq!(keys(&s, &e, "key = sup-2"), ["SUP-2"]);
    assert_eq!(
        keys(&s, &e, "key in (SUP-1, ENG-2) ORDER BY key DESC"),
        ["SUP-1", "ENG-2"]
    );
    assert_eq!(
        keys(&s, &e, "issuekey > SUP-1 and project = SUP order by key"),
        ["SUP-2", "SUP-3"]
    );
    assert_eq!(keys(&s, &e, "project not in (SUP)").len(), 2);
}

#[test]
fn status_category_labels_and_emptiness_work() {
    let (s, e) = demo();
    assert_eq!(keys(&s, &e, "statusCategory = Done"), ["SUP-3"]);
    assert_eq!(
        keys(&s, &e, "statusCategory = indeterminate ORDER BY key"),
        ["SUP-1", "SUP-2"]
    );
    assert_eq!(keys(&s, &e, "status = 'Waiting for customer'"), ["SUP-2"]);
    assert_eq!(
        keys(&s, &e, "labels = salesforce ORDER BY key"),
        ["SUP-1", "SUP-2"]
    );
    assert_eq!(keys(&s, &e, "labels is EMPTY and project = SUP"), ["SUP-3"]);
    assert_eq!(
        keys(&s, &e, "labels != portal ORDER BY key"),
        ["ENG-1", "SUP-1"]
    );
    assert_eq!(
        keys(
            &s,
            &e,
            "resolution = Unresolved and project = SUP ORDER BY key"
        ),
        ["SUP-1", "SUP-2"]
    );
    assert_eq!(keys(&s, &e, "resolution is not empty"), ["SUP-3"]);
}

#[test]
fn text_search_matches_words_prefixes_and_phrases() {
    let (s, e) = demo();
    assert_eq!(keys(&s, &e, "summary ~ printer"), ["SUP-1"]);
    assert_eq!(
        keys(&s, &e, "summary ~ \"export*\" ORDER BY key"),
        ["ENG-1", "ENG-2"]
    );
    assert_eq!(keys(&s, &e, "text ~ \"Facilities\""), ["SUP-1"]);
    assert_eq!(
        keys(&s, &e, "summary ~ \"\\\"customer portal\\\"\""),
        ["SUP-2"]
    );
    assert_eq!(
        keys(&s, &e, "\"Salesforce Case Id\" ~ 500xx000000bQ2LAAU"),
        ["SUP-1"]
    );
    assert_eq!(keys(&s, &e, "cf[10001] = Major"), ["ENG-1"]);
    assert_eq!(keys(&s, &e, "cf[10002] >= 5"), ["ENG-2"]);
}

#[test]
fn dates_compare_with_absolute_relative_and_epoch_values() {
    let (s, e) = demo();
    assert_eq!(keys(&s, &e, "created >= -1d"), ["ENG-2"]);
    assert_eq!(
        keys(
            &s,
            &e,
            "created > \"2024-05-08 11:59\" ORDER BY created ASC"
        ),
        ["ENG-1", "ENG-2"]
    );
    assert_eq!(keys(&s, &e, "created < \"2024/05/06\""), ["SUP-1"]);
    let millis = (now() - chrono::Duration::days(2)).timestamp_millis();
    assert_eq!(
        keys(&s, &e, &format!("created >= {millis} order by key")),
        ["ENG-1", "ENG-2"]
    );
    assert_eq!(keys(&s, &e, "updated >= startOfDay(-1d)").len(), 1);
}

#[test]
fn boolean_structure_and_ordering_combine() {
    let (s, e) = demo();
    assert_eq!(
        keys(&s, &e, "(project = SUP AND NOT status = Done) OR issuetype = Story ORDER BY project DESC, key ASC"),
        ["SUP-1", "SUP-2", "ENG-2"]
    );
    assert_eq!(
        keys(&s, &e, "project = SUP").first().map(String::as_str),
        Some("SUP-3")
    );
}

#[test]
fn issue_properties_are_searchable() {
    let (mut s, e) = demo();
    let id = s.issue_id("SUP-2").expect("seeded");
    if let Some(mut issue) = s.issues.get_mut(&id) {
        issue.properties.insert(
            "sfsync".into(),
            serde_json::json!({"caseId": "500A", "rev": 3}),
        );
    }
    assert_eq!(
        keys(&s, &e, "issue.property[sfsync].caseId = \"500A\""),
        ["SUP-2"]
    );
    assert_eq!(keys(&s, &e, "issue.property[sfsync].rev > 2"), ["SUP-2"]);
    assert!(keys(&s, &e, "issue.property[sfsync].caseId = other").is_empty());
}

#[test]
fn unknown_fields_values_and_operators_read_like_jira() {
    let (s, e) = demo();
    assert_eq!(
        error(&s, &e, "foo = bar"),
        "Field 'foo' does not exist or you do not have permission to view it."
    );
    assert_eq!(
        error(&s, &e, "project = NOPE"),
        "The value 'NOPE' does not exist for the field 'project'."
    );
    assert_eq!(
        error(&s, &e, "summary = x"),
        "The operator '=' is not supported by the 'summary' field."
    );
    assert!(error(&s, &e, "created > yesterday")
        .starts_with("Date value 'yesterday' for field 'created' is invalid."));
    assert_eq!(
        error(&s, &e, "key = SUP-x"),
        "The issue key 'SUP-x' for field 'key' is invalid."
    );
    assert_eq!(
        error(&s, &e, "assignee = nobody() "),
        "Unable to find JQL function 'nobody()'."
    );
}
