//! Composite requests and sObject Collections, including all-or-none rollback.

use crate::salesforce_support;

use emulator::common::Seed;
use reqwest::Method;
use salesforce_support::start;
use serde_json::{json, Value};

#[tokio::test]
async fn composite_chains_subrequests_through_references() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .post(
            "/composite",
            json!({"allOrNone": true, "compositeRequest": [
                {"method": "POST", "url": "/services/data/v60.0/sobjects/Account", "referenceId": "acct", "body": {"Name": "Composite Co"}},
                {"method": "POST", "url": "/services/data/v60.0/sobjects/Case", "referenceId": "case", "body": {"Subject": "via composite", "AccountId": "@{acct.id}"}},
                {"method": "GET", "url": "/services/data/v60.0/query?q=SELECT+Id,Account.Name+FROM+Case+WHERE+Id='@{case.id}'", "referenceId": "q"},
                {"method": "PATCH", "url": "/services/data/v60.0/sobjects/Case/@{q.records[0].Id}", "referenceId": "upd", "body": {"Priority": "High"}}
            ]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let items = a.body["compositeResponse"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["httpStatusCode"], 201);
    assert_eq!(items[0]["referenceId"], "acct");
    let account = items[0]["body"]["id"].as_str().unwrap();
    assert_eq!(
        items[0]["httpHeaders"]["Location"],
        format!("/services/data/v60.0/sobjects/Account/{account}").as_str()
    );
    assert_eq!(
        items[2]["body"]["records"][0]["Account"]["Name"],
        "Composite Co"
    );
    assert_eq!(
        items[3],
        json!({"body": null, "httpHeaders": {}, "httpStatusCode": 204, "referenceId": "upd"})
    );
    let keys: Vec<&str> = items[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["body", "httpHeaders", "httpStatusCode", "referenceId"]
    );
    sf.stop().await;
}

#[tokio::test]
async fn all_or_none_composite_rolls_back_and_halts_the_rest() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .post(
            "/composite",
            json!({"allOrNone": true, "compositeRequest": [
                {"method": "POST", "url": "/services/data/v60.0/sobjects/Account", "referenceId": "ok", "body": {"Name": "Rolled back"}},
                {"method": "POST", "url": "/services/data/v60.0/sobjects/Opportunity", "referenceId": "bad", "body": {"Name": "No stage"}},
                {"method": "POST", "url": "/services/data/v60.0/sobjects/Account", "referenceId": "later", "body": {"Name": "Never"}}
            ]}),
        )
        .await;
    let items = a.body["compositeResponse"].as_array().unwrap();
    assert_eq!(items[1]["httpStatusCode"], 400);
    assert_eq!(items[1]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    for i in [0, 2] {
        assert_eq!(items[i]["httpStatusCode"], 400);
        assert_eq!(items[i]["body"][0]["errorCode"], "PROCESSING_HALTED");
    }
    assert!(
        sf.rows("SELECT Id FROM Account").await.is_empty(),
        "the first insert was rolled back"
    );
    sf.stop().await;
}

#[tokio::test]
async fn composite_refuses_more_than_25_subrequests_and_bad_references() {
    let sf = start(Seed::Empty).await;
    let many: Vec<Value> = (0..26)
        .map(|i| json!({"method": "GET", "url": "/services/data/v60.0/limits", "referenceId": format!("r{i}")}))
        .collect();
    let a = sf
        .post("/composite", json!({"compositeRequest": many}))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.body["compositeResponse"][0]["body"][0]["errorCode"],
        "LIMIT_EXCEEDED"
    );
    let a = sf
        .post(
            "/composite",
            json!({"compositeRequest": [
                {"method": "GET", "url": "/services/data/v60.0/sobjects/Case/@{missing.id}", "referenceId": "x"}
            ]}),
        )
        .await;
    let item = &a.body["compositeResponse"][0];
    assert_eq!(item["body"][0]["errorCode"], "PROCESSING_HALTED");
    assert!(item["body"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid reference specified. No value for missing.id found in missing."));
    sf.stop().await;
}

#[tokio::test]
async fn collections_create_update_retrieve_and_delete() {
    let sf = start(Seed::Empty).await;
    let case = sf.create("Case", json!({"Subject": "parent"})).await;
    let a = sf
        .post(
            "/composite/sobjects",
            json!({"allOrNone": false, "records": [
                {"attributes": {"type": "CaseComment"}, "ParentId": case, "CommentBody": "one"},
                {"attributes": {"type": "Account"}, "Name": "Mixed types"},
                {"attributes": {"type": "CaseComment"}, "ParentId": "bad", "CommentBody": "two"}
            ]}),
        )
        .await;
    assert_eq!(a.status, 200);
    let results = a.body.as_array().unwrap();
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[1]["success"], true);
    assert_eq!(
        results[2],
        json!({"success": false, "errors": [{"statusCode": "MALFORMED_ID", "message": "Parent ID: id value of incorrect type: bad", "fields": ["ParentId"]}]})
    );
    let comment = results[0]["id"].as_str().unwrap().to_string();
    let a = sf
        .patch(
            "/composite/sobjects",
            json!({"records": [{"attributes": {"type": "CaseComment"}, "id": comment, "CommentBody": "edited"}, {"attributes": {"type": "Account"}, "Name": "no id"}]}),
        )
        .await;
    assert_eq!(
        a.body[0],
        json!({"id": comment, "success": true, "errors": []})
    );
    assert_eq!(a.body[1]["errors"][0]["statusCode"], "MISSING_ARGUMENT");
    let missing = emulator::salesforce::ids::make("00a", 777_777);
    let a = sf
        .get(&format!(
            "/composite/sobjects/CaseComment?ids={comment},{missing}&fields=Id,CommentBody"
        ))
        .await;
    assert_eq!(a.body[0]["CommentBody"], "edited");
    assert_eq!(a.body[1], Value::Null);
    let a = sf
        .call(
            Method::DELETE,
            &format!("/composite/sobjects?ids={comment},001xx&allOrNone=false"),
            None,
        )
        .await;
    assert_eq!(
        a.body[0],
        json!({"id": comment, "success": true, "errors": []})
    );
    assert_eq!(a.body[1]["errors"][0]["statusCode"], "MALFORMED_ID");
    sf.stop().await;
}

#[tokio::test]
async fn all_or_none_collections_roll_back_the_valid_records() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .post(
            "/composite/sobjects",
            json!({"allOrNone": true, "records": [
                {"attributes": {"type": "Account"}, "Name": "valid"},
                {"attributes": {"type": "Account"}}
            ]}),
        )
        .await;
    assert_eq!(
        a.body[0]["errors"][0],
        json!({"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because not all records were valid and the request was using AllOrNone header", "fields": []})
    );
    assert_eq!(
        a.body[1]["errors"][0]["statusCode"],
        "REQUIRED_FIELD_MISSING"
    );
    assert!(sf.rows("SELECT Id FROM Account").await.is_empty());
    let records: Vec<Value> = (0..201)
        .map(|_| json!({"attributes": {"type": "Account"}, "Name": "x"}))
        .collect();
    let a = sf
        .post("/composite/sobjects", json!({"records": records}))
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body,
        json!([{"message": "record limit reached. cannot submit more than 200 records into this call", "errorCode": "EXCEEDED_ID_LIMIT"}])
    );
    sf.stop().await;
}
