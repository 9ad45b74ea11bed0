//! The web pages over plain HTTP: sign-in and its cookie, the cookie on `/api` with its CSRF
//! rules, sign-out, redirects without a session, embedded assets, and that the admin token
//! never appears in a page.

use reqwest::header;
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::world::{connected_world, FORBIDDEN_SUBJECT};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Signs in through the form; returns the `Cookie` header value.
async fn sign_in(app: &TestApp) -> String {
    let response = client()
        .post(app.url("/admin/login"))
        .form(&[("token", app.token.as_str()), ("next", "/admin")])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&response).expect("a session cookie");
    cookie.split(';').next().expect("name=value").to_string()
}

async fn get_with(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    client()
        .get(app.url(path))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .expect("sent")
}

async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap_or(Value::Null);
    body["error"].as_str().unwrap_or_default().to_string()
}

#[actix_web::test]
async fn pages_send_a_browser_without_a_session_to_sign_in() {
    let app = spawn_app().await;
    let id = "01a222e7-f61b-74e1-9b12-b97bd6133756";
    for path in [
        "/admin".to_string(),
        "/admin/items/new".into(),
        "/admin/items/table".into(),
        format!("/admin/items/{id}"),
        format!("/admin/items/{id}/edit"),
        format!("/admin/items/{id}/dead-letters"),
        format!("/admin/links/{id}"),
        "/panel/SUP-1".into(),
        format!("/panel/SUP-1/cards/{id}"),
    ] {
        let response = client().get(app.url(&path)).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let target = location(&response);
        let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(target, format!("/admin/login?next={next}"), "{path}");
    }
    let root = client().get(app.url("/")).send().await.expect("sent");
    assert_eq!(location(&root), "/admin");
}

#[actix_web::test]
async fn page_scripts_without_a_session_get_401_rather_than_a_redirect() {
    let app = spawn_app().await;
    let response = client()
        .get(app.url("/admin/items/table"))
        .header("X-Requested-With", "sfjira")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn signing_in_sets_an_http_only_strict_cookie_that_is_not_the_token() {
    let app = spawn_app().await;
    let response = client()
        .post(app.url("/admin/login"))
        .form(&[("token", app.token.as_str()), ("next", "/panel/SUP-1")])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/panel/SUP-1");
    let cookie = set_cookie(&response).expect("a cookie");
    assert!(cookie.starts_with("sfjira_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    assert!(!cookie.contains(&app.token), "{cookie}");

    // Behind an HTTPS proxy the cookie is Secure.
    let response = client()
        .post(app.url("/admin/login"))
        .header("X-Forwarded-Proto", "https")
        .form(&[("token", app.token.as_str())])
        .send()
        .await
        .expect("sent");
    assert!(set_cookie(&response).expect("a cookie").contains("Secure"));
}

#[actix_web::test]
async fn a_wrong_token_gets_no_cookie_and_next_never_leaves_the_site() {
    let app = spawn_app().await;
    let response = client()
        .post(app.url("/admin/login"))
        .form(&[("token", "guess"), ("next", "/admin")])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&response).is_none());
    assert!(response.text().await.expect("body").contains("not valid"));

    for next in [
        "//elsewhere.example/x",
        "https://elsewhere.example",
        "/\\elsewhere",
    ] {
        let response = client()
            .post(app.url("/admin/login"))
            .form(&[("token", app.token.as_str()), ("next", next)])
            .send()
            .await
            .expect("sent");
        assert_eq!(location(&response), "/admin", "{next}");
    }
}

#[actix_web::test]
async fn the_session_cookie_authenticates_api_reads() {
    let app = spawn_app().await;
    let cookie = sign_in(&app).await;
    let response = get_with(&app, "/api/admin/items", &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = get_with(&app, "/api/admin/items", "sfjira_session=forged").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_cookie_authenticated_change_needs_the_csrf_header_and_our_origin() {
    let app = spawn_app().await;
    let cookie = sign_in(&app).await;
    let http = client();

    let bare = http
        .delete(app.url("/api/admin/connection"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(bare).await, "csrf_header_missing");

    let post = http
        .post(app.url("/api/admin/items/validate"))
        .header(header::COOKIE, &cookie)
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(post.status(), StatusCode::FORBIDDEN);

    let foreign = http
        .delete(app.url("/api/admin/connection"))
        .header(header::COOKIE, &cookie)
        .header("X-Requested-With", "sfjira")
        .header(header::ORIGIN, "http://elsewhere.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(foreign).await, "cross_origin_request");

    // From our own page: through the guard (and refused by the engine: nothing is connected).
    let ours = http
        .delete(app.url("/api/admin/connection"))
        .header(header::COOKIE, &cookie)
        .header("X-Requested-With", "sfjira")
        .header(header::ORIGIN, app.address.as_str())
        .send()
        .await
        .expect("sent");
    assert_eq!(ours.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(ours).await, "salesforce_not_connected");
}

#[actix_web::test]
async fn bearer_tokens_work_as_before_and_win_over_the_cookie() {
    let app = spawn_app().await;
    let cookie = sign_in(&app).await;
    let http = client();
    let bearer = http
        .delete(app.url("/api/admin/connection"))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        bearer.status(),
        StatusCode::CONFLICT,
        "no CSRF header needed"
    );

    let wrong = http
        .get(app.url("/api/admin/items"))
        .bearer_auth("not-the-token")
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
}

fn csrf_of(page: &str) -> String {
    let start = page
        .find("name=\"csrf\" value=\"")
        .expect("a sign-out form")
        + 19;
    page[start..]
        .split('"')
        .next()
        .expect("a value")
        .to_string()
}

#[actix_web::test]
async fn signing_out_needs_the_form_token_and_ends_the_session() {
    let app = spawn_app().await;
    let cookie = sign_in(&app).await;
    let page = get_with(&app, "/admin", &cookie)
        .await
        .text()
        .await
        .expect("page");
    let csrf = csrf_of(&page);
    let http = client();

    let forged = http
        .post(app.url("/admin/logout"))
        .header(header::COOKIE, &cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get_with(&app, "/api/admin/items", &cookie).await.status(),
        StatusCode::OK,
        "still signed in"
    );

    let out = http
        .post(app.url("/admin/logout"))
        .header(header::COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/admin/login");
    assert!(set_cookie(&out).expect("a removal").contains("Max-Age=0"));
    assert_eq!(
        get_with(&app, "/api/admin/items", &cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get_with(&app, "/admin", &cookie).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[actix_web::test]
async fn no_page_carries_the_admin_token() {
    let world = connected_world().await;
    let app = &world.app;
    let item = world.case_item(false).await;
    let ids = world
        .sf_load(
            "Case",
            json!([{"Subject": "Printer on fire", "Status": "New", "Origin": "Phone"}]),
        )
        .await;
    // Item writes wait for the admin view only; let the panel view fold the item too.
    app.settle().await;
    let (status, card) = world
        .post(
            &format!("/api/issues/SUP-1/items/{item}/link"),
            json!({"record_id": ids[0]}),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    let link = card["link"]["link_id"].as_str().expect("link id");
    let cookie = sign_in(app).await;
    for path in [
        "/admin".to_string(),
        "/admin/items/table".into(),
        "/admin/items/new".into(),
        format!("/admin/items/{item}"),
        format!("/admin/items/{item}/edit"),
        format!("/admin/items/{item}/dead-letters"),
        format!("/admin/links/{link}"),
        "/panel/SUP-1".into(),
        format!("/panel/SUP-1/cards/{item}"),
    ] {
        for by_bearer in [false, true] {
            let request = client().get(app.url(&path));
            let request = if by_bearer {
                request.bearer_auth(&app.token)
            } else {
                request.header(header::COOKIE, &cookie)
            };
            let response = request.send().await.expect("sent");
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let body = response.text().await.expect("body");
            assert!(!body.contains(&app.token), "{path} shows the admin token");
        }
    }
    let sign_in_page = client()
        .get(app.url("/admin/login"))
        .send()
        .await
        .expect("sent");
    assert!(!sign_in_page
        .text()
        .await
        .expect("body")
        .contains(&app.token));
}

#[actix_web::test]
async fn pages_load_nothing_from_elsewhere() {
    let app = spawn_app().await;
    let cookie = sign_in(&app).await;
    let response = get_with(&app, "/admin", &cookie).await;
    let csp = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .expect("a policy")
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let body = response.text().await.expect("body");
    for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!body.contains(external), "{external} in the admin page");
    }
}

#[actix_web::test]
async fn assets_are_served_from_the_binary_with_an_etag() {
    let app = spawn_app().await;
    let http = client();
    let response = http
        .get(app.url("/assets/app.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/javascript")));
    let etag = response
        .headers()
        .get(header::ETAG)
        .cloned()
        .expect("an etag");
    let again = http
        .get(app.url("/assets/app.js"))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let missing = http
        .get(app.url("/assets/nothing.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn the_item_history_lists_dead_letters_in_salesforces_words_with_retry_and_dismiss() {
    let world = connected_world().await;
    let app = &world.app;
    world.forbid_subjects().await;
    let (item, record) = world.linked_case("SUP-1", true).await;
    let cookie = sign_in(app).await;

    // Before anything failed: the empty state.
    let page = get_with(app, &format!("/admin/items/{item}"), &cookie).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("page");
    assert!(page.contains("id=\"dead-letters\""), "{page}");
    assert!(page.contains("No failures."), "{page}");
    assert!(page.contains("/assets/history.js"), "{page}");

    world.jira_summary("SUP-1", "Forbidden topic").await;
    let letters = world.dead_letter_of(&item, "SUP-1").await;
    let link = letters[0]["link_id"].as_str().expect("link id");

    for path in [
        format!("/admin/items/{item}"),
        format!("/admin/items/{item}/dead-letters"),
    ] {
        let response = get_with(app, &path, &cookie).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().await.expect("html");
        assert!(html.contains(FORBIDDEN_SUBJECT), "{path}: {html}");
        assert!(!html.contains("No failures."), "{path}");
        assert!(html.contains(&format!("data-link-id=\"{link}\"")), "{path}");
        assert!(html.contains("data-operation=\"push_fields\""), "{path}");
        assert!(html.contains("Write fields to Salesforce"), "{path}");
        assert!(html.contains("href=\"/panel/SUP-1\""), "{path}");
        assert!(html.contains(&record), "{path}");
        assert!(html.contains("Needs attention"), "{path}");
        assert!(html.contains("data-action=\"retry-dead-letter\""), "{path}");
        assert!(
            html.contains("data-action=\"dismiss-dead-letter\""),
            "{path}"
        );
    }
    // The fragment carries the regions it replaces and nothing of the page around them.
    let fragment = get_with(app, &format!("/admin/items/{item}/dead-letters"), &cookie)
        .await
        .text()
        .await
        .expect("fragment");
    assert!(fragment.contains("data-region=\"dead-letters\""));
    assert!(fragment.contains("data-region=\"latest-sync\""));
    assert!(!fragment.contains("<html"), "{fragment}");

    // The panel card shows the failure and leads to the list.
    let panel = get_with(app, "/panel/SUP-1", &cookie)
        .await
        .text()
        .await
        .expect("panel");
    assert!(panel.contains(FORBIDDEN_SUBJECT), "{panel}");
    assert!(
        panel.contains(&format!("href=\"/admin/items/{item}#dead-letters\"")),
        "{panel}"
    );

    // Dismissed from a page script (cookie + X-Requested-With): the empty state again.
    let dismissed = client()
        .post(app.url(&format!(
            "/api/admin/items/{item}/dead-letters/{link}/push_fields/dismiss"
        )))
        .header(header::COOKIE, &cookie)
        .header("X-Requested-With", "sfjira")
        .header(header::ORIGIN, app.address.as_str())
        .send()
        .await
        .expect("sent");
    assert_eq!(dismissed.status(), StatusCode::NO_CONTENT);
    let fragment = get_with(app, &format!("/admin/items/{item}/dead-letters"), &cookie)
        .await
        .text()
        .await
        .expect("fragment");
    assert!(fragment.contains("No failures."), "{fragment}");
}

#[actix_web::test]
async fn the_dead_letter_fragment_needs_a_session_and_a_real_item() {
    let app = spawn_app().await;
    let id = "01a222e7-f61b-74e1-9b12-b97bd6133756";
    let path = format!("/admin/items/{id}/dead-letters");
    let script = client()
        .get(app.url(&path))
        .header("X-Requested-With", "sfjira")
        .send()
        .await
        .expect("sent");
    assert_eq!(script.status(), StatusCode::UNAUTHORIZED);
    let cookie = sign_in(&app).await;
    assert_eq!(
        get_with(&app, &path, &cookie).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_with(&app, "/admin/items/not-an-id/dead-letters", &cookie)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
