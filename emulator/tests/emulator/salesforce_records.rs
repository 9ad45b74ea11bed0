//! Record create, read, update, delete and each of their error codes, over real HTTP.

use crate::salesforce_support;

use emulator::common::Seed;
use emulator::salesforce::ids;
use reqwest::Method;
use salesforce_support::start;
use serde_json::json;

#[tokio::test]
async fn a_record_is_created_read_updated_and_deleted() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .post(
            "/sobjects/Account",
            json!({"Name": "Acme", "Industry": "Energy"}),
        )
        .await;
    assert_eq!(a.status, 201);
    let id = a.body["id"].as_str().unwrap().to_string();
    assert_eq!(a.body, json!({"id": id, "success": true, "errors": []}));
    assert!(id.starts_with("001") && id.len() == 18);
    assert_eq!(
        ids::to18(&id[..15]).unwrap(),
        id,
        "ids carry a correct checksum"
    );

    let a = sf.get(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(a.status, 200);
    let keys: Vec<&str> = a
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys[..3], ["attributes", "Id", "IsDeleted"]);
    assert_eq!(
        a.body["attributes"],
        json!({"type": "Account", "url": format!("/services/data/v60.0/sobjects/Account/{id}")})
    );
    assert_eq!(a.body["Name"], "Acme");
    assert!(a.body["CreatedDate"]
        .as_str()
        .unwrap()
        .ends_with(".000+0000"));

    let a = sf
        .get(&format!(
            "/sobjects/Account/{}?fields=Name,Industry",
            &id[..15]
        ))
        .await;
    assert_eq!(a.status, 200, "15-character ids are accepted");
    let keys: Vec<&str> = a
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["attributes", "Name", "Industry"]);

    let a = sf
        .patch(
            &format!("/sobjects/Account/{id}"),
            json!({"Industry": "Retail"}),
        )
        .await;
    assert_eq!(a.status, 204);
    assert!(a.body.is_null());
    assert_eq!(
        sf.get(&format!("/sobjects/Account/{id}")).await.body["Industry"],
        "Retail"
    );

    let a = sf.delete(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(a.status, 204);
    let a = sf.get(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(a.status, 404);
    assert_eq!(
        a.body,
        json!([{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}])
    );
    assert_eq!(
        sf.patch(&format!("/sobjects/Account/{id}"), json!({"Name": "x"}))
            .await
            .code(),
        "ENTITY_IS_DELETED"
    );
    assert_eq!(
        sf.delete(&format!("/sobjects/Account/{id}")).await.code(),
        "ENTITY_IS_DELETED"
    );
    sf.stop().await;
}

#[tokio::test]
async fn malformed_unknown_and_mistyped_ids_are_refused() {
    let sf = start(Seed::Empty).await;
    let account = sf.create("Account", json!({"Name": "A"})).await;
    let a = sf.get(&format!("/sobjects/Case/{account}")).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.code(), "MALFORMED_ID");
    let bad_checksum = format!("{}AAA", &account[..15]);
    assert_eq!(
        sf.get(&format!("/sobjects/Account/{bad_checksum}"))
            .await
            .code(),
        "MALFORMED_ID"
    );
    let missing = ids::make("001", 999_999);
    let a = sf.get(&format!("/sobjects/Account/{missing}")).await;
    assert_eq!(a.status, 404);
    assert_eq!(
        a.body,
        json!([{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
    );
    let a = sf.get("/sobjects/Bogus__c/x").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.code(), "NOT_FOUND");
    sf.stop().await;
}

#[tokio::test]
async fn unknown_and_read_only_fields_are_refused() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .post("/sobjects/Case", json!({"Subject": "x", "Foo": 1}))
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.code(), "INVALID_FIELD");
    assert_eq!(a.message(), "No such column 'Foo' on sobject of type Case");
    let a = sf
        .post(
            "/sobjects/Case",
            json!({"Subject": "x", "CaseNumber": "1", "IsClosed": true}),
        )
        .await;
    assert_eq!(a.code(), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(a.body[0]["fields"], json!(["CaseNumber", "IsClosed"]));
    assert!(a
        .message()
        .starts_with("Unable to create/update fields: CaseNumber, IsClosed."));
    let case = sf.create("Case", json!({"Subject": "x"})).await;
    let a = sf
        .patch(
            &format!("/sobjects/Case/{case}"),
            json!({"CreatedDate": "2024-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(a.code(), "INVALID_FIELD_FOR_INSERT_UPDATE");
    sf.stop().await;
}

#[tokio::test]
async fn required_fields_picklists_and_lengths_are_enforced() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .post("/sobjects/Opportunity", json!({"Name": "Deal"}))
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body,
        json!([{"message": "Required fields are missing: [StageName, CloseDate]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["StageName", "CloseDate"]}])
    );
    let a = sf.post("/sobjects/Case", json!({"Status": "Bogus"})).await;
    assert_eq!(
        a.body,
        json!([{"message": "Status: bad value for restricted picklist field: Bogus", "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["Status"]}])
    );
    let a = sf
        .post("/sobjects/Case", json!({"Subject": "s".repeat(256)}))
        .await;
    assert_eq!(a.code(), "STRING_TOO_LONG");
    assert!(a
        .message()
        .starts_with("Subject: data value too large: sss"));
    assert!(a.message().ends_with("(max length=255)"));
    let case = sf.create("Case", json!({"Subject": "x"})).await;
    let a = sf
        .post(
            "/sobjects/CaseComment",
            json!({"ParentId": case, "CommentBody": "é".repeat(2001)}),
        )
        .await;
    assert_eq!(
        a.code(),
        "STRING_TOO_LONG",
        "CaseComment bodies are limited to 4,000 bytes"
    );
    let a = sf
        .patch(
            &format!(
                "/sobjects/Account/{}",
                sf.create("Account", json!({"Name": "A"})).await
            ),
            json!({"Name": null}),
        )
        .await;
    assert_eq!(a.code(), "REQUIRED_FIELD_MISSING");
    sf.stop().await;
}

#[tokio::test]
async fn wrong_types_bad_lookups_and_bad_json_are_refused() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .post("/sobjects/Case", json!({"IsEscalated": "maybe"}))
        .await;
    assert_eq!(a.code(), "JSON_PARSER_ERROR");
    let a = sf
        .post("/sobjects/Case", json!({"AccountId": "notanid"}))
        .await;
    assert_eq!(
        a.body,
        json!([{"message": "Account ID: id value of incorrect type: notanid", "errorCode": "MALFORMED_ID", "fields": ["AccountId"]}])
    );
    let contact = sf.create("Contact", json!({"LastName": "Gray"})).await;
    let a = sf
        .post("/sobjects/Case", json!({"AccountId": contact}))
        .await;
    assert_eq!(
        a.code(),
        "MALFORMED_ID",
        "a Contact id is not an Account id"
    );
    let ghost = ids::make("001", 424_242);
    assert_eq!(
        sf.post("/sobjects/Case", json!({"AccountId": ghost}))
            .await
            .code(),
        "INVALID_CROSS_REFERENCE_KEY"
    );
    let a = sf
        .post(
            "/sobjects/Contact",
            json!({"LastName": "x", "Email": "not-an-email"}),
        )
        .await;
    assert_eq!(a.code(), "INVALID_EMAIL_ADDRESS");
    let r = sf
        .http
        .post(sf.url("/sobjects/Case"))
        .bearer_auth(&sf.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body[0]["errorCode"], "JSON_PARSER_ERROR");
    sf.stop().await;
}

#[tokio::test]
async fn validation_rules_armed_through_the_control_api_reject_saves() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .control(
            Method::POST,
            "/validation-rules",
            Some(json!({"object": "Case", "name": "Reason_required_to_close", "condition": "Status = 'Closed' AND Reason = null", "message": "Give a reason before closing the case.", "field": "Reason"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let case = sf.create("Case", json!({"Subject": "x"})).await;
    let a = sf
        .patch(
            &format!("/sobjects/Case/{case}"),
            json!({"Status": "Closed"}),
        )
        .await;
    assert_eq!(
        a.body,
        json!([{"message": "Give a reason before closing the case.", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": ["Reason"]}])
    );
    let a = sf
        .patch(
            &format!("/sobjects/Case/{case}"),
            json!({"Status": "Closed", "Reason": "Other"}),
        )
        .await;
    assert_eq!(a.status, 204);
    let bad = sf
        .control(
            Method::POST,
            "/validation-rules",
            Some(json!({"object": "Case", "name": "x", "condition": "Nope = 1", "message": "m"})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"], "invalid_rule");
    sf.stop().await;
}

#[tokio::test]
async fn closing_a_case_follows_case_status_and_sets_closed_date() {
    let sf = start(Seed::Empty).await;
    sf.freeze("2024-03-01T10:00:00Z").await;
    let case = sf.create("Case", json!({"Subject": "x"})).await;
    let fresh = sf.get(&format!("/sobjects/Case/{case}")).await.body;
    assert_eq!(fresh["Status"], "New");
    assert_eq!(fresh["Priority"], "Medium");
    assert_eq!(fresh["CaseNumber"], "00001001");
    assert_eq!(fresh["IsClosed"], false);
    sf.advance(60).await;
    sf.patch(
        &format!("/sobjects/Case/{case}"),
        json!({"Status": "Closed"}),
    )
    .await;
    let closed = sf.get(&format!("/sobjects/Case/{case}")).await.body;
    assert_eq!(closed["IsClosed"], true);
    assert_eq!(closed["ClosedDate"], "2024-03-01T10:01:00.000+0000");
    sf.patch(
        &format!("/sobjects/Case/{case}"),
        json!({"Status": "Working"}),
    )
    .await;
    let reopened = sf.get(&format!("/sobjects/Case/{case}")).await.body;
    assert_eq!(
        (reopened["IsClosed"].clone(), reopened["ClosedDate"].clone()),
        (json!(false), json!(null))
    );
    let statuses = sf
        .control(Method::PUT, "/case-statuses", Some(json!([{"value": "Open", "default": true}, {"value": "Resolved", "closed": true}, {"value": "Duplicate", "closed": true}])))
        .await;
    assert_eq!(statuses.status, 200, "{}", statuses.body);
    sf.patch(
        &format!("/sobjects/Case/{case}"),
        json!({"Status": "Duplicate"}),
    )
    .await;
    assert_eq!(
        sf.get(&format!("/sobjects/Case/{case}")).await.body["IsClosed"],
        true,
        "closure depends on IsClosed, not on the word Closed"
    );
    sf.stop().await;
}

#[tokio::test]
async fn compound_names_auto_numbers_and_upsert_by_external_id() {
    let sf = start(Seed::Empty).await;
    let contact = sf
        .create("Contact", json!({"FirstName": "Jane", "LastName": "Gray"}))
        .await;
    assert_eq!(
        sf.get(&format!("/sobjects/Contact/{contact}")).await.body["Name"],
        "Jane Gray"
    );
    let account = sf.create("Account", json!({"Name": "A"})).await;
    let contract = sf.create("Contract", json!({"AccountId": account})).await;
    assert_eq!(
        sf.get(&format!("/sobjects/Contract/{contract}")).await.body["ContractNumber"],
        "00000100"
    );
    let a = sf
        .control(
            Method::POST,
            "/objects/Account/fields",
            Some(
                json!({"name": "Ext_Id__c", "type": "string", "external_id": true, "unique": true}),
            ),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let a = sf
        .patch(
            "/sobjects/Account/Ext_Id__c/E-1",
            json!({"Name": "Upserted"}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["created"], true);
    let a = sf
        .patch(
            "/sobjects/Account/Ext_Id__c/E-1",
            json!({"Name": "Updated"}),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["created"], false);
    assert_eq!(
        sf.get("/sobjects/Account/Ext_Id__c/E-1").await.body["Name"],
        "Updated"
    );
    let a = sf
        .patch(
            "/sobjects/Account/Ext_Id__c/E%202",
            json!({"Name": "Spaced"}),
        )
        .await;
    assert_eq!(
        a.status, 201,
        "percent-encoded external ids are decoded: {}",
        a.body
    );
    let rows = sf
        .rows("SELECT Name FROM Account WHERE Ext_Id__c = 'E 2'")
        .await;
    assert_eq!(rows[0]["Name"], "Spaced");
    sf.stop().await;
}

#[tokio::test]
async fn wrong_methods_answer_method_not_allowed() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .call(Method::PUT, "/sobjects/Account", Some(json!({})))
        .await;
    assert_eq!(a.status, 405);
    assert_eq!(a.code(), "METHOD_NOT_ALLOWED");
    assert_eq!(sf.post("/sobjects/CaseStatus", json!({})).await.status, 405);
    sf.stop().await;
}

#[tokio::test]
async fn x_prettyprint_formats_json_like_salesforce() {
    let sf = start(Seed::Empty).await;
    let id = sf.create("Account", json!({"Name": "Pretty"})).await;
    let text = sf
        .http
        .get(sf.url(&format!("/sobjects/Account/{id}?fields=Name")))
        .bearer_auth(&sf.token)
        .header("X-PrettyPrint", "1")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.starts_with("{\n  \"attributes\" : {\n    \"type\" : \"Account\","),
        "{text}"
    );
    assert!(text.ends_with("\"Name\" : \"Pretty\"\n}"), "{text}");
    sf.stop().await;
}
