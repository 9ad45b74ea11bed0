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

/// The REST endpoints the emulator served since `since` (its request log's `seq`), token
/// requests aside.
async fn endpoints_after(emu: &SalesforceEmulator, since: u64) -> Vec<String> {
    request_log(emu)
        .await
        .iter()
        .filter(|r| r["seq"].as_u64().unwrap_or(0) > since)
        .filter_map(|r| r["endpoint"].as_str().map(str::to_string))
        .filter(|e| e.contains("/services/data/"))
        .collect()
}

/// The request log's last `seq`.
async fn last_seq(emu: &SalesforceEmulator) -> u64 {
    request_log(emu)
        .await
        .iter()
        .filter_map(|r| r["seq"].as_u64())
        .max()
        .unwrap_or(0)
}

/// Creates a CaseComment on `parent` with `text`, through a lane shared with other writes.
async fn shared_comment(
    client: SalesforceClient,
    parent: SalesforceId,
    text: String,
) -> Result<SalesforceId, SalesforceError> {
    client
        .create_shared(
            "CaseComment",
            &fields(json!({"ParentId": parent, "CommentBody": text})),
        )
        .await
}

/// The emulator's request log (the last 10,000 requests).
async fn request_log(emu: &SalesforceEmulator) -> Vec<Value> {
    let log = control(
        emu,
        reqwest::Method::GET,
        "/__emulator/requests?limit=10000",
        Value::Null,
    )
    .await;
    log["requests"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn writes_made_together_share_a_collection_call() {
    let (emu, client) = start().await;
    // A lone create goes alone, through the single-record endpoint.
    let since = last_seq(&emu).await;
    let parent = client
        .create_shared("Case", &fields(json!({"Subject": "Alone"})))
        .await
        .expect("lone create");
    assert_eq!(
        endpoints_after(&emu, since).await,
        ["POST /services/data/v60.0/sobjects/Case"]
    );

    // Thirty creates made at once (of two objects, one refused): one call; each caller gets
    // its own record's outcome.
    let since = last_seq(&emu).await;
    let writes = (0..30).map(|i| {
        let client = client.clone();
        let parent = parent.clone();
        async move {
            if i == 7 {
                client
                    .create_shared("Account", &fields(json!({"Phone": "1"})))
                    .await
            } else {
                shared_comment(client, parent, format!("Note {i}")).await
            }
        }
    });
    let outcomes = futures::future::join_all(writes).await;
    assert_eq!(
        endpoints_after(&emu, since).await,
        ["POST /services/data/v60.0/composite/sobjects"]
    );
    let refused = outcomes[7].as_ref().expect_err("an Account needs a Name");
    assert!(refused.has_code("REQUIRED_FIELD_MISSING"), "{refused}");
    assert!(!refused.is_retryable());
    let mut ids: Vec<SalesforceId> = outcomes
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != 7)
        .map(|(i, o)| o.unwrap_or_else(|e| panic!("create {i}: {e}")))
        .collect();
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    ids.dedup();
    assert_eq!(ids.len(), 29, "a distinct id for each saved record");
    let saved = client
        .query(&format!(
            "SELECT Id, CommentBody FROM CaseComment WHERE ParentId = '{parent}'"
        ))
        .await
        .expect("comments");
    assert_eq!(saved.len(), 29);

    // Updates made at once share a call too, but two updates of one record never share one:
    // the second goes in the next call, so the later write wins as it would one by one.
    let since = last_seq(&emu).await;
    let updates = ids.iter().take(10).enumerate().map(|(i, id)| {
        let client = client.clone();
        let id = id.clone();
        async move {
            client
                .update_shared(
                    "CaseComment",
                    &id,
                    &fields(json!({"CommentBody": format!("Edited {i}")})),
                )
                .await
        }
    });
    let again = {
        let client = client.clone();
        let id = ids[0].clone();
        async move {
            client
                .update_shared(
                    "CaseComment",
                    &id,
                    &fields(json!({"CommentBody": "Edited again"})),
                )
                .await
        }
    };
    let (outcomes, last) = tokio::join!(futures::future::join_all(updates), again);
    assert!(outcomes.iter().chain([&last]).all(Result::is_ok));
    assert_eq!(
        endpoints_after(&emu, since).await,
        [
            "PATCH /services/data/v60.0/composite/sobjects",
            "PATCH /services/data/v60.0/sobjects/CaseComment/{id}"
        ]
    );
    let first = client
        .get_record("CaseComment", &ids[0], &["CommentBody"])
        .await
        .expect("read");
    assert_eq!(first["CommentBody"], "Edited again");
    emu.stop().await;
}

#[tokio::test]
async fn a_shared_call_whose_answer_is_lost_leaves_each_create_unknown() {
    let (emu, client) = start().await;
    let parent = client
        .create("Case", &fields(json!({"Subject": "Lost answers"})))
        .await
        .expect("case");
    arm(
        &emu,
        json!({"method": "POST", "path": "/services/data/*/composite/sobjects", "times": 1,
               "action": {"kind": "after_commit_drop"}}),
    )
    .await;
    let writes =
        (0..5).map(|i| shared_comment(client.clone(), parent.clone(), format!("Lost {i}")));
    let outcomes = futures::future::join_all(writes).await;
    for outcome in &outcomes {
        let error = outcome.as_ref().expect_err("the answer was dropped");
        assert!(error.is_answer_lost(), "{error}");
    }
    // The call was not repeated: the records were saved once.
    let saved = client
        .query(&format!(
            "SELECT Id FROM CaseComment WHERE ParentId = '{parent}'"
        ))
        .await
        .expect("comments");
    assert_eq!(saved.len(), 5);
    emu.stop().await;
}
