//! The item history page's dead-letter list, as an admin uses it: a real refusal from
//! Salesforce, retried while the cause is still there, retried after it is fixed, and another
//! one dismissed.

use serde_json::json;

use crate::harness::{Browser, PATIENCE};
use crate::world::{connected_world, World, FORBIDDEN_SUBJECT};

/// Esc, as WebDriver types it.
const ESCAPE: &str = "\u{E00C}";

/// The attempts shown in a dead-letter row.
async fn attempts(browser: &Browser, row: &str) -> u32 {
    browser
        .text_of(&format!("{row} td[data-label=Attempts]"))
        .await
        .trim()
        .parse()
        .expect("a number of attempts")
}

/// Waits until no element matches `css`.
async fn wait_gone(browser: &Browser, css: &str) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while browser.exists(css).await {
        assert!(std::time::Instant::now() < deadline, "{css} is still there");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The `data-action` of the focused element.
async fn focused_action(browser: &Browser) -> Option<String> {
    let focused = browser.client.active_element().await.expect("focus");
    focused.attr("data-action").await.expect("attr")
}

/// A second Case of the same item linked to `issue`, whose summary edit is refused too.
async fn second_refusal(world: &World, item: &str, issue: &str) {
    let record = world.case("Another case").await;
    let (status, card) = world
        .post(
            &format!("/api/issues/{issue}/items/{item}/link"),
            json!({"record_id": record}),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    world.jira_summary(issue, "Forbidden words").await;
    world.dead_letter_of(item, issue).await;
}

#[actix_web::test]
async fn a_salesforce_refusal_is_retried_until_fixed_and_another_is_dismissed() {
    let world = connected_world().await;
    world.forbid_subjects().await;
    let (item, record) = world.linked_case("SUP-1", true).await;
    world.jira_summary("SUP-1", "Forbidden topic").await;
    world.dead_letter_of(&item, "SUP-1").await;
    second_refusal(&world, &item, "SUP-2").await;

    let browser = Browser::start(&world.app).await;
    browser.sign_in(&world.app.token).await;
    browser.open(&format!("/admin/items/{item}")).await;
    let first = "#dead-letters tr[data-issue='SUP-1']";
    let second = "#dead-letters tr[data-issue='SUP-2']";
    let row = browser.wait_text(first, FORBIDDEN_SUBJECT).await;
    assert!(row.contains(&record), "{row}");
    assert!(row.contains("Write fields to Salesforce"), "{row}");
    assert!(row.to_lowercase().contains("needs attention"), "{row}");
    browser.wait_text(second, FORBIDDEN_SUBJECT).await;
    assert!(
        browser
            .exists(&format!("{first} a[href='/panel/SUP-1']"))
            .await
    );
    let latest = browser
        .wait_text("#latest-sync", "Attention required")
        .await;
    assert!(latest.contains("SUP-2"), "{latest}");
    browser.screenshot("item-dead-letters").await;
    browser.screenshot_full("item-dead-letters-full").await;
    browser.screenshot_narrow("item-dead-letters-narrow").await;

    // Retry while the validation rule is still there: the row stays, with more attempts and
    // Salesforce's words, and focus stays on its Retry.
    let before = attempts(&browser, first).await;
    browser
        .click(&format!("{first} button[data-action=retry-dead-letter]"))
        .await;
    browser
        .wait_text("#dead-letters-status", "still failing")
        .await;
    // At least one more: a late Jira webhook about the same issue may have tried again too.
    let after = attempts(&browser, first).await;
    assert!(after > before, "attempts {before} → {after}");
    assert!(browser.text_of(first).await.contains(FORBIDDEN_SUBJECT));
    assert_eq!(
        focused_action(&browser).await.as_deref(),
        Some("retry-dead-letter")
    );
    browser.screenshot("item-dead-letter-still-failing").await;

    // Fixed in Salesforce: the retry writes the summary and the row goes.
    world
        .sf_control(reqwest::Method::DELETE, "validation-rules", None)
        .await;
    browser
        .click(&format!("{first} button[data-action=retry-dead-letter]"))
        .await;
    browser.wait_text("#dead-letters-status", "succeeded").await;
    wait_gone(&browser, first).await;
    let (_, case) = world
        .sf_rest(
            reqwest::Method::GET,
            &format!("sobjects/Case/{record}?fields=Subject"),
            None,
        )
        .await;
    assert_eq!(case["Subject"], "Forbidden topic");
    // Focus moved to the row now in its place.
    assert_eq!(
        focused_action(&browser).await.as_deref(),
        Some("retry-dead-letter")
    );
    let latest = browser.text_of("#latest-sync").await;
    assert!(!latest.contains("SUP-1"), "{latest}");

    // Dismiss asks first: Esc cancels and gives focus back to the button.
    let dismiss = format!("{second} button[data-action=dismiss-dead-letter]");
    browser.click(&dismiss).await;
    browser.wait_for("#confirm-dialog[open]").await;
    browser
        .wait_text("#confirm-message", "Write fields to Salesforce on SUP-2")
        .await;
    browser.screenshot("dead-letter-dismiss-confirm").await;
    browser.press(ESCAPE).await;
    assert!(!browser.exists("#confirm-dialog[open]").await);
    assert_eq!(
        focused_action(&browser).await.as_deref(),
        Some("dismiss-dead-letter")
    );
    assert!(browser.exists(second).await, "cancelled: still listed");
    browser.click(&dismiss).await;
    browser.click("#confirm-dialog [data-confirm=ok]").await;
    browser.wait_text("#dead-letters-status", "Dismissed").await;
    browser
        .wait_text("#dead-letters-region", "No failures")
        .await;
    assert_eq!(browser.focused_id().await, "dead-letters-title");
    let (_, letters) = world
        .get(&format!("/api/admin/items/{item}/dead-letters"))
        .await;
    assert_eq!(letters["dead_letters"], json!([]));
    browser.screenshot("item-no-failures").await;

    browser.close().await;
}

#[actix_web::test]
async fn the_panel_card_shows_a_failure_and_leads_to_the_dead_letter_list() {
    let world = connected_world().await;
    world.forbid_subjects().await;
    let (item, _) = world.linked_case("SUP-1", true).await;
    world.jira_summary("SUP-1", "Forbidden topic").await;
    world.dead_letter_of(&item, "SUP-1").await;

    let browser = Browser::start(&world.app).await;
    browser.sign_in(&world.app.token).await;
    browser.open("/panel/SUP-1").await;
    let card = format!("#card-{item}");
    let failures = browser
        .wait_text(&format!("{card} .failures"), FORBIDDEN_SUBJECT)
        .await;
    assert!(failures.contains("needs attention"), "{failures}");
    browser.screenshot("panel-failure").await;
    browser.screenshot_narrow("panel-failure-narrow").await;
    browser
        .click(&format!(
            "{card} .failures a[href='/admin/items/{item}#dead-letters']"
        ))
        .await;
    browser
        .wait_text("#dead-letters tr[data-issue='SUP-1']", FORBIDDEN_SUBJECT)
        .await;

    browser.close().await;
}
