//! SOQL over the query resources: features, errors, paging and the ContentDocumentLink rule.

use crate::salesforce_support;

use emulator::common::Seed;
use reqwest::Method;
use salesforce_support::{start, Sf};
use serde_json::{json, Value};

async fn seed_cases(sf: &Sf, n: usize) {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            let priority = ["High", "Medium", "Low"][i % 3];
            json!({"Subject": format!("Bulk case {i:05}"), "Priority": priority})
        })
        .collect();
    let a = sf
        .control(Method::POST, "/records/Case", Some(Value::Array(records)))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
}

#[tokio::test]
async fn parent_fields_nest_as_objects_with_attributes_or_null() {
    let sf = start(Seed::Empty).await;
    let account = sf.create("Account", json!({"Name": "Acme"})).await;
    sf.create(
        "Case",
        json!({"Subject": "with account", "AccountId": account}),
    )
    .await;
    sf.create("Case", json!({"Subject": "orphan"})).await;
    let rows = sf
        .rows("SELECT Subject, Account.Name, Owner.Username FROM Case ORDER BY Subject")
        .await;
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["attributes", "Subject", "Account", "Owner"]);
    assert_eq!(rows[0]["Account"], Value::Null);
    assert_eq!(rows[1]["Account"]["Name"], "Acme");
    assert_eq!(rows[1]["Account"]["attributes"]["type"], "Account");
    assert_eq!(rows[1]["Owner"]["Username"], sf.info.username.as_str());
    sf.stop().await;
}

#[tokio::test]
async fn where_supports_operators_literals_and_boolean_logic() {
    let mut sf = start(Seed::Demo).await;
    sf.reseed_at("demo", "2024-03-13T12:00:00Z").await;
    let count = |rows: Vec<Value>| rows.len();
    assert_eq!(
        count(sf.rows("SELECT Id FROM Case WHERE Status = 'new'").await),
        3,
        "text comparison ignores case"
    );
    assert_eq!(
        count(
            sf.rows("SELECT Id FROM Case WHERE Status IN ('New', 'Escalated')")
                .await
        ),
        5
    );
    assert_eq!(
        count(
            sf.rows("SELECT Id FROM Case WHERE Status NOT IN ('New', 'Escalated')")
                .await
        ),
        7
    );
    assert_eq!(
        count(
            sf.rows("SELECT Id FROM Case WHERE Subject LIKE '%portal%'")
                .await
        ),
        1
    );
    assert_eq!(count(sf.rows("SELECT Id FROM Case WHERE (Priority = 'High' OR Priority = 'Low') AND IsClosed = false").await), 7);
    assert_eq!(
        count(
            sf.rows("SELECT Id FROM Case WHERE NOT Priority = 'High'")
                .await
        ),
        7
    );
    assert_eq!(
        count(
            sf.rows("SELECT Id FROM Case WHERE ClosedDate != null")
                .await
        ),
        2
    );
    assert_eq!(count(sf.rows("SELECT Id FROM Case WHERE CreatedDate > 2000-01-01T00:00:00Z AND CreatedDate < 2999-01-01T00:00:00.000+00:00").await), 12);
    assert_eq!(
        count(
            sf.rows("SELECT Id FROM Case WHERE CreatedDate = LAST_N_DAYS:7")
                .await
        ),
        4
    );
    assert_eq!(
        count(
            sf.rows("SELECT Id FROM Opportunity WHERE Amount >= 48500 AND CloseDate > 2000-01-01")
                .await
        ),
        2
    );
    assert_eq!(
        count(
            sf.rows("SELECT Id FROM Case WHERE Subject = 'It\\'s not there'")
                .await
        ),
        0
    );
    let account = sf
        .rows("SELECT Id FROM Account WHERE Name = 'Acme Corporation'")
        .await[0]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        count(
            sf.rows(&format!(
                "SELECT Id FROM Case WHERE AccountId = '{}'",
                &account[..15]
            ))
            .await
        ),
        3,
        "15-character ids match"
    );
    assert_eq!(
        count(
            sf.rows("SELECT Id FROM Case WHERE Account.Name = 'Acme Corporation'")
                .await
        ),
        3
    );
    assert_eq!(count(sf.rows("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Case WHERE Priority = 'High')").await), 4);
    sf.stop().await;
}

#[tokio::test]
async fn order_by_limit_offset_and_count() {
    let sf = start(Seed::Demo).await;
    let rows = sf.rows("SELECT Subject, ClosedDate FROM Case ORDER BY ClosedDate DESC NULLS LAST, Subject ASC LIMIT 3").await;
    assert!(rows[0]["ClosedDate"].is_string() && rows[1]["ClosedDate"].is_string());
    assert!(rows[2]["ClosedDate"].is_null());
    let all = sf.rows("SELECT Subject FROM Case ORDER BY Subject").await;
    let page = sf
        .rows("SELECT Subject FROM Case ORDER BY Subject LIMIT 2 OFFSET 3")
        .await;
    assert_eq!(page, all[3..5].to_vec());
    let a = sf
        .query("SELECT COUNT() FROM Case WHERE IsClosed = true")
        .await;
    assert_eq!(a.body, json!({"totalSize": 2, "done": true, "records": []}));
    sf.stop().await;
}

#[tokio::test]
async fn child_subqueries_nest_records_or_null() {
    let sf = start(Seed::Demo).await;
    let rows = sf
        .rows("SELECT Subject, (SELECT CommentBody FROM CaseComments ORDER BY CreatedDate) FROM Case ORDER BY CreatedDate LIMIT 2")
        .await;
    assert_eq!(rows[0]["CaseComments"]["totalSize"], 2);
    assert_eq!(rows[0]["CaseComments"]["done"], true);
    assert!(rows[0]["CaseComments"]["records"][0]["CommentBody"]
        .as_str()
        .unwrap()
        .starts_with("Collected"));
    let none = sf
        .rows(
            "SELECT Id, (SELECT Id FROM CaseComments) FROM Case WHERE Subject LIKE 'Replacement%'",
        )
        .await;
    assert_eq!(none[0]["CaseComments"], Value::Null);
    sf.stop().await;
}

#[tokio::test]
async fn query_errors_carry_salesforce_codes_and_caret_messages() {
    let sf = start(Seed::Empty).await;
    let a = sf.query("SELECT Foo FROM Case").await;
    assert_eq!(a.status, 400);
    assert_eq!(a.code(), "INVALID_FIELD");
    assert_eq!(
        a.message(),
        "\nSELECT Foo FROM Case\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'Case'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
    );
    let a = sf.query("SELECT Id FROM Bogus").await;
    assert_eq!(a.code(), "INVALID_TYPE");
    assert!(a.message().ends_with("sObject type 'Bogus' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."));
    assert!(a.message().contains("ERROR at Row:1:Column:16"));
    let a = sf.query("SELECT Id FROM Case WHERE").await;
    assert_eq!(a.code(), "MALFORMED_QUERY");
    assert!(a.message().ends_with("unexpected token: <EOF>"));
    let a = sf
        .query("SELECT Id FROM Case WHERE CreatedDate > '2024-01-01'")
        .await;
    assert_eq!(a.code(), "INVALID_QUERY_FILTER_OPERATOR");
    assert!(a.message().ends_with("value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"));
    let a = sf.query("SELECT Id FROM Case WHERE Id = 'abc'").await;
    assert!(a.message().ends_with("invalid ID field: abc"));
    let a = sf
        .query("SELECT Id FROM Case WHERE Description = 'x'")
        .await;
    assert_eq!(a.code(), "INVALID_FIELD");
    assert!(a
        .message()
        .ends_with("field 'Description' can not be filtered in a query call"));
    let a = sf
        .query("SELECT Id FROM Case WHERE Account.Bogus__r.Name = 'x'")
        .await;
    assert!(a
        .message()
        .contains("Didn't understand relationship 'Bogus__r' in field path"));
    let a = sf
        .query("SELECT Status, COUNT(Id) FROM Case GROUP BY Status")
        .await;
    assert_eq!(
        a.code(),
        "MALFORMED_QUERY",
        "unsupported syntax is refused, never answered wrongly"
    );
    let a = sf.query("").await;
    assert_eq!(
        a.body,
        json!([{"message": "A query string has to be specified", "errorCode": "MALFORMED_QUERY"}])
    );
    sf.stop().await;
}

#[tokio::test]
async fn paging_over_2500_records_honours_the_batch_size_hint() {
    let sf = start(Seed::Empty).await;
    seed_cases(&sf, 2_500).await;
    let first = sf
        .query("SELECT Id, Subject FROM Case ORDER BY Subject")
        .await;
    assert_eq!(first.body["totalSize"], 2_500);
    assert_eq!(first.body["done"], false);
    assert_eq!(first.body["records"].as_array().unwrap().len(), 2_000);
    let next = first.body["nextRecordsUrl"].as_str().unwrap().to_string();
    assert!(
        next.starts_with("/services/data/v60.0/query/01g") && next.ends_with("-2000"),
        "{next}"
    );
    let second: Value = sf
        .http
        .get(format!("{}{next}", sf.base))
        .bearer_auth(&sf.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["done"], true);
    assert!(
        second.get("nextRecordsUrl").is_none(),
        "the last page has no nextRecordsUrl"
    );
    assert_eq!(second["records"].as_array().unwrap().len(), 500);
    assert_eq!(second["records"][499]["Subject"], "Bulk case 02499");

    let mut seen = 0;
    let mut pages = 0;
    let mut url = sf.url("/query?q=SELECT+Id+FROM+Case");
    loop {
        let page: Value = sf
            .http
            .get(&url)
            .bearer_auth(&sf.token)
            .header("Sforce-Query-Options", "batchSize=1000")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen += page["records"].as_array().unwrap().len();
        pages += 1;
        match page["nextRecordsUrl"].as_str() {
            Some(next) => url = format!("{}{next}", sf.base),
            None => break,
        }
    }
    assert_eq!((seen, pages), (2_500, 3));
    let tiny = sf
        .http
        .get(sf.url("/query?q=SELECT+Id+FROM+Case"))
        .bearer_auth(&sf.token)
        .header("Sforce-Query-Options", "batchSize=10")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        tiny["records"].as_array().unwrap().len(),
        200,
        "batch size has a floor of 200"
    );
    let bad = sf.get("/query/01gHs000000BOGUSAAA-2000").await;
    assert_eq!(bad.code(), "INVALID_QUERY_LOCATOR");
    sf.stop().await;
}

#[tokio::test]
async fn query_all_includes_deleted_rows() {
    let sf = start(Seed::Empty).await;
    let id = sf.create("Case", json!({"Subject": "gone"})).await;
    sf.delete(&format!("/sobjects/Case/{id}")).await;
    assert!(sf.rows("SELECT Id FROM Case").await.is_empty());
    let a = sf.get("/queryAll?q=SELECT+Id,IsDeleted+FROM+Case").await;
    assert_eq!(a.body["totalSize"], 1);
    assert_eq!(a.body["records"][0]["IsDeleted"], true);
    sf.stop().await;
}

#[tokio::test]
async fn content_document_link_queries_must_filter_by_document_or_entity() {
    let sf = start(Seed::Demo).await;
    let a = sf.query("SELECT Id FROM ContentDocumentLink").await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body,
        json!([{"message": "Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or LinkedEntityId using the equals operator or multiple Id's using the IN operator.", "errorCode": "MALFORMED_QUERY"}])
    );
    assert_eq!(
        sf.query("SELECT Id FROM ContentDocumentLink WHERE ShareType = 'V'")
            .await
            .code(),
        "MALFORMED_QUERY"
    );
    let case = sf.case_id("Conveyor").await;
    let rows = sf
        .rows(&format!("SELECT ContentDocumentId, ContentDocument.Title, ContentDocument.LatestPublishedVersionId FROM ContentDocumentLink WHERE LinkedEntityId = '{case}'"))
        .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["ContentDocument"]["Title"], "controller-log");
    sf.stop().await;
}

/// The ids of a query's rows, in order.
async fn ids(sf: &Sf, soql: &str) -> Vec<String> {
    sf.rows(soql)
        .await
        .iter()
        .map(|r| r["Id"].as_str().expect("Id").to_string())
        .collect()
}

#[tokio::test]
async fn indexed_conditions_answer_as_a_scan_does() {
    let sf = start(Seed::Empty).await;
    sf.freeze("2024-05-01T10:00:00Z").await;
    seed_cases(&sf, 30).await;
    sf.advance(60).await;
    let cases = ids(&sf, "SELECT Id FROM Case ORDER BY Subject").await;
    let mut comments = Vec::new();
    for (n, case) in cases.iter().take(6).enumerate() {
        comments.push(
            sf.create(
                "CaseComment",
                json!({"ParentId": case, "CommentBody": format!("comment {n}")}),
            )
            .await,
        );
        sf.advance(1).await;
    }
    let edited = sf
        .patch(
            &format!("/sobjects/Case/{}", cases[7]),
            json!({"Subject": "edited"}),
        )
        .await;
    assert_eq!(edited.status, 204, "{}", edited.body);
    // Each indexed form against a form no index serves (a NOT of the opposite).
    let pairs = [
        (
            format!("SELECT Id FROM Case WHERE Id = '{}'", cases[3]),
            format!("SELECT Id FROM Case WHERE NOT (Id != '{}')", cases[3]),
        ),
        (
            format!(
                "SELECT Id FROM CaseComment WHERE ParentId IN ('{}', '{}') ORDER BY CreatedDate",
                cases[1], cases[4]
            ),
            format!(
                "SELECT Id FROM CaseComment WHERE NOT (ParentId NOT IN ('{}', '{}')) ORDER BY CreatedDate",
                cases[1], cases[4]
            ),
        ),
        (
            "SELECT Id FROM CaseComment WHERE CreatedDate >= 2024-05-01T10:01:02.000Z".into(),
            "SELECT Id FROM CaseComment WHERE NOT (CreatedDate < 2024-05-01T10:01:02.000Z)".into(),
        ),
        (
            "SELECT Id FROM Case WHERE SystemModstamp > 2024-05-01T10:00:00.000Z ORDER BY SystemModstamp, Id".into(),
            "SELECT Id FROM Case WHERE NOT (SystemModstamp <= 2024-05-01T10:00:00.000Z) ORDER BY SystemModstamp, Id".into(),
        ),
        (
            format!(
                "SELECT Id FROM Case WHERE (SystemModstamp > 2024-05-01T10:00:00.000Z OR (SystemModstamp = 2024-05-01T10:00:00.000Z AND Id > '{}')) ORDER BY SystemModstamp, Id",
                cases[20]
            ),
            format!(
                "SELECT Id FROM Case WHERE NOT (SystemModstamp < 2024-05-01T10:00:00.000Z OR (SystemModstamp = 2024-05-01T10:00:00.000Z AND Id <= '{}')) ORDER BY SystemModstamp, Id",
                cases[20]
            ),
        ),
    ];
    for (indexed, scanned) in &pairs {
        let found = ids(&sf, indexed).await;
        assert!(!found.is_empty(), "{indexed} found nothing");
        assert_eq!(found, ids(&sf, scanned).await, "{indexed}");
    }
    assert_eq!(
        ids(&sf, &pairs[2].0).await,
        comments[2..].to_vec(),
        "comments from the third on"
    );
    assert_eq!(ids(&sf, &pairs[3].0).await, [cases[7].clone()]);
    let record = sf
        .control(
            Method::GET,
            &format!("/records/Case/{}", &cases[7][..15]),
            None,
        )
        .await;
    assert_eq!(record.status, 200, "{}", record.body);
    assert_eq!(record.body["Subject"], "edited");
    let missing = sf
        .control(Method::GET, &format!("/records/Account/{}", cases[7]), None)
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"], "unknown_record");
    sf.stop().await;
}
