//! Writes: records, collections and composite, and files streamed up and down.

use super::*;
use crate::generated::generated;

#[tokio::test]
async fn records_collections_and_composite() {
    let (emu, client) = start().await;
    let id = client
        .create(
            "Case",
            &fields(json!({"Subject": "Printer on fire", "Status": "New"})),
        )
        .await
        .expect("create");
    assert_eq!(id.key_prefix(), "500");
    client
        .update("Case", &id, &fields(json!({"Status": "Working"})))
        .await
        .expect("update");
    let record = client
        .get_record("Case", &id, &["Subject", "Status"])
        .await
        .expect("get");
    assert_eq!(record["Status"], "Working");

    let err = client
        .create("Account", &fields(json!({"Phone": "1"})))
        .await
        .expect_err("Name is required");
    assert!(err.has_code("REQUIRED_FIELD_MISSING"), "{err}");
    assert!(!err.is_retryable());
    let err = client
        .update("Case", &id, &fields(json!({"Status": "Bogus"})))
        .await
        .expect_err("restricted picklist");
    assert_eq!(err.status(), Some(400));

    // 250 records: two collection calls each way, one result per record.
    let creates: Vec<RecordCreate> = (0..250)
        .map(|i| RecordCreate {
            object: "Case".into(),
            fields: fields(json!({"Subject": format!("Many {i}")})),
        })
        .collect();
    let before = client.calls_made();
    let created = client.create_many(&creates).await.expect("create many");
    assert_eq!(client.calls_made() - before, 2);
    assert!(created.iter().all(|r| r.success && r.id.is_some()));
    let mut updates: Vec<RecordUpdate> = created
        .iter()
        .filter_map(|r| r.id.clone())
        .map(|id| RecordUpdate {
            object: "Case".into(),
            id,
            fields: fields(json!({"Status": "Escalated"})),
        })
        .collect();
    updates[7].fields = fields(json!({"Status": "Bogus"}));
    let before = client.calls_made();
    let results = client.update_many(&updates).await.expect("update many");
    assert_eq!(client.calls_made() - before, 2);
    assert_eq!(results.len(), 250);
    assert!(!results[7].success && !results[7].errors.is_empty());
    assert!(!results[7].errors[0].code.is_empty(), "statusCode is read");
    assert!(!results[7].is_retryable());
    assert_eq!(results.iter().filter(|r| r.success).count(), 249);

    // Retrieval by id, aligned with the input, None for what does not exist.
    let missing = SalesforceId::parse("500000000000000").expect("valid id");
    let ids = vec![id.clone(), missing.clone(), updates[0].id.clone()];
    let rows = client
        .retrieve_many("Case", &ids, &["Id", "Status"])
        .await
        .expect("retrieve");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0].as_ref().map(|r| r["Status"].clone()),
        Some(json!("Working"))
    );
    assert!(rows[1].is_none());
    assert_eq!(
        rows[2].as_ref().map(|r| r["Status"].clone()),
        Some(json!("Escalated"))
    );
    let err = client
        .get_record("Case", &missing, &["Id"])
        .await
        .expect_err("missing");
    assert!(err.is_not_found(), "{err}");

    // Composite: create, then read it back by reference, in one call.
    let prefix = client.data_path_prefix();
    let request = CompositeRequest {
        all_or_none: true,
        collate_subrequests: false,
        composite_request: vec![
            CompositeSubrequest {
                method: "POST".into(),
                url: format!("{prefix}/sobjects/Case"),
                reference_id: "c".into(),
                body: Some(json!({"Subject": "From composite"})),
            },
            CompositeSubrequest {
                method: "GET".into(),
                url: format!("{prefix}/sobjects/Case/@{{c.id}}?fields=Subject"),
                reference_id: "read".into(),
                body: None,
            },
        ],
    };
    let before = client.calls_made();
    let answer = client.composite(&request).await.expect("composite");
    assert_eq!(client.calls_made() - before, 1);
    assert_eq!(answer.composite_response.len(), 2);
    assert!(answer.composite_response.iter().all(|r| r.is_success()));
    assert_eq!(
        answer.composite_response[1].body["Subject"],
        "From composite"
    );
    emu.stop().await;
}

#[tokio::test]
async fn files_stream_up_and_down() {
    let (emu, client) = start().await;
    let case = client
        .create("Case", &fields(json!({"Subject": "With a big log"})))
        .await
        .expect("case");
    let len = 5 * 1024 * 1024 + 123;
    let (body, digest) = generated(len);
    let version = client
        .upload_content_version("server.log", "server.log", Some(&case), len as u64, body)
        .await
        .expect("upload");
    assert_eq!(version.key_prefix(), "068");
    let document = client
        .content_document_id(&version)
        .await
        .expect("document");
    assert_eq!(document.key_prefix(), "069");
    let links = client
        .query(&format!(
            "SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = '{case}'"
        ))
        .await
        .expect("links");
    assert!(links
        .iter()
        .any(|l| l["ContentDocumentId"] == document.as_str()));

    let download = client
        .download_content_version(&version)
        .await
        .expect("download");
    assert_eq!(download.content_length, Some(len as u64));
    let (received, sha) = generated::received(download.stream).await;
    assert_eq!(received, len);
    assert_eq!(sha, digest);

    // A streamed body cannot be replayed: after an expired session the token is renewed and
    // the caller is told to send again with a fresh stream.
    control(
        &emu,
        reqwest::Method::POST,
        "/__emulator/clock/advance",
        json!({"seconds": 3 * 3600}),
    )
    .await;
    let (body, _) = generated(300_000);
    let err = client
        .upload_content_version("again.log", "again.log", Some(&case), 300_000, body)
        .await
        .expect_err("session expired mid-way");
    assert!(
        matches!(err, SalesforceError::SessionExpired { renewed: true, .. }),
        "{err}"
    );
    assert!(err.is_retryable());
    let (body, _) = generated(300_000);
    client
        .upload_content_version("again.log", "again.log", Some(&case), 300_000, body)
        .await
        .expect("sent again with the renewed token");
    emu.stop().await;
}
