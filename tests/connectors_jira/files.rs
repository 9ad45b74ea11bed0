//! Comments over all their pages with their properties, and attachments streamed up and down.

use super::*;
use crate::generated::generated;

#[tokio::test]
async fn comments_are_read_over_all_pages_with_their_properties() {
    let (emu, client) = start().await;
    let issue = key("SUP-1");
    let existing = client.comments(&issue).await.expect("comments").len();
    let marked = client
        .add_comment(
            &issue,
            &text_to_adf("From Salesforce"),
            &[("sfsync".into(), json!({"sfId": "00a000000000001"}))],
        )
        .await
        .expect("add");
    assert_eq!(marked.body_text(), "From Salesforce");
    for i in 0..104 {
        client
            .add_text_comment(&issue, &format!("Comment {i}"), &[])
            .await
            .expect("add text");
    }
    let before = client.calls_made();
    let all = client.comments(&issue).await.expect("all pages");
    assert_eq!(all.len(), existing + 105);
    assert_eq!(client.calls_made() - before, 2, "100 per page");
    assert!(all.iter().all(|c| c.created_at().is_some()));
    assert_eq!(
        all.last().map(|c| c.body_text()).as_deref(),
        Some("Comment 103")
    );

    let with_props = client
        .comments_with_properties(&issue)
        .await
        .expect("with properties");
    let found = with_props
        .iter()
        .find(|c| c.id == marked.id)
        .expect("the marked comment");
    assert_eq!(
        found.property("sfsync"),
        Some(&json!({"sfId": "00a000000000001"}))
    );

    let updated = client
        .update_comment(&issue, &marked.id, &text_to_adf("Edited"))
        .await
        .expect("update");
    assert_eq!(updated.body_text(), "Edited");
    assert_eq!(
        client.comment_properties(&marked.id).await.expect("keys"),
        vec!["sfsync".to_string()]
    );
    assert_eq!(
        client
            .set_comment_property(&marked.id, "seen", &json!(true))
            .await
            .expect("set"),
        PropertyWrite::Created
    );
    assert_eq!(
        client
            .comment_property(&marked.id, "seen")
            .await
            .expect("get"),
        Some(json!(true))
    );
    assert_eq!(
        client
            .comment_property(&marked.id, "absent")
            .await
            .expect("get"),
        None
    );
    let err = client
        .add_comment(&issue, &json!("not adf"), &[])
        .await
        .expect_err("a string body is refused before sending");
    assert!(matches!(err, JiraError::InvalidInput(_)));
    emu.stop().await;
}

#[tokio::test]
async fn attachments_stream_up_and_down() {
    let (emu, client) = start().await;
    let issue = key("SUP-2");
    let meta = client.attachment_meta().await.expect("meta");
    assert!(meta.enabled);
    assert_eq!(meta.upload_limit, Some(10_485_760));

    let len = 4 * 1024 * 1024 + 77;
    let (body, digest) = generated(len);
    let attachment = client
        .upload_attachment(&issue, "capture.bin", len as u64, body)
        .await
        .expect("upload");
    assert_eq!(attachment.filename, "capture.bin");
    assert_eq!(attachment.size, len as u64);

    let listed = client.attachments(&issue).await.expect("list");
    assert!(listed.iter().any(|a| a.id == attachment.id));
    let one = client
        .attachment(&attachment.id)
        .await
        .expect("metadata (numeric id)");
    assert_eq!(one.id, attachment.id);

    let download = client
        .download_attachment(&attachment.id)
        .await
        .expect("download");
    assert_eq!(download.content_length, Some(len as u64));
    let (received, sha) = generated::received(download.stream).await;
    assert_eq!(received, len);
    assert_eq!(sha, digest);
    emu.stop().await;

    let (small, client) = start_with(JiraOptions {
        upload_limit: 1024 * 1024,
        ..JiraOptions::default()
    })
    .await;
    let (body, _) = generated(2 * 1024 * 1024);
    let err = client
        .upload_attachment(&issue, "big.bin", 2 * 1024 * 1024, body)
        .await
        .expect_err("over the limit");
    assert_eq!(err.status(), Some(413), "{err}");
    assert!(!err.is_retryable());
    small.stop().await;
}
