//! Audit fields come from the emulated clock, and child records (comments, feed posts and
//! replies, files) leave their parent's timestamps alone.

use crate::salesforce_support;

use base64::Engine;
use emulator::common::Seed;
use reqwest::Method;
use salesforce_support::start;
use serde_json::json;

#[tokio::test]
async fn audit_fields_come_from_the_emulated_clock() {
    let sf = start(Seed::Empty).await;
    sf.freeze("2024-01-02T03:04:05Z").await;
    let id = sf.create("Case", json!({"Subject": "clock"})).await;
    let rec = sf.get(&format!("/sobjects/Case/{id}")).await.body;
    for f in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
        assert_eq!(rec[f], "2024-01-02T03:04:05.000+0000", "{f}");
    }
    assert_eq!(rec["CreatedById"], rec["LastModifiedById"]);
    sf.advance(300).await;
    sf.patch(&format!("/sobjects/Case/{id}"), json!({"Priority": "High"}))
        .await;
    let rec = sf.get(&format!("/sobjects/Case/{id}")).await.body;
    assert_eq!(rec["CreatedDate"], "2024-01-02T03:04:05.000+0000");
    assert_eq!(rec["LastModifiedDate"], "2024-01-02T03:09:05.000+0000");
    assert_eq!(rec["SystemModstamp"], "2024-01-02T03:09:05.000+0000");
    let window = sf
        .rows("SELECT Id FROM Case WHERE SystemModstamp >= 2024-01-02T03:05:00Z")
        .await;
    assert_eq!(
        window.len(),
        1,
        "an incremental query on SystemModstamp sees the change"
    );
    sf.stop().await;
}

#[tokio::test]
async fn child_creations_do_not_move_the_parent_case_timestamps() {
    let sf = start(Seed::Empty).await;
    sf.freeze("2024-01-02T00:00:00Z").await;
    let case = sf.create("Case", json!({"Subject": "parent"})).await;
    let before = sf.get(&format!("/sobjects/Case/{case}")).await.body;
    sf.advance(3600).await;
    sf.create(
        "CaseComment",
        json!({"ParentId": case, "CommentBody": "hello"}),
    )
    .await;
    let post = sf
        .create("FeedItem", json!({"ParentId": case, "Body": "post"}))
        .await;
    sf.advance(60).await;
    let reply = sf
        .create(
            "FeedComment",
            json!({"FeedItemId": post, "CommentBody": "reply"}),
        )
        .await;
    sf.create("ContentVersion", json!({"PathOnClient": "f.txt", "FirstPublishLocationId": case, "VersionData": base64::engine::general_purpose::STANDARD.encode("x")})).await;
    let after = sf.get(&format!("/sobjects/Case/{case}")).await.body;
    for f in ["LastModifiedDate", "SystemModstamp"] {
        assert_eq!(after[f], before[f], "{f} of the case moved");
    }
    let comments = sf.rows(&format!("SELECT Id FROM CaseComment WHERE ParentId = '{case}' AND CreatedDate > 2024-01-02T00:30:00Z")).await;
    assert_eq!(
        comments.len(),
        1,
        "children are found by their own creation dates"
    );
    let reply_row = sf.get(&format!("/sobjects/FeedComment/{reply}")).await.body;
    assert_eq!(
        reply_row["ParentId"],
        case.as_str(),
        "a reply's ParentId is the feed item's record"
    );
    let item = sf.get(&format!("/sobjects/FeedItem/{post}")).await.body;
    assert_eq!(item["CommentCount"], 1);
    let a = sf
        .post(
            "/sobjects/FeedComment",
            json!({"FeedItemId": post, "CommentBody": "x", "ParentId": case}),
        )
        .await;
    assert_eq!(
        a.code(),
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "FeedComment.ParentId is read-only"
    );
    let common = sf.emu.common().clock.now();
    assert_eq!(common.to_rfc3339(), "2024-01-02T01:01:00+00:00");
    let _ = sf.control(Method::DELETE, "/clock", None).await;
    sf.stop().await;
}

#[tokio::test]
async fn get_updated_and_get_deleted_report_changes_in_a_window() {
    let sf = start(Seed::Empty).await;
    sf.freeze("2024-01-02T10:00:00Z").await;
    let kept = sf.create("Account", json!({"Name": "kept"})).await;
    let gone = sf.create("Account", json!({"Name": "gone"})).await;
    sf.advance(600).await;
    sf.delete(&format!("/sobjects/Account/{gone}")).await;
    sf.advance(600).await;
    let window = "start=2024-01-02T09:00:00Z&end=2024-01-02T11:00:00Z";
    let updated = sf
        .get(&format!("/sobjects/Account/updated/?{window}"))
        .await;
    assert_eq!(
        updated.body,
        json!({"ids": [kept], "latestDateCovered": "2024-01-02T11:00:00.000+0000"})
    );
    let deleted = sf
        .get(&format!("/sobjects/Account/deleted/?{window}"))
        .await;
    assert_eq!(
        deleted.body["deletedRecords"],
        json!([{"id": gone, "deletedDate": "2024-01-02T10:10:00.000+0000"}])
    );
    assert_eq!(
        sf.get("/sobjects/Account/updated/").await.code(),
        "MISSING_ARGUMENT"
    );
    sf.stop().await;
}
