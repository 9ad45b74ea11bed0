//! The issue panel and the link history, as a Jira user and an admin use them.

use serde_json::{json, Value};

use crate::harness::Browser;
use crate::world::{connected_world, World};

/// Esc, as WebDriver types it.
const ESCAPE: &str = "\u{E00C}";

async fn cases(world: &World) -> Vec<String> {
    world
        .sf_load(
            "Case",
            json!([
                {"Subject": "Printer on fire in building 7", "Status": "New",
                 "Priority": "High", "Origin": "Phone"},
                {"Subject": "Conveyor belt stops after firmware update", "Status": "Working",
                 "Priority": "Medium", "Origin": "Web"}
            ]),
        )
        .await
}

#[actix_web::test]
async fn link_by_search_and_by_pasted_id_then_refresh_and_unlink() {
    let world = connected_world().await;
    let ids = cases(&world).await;
    let item = world.case_item(false).await;
    let browser = Browser::start(&world.app).await;
    browser.sign_in(&world.app.token).await;

    browser.open("/panel/SUP-1").await;
    let card = format!("#card-{item}");
    browser
        .wait_text(&card, "No Salesforce record is linked")
        .await;
    browser.screenshot("panel-unlinked").await;

    // The dialog: focus in the search box, the empty state with its hint, then results.
    browser
        .click(&format!("{card} button[data-action=link]"))
        .await;
    browser.wait_for("#link-dialog[open]").await;
    assert_eq!(browser.focused_id().await, "link-query");
    browser.fill("#link-query", "zzzz").await;
    let empty = browser
        .wait_text("#link-state", "No matching records found")
        .await;
    assert!(empty.contains("CaseNumber, Subject"), "{empty}");
    browser.screenshot("link-dialog-empty").await;
    browser.fill("#link-query", "printer").await;
    browser.wait_for("#link-results button.result").await;
    browser.wait_text("#link-results", "Printer on fire").await;
    browser.screenshot("link-dialog-results").await;
    browser.click("#link-results button.result").await;
    browser
        .wait_text(&card, "Printer on fire in building 7")
        .await;
    assert!(!browser.exists("#link-dialog[open]").await);
    let text = browser.text_of(&card).await;
    assert!(text.contains(&ids[0]), "{text}");
    assert!(text.contains("Open in Salesforce"), "{text}");
    assert!(
        text.contains("Unlink"),
        "manual links can be unlinked: {text}"
    );
    browser.screenshot("panel-linked").await;
    browser.screenshot_narrow("panel-linked-narrow").await;

    // Refresh pulls what changed in Salesforce now.
    let (status, _) = world
        .sf_rest(
            reqwest::Method::PATCH,
            &format!("sobjects/Case/{}", ids[0]),
            Some(json!({"Subject": "Printer on fire in building 7 (smoke gone)"})),
        )
        .await;
    assert_eq!(status, 204);
    browser
        .click(&format!("{card} button[data-action=refresh]"))
        .await;
    browser.wait_text(&card, "(smoke gone)").await;
    browser.wait_text(&card, "Refreshed from Salesforce").await;

    // Paste an id on another issue; Esc first closes the dialog and restores focus.
    browser.open("/panel/SUP-2").await;
    let link_button = format!("{card} button[data-action=link]");
    browser.click(&link_button).await;
    browser.wait_for("#link-dialog[open]").await;
    browser.press(ESCAPE).await;
    assert!(
        !browser.exists("#link-dialog[open]").await,
        "Esc closes the dialog"
    );
    let focused = browser
        .client
        .active_element()
        .await
        .expect("focus")
        .attr("data-action")
        .await
        .expect("attr");
    assert_eq!(
        focused.as_deref(),
        Some("link"),
        "focus returns to the opener"
    );
    browser.click(&link_button).await;
    let short_id = &ids[1][..15];
    browser.fill("#link-query", short_id).await;
    browser.wait_text("#link-paste-button", short_id).await;
    browser.click("#link-paste-button").await;
    browser.wait_text(&card, "Conveyor belt stops").await;

    // Unlink a manual link, after confirming.
    browser
        .click(&format!("{card} button[data-action=unlink]"))
        .await;
    browser.wait_for("#confirm-dialog[open]").await;
    browser.screenshot("unlink-confirm").await;
    browser.click("#confirm-dialog [data-confirm=ok]").await;
    browser
        .wait_text(&card, "No Salesforce record is linked")
        .await;

    browser.close().await;
}

/// The issue an auto-create run made for the only new Case.
async fn auto_created_issue(world: &World) -> (String, Value) {
    for n in 1..=20 {
        let key = format!("SUP-{n}");
        let (status, panel) = world.get(&format!("/api/issues/{key}/panel")).await;
        assert_eq!(status, 200, "{panel}");
        if let Some(card) = panel["cards"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["link"]["origin"] == "auto"))
        {
            return (key, card.clone());
        }
    }
    panic!("no auto-managed link on SUP-1..20");
}

#[actix_web::test]
async fn unlink_is_refused_on_an_auto_managed_link_and_its_history_reads_well() {
    let world = connected_world().await;
    let item = world.case_item(true).await;
    world
        .sf_load(
            "Case",
            json!([{"Subject": "Laptop battery swelling", "Status": "New",
                    "Priority": "High", "Origin": "Web"}]),
        )
        .await;
    world.sync(&item).await;
    let (key, card_json) = auto_created_issue(&world).await;
    let link_id = card_json["link"]["link_id"]
        .as_str()
        .expect("link id")
        .to_string();

    let browser = Browser::start(&world.app).await;
    browser.sign_in(&world.app.token).await;
    browser.open(&format!("/panel/{key}")).await;
    let card = format!("#card-{item}");
    let note = browser
        .wait_text(&format!("{card} .unlink-note"), "Unlink is not available")
        .await;
    assert!(note.contains("auto-managed"), "{note}");
    assert!(
        !browser
            .exists(&format!("{card} button[data-action=unlink]"))
            .await
    );
    assert!(browser
        .text_of(&card)
        .await
        .contains("Auto-managed by the scheduler"));
    browser.screenshot("panel-auto-managed").await;

    // Even when asked directly from the page, the API refuses and says why.
    let answer = browser
        .client
        .execute(
            "return sfj.api('DELETE', arguments[0]).then(r => [r.status, r.body.error]);",
            vec![json!(format!("/api/issues/{key}/items/{item}/link"))],
        )
        .await
        .expect("script ran");
    assert_eq!(answer, json!([409, "auto_managed_link"]));

    // The link's history, from the card.
    browser
        .click(&format!("{card} a[href='/admin/links/{link_id}']"))
        .await;
    let timeline = browser.wait_text(".timeline", "Linked").await;
    assert!(timeline.contains("auto"), "{timeline}");
    assert!(timeline.contains("Why:"), "{timeline}");
    assert!(
        timeline.contains("JIRA") || timeline.contains("Jira"),
        "{timeline}"
    );
    browser.screenshot("link-history").await;
    browser.screenshot_narrow("link-history-narrow").await;

    browser.close().await;
}
