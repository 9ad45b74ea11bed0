//! The admin page and the item editor, as an admin uses them.

use serde_json::Value;

use crate::harness::Browser;
use crate::world::{connected_world, world_with, WorldOptions};

/// Esc, as WebDriver types it.
const ESCAPE: &str = "\u{E00C}";

#[actix_web::test]
async fn sign_in_then_connect_with_a_wrong_secret_then_the_right_one() {
    let world = world_with(WorldOptions::default(), |_| {}).await;
    let browser = Browser::start(&world.app).await;

    // Without a session the admin page sends the browser to sign in.
    browser.open("/admin").await;
    browser.wait_for("#token").await;
    assert!(browser.path().await.starts_with("/admin/login?next="));
    browser.screenshot("sign-in").await;
    browser.fill("#token", "not-the-token").await;
    browser.click("form button[type=submit]").await;
    browser.wait_text("#signin-error", "not valid").await;

    browser.sign_in(&world.app.token).await;
    browser.wait_text("#connection", "Not connected").await;
    browser.screenshot("admin-not-connected").await;

    // A wrong secret: Salesforce's refusal, its cause and the fix, inline.
    browser.fill("#login_url", &world.sf_info.login_url).await;
    browser.fill("#client_id", &world.sf_info.client_id).await;
    browser.fill("#client_secret", "wrong-secret").await;
    browser.click("#connection-form button[type=submit]").await;
    let error = browser.wait_text("#connection-error", "Fix:").await;
    assert!(error.contains("Cause:"), "{error}");
    browser.screenshot("connect-wrong-secret").await;

    // The right one.
    browser
        .fill("#client_secret", &world.sf_info.client_secret)
        .await;
    browser.click("#connection-form button[type=submit]").await;
    let card = browser.wait_text("#connection", "Org Name").await;
    assert!(card.contains("Connected"), "{card}");
    assert!(card.contains("Instance URL"), "{card}");
    assert!(
        !card.contains(&world.sf_info.client_secret),
        "the secret is never shown"
    );
    browser.screenshot("admin-connected").await;
    browser.screenshot_narrow("admin-connected-narrow").await;

    // Revoke asks first; Esc cancels and gives focus back to the button.
    browser.click("#revoke-connection").await;
    browser.wait_for("#confirm-dialog[open]").await;
    browser.screenshot("revoke-confirm").await;
    browser.press(ESCAPE).await;
    assert!(
        !browser.exists("#confirm-dialog[open]").await,
        "Esc closes the dialog"
    );
    assert_eq!(browser.focused_id().await, "revoke-connection");
    browser.click("#revoke-connection").await;
    browser.click("#confirm-dialog [data-confirm=ok]").await;
    browser.wait_text("#connection", "Not connected").await;

    browser.close().await;
}

#[actix_web::test]
async fn create_a_two_way_case_item_with_mappings_then_sync_and_edit_it() {
    let world = connected_world().await;
    let support_request = world.support_request_type().await;
    let browser = Browser::start(&world.app).await;
    browser.sign_in(&world.app.token).await;
    browser
        .wait_text("#items-region", "No Smart Connected Items yet")
        .await;

    browser.click("a[href='/admin/items/new']").await;
    browser.fill("#f-name", "Support cases").await;
    browser.click("#mode-two_way").await;
    browser.click("#jira_project-SUP").await;
    browser.choose("#f-issue-type", &support_request).await;
    browser.choose("#f-module", "service_cloud").await;
    browser.choose("#f-object", "Case").await;
    for field in ["CaseNumber", "Subject", "Status", "Priority"] {
        browser.click(&format!("#preview-{field}")).await;
    }
    browser.click("#add-mapping").await;
    browser.choose("#map-sf-0", "Subject").await;
    browser.choose("#map-jira-0", "summary").await;
    browser.click("#add-mapping").await;
    browser.choose("#map-sf-1", "Description").await;
    browser.choose("#map-jira-1", "description").await;
    browser.click("#o-status").await;
    browser.choose("#o-status-field", "Status").await;
    browser.click("#o-comments").await;
    browser.click("#o-attachments").await;

    browser.click("#check-item").await;
    browser.wait_text("#editor-busy", "Check passed").await;
    browser.screenshot_full("item-editor").await;
    browser.screenshot_narrow("item-editor-narrow").await;

    browser.click("#save-item").await;
    let table = browser
        .wait_text("#items-region", "Subject ⇄ summary")
        .await;
    assert!(table.to_lowercase().contains("waiting"), "{table}");
    browser.screenshot("admin-items").await;

    // Sync now runs it and the row shows the counts.
    browser
        .click("tr[data-item-name='Support cases'] button[data-action=sync]")
        .await;
    browser.wait_text("#items-region", "OK").await;
    browser.screenshot("admin-items-synced").await;
    browser.screenshot_narrow("admin-items-narrow").await;

    let (status, body) = world.get("/api/admin/items").await;
    assert_eq!(status, 200);
    let item = &body["items"][0];
    assert_eq!(item["mode"], "two_way");
    assert_eq!(
        item["definition"]["mappings"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(item["options"]["status_sync"], "Status");
    let id = item["id"].as_str().expect("id").to_string();

    // History, then an edit saved with If-Match.
    browser
        .click("tr[data-item-name='Support cases'] th a")
        .await;
    browser.wait_text("#runs-title", "Runs").await;
    browser.wait_for("table.runs tbody tr").await;
    browser.screenshot_full("item-history").await;
    browser
        .click(&format!("a[href='/admin/items/{id}/edit']"))
        .await;
    browser
        .wait_for("#map-jira-1 option[value=description]")
        .await;
    browser.fill("#f-name", "Support cases (EMEA)").await;
    browser.click("#save-item").await;
    browser
        .wait_text("#items-region", "Support cases (EMEA)")
        .await;
    let (_, body) = world.get(&format!("/api/admin/items/{id}")).await;
    assert_eq!(body["version"], Value::from(2));

    browser.close().await;
}

#[actix_web::test]
async fn the_editor_shows_a_required_field_warning_and_field_problems_before_save() {
    let world = connected_world().await;
    let (_, types) = world.get("/api/admin/jira/projects/ENG/issue-types").await;
    let bug = types["issue_types"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "Bug"))
        .and_then(|t| t["id"].as_str())
        .expect("a Bug type")
        .to_string();
    let browser = Browser::start(&world.app).await;
    browser.sign_in(&world.app.token).await;
    browser.open("/admin/items/new").await;
    browser.fill("#f-name", "Engineering bugs").await;
    browser.click("#mode-two_way").await;
    browser.click("#jira_project-ENG").await;
    browser.choose("#f-issue-type", &bug).await;
    browser.choose("#f-module", "service_cloud").await;
    browser.choose("#f-object", "Case").await;
    browser.click("#add-mapping").await;
    browser.choose("#map-sf-0", "Subject").await;
    browser.choose("#map-jira-0", "summary").await;
    browser.click("#o-auto-create").await;

    browser.click("#check-item").await;
    let warnings = browser.wait_text("#editor-warnings", "Severity").await;
    assert!(
        warnings.contains("auto-created issues will fail"),
        "{warnings}"
    );
    assert!(!browser.exists("#editor-problems:not([hidden])").await);
    browser.screenshot("item-required-field-warning").await;

    // A read-only Salesforce field cannot take Jira's changes in a two-way item.
    browser.click("#add-mapping").await;
    browser.choose("#map-sf-1", "CaseNumber").await;
    browser.choose("#map-jira-1", "description").await;
    browser.click("#check-item").await;
    let problems = browser.wait_text("#editor-problems", "Mapping 2").await;
    assert!(problems.contains("problem"), "{problems}");
    let slot = browser.wait_for("[data-error-for='mappings[1]']").await;
    assert!(!slot.text().await.unwrap_or_default().is_empty());
    browser.screenshot_full("item-check-problems").await;

    // Saving is refused with the same problems, and nothing is created.
    browser.click("#save-item").await;
    browser.wait_text("#editor-problems", "Mapping 2").await;
    let (_, body) = world.get("/api/admin/items").await;
    assert_eq!(body["items"].as_array().map(Vec::len), Some(0));

    browser.close().await;
}
