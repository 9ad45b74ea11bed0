//! Salesforce Files: ContentVersion upload as JSON and as multipart, download, the
//! ContentDocument it creates and the links `FirstPublishLocationId` makes.

use crate::salesforce_support;

use base64::Engine;
use emulator::common::Seed;
use md5::{Digest, Md5};
use reqwest::multipart::{Form, Part};
use salesforce_support::start;
use serde_json::{json, Value};

const CONTENT: &[u8] = b"hello from the emulator\n";

#[tokio::test]
async fn a_json_upload_creates_a_document_linked_to_its_case_and_downloads_back() {
    let sf = start(Seed::Empty).await;
    let case = sf.create("Case", json!({"Subject": "with file"})).await;
    let version = sf
        .create(
            "ContentVersion",
            json!({"Title": "log", "PathOnClient": "log.txt", "FirstPublishLocationId": case,
                   "VersionData": base64::engine::general_purpose::STANDARD.encode(CONTENT)}),
        )
        .await;
    assert!(version.starts_with("068"));
    let rows = sf
        .rows(&format!("SELECT ContentDocumentId, ContentSize, Checksum, FileExtension, FileType, IsLatest, VersionNumber, VersionData FROM ContentVersion WHERE Id = '{version}'"))
        .await;
    let row = &rows[0];
    let document = row["ContentDocumentId"].as_str().unwrap().to_string();
    assert!(document.starts_with("069"));
    assert_eq!(row["ContentSize"], CONTENT.len());
    assert_eq!(row["Checksum"], hex::encode(Md5::digest(CONTENT)).as_str());
    assert_eq!(
        (row["FileExtension"].clone(), row["FileType"].clone()),
        (json!("txt"), json!("TEXT"))
    );
    assert_eq!(
        (row["IsLatest"].clone(), row["VersionNumber"].clone()),
        (json!(true), json!("1"))
    );
    assert_eq!(
        row["VersionData"],
        format!("/services/data/v60.0/sobjects/ContentVersion/{version}/VersionData").as_str()
    );

    let r = sf
        .http
        .get(sf.url(&format!("/sobjects/ContentVersion/{version}/VersionData")))
        .bearer_auth(&sf.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), CONTENT);

    let links = sf.rows(&format!("SELECT LinkedEntityId, ShareType FROM ContentDocumentLink WHERE ContentDocumentId = '{document}'")).await;
    let linked: Vec<&str> = links
        .iter()
        .map(|l| l["LinkedEntityId"].as_str().unwrap())
        .collect();
    assert!(
        linked.contains(&case.as_str()),
        "FirstPublishLocationId links the file to the case"
    );
    assert_eq!(links.len(), 2, "the owner is linked too, as in Salesforce");
    let doc = sf.rows(&format!("SELECT Title, LatestPublishedVersionId, FileType, ContentSize FROM ContentDocument WHERE Id = '{document}'")).await;
    assert_eq!(doc[0]["LatestPublishedVersionId"], version.as_str());
    assert_eq!(doc[0]["Title"], "log");
    sf.stop().await;
}

#[tokio::test]
async fn a_multipart_upload_with_entity_content_and_version_data_works() {
    let sf = start(Seed::Empty).await;
    let case = sf.create("Case", json!({"Subject": "multipart"})).await;
    for entity_part in ["entity_content", "ContentVersion"] {
        let entity =
            json!({"PathOnClient": "photo.png", "FirstPublishLocationId": case}).to_string();
        let form = Form::new()
            .part(
                entity_part,
                Part::text(entity).mime_str("application/json").unwrap(),
            )
            .part(
                "VersionData",
                Part::bytes(CONTENT.to_vec())
                    .file_name("photo.png")
                    .mime_str("application/octet-stream")
                    .unwrap(),
            );
        let r = sf
            .http
            .post(sf.url("/sobjects/ContentVersion"))
            .bearer_auth(&sf.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{entity_part}");
        let body: Value = r.json().await.unwrap();
        let id = body["id"].as_str().unwrap();
        let row = &sf
            .rows(&format!(
                "SELECT Title, FileType, ContentSize FROM ContentVersion WHERE Id = '{id}'"
            ))
            .await[0];
        assert_eq!(
            (
                row["Title"].clone(),
                row["FileType"].clone(),
                row["ContentSize"].clone()
            ),
            (json!("photo"), json!("PNG"), json!(CONTENT.len()))
        );
        let bytes = sf
            .http
            .get(sf.url(&format!("/sobjects/ContentVersion/{id}/VersionData")))
            .bearer_auth(&sf.token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.as_ref(), CONTENT);
    }
    sf.stop().await;
}

#[tokio::test]
async fn a_new_version_of_a_document_becomes_the_latest() {
    let sf = start(Seed::Empty).await;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let v1 = sf
        .create(
            "ContentVersion",
            json!({"PathOnClient": "a.txt", "VersionData": b64("one")}),
        )
        .await;
    let doc = sf
        .rows(&format!(
            "SELECT ContentDocumentId FROM ContentVersion WHERE Id = '{v1}'"
        ))
        .await[0]["ContentDocumentId"]
        .as_str()
        .unwrap()
        .to_string();
    let v2 = sf
        .create(
            "ContentVersion",
            json!({"PathOnClient": "a.txt", "VersionData": b64("two!"), "ContentDocumentId": doc}),
        )
        .await;
    let versions = sf.rows(&format!("SELECT Id, IsLatest, VersionNumber FROM ContentVersion WHERE ContentDocumentId = '{doc}' ORDER BY VersionNumber")).await;
    assert_eq!(versions[0]["IsLatest"], false);
    assert_eq!(
        (
            versions[1]["Id"].as_str(),
            versions[1]["VersionNumber"].as_str()
        ),
        (Some(v2.as_str()), Some("2"))
    );
    let d = &sf
        .rows(&format!(
            "SELECT LatestPublishedVersionId, ContentSize FROM ContentDocument WHERE Id = '{doc}'"
        ))
        .await[0];
    assert_eq!(
        (
            d["LatestPublishedVersionId"].as_str(),
            d["ContentSize"].as_i64()
        ),
        (Some(v2.as_str()), Some(4))
    );
    sf.stop().await;
}

#[tokio::test]
async fn uploads_without_data_and_duplicate_links_are_refused() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .post("/sobjects/ContentVersion", json!({"Title": "x"}))
        .await;
    assert_eq!(a.code(), "REQUIRED_FIELD_MISSING");
    assert_eq!(
        a.message(),
        "Required fields are missing: [PathOnClient, VersionData]"
    );
    let case = sf.create("Case", json!({"Subject": "x"})).await;
    let v = sf
        .create(
            "ContentVersion",
            json!({"PathOnClient": "a.txt", "VersionData": "aGk=", "FirstPublishLocationId": case}),
        )
        .await;
    let doc = sf
        .rows(&format!(
            "SELECT ContentDocumentId FROM ContentVersion WHERE Id = '{v}'"
        ))
        .await[0]["ContentDocumentId"]
        .as_str()
        .unwrap()
        .to_string();
    let a = sf
        .post(
            "/sobjects/ContentDocumentLink",
            json!({"ContentDocumentId": doc, "LinkedEntityId": case, "ShareType": "V"}),
        )
        .await;
    assert_eq!(a.code(), "DUPLICATE_VALUE");
    let other = sf.create("Case", json!({"Subject": "y"})).await;
    let link = sf
        .create(
            "ContentDocumentLink",
            json!({"ContentDocumentId": doc, "LinkedEntityId": other, "ShareType": "V"}),
        )
        .await;
    assert!(link.starts_with("06A"));
    sf.stop().await;
}
