//! Issues through the Jira emulator's REST API: create and its refusals, ADF versus v2 text
//! bodies, edits with history, transitions, comments, and entity properties.

use crate::support;

use reqwest::Method;
use serde_json::{json, Value};
use support::{adf, expect_json, Jira};

async fn create(jira: &Jira, fields: Value) -> Value {
    expect_json(
        jira.post("/rest/api/3/issue", &json!({"fields": fields}))
            .await,
        201,
    )
    .await
}

#[tokio::test]
async fn create_without_a_required_custom_field_lists_every_problem_per_field() {
    let jira = Jira::start().await;
    let body = expect_json(
        jira.post(
            "/rest/api/3/issue",
            &json!({"fields": {"project": {"key": "ENG"}, "issuetype": {"name": "Bug"},
                               "description": "plain text is not ADF", "customfield_99999": "x"}}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(body["errorMessages"], json!([]));
    assert_eq!(
        body["errors"]["summary"],
        "You must specify a summary of the issue."
    );
    assert_eq!(body["errors"]["customfield_10001"], "Severity is required.");
    assert_eq!(
        body["errors"]["description"],
        "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
    );
    assert_eq!(
        body["errors"]["customfield_99999"],
        "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown."
    );
    let missing_project = expect_json(
        jira.post("/rest/api/3/issue", &json!({"fields": {"summary": "x"}}))
            .await,
        400,
    )
    .await;
    assert_eq!(
        missing_project["errors"]["project"],
        "Specify a valid project ID or key"
    );

    let created = create(
        &jira,
        json!({"project": {"id": "10001"}, "issuetype": {"id": "10001"}, "summary": "Boom",
               "customfield_10001": {"value": "Critical"}, "labels": ["crash"]}),
    )
    .await;
    assert_eq!(created["key"], "ENG-3");
    assert!(created["self"]
        .as_str()
        .is_some_and(|s| s.ends_with("/rest/api/3/issue/10005")));
    jira.stop().await;
}

#[tokio::test]
async fn v3_speaks_adf_and_v2_speaks_plain_text_for_the_same_issue() {
    let jira = Jira::start().await;
    let created = expect_json(
        jira.post(
            "/rest/api/2/issue",
            &json!({"fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Task"},
                               "summary": "From v2", "description": "Line one\nLine two"},
                    "properties": [{"key": "sfsync", "value": {"caseId": "500A"}}]}),
        )
        .await,
        201,
    )
    .await;
    let key = created["key"].as_str().expect("key");
    let v3 = expect_json(
        jira.get(&format!("/rest/api/3/issue/{key}?properties=sfsync"))
            .await,
        200,
    )
    .await;
    assert_eq!(v3["fields"]["description"]["type"], "doc");
    assert_eq!(
        v3["fields"]["description"]["content"][0]["content"][1]["type"],
        "hardBreak"
    );
    assert_eq!(v3["properties"]["sfsync"]["caseId"], "500A");
    let v2 = expect_json(jira.get(&format!("/rest/api/2/issue/{key}")).await, 200).await;
    assert_eq!(v2["fields"]["description"], "Line one\nLine two");
    assert!(v2["self"]
        .as_str()
        .is_some_and(|s| s.contains("/rest/api/2/issue/")));

    let v3_comment = expect_json(
        jira.post(
            &format!("/rest/api/3/issue/{key}/comment"),
            &json!({"body": adf("ADF comment")}),
        )
        .await,
        201,
    )
    .await;
    let rejected = expect_json(
        jira.post(
            &format!("/rest/api/3/issue/{key}/comment"),
            &json!({"body": "a string"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(rejected["errorMessages"][0], "Comment body is not valid!");
    let v2_comment = expect_json(
        jira.get(&format!(
            "/rest/api/2/issue/{key}/comment/{}",
            v3_comment["id"].as_str().expect("id")
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(v2_comment["body"], "ADF comment");
    jira.stop().await;
}

#[tokio::test]
async fn edits_apply_fields_and_label_verbs_ignore_status_and_record_history() {
    let jira = Jira::start().await;
    let r = jira
        .put(
            "/rest/api/3/issue/SUP-1",
            &json!({"fields": {"summary": "Printer fire (contained)", "status": {"name": "Done"}},
                    "update": {"labels": [{"add": "urgent"}, {"remove": "hardware"}]}}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let issue = expect_json(
        jira.get("/rest/api/3/issue/SUP-1?expand=changelog,names&fields=summary,labels,status")
            .await,
        200,
    )
    .await;
    assert_eq!(issue["fields"]["summary"], "Printer fire (contained)");
    assert_eq!(issue["fields"]["labels"], json!(["salesforce", "urgent"]));
    assert_eq!(
        issue["fields"]["status"]["name"], "In Progress",
        "status is not editable"
    );
    assert_eq!(issue["names"]["summary"], "Summary");
    let last = issue["changelog"]["histories"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history")
        .clone();
    let fields: Vec<&str> = last["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["field"].as_str())
        .collect();
    assert_eq!(fields, ["summary", "labels"]);
    let returned = expect_json(
        jira.req(Method::PUT, "/rest/api/3/issue/SUP-1?returnIssue=true")
            .json(&json!({"fields": {"customfield_10001": {"id": "10102"}}}))
            .send()
            .await
            .expect("send"),
        200,
    )
    .await;
    assert_eq!(returned["fields"]["customfield_10001"]["value"], "Minor");
    let page = expect_json(
        jira.get("/rest/api/3/issue/SUP-1/changelog?maxResults=1")
            .await,
        200,
    )
    .await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["isLast"], false);
    assert!(page["nextPage"].as_str().is_some());
    jira.stop().await;
}

#[tokio::test]
async fn transitions_follow_the_workflow_and_refuse_invalid_moves() {
    let jira = Jira::start().await;
    let list = expect_json(jira.get("/rest/api/3/issue/ENG-2/transitions").await, 200).await;
    let names: Vec<&str> = list["transitions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["In Progress", "Done"], "from To Do");
    assert_eq!(
        list["transitions"][0]["to"]["statusCategory"]["key"],
        "indeterminate"
    );
    let invalid = expect_json(
        jira.post(
            "/rest/api/3/issue/ENG-2/transitions",
            &json!({"transition": {"id": "31"}}),
        )
        .await,
        400,
    )
    .await;
    assert!(invalid["errorMessages"][0]
        .as_str()
        .is_some_and(|m| m.contains("not valid for the current state of this issue (ENG-2)")));
    let unknown = expect_json(
        jira.post(
            "/rest/api/3/issue/ENG-2/transitions",
            &json!({"transition": {"id": "999"}}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        unknown["errorMessages"][0],
        "Transition id '999' is not valid for this issue."
    );
    let ok = jira
        .post(
            "/rest/api/3/issue/ENG-2/transitions",
            &json!({"transition": {"id": 21}}),
        )
        .await;
    assert_eq!(ok.status(), 204);
    let done = jira
        .post(
            "/rest/api/2/issue/ENG-2/transitions",
            &json!({"transition": {"id": "41"}, "fields": {"resolution": {"name": "Won't Do"}},
                    "update": {"comment": [{"add": {"body": "Closing as won't do"}}]}}),
        )
        .await;
    assert_eq!(done.status(), 204);
    let issue = expect_json(jira.get("/rest/api/3/issue/ENG-2").await, 200).await;
    assert_eq!(issue["fields"]["status"]["statusCategory"]["key"], "done");
    assert_eq!(issue["fields"]["status"]["statusCategory"]["id"], 3);
    assert_eq!(issue["fields"]["resolution"]["name"], "Won't Do");
    assert_eq!(issue["fields"]["comment"]["total"], 1);
    let reopen = jira
        .post(
            "/rest/api/3/issue/ENG-2/transitions",
            &json!({"transition": {"id": "11"}}),
        )
        .await;
    assert_eq!(reopen.status(), 204);
    let issue = expect_json(
        jira.get("/rest/api/3/issue/ENG-2?fields=resolution,status")
            .await,
        200,
    )
    .await;
    assert_eq!(issue["fields"]["resolution"], Value::Null);
    jira.stop().await;
}

#[tokio::test]
async fn comments_page_order_update_delete_and_carry_properties() {
    let jira = Jira::start().await;
    let added = expect_json(
        jira.post(
            "/rest/api/3/issue/SUP-2/comment",
            &json!({"body": adf("Second"), "visibility": {"type": "role", "value": "Administrators"},
                    "properties": [{"key": "sfsync", "value": {"feedItemId": "0D5A"}}]}),
        )
        .await,
        201,
    )
    .await;
    let id = added["id"].as_str().expect("id").to_string();
    assert_eq!(added["visibility"]["type"], "role");
    let page = expect_json(
        jira.get("/rest/api/3/issue/SUP-2/comment?orderBy=-created&maxResults=1")
            .await,
        200,
    )
    .await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["comments"][0]["id"], id.as_str());
    let prop = expect_json(
        jira.get(&format!("/rest/api/3/comment/{id}/properties/sfsync"))
            .await,
        200,
    )
    .await;
    assert_eq!(
        prop,
        json!({"key": "sfsync", "value": {"feedItemId": "0D5A"}})
    );
    let updated = expect_json(
        jira.put(
            &format!("/rest/api/3/issue/SUP-2/comment/{id}"),
            &json!({"body": adf("Edited")}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        updated["body"]["content"][0]["content"][0]["text"],
        "Edited"
    );
    assert_ne!(updated["updated"], Value::Null);
    assert_eq!(
        jira.delete(&format!("/rest/api/3/issue/SUP-2/comment/{id}"))
            .await
            .status(),
        204
    );
    let gone = expect_json(
        jira.get(&format!("/rest/api/3/issue/SUP-2/comment/{id}"))
            .await,
        404,
    )
    .await;
    assert!(gone["errorMessages"][0]
        .as_str()
        .is_some_and(|m| m.contains(&id)));
    jira.stop().await;
}

#[tokio::test]
async fn issue_properties_answer_201_then_200_and_list_their_keys() {
    let jira = Jira::start().await;
    let first = jira
        .put(
            "/rest/api/3/issue/SUP-3/properties/sfsync",
            &json!({"caseId": "500B"}),
        )
        .await;
    assert_eq!(first.status(), 201);
    assert!(first.bytes().await.expect("body").is_empty());
    let second = jira
        .put(
            "/rest/api/3/issue/SUP-3/properties/sfsync",
            &json!({"caseId": "500C"}),
        )
        .await;
    assert_eq!(second.status(), 200);
    let keys = expect_json(jira.get("/rest/api/3/issue/SUP-3/properties").await, 200).await;
    assert_eq!(keys["keys"][0]["key"], "sfsync");
    let value = expect_json(
        jira.get("/rest/api/3/issue/SUP-3/properties/sfsync").await,
        200,
    )
    .await;
    assert_eq!(value["value"]["caseId"], "500C");
    assert_eq!(
        jira.delete("/rest/api/3/issue/SUP-3/properties/sfsync")
            .await
            .status(),
        204
    );
    let missing = expect_json(
        jira.get("/rest/api/3/issue/SUP-3/properties/sfsync").await,
        404,
    )
    .await;
    assert_eq!(
        missing["errorMessages"][0],
        "The property with key 'sfsync' does not exist."
    );
    let no_issue = expect_json(jira.get("/rest/api/3/issue/SUP-999").await, 404).await;
    assert_eq!(
        no_issue["errorMessages"][0],
        "Issue does not exist or you do not have permission to see it."
    );
    jira.stop().await;
}

#[tokio::test]
async fn createmeta_reports_required_fields_and_limits_page_size() {
    let jira = Jira::start().await;
    let types = expect_json(
        jira.get("/rest/api/3/issue/createmeta/ENG/issuetypes")
            .await,
        200,
    )
    .await;
    assert_eq!(types["total"], 3);
    let fields = expect_json(
        jira.get("/rest/api/3/issue/createmeta/ENG/issuetypes/10001")
            .await,
        200,
    )
    .await;
    let severity = fields["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["fieldId"] == "customfield_10001"))
        .expect("severity");
    assert_eq!(severity["required"], true);
    assert_eq!(severity["allowedValues"][0]["value"], "Critical");
    let too_many = expect_json(
        jira.get("/rest/api/3/issue/createmeta/ENG/issuetypes/10001?maxResults=201")
            .await,
        400,
    )
    .await;
    assert_eq!(
        too_many["errorMessages"][0],
        "Parameter 'maxResults' must not exceed the limit '200'"
    );
    let old = expect_json(
        jira.get("/rest/api/2/issue/createmeta?projectKeys=ENG&expand=projects.issuetypes.fields")
            .await,
        200,
    )
    .await;
    assert_eq!(
        old["projects"][0]["issuetypes"][1]["fields"]["customfield_10001"]["required"],
        true
    );
    jira.stop().await;
}
