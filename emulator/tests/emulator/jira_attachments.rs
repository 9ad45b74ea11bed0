//! Attachments through the Jira emulator: the XSRF header, multipart `file` parts, the upload
//! limit, metadata id types, the download redirect, and delete.

use crate::support;

use emulator::jira::JiraOptions;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::Value;
use support::{expect_json, Jira};

fn form(name: &str, bytes: &[u8]) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes.to_vec())
            .file_name(name.to_string())
            .mime_str("application/octet-stream")
            .expect("mime"),
    )
}

#[tokio::test]
async fn uploads_without_the_xsrf_header_are_refused_with_403() {
    let jira = Jira::start().await;
    let r = jira
        .req(Method::POST, "/rest/api/3/issue/SUP-1/attachments")
        .multipart(form("a.txt", b"hello"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 403);
    assert_eq!(r.text().await.expect("body"), "XSRF check failed");
    jira.stop().await;
}

#[tokio::test]
async fn uploads_answer_200_with_an_array_and_download_by_redirect_or_directly() {
    let jira = Jira::start().await;
    let two = form("notes.txt", b"hello attachment").part(
        "file",
        Part::bytes(b"\x89PNG....".to_vec())
            .file_name("pic.png")
            .mime_str("image/png")
            .expect("mime"),
    );
    let r = jira
        .req(Method::POST, "/rest/api/3/issue/SUP-1/attachments")
        .header("X-Atlassian-Token", "no-check")
        .multipart(two)
        .send()
        .await
        .expect("send");
    let list = expect_json(r, 200).await;
    let list = list.as_array().expect("an array").clone();
    assert_eq!(list.len(), 2);
    assert!(list[0]["id"].is_string(), "Attachment.id is a string");
    assert_eq!(list[0]["mimeType"], "text/plain");
    assert_eq!(list[0]["size"], 16);
    let id = list[0]["id"].as_str().expect("id").to_string();
    let meta = expect_json(jira.get(&format!("/rest/api/3/attachment/{id}")).await, 200).await;
    assert!(meta["id"].is_u64(), "AttachmentMetadata.id is an integer");

    let redirect = jira
        .get(&format!("/rest/api/3/attachment/content/{id}"))
        .await;
    assert_eq!(redirect.status(), 303);
    let location = redirect.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let blob = jira.http.get(&location).send().await.expect("blob");
    assert_eq!(blob.status(), 200);
    assert_eq!(
        blob.bytes().await.expect("bytes").as_ref(),
        b"hello attachment"
    );
    let direct = jira
        .get(&format!(
            "/rest/api/3/attachment/content/{id}?redirect=false"
        ))
        .await;
    assert_eq!(direct.status(), 200);
    assert_eq!(
        direct.bytes().await.expect("bytes").as_ref(),
        b"hello attachment"
    );
    let ranged = jira
        .req(
            Method::GET,
            &format!("/rest/api/3/attachment/content/{id}?redirect=false"),
        )
        .header("Range", "bytes=0-4")
        .send()
        .await
        .expect("send");
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.expect("bytes").as_ref(), b"hello");

    let issue = expect_json(
        jira.get("/rest/api/3/issue/SUP-1?fields=attachment").await,
        200,
    )
    .await;
    assert_eq!(
        issue["fields"]["attachment"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        jira.delete(&format!("/rest/api/3/attachment/{id}"))
            .await
            .status(),
        204
    );
    assert_eq!(
        jira.get(&format!("/rest/api/3/attachment/{id}"))
            .await
            .status(),
        404
    );
    jira.stop().await;
}

#[tokio::test]
async fn files_over_the_upload_limit_get_413_and_meta_reports_the_limit() {
    let jira = Jira::start_with(JiraOptions {
        upload_limit: 1000,
        ..support::options()
    })
    .await;
    let meta = expect_json(jira.get("/rest/api/3/attachment/meta").await, 200).await;
    assert_eq!(meta["uploadLimit"], 1000);
    assert_eq!(meta["enabled"], true);
    let r = jira
        .req(Method::POST, "/rest/api/3/issue/SUP-1/attachments")
        .header("X-Atlassian-Token", "no-check")
        .multipart(form("big.bin", &[7u8; 1001]))
        .send()
        .await
        .expect("send");
    let body: Value = expect_json(r, 413).await;
    assert!(body["errorMessages"][0]
        .as_str()
        .is_some_and(|m| m.contains("big.bin")));
    jira.stop().await;
}
