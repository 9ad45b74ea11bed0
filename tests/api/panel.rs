//! The issue panel: cards per item, search, link by pasted id, refresh, unlink rules.

use serde_json::{json, Value};

use crate::world::{connected_world, World};

async fn a_case(world: &World, subject: &str) -> String {
    let (status, body) = world
        .sf_rest(
            reqwest::Method::POST,
            "sobjects/Case",
            Some(
                json!({"Subject": subject, "Status": "New", "Origin": "Web", "Priority": "Medium"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_string()
}

#[actix_web::test]
async fn a_pasted_15_character_id_links_the_record_and_writes_the_link_note() {
    let world = connected_world().await;
    let item = world.case_item(false).await;
    let case = a_case(&world, "Printer jams on tray 2").await;
    let short = &case[..15];
    let (status, card) = world
        .post(
            &format!("/api/issues/SUP-1/items/{item}/link"),
            json!({"record_id": short}),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    let link = &card["link"];
    assert_eq!(
        link["record_id"],
        case.as_str(),
        "normalised to 18 characters"
    );
    assert_eq!(link["origin"], "manual");
    assert_eq!(link["unlink"]["allowed"], true);
    assert!(
        link["record_label"]
            .as_str()
            .is_some_and(|l| l.ends_with("[Printer jams on tray 2]")),
        "{card}"
    );
    let subject = link["preview"]
        .as_array()
        .expect("preview")
        .iter()
        .find(|r| r["field"] == "Subject")
        .expect("Subject row");
    assert_eq!(subject["value"], "Printer jams on tray 2");
    assert!(link["open_url"]
        .as_str()
        .is_some_and(|u| u.ends_with(&format!("/lightning/r/Case/{case}/view"))));
    let notes = world.sf_records("CaseComment").await;
    let note = notes
        .iter()
        .find(|c| c["ParentId"] == case.as_str())
        .and_then(|c| c["CommentBody"].as_str())
        .expect("a link note on the Case");
    assert!(
        note.contains("Issue: SUP-1") && note.contains("Link: manual"),
        "{note}"
    );
    let (_, panel) = world.get("/api/issues/SUP-1/panel").await;
    assert_eq!(panel["cards"].as_array().map(Vec::len), Some(1));
    assert_eq!(panel["cards"][0]["link"]["record_id"], case.as_str());
}

#[actix_web::test]
async fn wrong_malformed_or_mistyped_ids_are_refused_with_the_reason() {
    let world = connected_world().await;
    let item = world.case_item(false).await;
    let account = world
        .sf_load("Account", json!([{"Name": "Globex"}]))
        .await
        .remove(0);
    let path = format!("/api/issues/SUP-1/items/{item}/link");
    let (status, body) = world.post(&path, json!({"record_id": account})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "wrong_object");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Account")),
        "{body}"
    );
    let (status, body) = world.post(&path, json!({"record_id": "500xx"})).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "invalid_record_id");
    let case = a_case(&world, "x").await;
    let mistyped = format!("{}ZZZ", &case[..15]);
    let (status, body) = world.post(&path, json!({"record_id": mistyped})).await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("checksum")),
        "{body}"
    );
    let (status, body) = world
        .post(
            &format!("/api/issues/SUP-999/items/{item}/link"),
            json!({"record_id": case}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "issue_not_found");
    let (status, _) = world
        .post(
            &format!("/api/issues/not a key/items/{item}/link"),
            json!({"record_id": case}),
        )
        .await;
    assert!(status == 400 || status == 404);
    assert!(
        world.get("/api/issues/SUP-1/panel").await.1["cards"][0]["link"].is_null(),
        "nothing linked"
    );
}

#[actix_web::test]
async fn search_uses_the_objects_search_fields_and_says_which_when_nothing_matches() {
    let world = connected_world().await;
    let item = world.case_item(false).await;
    a_case(&world, "Scanner smells of toast").await;
    a_case(&world, "Laptop battery swelling").await;
    let (status, found) = world
        .get(&format!("/api/issues/SUP-1/items/{item}/search?q=toast"))
        .await;
    assert_eq!(status, 200, "{found}");
    let results = found["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    assert!(
        results[0]["label"]
            .as_str()
            .is_some_and(|l| l.ends_with("[Scanner smells of toast]")),
        "{found}"
    );
    let (_, tricky) = world
        .get(&format!(
            "/api/issues/SUP-1/items/{item}/search?q=%27%25_%5C"
        ))
        .await;
    assert_eq!(
        tricky["results"],
        json!([]),
        "quotes and wildcards are escaped: {tricky}"
    );
    let hint = tricky["hint"].as_str().expect("hint");
    assert!(
        hint.contains("CaseNumber") && hint.contains("Subject"),
        "{hint}"
    );
}

#[actix_web::test]
async fn refresh_pulls_new_values_and_unlink_removes_a_manual_link() {
    let world = connected_world().await;
    let item = world.case_item(false).await;
    let case = a_case(&world, "Old subject").await;
    let link_path = format!("/api/issues/SUP-2/items/{item}/link");
    let (status, _) = world.post(&link_path, json!({"record_id": case})).await;
    assert_eq!(status, 200);
    let (status, _) = world
        .sf_rest(
            reqwest::Method::PATCH,
            &format!("sobjects/Case/{case}"),
            Some(json!({"Subject": "New subject"})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, card) = world
        .post(
            &format!("/api/issues/SUP-2/items/{item}/refresh"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    assert!(card["link"]["record_label"]
        .as_str()
        .is_some_and(|l| l.ends_with("[New subject]")));
    let issue = world.jira_issue("SUP-2").await;
    assert_eq!(
        issue["summary"], "New subject",
        "the mapped field reached Jira"
    );
    let other = a_case(&world, "another").await;
    let (status, body) = world.post(&link_path, json!({"record_id": other})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "already_linked");
    let (status, card) = world.api(reqwest::Method::DELETE, &link_path, None).await;
    assert_eq!(status, 200, "{card}");
    assert!(card["link"].is_null());
    let (status, body) = world.api(reqwest::Method::DELETE, &link_path, None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "not_linked");
}

#[actix_web::test]
async fn cards_only_show_items_of_the_issues_project() {
    let world = connected_world().await;
    world.case_item(false).await;
    let (_, sup) = world.get("/api/issues/SUP-1/panel").await;
    assert_eq!(sup["cards"].as_array().map(Vec::len), Some(1));
    assert_eq!(sup["cards"][0]["status_sync"], "Status");
    assert_eq!(sup["cards"][0]["object_label"], "Case");
    let (_, eng) = world.get("/api/issues/ENG-1/panel").await;
    assert_eq!(eng["cards"], json!([]));
}

#[actix_web::test]
async fn every_admin_and_panel_route_needs_the_admin_token() {
    let world = connected_world().await;
    let item = "0193a000-0000-7000-8000-000000000000";
    let routes: Vec<(reqwest::Method, String)> = vec![
        (reqwest::Method::GET, "/api/admin/connection".into()),
        (reqwest::Method::PUT, "/api/admin/connection".into()),
        (reqwest::Method::DELETE, "/api/admin/connection".into()),
        (reqwest::Method::GET, "/api/admin/salesforce/objects".into()),
        (
            reqwest::Method::GET,
            "/api/admin/salesforce/objects/Case/fields".into(),
        ),
        (reqwest::Method::GET, "/api/admin/jira/projects".into()),
        (
            reqwest::Method::GET,
            "/api/admin/jira/projects/SUP/issue-types".into(),
        ),
        (
            reqwest::Method::GET,
            "/api/admin/jira/projects/SUP/issue-types/1/fields".into(),
        ),
        (reqwest::Method::GET, "/api/admin/items".into()),
        (reqwest::Method::POST, "/api/admin/items".into()),
        (reqwest::Method::POST, "/api/admin/items/validate".into()),
        (reqwest::Method::GET, format!("/api/admin/items/{item}")),
        (reqwest::Method::PUT, format!("/api/admin/items/{item}")),
        (reqwest::Method::DELETE, format!("/api/admin/items/{item}")),
        (
            reqwest::Method::POST,
            format!("/api/admin/items/{item}/sync"),
        ),
        (reqwest::Method::GET, "/api/issues/SUP-1/panel".into()),
        (
            reqwest::Method::GET,
            format!("/api/issues/SUP-1/items/{item}/search?q=x"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/issues/SUP-1/items/{item}/link"),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/issues/SUP-1/items/{item}/link"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/issues/SUP-1/items/{item}/refresh"),
        ),
    ];
    for (method, path) in routes {
        let response = world
            .app
            .http
            .request(method.clone(), world.app.url(&path))
            .json(&json!({}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 401, "{method} {path}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"], "unauthorized", "{method} {path}");
    }
}
