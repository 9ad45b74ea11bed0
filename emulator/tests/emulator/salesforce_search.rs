//! SOSL and parameterizedSearch: matching, escaping rules and result shape.

use crate::salesforce_support;

use emulator::common::Seed;
use salesforce_support::start;
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<String> {
    body["searchRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn sosl_finds_records_by_text_fields_case_insensitively() {
    let sf = start(Seed::Demo).await;
    let r = sf
        .http
        .get(sf.url("/search"))
        .query(&[(
            "q",
            "FIND {CONVEYOR} IN ALL FIELDS RETURNING Case(Id, Subject, CaseNumber) LIMIT 5",
        )])
        .bearer_auth(&sf.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let records = body["searchRecords"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["attributes"]["type"], "Case");
    assert!(records[0]["Subject"]
        .as_str()
        .unwrap()
        .starts_with("Conveyor"));
    let number = records[0]["CaseNumber"].as_str().unwrap().to_string();
    let a = sf
        .get(&format!(
            "/search?q=FIND+%7B{number}%7D+RETURNING+Case(Subject)"
        ))
        .await;
    assert_eq!(a.body["searchRecords"][0]["Subject"], records[0]["Subject"]);
    let a = sf
        .get("/search?q=FIND+%7Bacme*%7D+IN+NAME+FIELDS+RETURNING+Account(Name),Contact(Name)")
        .await;
    assert_eq!(a.body["searchRecords"][0]["Name"], "Acme Corporation");
    let a = sf.get("/search?q=FIND+%7Bjane.gray@acme.example.com%7D+IN+EMAIL+FIELDS+RETURNING+Contact(Name)").await;
    assert_eq!(
        a.body["searchRecords"],
        json!([{"attributes": a.body["searchRecords"][0]["attributes"], "Name": "Jane Gray"}])
    );
    sf.stop().await;
}

#[tokio::test]
async fn reserved_characters_must_be_escaped_in_search_terms() {
    let sf = start(Seed::Demo).await;
    let a = sf
        .get("/search?q=FIND+%7BJohn%7Cjane_gray@uoa.edu%7D+RETURNING+Contact")
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.code(), "MALFORMED_SEARCH");
    assert_eq!(
        a.message(),
        "\nFIND {John|jane_gray@uoa.edu} RETURNING Contact\n         ^\nERROR at Row:1:Column:10\nline 1:10 mismatched character '|' expecting '}'"
    );
    let a = sf.get("/search?q=FIND+%7Bbad%5Cqescape%7D").await;
    assert_eq!(a.code(), "MALFORMED_SEARCH");
    let a = sf
        .get("/search?q=FIND+%7Brate%5C-limit%7D+RETURNING+Case(Subject)")
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = sf.get("/search?q=SELECT+Id+FROM+Case").await;
    assert_eq!(a.code(), "MALFORMED_SEARCH");
    sf.stop().await;
}

#[tokio::test]
async fn parameterized_search_by_get_and_post() {
    let sf = start(Seed::Demo).await;
    let a = sf
        .get("/parameterizedSearch?q=portal&sobject=Case&Case.fields=Id,Subject&Case.limit=10")
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(ids(&a.body).len(), 1);
    assert!(a.body["searchRecords"][0]["Subject"]
        .as_str()
        .unwrap()
        .contains("portal"));
    let a = sf
        .post(
            "/parameterizedSearch",
            json!({"q": "Acme", "fields": ["Id"], "sobjects": [{"name": "Account", "fields": ["Id", "Name"], "limit": 20}, {"name": "Case", "where": "Priority = 'High'"}], "in": "ALL", "overallLimit": 100}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let types: Vec<&str> = a.body["searchRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["attributes"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[0], "Account");
    let a = sf.get("/parameterizedSearch?sobject=Case").await;
    assert_eq!(a.code(), "MISSING_ARGUMENT");
    sf.stop().await;
}
