//! Property: whatever interleaving of edits people make on both sides of a two-way item
//! (fields, status, comments, files), the two sides converge, and one more cycle without
//! outside edits writes nothing to either system.

use std::time::Duration;

use base64::Engine as _;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

use crate::world::{adf, connected_world, World};

#[derive(Debug, Clone)]
enum Op {
    SfSubject(u8),
    JiraSummary(u8),
    SfStatus(u8),
    JiraStatus(u8),
    SfComment(u8),
    JiraComment(u8),
    SfFile(u8),
    JiraFile(u8),
    Sync,
    Pause(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let n = 0u8..4;
    prop_oneof![
        n.clone().prop_map(Op::SfSubject),
        n.clone().prop_map(Op::JiraSummary),
        (0u8..3).prop_map(Op::SfStatus),
        (0u8..3).prop_map(Op::JiraStatus),
        n.clone().prop_map(Op::SfComment),
        n.clone().prop_map(Op::JiraComment),
        n.clone().prop_map(Op::SfFile),
        n.prop_map(Op::JiraFile),
        Just(Op::Sync),
        (0u8..4).prop_map(Op::Pause),
    ]
}

const SF_STATUSES: [&str; 3] = ["New", "Working", "Closed"];
const JIRA_STATUSES: [&str; 3] = ["To Do", "In Progress", "Done"];

async fn apply(world: &World, item: &str, case: &str, step: usize, op: &Op) {
    match op {
        Op::SfSubject(n) => {
            world
                .sf_rest(
                    reqwest::Method::PATCH,
                    &format!("sobjects/Case/{case}"),
                    Some(json!({"Subject": format!("sf subject {n}")})),
                )
                .await;
        }
        Op::JiraSummary(n) => {
            world
                .jira_rest(
                    reqwest::Method::PUT,
                    "issue/SUP-1",
                    Some(json!({"fields": {"summary": format!("jira summary {n}")}})),
                )
                .await;
        }
        Op::SfStatus(n) => {
            world
                .sf_rest(
                    reqwest::Method::PATCH,
                    &format!("sobjects/Case/{case}"),
                    Some(json!({"Status": SF_STATUSES[*n as usize]})),
                )
                .await;
        }
        Op::JiraStatus(n) => {
            let (_, transitions) = world
                .jira_rest(reqwest::Method::GET, "issue/SUP-1/transitions", None)
                .await;
            let target = JIRA_STATUSES[*n as usize];
            if let Some(t) = transitions["transitions"]
                .as_array()
                .and_then(|ts| ts.iter().find(|t| t["to"]["name"] == target))
            {
                world
                    .jira_rest(
                        reqwest::Method::POST,
                        "issue/SUP-1/transitions",
                        Some(json!({"transition": {"id": t["id"]}})),
                    )
                    .await;
            }
        }
        Op::SfComment(n) => {
            world
                .sf_rest(
                    reqwest::Method::POST,
                    "sobjects/CaseComment",
                    Some(json!({"ParentId": case, "CommentBody": format!("sfnote-{step}-{n}")})),
                )
                .await;
        }
        Op::JiraComment(n) => {
            world
                .jira_rest(
                    reqwest::Method::POST,
                    "issue/SUP-1/comment",
                    Some(json!({"body": adf(&format!("jiranote-{step}-{n}"))})),
                )
                .await;
        }
        Op::SfFile(n) => {
            world
                .sf_rest(
                    reqwest::Method::POST,
                    "sobjects/ContentVersion",
                    Some(json!({"Title": format!("sffile-{step}-{n}"), "PathOnClient": format!("sffile-{step}-{n}.txt"), "FirstPublishLocationId": case,
                                "VersionData": base64::engine::general_purpose::STANDARD.encode(format!("sf {step}"))})),
                )
                .await;
        }
        Op::JiraFile(n) => {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(format!("jira {step}").into_bytes())
                    .file_name(format!("jirafile-{step}-{n}.txt")),
            );
            let _ = world
                .http
                .post(format!(
                    "{}/rest/api/3/issue/SUP-1/attachments",
                    world.jira_info.base_url
                ))
                .basic_auth(&world.jira_info.email, Some(&world.jira_info.api_token))
                .header("X-Atlassian-Token", "no-check")
                .multipart(form)
                .send()
                .await;
        }
        Op::Sync => {
            let _ = world
                .post(&format!("/api/admin/items/{item}/sync"), json!({}))
                .await;
        }
        Op::Pause(n) => tokio::time::sleep(Duration::from_millis(50 * u64::from(*n))).await,
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(str::to_string)
        .collect()
}

fn count_word(texts: &[String], word: &str) -> usize {
    texts
        .iter()
        .filter(|t| words(t).iter().any(|w| w == word))
        .count()
}

async fn scenario(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let world = connected_world().await;
    let item = world.case_item(false).await;
    let (_, created) = world
        .sf_rest(
            reqwest::Method::POST,
            "sobjects/Case",
            Some(json!({"Subject": "start", "Description": "d", "Status": "New"})),
        )
        .await;
    let case = created["id"].as_str().expect("case").to_string();
    let (status, _) = world
        .post(
            &format!("/api/issues/SUP-1/items/{item}/link"),
            json!({"record_id": case}),
        )
        .await;
    prop_assert_eq!(status, 200);
    let (status, _) = world.post("/api/admin/jira/webhook", json!({})).await;
    prop_assert_eq!(status, 201);
    for (step, op) in ops.iter().enumerate() {
        apply(&world, &item, &case, step, op).await;
    }
    // Converge: process every webhook, then run until a run changes nothing.
    for _ in 0..6 {
        world.webhooks_settled().await;
        let run = world.sync(&item).await;
        let c = &run["item"]["counts"];
        let changed: u64 = [
            "fields_pulled",
            "fields_pushed",
            "statuses_written",
            "comments_paired",
            "attachments_paired",
            "failures",
        ]
        .iter()
        .filter_map(|k| c[k].as_u64())
        .sum();
        if changed == 0 {
            break;
        }
    }
    world.webhooks_settled().await;

    let (_, sf) = world
        .sf_rest(
            reqwest::Method::GET,
            &format!("sobjects/Case/{case}?fields=Subject,Status"),
            None,
        )
        .await;
    let (_, jira) = world
        .jira_rest(
            reqwest::Method::GET,
            "issue/SUP-1?fields=summary,status",
            None,
        )
        .await;
    prop_assert_eq!(
        &sf["Subject"],
        &jira["fields"]["summary"],
        "fields converge: {} / {}",
        sf,
        jira
    );
    let pair = (
        sf["Status"].as_str().unwrap_or_default(),
        jira["fields"]["status"]["name"]
            .as_str()
            .unwrap_or_default(),
    );
    let corresponding = matches!(
        pair,
        ("New", "To Do") | ("Working", "In Progress") | ("Closed", "Done")
    );
    prop_assert!(corresponding, "status converges: {:?}", pair);

    let sf_comments: Vec<String> = world
        .sf_records("CaseComment")
        .await
        .iter()
        .filter_map(|c| c["CommentBody"].as_str().map(str::to_string))
        .collect();
    let issue = world.jira_issue("SUP-1").await;
    let jira_comments: Vec<String> = issue["comments"]
        .as_array()
        .map(|cs| cs.iter().map(|c| c["body"].to_string()).collect())
        .unwrap_or_default();
    for (step, op) in ops.iter().enumerate() {
        let marker = match op {
            Op::SfComment(n) => format!("sfnote-{step}-{n}"),
            Op::JiraComment(n) => format!("jiranote-{step}-{n}"),
            _ => continue,
        };
        prop_assert_eq!(
            count_word(&sf_comments, &marker),
            1,
            "{} once in Salesforce",
            marker
        );
        prop_assert_eq!(
            count_word(&jira_comments, &marker),
            1,
            "{} once in Jira",
            marker
        );
    }
    let sf_files: Vec<String> = world
        .sf_records("ContentVersion")
        .await
        .iter()
        .filter_map(|v| v["Title"].as_str().map(str::to_string))
        .collect();
    let jira_files: Vec<String> = issue["attachments"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["filename"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for (step, op) in ops.iter().enumerate() {
        let name = match op {
            Op::SfFile(n) => format!("sffile-{step}-{n}"),
            Op::JiraFile(n) => format!("jirafile-{step}-{n}"),
            _ => continue,
        };
        prop_assert_eq!(
            sf_files.iter().filter(|t| **t == name).count(),
            1,
            "{} once in Salesforce",
            name
        );
        prop_assert_eq!(
            jira_files
                .iter()
                .filter(|f| **f == format!("{name}.txt"))
                .count(),
            1,
            "{} once in Jira",
            name
        );
    }

    // One more cycle without outside edits writes nothing anywhere.
    world.reset_requests().await;
    world.sync(&item).await;
    world.webhooks_settled().await;
    let quiet = world.writes().await;
    prop_assert!(quiet.is_empty(), "writes after convergence: {:?}", quiet);
    Ok(())
}

#[test]
fn both_sides_converge_and_a_quiet_cycle_writes_nothing() {
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 1..10), |ops| {
        actix_web::rt::System::new().block_on(scenario(ops))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
