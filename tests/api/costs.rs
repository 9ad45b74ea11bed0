//! Remote calls grow with changes, not with links, on both sides: a two-way Case item with
//! auto-create, status, comments and files back-fills 1,000 Cases (read 200 a page), then
//! quiet runs, a few Salesforce edits and a few Jira edits are counted call by call against
//! the cost rules.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::world::{world_with, World, WorldOptions};

/// Calls one emulator served since its log was reset (token requests aside), and by endpoint.
async fn calls(world: &World, base: &str) -> (u64, Value) {
    let log = world.requests(base).await;
    let requests = log["requests"].as_array().cloned().unwrap_or_default();
    let mut by_endpoint: BTreeMap<String, u64> = BTreeMap::new();
    for r in requests
        .iter()
        .filter(|r| !r["path"].as_str().is_some_and(|p| p.contains("oauth2")))
    {
        let path = r["path"].as_str().unwrap_or_default();
        let shape: String = path
            .split('/')
            .map(|part| {
                if part.chars().any(|c| c.is_ascii_digit()) && part.len() > 4 {
                    "{id}"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        *by_endpoint
            .entry(format!("{} {shape}", r["method"].as_str().unwrap_or("?")))
            .or_default() += 1;
    }
    (by_endpoint.values().sum(), json!(by_endpoint))
}

/// Moves both emulators' clocks on, past every overlap and the search index's lag.
async fn later(world: &World) {
    for base in [world.sf.base_url(), world.jira.base_url()] {
        let response = world
            .http
            .post(format!("{base}/__emulator/clock/advance"))
            .json(&json!({"seconds": 300}))
            .send()
            .await
            .expect("sent");
        assert!(response.status().is_success());
    }
}

/// A run of `item` and the webhooks its writes raised, counted on both sides.
async fn counted_run(world: &World, item: &str) -> (Value, (u64, Value), (u64, Value)) {
    world.reset_requests().await;
    let run = world.sync(item).await;
    world.webhooks_settled().await;
    let sf = calls(world, world.sf.base_url()).await;
    let jira = calls(world, world.jira.base_url()).await;
    (run, sf, jira)
}

#[actix_web::test]
async fn calls_grow_with_changes_not_with_links_on_both_sides() {
    const LINKS: usize = 1_000;
    const CHANGED: u64 = 10;
    const PAGE: u64 = 200;
    let world = world_with(WorldOptions::default(), |s| {
        s.sync.records_page_size = PAGE as u32;
    })
    .await;
    assert_eq!(world.connect().await.status(), 200);
    let (status, hook) = world.post("/api/admin/jira/webhook", json!({})).await;
    assert_eq!(status, 201, "{hook}");
    let item = world.case_item(true).await;
    later(&world).await;
    let cases: Vec<Value> = (0..LINKS)
        .map(|i| json!({"Subject": format!("Case {i}"), "Description": "d", "Status": "New"}))
        .collect();
    let ids = world.sf_load("Case", Value::Array(cases)).await;

    // The back-fill reads the records a page at a time and creates every issue once: per new
    // link one create and one read (the first status sync's, with its transitions) in Jira,
    // and one link note in Salesforce.
    let (backfill, (sf, sf_detail), (jira, jira_detail)) = counted_run(&world, &item).await;
    assert_eq!(
        backfill["item"]["counts"]["issues_created"], LINKS as u64,
        "{backfill}"
    );
    let pages: u64 = sf_detail
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(endpoint, _)| endpoint.starts_with("GET ") && endpoint.ends_with("/query/{id}"))
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    assert_eq!(pages, LINKS as u64 / PAGE - 1, "record pages {sf_detail}");
    assert!(
        jira <= 2 * LINKS as u64 + 20,
        "back-fill: {jira} Jira calls {jira_detail}"
    );
    assert!(
        sf <= LINKS as u64 + LINKS as u64 / PAGE + 10,
        "back-fill: {sf} Salesforce calls {sf_detail}"
    );

    // Quiet: the first run after the back-fill still reaches back an overlap, where every
    // issue is unchanged since its link handled it: only the search's pages are paid (100
    // issues a page). The next run reads nothing twice.
    later(&world).await;
    let (_, _, (jira_first, jira_detail)) = counted_run(&world, &item).await;
    let pages = LINKS as u64 / 100 + 1;
    assert!(
        jira_first <= pages + 3,
        "first quiet run: {jira_first} Jira calls {jira_detail}"
    );
    later(&world).await;
    let (_, (sf_quiet, sf_detail), (jira_quiet, jira_detail)) = counted_run(&world, &item).await;
    assert!(
        sf_quiet <= 7,
        "quiet run: {sf_quiet} Salesforce calls {sf_detail}"
    );
    assert!(
        jira_quiet <= 3,
        "quiet run: {jira_quiet} Jira calls {jira_detail}"
    );

    // k records edited in Salesforce.
    for id in ids.iter().take(CHANGED as usize) {
        let (status, _) = world
            .sf_rest(
                reqwest::Method::PATCH,
                &format!("sobjects/Case/{id}"),
                Some(json!({"Subject": format!("Changed {id}")})),
            )
            .await;
        assert_eq!(status, 204);
    }
    let (run, (sf, sf_detail), (jira, jira_detail)) = counted_run(&world, &item).await;
    assert_eq!(run["item"]["counts"]["fields_pulled"], CHANGED, "{run}");
    eprintln!("{CHANGED} changed records: Salesforce {sf_detail}, Jira {jira_detail}");
    assert!(
        jira <= 4 * CHANGED + 10,
        "{CHANGED} changed records: {jira} Jira calls {jira_detail}"
    );
    assert!(
        sf <= 10 + CHANGED / 200,
        "{CHANGED} changed records: {sf} Salesforce calls {sf_detail}"
    );
    // sfjira's own writes come back by webhook and in the run's sweep: what came back is what
    // was written, carried by the delivery or the search page, so no issue is read again.
    let issue_reads = jira_detail["GET /rest/api/3/issue/{id}"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        issue_reads <= CHANGED,
        "{CHANGED} changed records: {issue_reads} issue reads {jira_detail}"
    );

    // k issues edited in Jira, arriving by webhook.
    later(&world).await;
    counted_run(&world, &item).await;
    let issues = world.jira_issues().await;
    world.reset_requests().await;
    let linked = issues.iter().filter(|i| {
        i["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("Changed ") || s.starts_with("Case "))
    });
    for issue in linked.take(CHANGED as usize) {
        let key = issue["key"].as_str().expect("key");
        world
            .jira_summary(key, &format!("Edited in Jira {key}"))
            .await;
    }
    world.webhooks_settled().await;
    let edited = world
        .sf_records("Case")
        .await
        .iter()
        .filter(|c| {
            c["Subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("Edited in Jira "))
        })
        .count();
    assert_eq!(edited as u64, CHANGED, "every Jira edit reached its Case");
    let (sf, sf_detail) = calls(&world, world.sf.base_url()).await;
    eprintln!("{CHANGED} Jira edits: Salesforce {sf_detail}");
    assert!(
        sf <= 3 * CHANGED,
        "{CHANGED} Jira edits: {sf} Salesforce calls {sf_detail}"
    );
}
