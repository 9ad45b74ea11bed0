//! Smart Connected Items: validated against live metadata, recorded, listed with their Latest
//! Sync, edited with optimistic concurrency, deleted.

use serde_json::{json, Value};

use crate::world::connected_world;

fn problems(body: &Value) -> Vec<String> {
    body["details"]["problems"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| p["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn a_two_way_case_item_is_saved_and_listed_with_its_summary_columns() {
    let world = connected_world().await;
    let id = world.case_item(true).await;
    let (status, body) = world.get("/api/admin/items").await;
    assert_eq!(status, 200);
    let row = &body["items"][0];
    assert_eq!(row["id"], id.as_str());
    assert_eq!(row["name"], "Support cases");
    assert_eq!(row["mode"], "two_way");
    assert_eq!(row["jira_scope"], json!(["SUP"]));
    assert_eq!(row["issue_type"]["name"], "Support Request");
    assert_eq!(
        row["salesforce_source"]["module"],
        "Salesforce Service Cloud"
    );
    assert_eq!(
        row["fields_summary"],
        "Subject ⇄ summary, Description ⇄ description"
    );
    assert_eq!(row["options"]["status_sync"], "Status");
    assert_eq!(row["latest_sync"]["state"], "waiting");
    let (status, detail) = world.get(&format!("/api/admin/items/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["version"], 1);
}

#[actix_web::test]
async fn an_item_on_an_unknown_object_or_field_is_refused_field_by_field() {
    let world = connected_world().await;
    let issue_type = world.support_request_type().await;
    let (status, body) = world
        .post(
            "/api/admin/items",
            json!({"name": "Widgets", "mode": "one_way", "jira_projects": ["SUP"],
                   "issue_type_id": issue_type, "object": "Widget__c"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "invalid_item");
    assert_eq!(problems(&body), ["object"]);

    let (status, body) = world
        .post(
            "/api/admin/items",
            json!({"name": "Cases", "mode": "two_way", "jira_projects": ["SUP"],
                   "issue_type_id": issue_type, "object": "Case",
                   "preview_fields": ["Nope__c"],
                   "mappings": [{"salesforce_field": "CaseNumber", "jira_field": "summary"}]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(problems(&body), ["preview_fields[0]", "mappings[0]"]);
    let mapping = &body["details"]["problems"][1]["message"];
    assert!(
        mapping.as_str().is_some_and(|m| m.contains("CaseNumber")),
        "{mapping}"
    );

    // An issue type is named by its id; its name is not an id and is refused.
    let (status, body) = world
        .post(
            "/api/admin/items",
            json!({"name": "Cases", "mode": "one_way", "jira_projects": ["SUP"],
                   "issue_type_id": "Support Request", "object": "Case"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(problems(&body), ["issue_type_id"]);
    let (_, list) = world.get("/api/admin/items").await;
    assert_eq!(list["items"], json!([]), "nothing saved");
}

#[actix_web::test]
async fn status_sync_on_an_object_without_a_status_like_field_is_refused() {
    let world = connected_world().await;
    let issue_type = world.support_request_type().await;
    let (status, body) = world
        .post(
            "/api/admin/items",
            json!({"name": "Accounts", "mode": "one_way", "jira_projects": ["SUP"],
                   "issue_type_id": issue_type, "object": "Account",
                   "options": {"status_sync": {"salesforce_field": "Name"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(problems(&body), ["options.status_sync"]);
}

#[actix_web::test]
async fn required_jira_fields_nothing_fills_are_warnings_before_and_after_saving() {
    let world = connected_world().await;
    let (_, types) = world.get("/api/admin/jira/projects/ENG/issue-types").await;
    let bug = types["issue_types"]
        .as_array()
        .expect("types")
        .iter()
        .find(|t| t["name"] == "Bug")
        .and_then(|t| t["id"].as_str())
        .expect("a Bug type")
        .to_string();
    let item = json!({"name": "Bugs", "mode": "one_way", "jira_projects": ["ENG"],
                      "issue_type_id": bug, "object": "Case",
                      "mappings": [{"salesforce_field": "Subject", "jira_field": "summary"}],
                      "options": {"auto_create": true}});
    let (status, check) = world.post("/api/admin/items/validate", item.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(check["valid"], true);
    let warnings = check["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{check}");
    assert!(
        warnings[0].as_str().is_some_and(|w| w.contains("Severity")),
        "{check}"
    );
    let (status, saved) = world.post("/api/admin/items", item).await;
    assert_eq!(status, 201);
    assert_eq!(saved["warnings"], check["warnings"]);
}

#[actix_web::test]
async fn a_stale_edit_is_refused_and_a_fresh_one_is_recorded() {
    let world = connected_world().await;
    let id = world.case_item(false).await;
    let (_, detail) = world.get(&format!("/api/admin/items/{id}")).await;
    let mut definition = detail["definition"].clone();
    definition["name"] = "Renamed".into();
    let response = world
        .app
        .http
        .put(world.app.url(&format!("/api/admin/items/{id}")))
        .bearer_auth(&world.app.token)
        .header("If-Match", "\"7\"")
        .json(&definition)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "stale_item");
    let response = world
        .app
        .http
        .put(world.app.url(&format!("/api/admin/items/{id}")))
        .bearer_auth(&world.app.token)
        .header("If-Match", "\"1\"")
        .json(&definition)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let row: Value = response.json().await.expect("json");
    assert_eq!(row["name"], "Renamed");
}

#[actix_web::test]
async fn unknown_keys_in_an_item_are_named_not_ignored() {
    let world = connected_world().await;
    let (status, body) = world
        .post(
            "/api/admin/items",
            json!({"name": "x", "mode": "two_way", "jira_projects": ["SUP"], "object": "Case", "auto_create": true}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("auto_create")),
        "{body}"
    );
}

#[actix_web::test]
async fn a_deleted_item_is_gone_from_the_list() {
    let world = connected_world().await;
    let id = world.case_item(false).await;
    let (status, _) = world
        .api(
            reqwest::Method::DELETE,
            &format!("/api/admin/items/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = world.get(&format!("/api/admin/items/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "item_not_found");
    let (_, list) = world.get("/api/admin/items").await;
    assert_eq!(list["items"], json!([]));
    let (status, _) = world.get("/api/admin/items/not-an-id").await;
    assert_eq!(status, 400);
}

#[actix_web::test]
async fn the_pickers_offer_modules_objects_expanded_labels_and_create_screens() {
    let world = connected_world().await;
    let (status, body) = world.get("/api/admin/salesforce/objects").await;
    assert_eq!(status, 200);
    let service = &body["modules"][0];
    assert_eq!(service["label"], "Salesforce Service Cloud");
    assert_eq!(service["objects"][0]["name"], "Case");
    let (status, fields) = world
        .get("/api/admin/salesforce/objects/Account/fields")
        .await;
    assert_eq!(status, 200);
    let name = fields["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == "Name")
        .expect("Name");
    assert_eq!(name["label"], "Account Name");
    let (status, _) = world
        .get("/api/admin/salesforce/objects/Nope__c/fields")
        .await;
    assert_eq!(status, 404);
    let issue_type = world.support_request_type().await;
    let (status, screen) = world
        .get(&format!(
            "/api/admin/jira/projects/SUP/issue-types/{issue_type}/fields"
        ))
        .await;
    assert_eq!(status, 200);
    assert!(screen["fields"].as_array().is_some_and(|f| f
        .iter()
        .any(|f| f["id"] == "summary" && f["required"] == true)));
}
