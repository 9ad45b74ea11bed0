//! Reads: SOQL paging, describe and case statuses, and SOSL search with what people type.

use super::*;

#[tokio::test]
async fn queries_page_through_thousands_of_rows() {
    let (emu, client) = start_with(SalesforceOptions {
        seed: Seed::Empty,
        ..SalesforceOptions::default()
    })
    .await;
    let rows: Vec<Value> = (0..2_345)
        .map(|i| json!({"Subject": format!("Bulk {i:05}"), "Status": "New"}))
        .collect();
    control(
        &emu,
        reqwest::Method::POST,
        "/__emulator/records/Case",
        Value::Array(rows),
    )
    .await;
    let soql = "SELECT Id, Subject FROM Case WHERE Subject LIKE 'Bulk%'";

    let all = client.query(soql).await.expect("query");
    assert_eq!(all.len(), 2_345);
    let mut ids: Vec<String> = all
        .iter()
        .filter_map(sfjira::connectors::salesforce::model::record_id)
        .map(|id| id.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2_345, "every row once");
    assert_eq!(client.calls_made(), 2, "2,000 rows per page");

    let before = client.calls_made();
    let mut pager = client.pager(soql).batch_size(500);
    let mut pages = 0;
    let mut seen = 0;
    while let Some(page) = pager.next_page().await.expect("page") {
        assert!(page.records.len() <= 500);
        pages += 1;
        seen += page.records.len();
    }
    assert_eq!((pages, seen), (5, 2_345));
    assert_eq!(pager.total_size(), Some(2_345));
    assert_eq!(client.calls_made() - before, 5);

    let mut sizes = Vec::new();
    let summary = client
        .query_pages(soql, |page| {
            sizes.push(page.records.len());
            async { ControlFlow::Break(()) }
        })
        .await
        .expect("paged");
    assert_eq!(sizes, vec![2_000]);
    assert!(summary.stopped_early && summary.total_size == 2_345);

    let count = client
        .count("SELECT COUNT() FROM Case WHERE Subject LIKE 'Bulk%'")
        .await
        .expect("count");
    assert_eq!(count, 2_345);
    let with_deleted = client.query_all(soql).await.expect("queryAll");
    assert_eq!(with_deleted.len(), 2_345);

    let err = client
        .query("SELECT Nope FROM Case")
        .await
        .expect_err("bad field");
    assert_eq!(err.status(), Some(400));
    assert!(err.has_code("INVALID_FIELD"), "{err}");
    assert!(!err.is_retryable());
    emu.stop().await;
}

#[tokio::test]
async fn describe_metadata_and_case_statuses() {
    let (emu, client) = start().await;
    let global = client.describe_global().await.expect("describe global");
    assert!(global
        .sobjects
        .iter()
        .any(|o| o.name == "Case" && o.queryable));
    let case = client.describe("Case").await.expect("describe Case");
    assert_eq!(case.object.key_prefix.as_deref(), Some("500"));
    assert_eq!(
        case.name_field().map(|f| f.name.as_str()),
        Some("CaseNumber")
    );
    let status = case.field("Status").expect("Status");
    assert_eq!(status.field_type, "picklist");
    assert!(status.active_values().any(|v| v.value == "New"));
    let statuses = client.case_statuses().await.expect("case statuses");
    assert!(statuses
        .iter()
        .any(|s| s.is_closed && s.value() == "Closed"));
    assert!(statuses.iter().any(|s| !s.is_closed));
    let err = client
        .describe("Nope__c")
        .await
        .expect_err("unknown object");
    assert!(err.is_not_found(), "{err}");
    let err = client.describe("Case/../x").await.expect_err("not a name");
    assert!(matches!(err, SalesforceError::InvalidInput(_)));
    emu.stop().await;
}

#[tokio::test]
async fn search_escapes_what_people_type() {
    let (emu, client) = start().await;
    let id = client
        .create(
            "Case",
            &fields(json!({"Subject": "Printer (on) fire & smoke"})),
        )
        .await
        .expect("create");
    let found = client
        .search("Case", "Printer (on)", &["Id", "Subject"], 10)
        .await
        .expect("search");
    assert!(
        found.iter().any(|r| r["Id"] == id.as_str()),
        "found: {found:?}"
    );
    let nothing = client
        .search(
            "Case",
            "no-such {thing} [here]: 50% *off*? \"quoted\"",
            &["Id"],
            5,
        )
        .await
        .expect("reserved characters are escaped, not a syntax error");
    assert!(nothing.is_empty());
    emu.stop().await;
}

/// People type such text into the issue panel's search box: an escaped reserved character
/// standing alone as a word (`printer \& scanner`) is searched for like the rest, not refused.
#[tokio::test]
async fn search_accepts_reserved_characters_standing_alone() {
    let (emu, client) = start().await;
    for text in ["printer & scanner", "? printer", "printer -", "printer \""] {
        client
            .search("Case", text, &["Id"], 5)
            .await
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
    emu.stop().await;
}
