//! JQL search through the Jira emulator: `/search/jql` token paging and field selection,
//! approximate counts, the old `startAt`/`total` search, and Jira's JQL errors.

use crate::support;

use reqwest::Method;
use serde_json::{json, Value};
use support::{expect_json, Jira};

#[tokio::test]
async fn search_jql_pages_with_tokens_and_returns_ids_by_default() {
    let jira = Jira::start().await;
    let mut token: Option<String> = None;
    let mut keys = Vec::new();
    let mut pages = 0;
    loop {
        let mut body = json!({"jql": "project in (SUP, ENG) ORDER BY key ASC", "maxResults": 2, "fields": ["key"]});
        if let Some(t) = &token {
            body["nextPageToken"] = json!(t);
        }
        let page = expect_json(jira.post("/rest/api/3/search/jql", &body).await, 200).await;
        pages += 1;
        for issue in page["issues"].as_array().expect("issues") {
            keys.push(issue["key"].as_str().expect("key").to_string());
        }
        assert!(page.get("total").is_none() && page.get("startAt").is_none());
        match page.get("nextPageToken").and_then(|t| t.as_str()) {
            Some(t) => {
                assert_eq!(page["isLast"], false);
                token = Some(t.to_string());
            }
            None => {
                assert_eq!(page["isLast"], true);
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(keys, ["ENG-1", "ENG-2", "SUP-1", "SUP-2", "SUP-3"]);
    let ids_only = expect_json(
        jira.get("/rest/api/3/search/jql?jql=project%3DSUP").await,
        200,
    )
    .await;
    assert_eq!(ids_only["issues"][0], json!({"id": "10002"}));
    jira.stop().await;
}

#[tokio::test]
async fn search_fields_expand_and_properties_shape_each_issue() {
    let jira = Jira::start().await;
    jira.put(
        "/rest/api/3/issue/SUP-1/properties/sfsync",
        &json!({"caseId": "500A"}),
    )
    .await;
    let page = expect_json(
        jira.get("/rest/api/3/search/jql?jql=key%3DSUP-1&fields=summary,status&fields=-status&properties=sfsync&expand=names,changelog").await,
        200,
    )
    .await;
    let issue = &page["issues"][0];
    assert_eq!(issue["fields"].as_object().map(|f| f.len()), Some(1));
    assert_eq!(issue["properties"]["sfsync"]["caseId"], "500A");
    assert!(issue["changelog"]["histories"].is_array());
    assert_eq!(page["names"]["summary"], "Summary");
    let all = expect_json(
        jira.post(
            "/rest/api/3/search/jql",
            &json!({"jql": "key = SUP-1", "fields": ["*all"]}),
        )
        .await,
        200,
    )
    .await;
    assert!(all["issues"][0]["fields"]["comment"]["comments"].is_array());
    let navigable = expect_json(
        jira.post(
            "/rest/api/3/search/jql",
            &json!({"jql": "key = SUP-1", "fields": ["*navigable"]}),
        )
        .await,
        200,
    )
    .await;
    assert!(navigable["issues"][0]["fields"].get("comment").is_none());
    assert!(navigable["issues"][0]["fields"]["customfield_10000"].is_string());
    jira.stop().await;
}

#[tokio::test]
async fn unbounded_queries_and_bad_jql_get_jiras_400s() {
    let jira = Jira::start().await;
    let unbounded = expect_json(
        jira.post(
            "/rest/api/3/search/jql",
            &json!({"jql": "order by key desc"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        unbounded["errorMessages"][0],
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
    );
    let syntax = expect_json(
        jira.post(
            "/rest/api/3/search/jql",
            &json!({"jql": "project = SUP AND"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        syntax["errorMessages"][0],
        "Error in the JQL Query: Expecting a field name before the end of the query. (line 1, character 18)"
    );
    let field = expect_json(
        jira.post("/rest/api/3/search/jql", &json!({"jql": "bogus = 1"}))
            .await,
        400,
    )
    .await;
    assert_eq!(
        field["errorMessages"][0],
        "Field 'bogus' does not exist or you do not have permission to view it."
    );
    let token = expect_json(
        jira.post(
            "/rest/api/3/search/jql",
            &json!({"jql": "project = SUP", "nextPageToken": "nonsense"}),
        )
        .await,
        400,
    )
    .await;
    assert!(token["errorMessages"][0]
        .as_str()
        .is_some_and(|m| m.contains("token")));
    jira.stop().await;
}

#[tokio::test]
async fn approximate_count_and_the_old_search_report_totals() {
    let jira = Jira::start().await;
    let count = expect_json(
        jira.post(
            "/rest/api/3/search/approximate-count",
            &json!({"jql": "project = SUP"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(count, json!({"count": 3}));
    let old = expect_json(
        jira.get("/rest/api/2/search?jql=project%3DSUP%20ORDER%20BY%20key&startAt=1&maxResults=1")
            .await,
        200,
    )
    .await;
    assert_eq!(old["total"], 3);
    assert_eq!(old["startAt"], 1);
    assert_eq!(old["issues"][0]["key"], "SUP-2");
    assert!(
        old["issues"][0]["fields"]["description"].is_string(),
        "v2 search bodies are text"
    );
    let unbounded_ok = expect_json(
        jira.post("/rest/api/3/search", &json!({"jql": ""})).await,
        200,
    )
    .await;
    assert_eq!(unbounded_ok["total"], 5);
    jira.stop().await;
}

#[tokio::test]
async fn updated_order_pages_by_position_and_a_changed_issue_moves_to_the_end() {
    let jira = Jira::start().await;
    let loaded: Vec<Value> = (0..7)
        .map(|i| {
            json!({"project": "SUP", "summary": format!("Loaded {i}"), "labels": ["bulk"],
                   "created": format!("2020-01-01T00:00:0{i}.000Z")})
        })
        .collect();
    let created = expect_json(
        jira.control(Method::POST, "/__emulator/issues", Some(&json!(loaded)))
            .await,
        201,
    )
    .await;
    assert_eq!(created["issues"].as_array().map(Vec::len), Some(7));
    assert_eq!(created["issues"][0]["key"], "SUP-4");
    let jql = "labels = bulk AND updated >= \"2020-01-01 00:00\" ORDER BY updated ASC";
    let mut token: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let mut body = json!({"jql": jql, "maxResults": 2, "fields": ["summary"]});
        if let Some(t) = &token {
            body["nextPageToken"] = json!(t);
        }
        let page = expect_json(jira.post("/rest/api/3/search/jql", &body).await, 200).await;
        for issue in page["issues"].as_array().expect("issues") {
            seen.push(
                issue["fields"]["summary"]
                    .as_str()
                    .expect("summary")
                    .to_string(),
            );
        }
        if seen.len() == 2 {
            // Edited between pages: it leaves its place and comes again at the end.
            let edit = jira
                .put(
                    "/rest/api/3/issue/SUP-4",
                    &json!({"fields": {"summary": "Loaded 0, edited"}}),
                )
                .await;
            assert_eq!(edit.status(), 204);
        }
        match page["nextPageToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "Loaded 0",
            "Loaded 1",
            "Loaded 2",
            "Loaded 3",
            "Loaded 4",
            "Loaded 5",
            "Loaded 6",
            "Loaded 0, edited"
        ]
    );
    jira.stop().await;
}

#[tokio::test]
async fn a_bulk_load_with_a_bad_issue_creates_none() {
    let jira = Jira::start().await;
    let refused = expect_json(
        jira.control(
            Method::POST,
            "/__emulator/issues",
            Some(&json!([
                {"project": "SUP", "summary": "fine"},
                {"project": "SUP", "summary": "bad type", "issuetype": "No such type"}
            ])),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(refused["error"], "invalid_issue");
    assert!(refused["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("issue 1:")));
    let count = expect_json(
        jira.post(
            "/rest/api/3/search/approximate-count",
            &json!({"jql": "project = SUP"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(count, json!({"count": 3}));
    let one = expect_json(
        jira.control(
            Method::POST,
            "/__emulator/issues",
            Some(
                &json!({"project": "SUP", "summary": "one", "issuetype": "Support Request",
                         "description": "Loaded.", "labels": ["bulk"]}),
            ),
        )
        .await,
        201,
    )
    .await;
    let key = one["issues"][0]["key"].as_str().expect("key");
    let issue = expect_json(
        jira.get(&format!(
            "/rest/api/3/issue/{key}?fields=summary,labels,issuetype"
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(issue["fields"]["labels"], json!(["bulk"]));
    assert_eq!(issue["fields"]["issuetype"]["name"], "Support Request");
    jira.stop().await;
}
