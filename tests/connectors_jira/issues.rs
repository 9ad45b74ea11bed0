//! Issues: created, read, edited and transitioned, and found by JQL over every page.

use super::*;

#[tokio::test]
async fn issues_are_created_read_edited_and_transitioned() {
    let (emu, client) = start().await;
    let sup = project("SUP");
    let created = client
        .create_issue(
            &sup,
            "10003",
            fields(json!({"summary": "Case 00001234: printer on fire",
                          "description": "It is on fire.\n\nReally.",
                          "customfield_10000": "500xx000000bQ2LAAU"})),
            vec![("sfsync".into(), json!({"caseId": "500xx000000bQ2LAAU"}))],
            vec!["salesforce".into()],
        )
        .await
        .expect("create");
    assert_eq!(created.key.project().as_str(), "SUP");

    let issue = client
        .get_issue(
            &created.key,
            &["summary", "description", "labels", "status", "updated"],
            &["names"],
            &["sfsync"],
        )
        .await
        .expect("get");
    assert_eq!(issue.summary(), Some("Case 00001234: printer on fire"));
    assert_eq!(
        issue.description_text().as_deref(),
        Some("It is on fire.\n\nReally.")
    );
    assert_eq!(
        issue.field("description").and_then(|d| d.get("type")),
        Some(&json!("doc"))
    );
    assert_eq!(issue.labels(), vec!["salesforce"]);
    assert_eq!(
        issue.property("sfsync"),
        Some(&json!({"caseId": "500xx000000bQ2LAAU"}))
    );
    assert_eq!(
        issue
            .status()
            .and_then(|s| s.category_key().map(str::to_string))
            .as_deref(),
        Some("new")
    );
    assert!(issue.updated().is_some());
    assert!(issue.names.is_some());

    client
        .edit_issue(
            &created.key,
            fields(json!({"summary": "Renamed", "description": "New text"})),
        )
        .await
        .expect("edit");
    let issue = client
        .get_issue(&created.key, &["summary", "description"], &[], &[])
        .await
        .expect("get");
    assert_eq!(issue.summary(), Some("Renamed"));
    assert_eq!(issue.description_text().as_deref(), Some("New text"));

    let transitions = client.transitions(&created.key).await.expect("transitions");
    let done = transitions
        .iter()
        .find(|t| t.to.category_key() == Some("done"))
        .expect("a transition to done");
    assert_eq!(done.to.name, "Done");
    client
        .transition(&created.key, &done.id)
        .await
        .expect("transition");
    let status = client
        .get_issue(&created.key, &["status"], &[], &[])
        .await
        .expect("get")
        .status()
        .expect("status");
    assert_eq!(status.category_key(), Some("done"));
    let err = client
        .transition(&created.key, "99")
        .await
        .expect_err("bad transition");
    assert_eq!(err.status(), Some(400));

    assert_eq!(
        client
            .issue_property(&created.key, "other")
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        client
            .set_issue_property(&created.key, "other", &json!({"n": 1}))
            .await
            .expect("set"),
        PropertyWrite::Created
    );
    assert_eq!(
        client
            .set_issue_property(&created.key, "other", &json!({"n": 2}))
            .await
            .expect("set"),
        PropertyWrite::Updated
    );
    assert_eq!(
        client
            .issue_property(&created.key, "other")
            .await
            .expect("read"),
        Some(json!({"n": 2}))
    );

    let err = client
        .get_issue(&key("SUP-999"), &[], &[], &[])
        .await
        .expect_err("missing");
    assert!(err.is_not_found() && !err.is_retryable(), "{err}");
    let err = client
        .create_issue(
            &project("ENG"),
            "10001",
            fields(json!({"summary": "No severity"})),
            vec![],
            vec![],
        )
        .await
        .expect_err("Severity is required for a Bug");
    assert_eq!(err.status(), Some(400));
    assert!(err.body().is_some_and(|b| !b.errors.is_empty()), "{err}");
    assert!(!err.is_retryable());
    emu.stop().await;
}

#[tokio::test]
async fn jql_search_follows_page_tokens_to_the_end() {
    let (emu, client) = start().await;
    let sup = project("SUP");
    for i in 0..120 {
        client
            .create_issue(
                &sup,
                "10000",
                fields(json!({"summary": format!("Bulk {i}")})),
                vec![("sfsync".into(), json!({"n": i}))],
                vec!["bulk".into()],
            )
            .await
            .expect("create");
    }
    let jql = format!(
        "project = SUP AND labels = {} ORDER BY key ASC",
        jql_quote("bulk")
    );

    let before = client.calls_made();
    let ids_only = client
        .search_jql(&jql, &[], &[], None)
        .await
        .expect("search");
    assert_eq!(ids_only.len(), 120);
    assert_eq!(
        client.calls_made() - before,
        2,
        "100 per page, then the rest"
    );
    assert!(ids_only[0].fields.is_empty(), "ids only by default");

    let mut pager = client
        .jql_pager(&jql, &["summary", "labels"], &["sfsync"])
        .expect("pager")
        .page_size(25);
    let mut pages = 0;
    let mut seen = Vec::new();
    while let Some(page) = pager.next_page().await.expect("page") {
        pages += 1;
        for issue in page.issues {
            assert!(issue.summary().is_some_and(|s| s.starts_with("Bulk")));
            assert!(issue.property("sfsync").is_some());
            seen.push(issue.id);
        }
    }
    assert_eq!(pages, 5);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 120, "no issue twice, none missed");

    let first = client
        .search_jql(&jql, &["summary"], &[], Some(7))
        .await
        .expect("max");
    assert_eq!(first.len(), 7);
    assert_eq!(first[0].summary(), Some("Bulk 0"));
    assert_eq!(client.approximate_count(&jql).await.expect("count"), 120);

    let err = client
        .search_jql("order by key desc", &[], &[], None)
        .await
        .expect_err("unbounded");
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_retryable());
    emu.stop().await;
}
