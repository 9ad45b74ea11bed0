//! Every JSON body the Jira emulator answers on the endpoints a connector uses, validated
//! against the schemas of Atlassian's official OpenAPI document for Jira Cloud.
//!
//! The document is read from `shared/reference/jira-cloud-platform-swagger-v3.v3.json` beside
//! the workspace (or from `SFJIRA_JIRA_OPENAPI`); it is never copied into the repository.
//! OpenAPI 3.0 schemas are turned into JSON Schema draft 4 faithfully: `nullable: true` adds
//! `null` to the allowed types, `$ref`s to `#/components/schemas/…` resolve inside the same
//! document, and OpenAPI-only keywords (`discriminator`, `xml`, `example`, `readOnly`,
//! `writeOnly`, `deprecated`) are dropped. Formats are checked; `date-time` also accepts Jira's
//! own `2021-01-17T12:34:00.000+0000` form (no colon in the offset), which the document's
//! examples use and Jira sends. v2 paths are checked against their v3 twins' schemas.

mod schema;

use crate::support;

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};
use support::{adf, Jira};

use schema::Spec;

struct Checker {
    jira: Jira,
    spec: Spec,
    failures: Vec<String>,
    checked: usize,
}

impl Checker {
    /// Calls the emulator and validates the answer against `template`'s schema for `status`.
    async fn call(
        &mut self,
        method: Method,
        template: &str,
        url: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let mut request = self.jira.req(method.clone(), url);
        if let Some(b) = &body {
            request = request.json(b);
        }
        let response = request.send().await.expect("send");
        self.check(method.as_str(), template, response, status)
            .await
    }

    async fn check(
        &mut self,
        method: &str,
        template: &str,
        response: reqwest::Response,
        status: u16,
    ) -> Value {
        let label = format!("{method} {template} [{status}]");
        let actual = response.status().as_u16();
        let text = response.text().await.expect("body");
        if actual != status {
            self.failures
                .push(format!("{label}: answered {actual}: {text}"));
            return Value::Null;
        }
        let schema = self.spec.response_schema(method, template, status);
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    self.failures
                        .push(format!("{label}: not JSON ({e}): {text}"));
                    return Value::Null;
                }
            }
        };
        let schema = match schema {
            Some(s) if s != json!({}) => s,
            // The document names no schema here: error bodies are still ErrorCollections.
            _ if status >= 400 => json!({"$ref": "#/components/schemas/ErrorCollection"}),
            _ => {
                if !text.is_empty() && status == 204 {
                    self.failures
                        .push(format!("{label}: a 204 must have no body"));
                }
                return body;
            }
        };
        self.checked += 1;
        for error in self.spec.validate(&schema, &body) {
            self.failures.push(format!("{label}: {error}"));
        }
        let issues: Vec<Value> = match body.get("issues") {
            Some(Value::Array(list)) => list.clone(),
            _ if body.get("fields").is_some() => vec![body.clone()],
            _ => Vec::new(),
        };
        for issue in &issues {
            self.check_fields(&label, issue);
        }
        body
    }

    /// `IssueBean.fields` is free-form in the document; the values of well-known fields are
    /// checked against the schemas of their own resources.
    fn check_fields(&mut self, label: &str, issue: &Value) {
        let single = [
            ("status", "StatusDetails"),
            ("issuetype", "IssueTypeDetails"),
            ("project", "ProjectDetails"),
            ("assignee", "UserDetails"),
            ("reporter", "UserDetails"),
            ("creator", "UserDetails"),
            ("priority", "Priority"),
            ("resolution", "Resolution"),
            ("statusCategory", "StatusCategory"),
            ("comment", "PageOfComments"),
            ("watches", "Watchers"),
            ("votes", "Votes"),
        ];
        for (field, schema) in single {
            let value = &issue["fields"][field];
            if value.is_null() {
                continue;
            }
            let schema = json!({"$ref": format!("#/components/schemas/{schema}")});
            for error in self.spec.validate(&schema, value) {
                self.failures
                    .push(format!("{label}: fields.{field}: {error}"));
            }
        }
        if let Some(list) = issue["fields"]["attachment"].as_array() {
            let schema = json!({"$ref": "#/components/schemas/Attachment"});
            for a in list {
                for error in self.spec.validate(&schema, a) {
                    self.failures
                        .push(format!("{label}: fields.attachment: {error}"));
                }
            }
        }
        if let Some(histories) = issue["changelog"]["histories"].as_array() {
            let schema = json!({"$ref": "#/components/schemas/Changelog"});
            for h in histories {
                for error in self.spec.validate(&schema, h) {
                    self.failures.push(format!("{label}: changelog: {error}"));
                }
            }
        }
    }
}

#[tokio::test]
async fn every_response_body_matches_the_official_openapi_schemas() {
    let jira = Jira::start().await;
    let mut c = Checker {
        spec: Spec::load(),
        jira,
        failures: Vec::new(),
        checked: 0,
    };
    use Method as M;
    // Negative controls: the translated schemas must catch wrong types, undeclared properties
    // and malformed dates, or a passing run would prove nothing.
    let user = json!({"$ref": "#/components/schemas/User"});
    let wrong = c
        .spec
        .validate(&user, &json!({"accountId": 5, "bogus": true}));
    assert!(
        wrong.len() >= 2,
        "type and additionalProperties errors must be caught: {wrong:?}"
    );
    let comment_schema = json!({"$ref": "#/components/schemas/Comment"});
    assert!(!c
        .spec
        .validate(&comment_schema, &json!({"created": "yesterday"}))
        .is_empty());
    assert!(c
        .spec
        .validate(
            &comment_schema,
            &json!({"created": "2021-01-17T12:34:00.000+0000"})
        )
        .is_empty());
    let visibility = json!({"$ref": "#/components/schemas/Visibility"});
    assert!(
        c.spec
            .validate(&visibility, &json!({"identifier": null}))
            .is_empty(),
        "nullable allows null"
    );
    let anonymous = c
        .jira
        .http
        .get(c.jira.url("/rest/api/3/serverInfo"))
        .send()
        .await
        .expect("send");
    c.check("GET", "/rest/api/3/serverInfo", anonymous, 200)
        .await;
    c.call(
        M::GET,
        "/rest/api/3/myself",
        "/rest/api/3/myself",
        None,
        200,
    )
    .await;
    c.call(
        M::GET,
        "/rest/api/3/project/search",
        "/rest/api/3/project/search?expand=issueTypes,lead,description&maxResults=1",
        None,
        200,
    )
    .await;
    c.call(
        M::GET,
        "/rest/api/3/project/{projectIdOrKey}",
        "/rest/api/3/project/SUP",
        None,
        200,
    )
    .await;
    c.call(
        M::GET,
        "/rest/api/3/issuetype/project",
        "/rest/api/3/issuetype/project?projectId=10000",
        None,
        200,
    )
    .await;
    c.call(M::GET, "/rest/api/3/field", "/rest/api/3/field", None, 200)
        .await;
    c.call(
        M::GET,
        "/rest/api/3/issue/createmeta",
        "/rest/api/3/issue/createmeta?projectKeys=SUP,ENG&expand=projects.issuetypes.fields",
        None,
        200,
    )
    .await;
    c.call(
        M::GET,
        "/rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes",
        "/rest/api/3/issue/createmeta/ENG/issuetypes",
        None,
        200,
    )
    .await;
    c.call(
        M::GET,
        "/rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}",
        "/rest/api/3/issue/createmeta/ENG/issuetypes/10001",
        None,
        200,
    )
    .await;

    let issue = "/rest/api/3/issue/{issueIdOrKey}";
    let created = c
        .call(M::POST, "/rest/api/3/issue", "/rest/api/3/issue", Some(json!({
            "fields": {"project": {"key": "ENG"}, "issuetype": {"name": "Bug"}, "summary": "Schema check",
                       "description": adf("Described"), "labels": ["x"], "customfield_10001": {"value": "Major"},
                       "customfield_10000": "500xx000000bQ2LAAU", "customfield_10003": adf("Steps")},
            "properties": [{"key": "sfsync", "value": {"caseId": "500A"}}]})), 201)
        .await;
    let key = created["key"].as_str().unwrap_or("ENG-3").to_string();
    c.call(
        M::POST,
        "/rest/api/3/issue",
        "/rest/api/3/issue",
        Some(json!({"fields": {"project": {"key": "ENG"}}})),
        400,
    )
    .await;
    c.call(M::GET, issue, &format!("/rest/api/3/issue/{key}?expand=renderedFields,names,schema,changelog,transitions,editmeta,operations&properties=*all"), None, 200).await;
    c.call(
        M::GET,
        issue,
        &format!("/rest/api/2/issue/{key}"),
        None,
        200,
    )
    .await;
    c.call(M::GET, issue, "/rest/api/3/issue/NOPE-1", None, 404)
        .await;
    c.call(
        M::PUT,
        issue,
        &format!("/rest/api/3/issue/{key}"),
        Some(json!({"fields": {"summary": "Edited"}, "update": {"labels": [{"add": "y"}]}})),
        204,
    )
    .await;
    let returned = c
        .call(
            M::PUT,
            issue,
            &format!("/rest/api/3/issue/{key}?returnIssue=true"),
            Some(json!({"fields": {"summary": "Edited again"}})),
            200,
        )
        .await;
    c.checked += 1;
    for e in c.spec.validate(
        &json!({"$ref": "#/components/schemas/IssueBean"}),
        &returned,
    ) {
        c.failures
            .push(format!("PUT {issue}?returnIssue=true (as IssueBean): {e}"));
    }
    c.call(
        M::PUT,
        issue,
        &format!("/rest/api/3/issue/{key}"),
        Some(json!({"fields": {"nope": 1}})),
        400,
    )
    .await;

    let transitions = "/rest/api/3/issue/{issueIdOrKey}/transitions";
    c.call(
        M::GET,
        transitions,
        &format!("/rest/api/3/issue/{key}/transitions?expand=transitions.fields"),
        None,
        200,
    )
    .await;
    c.call(
        M::POST,
        transitions,
        &format!("/rest/api/3/issue/{key}/transitions"),
        Some(json!({"transition": {"id": "21"}})),
        204,
    )
    .await;
    c.call(
        M::POST,
        transitions,
        &format!("/rest/api/3/issue/{key}/transitions"),
        Some(json!({"transition": {"id": "21"}})),
        400,
    )
    .await;
    c.call(
        M::POST,
        transitions,
        &format!("/rest/api/3/issue/{key}/transitions"),
        Some(json!({"transition": {"id": "41"}})),
        204,
    )
    .await;
    c.call(
        M::GET,
        "/rest/api/3/issue/{issueIdOrKey}/changelog",
        &format!("/rest/api/3/issue/{key}/changelog?maxResults=2"),
        None,
        200,
    )
    .await;

    let comments = "/rest/api/3/issue/{issueIdOrKey}/comment";
    let comment = "/rest/api/3/issue/{issueIdOrKey}/comment/{id}";
    let added = c
        .call(
            M::POST,
            comments,
            &format!("/rest/api/3/issue/{key}/comment?expand=renderedBody"),
            Some(json!({
        "body": adf("A comment"), "visibility": {"type": "role", "value": "Administrators"},
        "properties": [{"key": "sfsync", "value": {"feedItemId": "0D5A"}}]})),
            201,
        )
        .await;
    let comment_id = added["id"].as_str().unwrap_or("0").to_string();
    c.call(
        M::POST,
        comments,
        &format!("/rest/api/2/issue/{key}/comment"),
        Some(json!({"body": "v2 text"})),
        201,
    )
    .await;
    c.call(
        M::POST,
        comments,
        &format!("/rest/api/3/issue/{key}/comment"),
        Some(json!({"body": "not ADF"})),
        400,
    )
    .await;
    c.call(
        M::GET,
        comments,
        &format!("/rest/api/3/issue/{key}/comment?orderBy=-created&expand=renderedBody,properties"),
        None,
        200,
    )
    .await;
    c.call(
        M::GET,
        comments,
        &format!("/rest/api/2/issue/{key}/comment"),
        None,
        200,
    )
    .await;
    c.call(
        M::GET,
        comment,
        &format!("/rest/api/3/issue/{key}/comment/{comment_id}"),
        None,
        200,
    )
    .await;
    c.call(
        M::PUT,
        comment,
        &format!("/rest/api/3/issue/{key}/comment/{comment_id}"),
        Some(json!({"body": adf("Edited comment")})),
        200,
    )
    .await;

    let prop = "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}";
    c.call(
        M::PUT,
        prop,
        &format!("/rest/api/3/issue/{key}/properties/extra"),
        Some(json!({"a": 1})),
        201,
    )
    .await;
    c.call(
        M::PUT,
        prop,
        &format!("/rest/api/3/issue/{key}/properties/extra"),
        Some(json!({"a": 2})),
        200,
    )
    .await;
    c.call(
        M::GET,
        prop,
        &format!("/rest/api/3/issue/{key}/properties/extra"),
        None,
        200,
    )
    .await;
    c.call(
        M::GET,
        "/rest/api/3/issue/{issueIdOrKey}/properties",
        &format!("/rest/api/3/issue/{key}/properties"),
        None,
        200,
    )
    .await;
    let cprop = "/rest/api/3/comment/{commentId}/properties/{propertyKey}";
    c.call(
        M::PUT,
        cprop,
        &format!("/rest/api/3/comment/{comment_id}/properties/mark"),
        Some(json!(true)),
        201,
    )
    .await;
    c.call(
        M::GET,
        cprop,
        &format!("/rest/api/3/comment/{comment_id}/properties/sfsync"),
        None,
        200,
    )
    .await;
    c.call(
        M::GET,
        "/rest/api/3/comment/{commentId}/properties",
        &format!("/rest/api/3/comment/{comment_id}/properties"),
        None,
        200,
    )
    .await;
    c.call(
        M::DELETE,
        cprop,
        &format!("/rest/api/3/comment/{comment_id}/properties/mark"),
        None,
        204,
    )
    .await;
    c.call(
        M::DELETE,
        prop,
        &format!("/rest/api/3/issue/{key}/properties/extra"),
        None,
        204,
    )
    .await;

    let upload = c
        .jira
        .req(M::POST, &format!("/rest/api/3/issue/{key}/attachments"))
        .header("X-Atlassian-Token", "no-check")
        .multipart(Form::new().part(
            "file",
            Part::bytes(b"log line".to_vec()).file_name("debug.log"),
        ))
        .send()
        .await
        .expect("upload");
    let uploaded = c
        .check(
            "POST",
            "/rest/api/3/issue/{issueIdOrKey}/attachments",
            upload,
            200,
        )
        .await;
    let attachment_id = uploaded[0]["id"].as_str().unwrap_or("0").to_string();
    c.call(
        M::GET,
        "/rest/api/3/attachment/{id}",
        &format!("/rest/api/3/attachment/{attachment_id}"),
        None,
        200,
    )
    .await;
    c.call(
        M::GET,
        "/rest/api/3/attachment/meta",
        "/rest/api/3/attachment/meta",
        None,
        200,
    )
    .await;

    let search = "/rest/api/3/search/jql";
    c.call(M::GET, search, &format!("/rest/api/3/search/jql?jql=key%3D{key}&fields=*all&expand=names,schema,renderedFields,changelog&properties=sfsync"), None, 200).await;
    c.call(M::POST, search, search, Some(json!({"jql": "project = SUP ORDER BY key", "maxResults": 1, "fields": ["summary", "status", "customfield_10001"]})), 200).await;
    c.call(
        M::POST,
        search,
        search,
        Some(json!({"jql": "project = SUP"})),
        200,
    )
    .await;
    c.call(
        M::POST,
        search,
        "/rest/api/2/search/jql",
        Some(json!({"jql": "project = SUP", "fields": ["*all"]})),
        200,
    )
    .await;
    c.call(
        M::POST,
        search,
        search,
        Some(json!({"jql": "order by key"})),
        400,
    )
    .await;
    c.call(
        M::POST,
        "/rest/api/3/search/approximate-count",
        "/rest/api/3/search/approximate-count",
        Some(json!({"jql": "project = ENG"})),
        200,
    )
    .await;
    c.call(
        M::GET,
        "/rest/api/3/search",
        "/rest/api/3/search?jql=project%3DENG&expand=names,schema",
        None,
        200,
    )
    .await;
    c.call(
        M::POST,
        "/rest/api/3/search",
        "/rest/api/2/search",
        Some(json!({"jql": "project = ENG", "fields": ["*all"]})),
        200,
    )
    .await;

    c.call(
        M::DELETE,
        comment,
        &format!("/rest/api/3/issue/{key}/comment/{comment_id}"),
        None,
        204,
    )
    .await;
    c.call(
        M::DELETE,
        "/rest/api/3/attachment/{id}",
        &format!("/rest/api/3/attachment/{attachment_id}"),
        None,
        204,
    )
    .await;
    c.call(
        M::DELETE,
        issue,
        &format!("/rest/api/3/issue/{key}"),
        None,
        204,
    )
    .await;

    let Checker {
        jira,
        failures,
        checked,
        ..
    } = c;
    jira.stop().await;
    assert!(
        failures.is_empty(),
        "{} response bodies do not match the OpenAPI schemas:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 40, "only {checked} bodies were checked");
}
