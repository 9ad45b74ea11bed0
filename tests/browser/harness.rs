//! A headless Chromium per test, driven through chromedriver on a free loopback port, with the
//! few helpers the scenarios share: sign in, wait for an element or a text, take screenshots.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::helpers::TestApp;

/// Two cores: at most two browsers at once.
static BROWSERS: Semaphore = Semaphore::const_new(2);

/// How long a scenario waits for something to appear.
pub const PATIENCE: Duration = Duration::from_secs(15);

fn first_existing(candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

fn chromedriver() -> String {
    std::env::var("SFJIRA_CHROMEDRIVER")
        .ok()
        .or_else(|| first_existing(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]))
        .expect("chromedriver is not installed: run scripts/test.sh, or apt-get install chromium chromium-driver")
}

fn chromium() -> String {
    std::env::var("SFJIRA_CHROMIUM")
        .ok()
        .or_else(|| first_existing(&["/usr/lib/chromium/chromium", "/usr/bin/chromium"]))
        .expect("chromium is not installed: run scripts/test.sh, or apt-get install chromium chromium-driver")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Where screenshots go: `target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}

/// One browser session.
pub struct Browser {
    pub client: Client,
    base: String,
    driver: Child,
    _profile: tempfile::TempDir,
    _permit: SemaphorePermit<'static>,
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium at 1280×800, pointed at `app`.
    pub async fn start(app: &TestApp) -> Browser {
        let permit = BROWSERS.acquire().await.expect("browser gate");
        let port = free_port();
        // Its own process group, so the Chromium it starts can be ended with it.
        let driver = Command::new(chromedriver())
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1280,800".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities: serde_json::Map<String, Value> = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium(), "args": args},
        })
        .as_object()
        .cloned()
        .expect("an object");
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a browser session");
        let browser = Browser {
            client,
            base: app.address.clone(),
            driver,
            _profile: profile,
            _permit: permit,
        };
        browser.set_viewport(1280, 800).await;
        browser
    }

    /// Opens a path of the application.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{}", self.base, path))
            .await
            .expect("navigation");
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Signs in through the form and lands on `/admin`.
    pub async fn sign_in(&self, token: &str) {
        self.open("/admin/login").await;
        self.fill("#token", token).await;
        self.click("form button[type=submit]").await;
        self.wait_for("#connection").await;
    }

    /// Waits for an element to exist and be displayed.
    pub async fn wait_for(&self, css: &str) -> Element {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if element.is_displayed().await.unwrap_or(false) {
                    return element;
                }
            }
            if Instant::now() > deadline {
                let body = self.body_text().await;
                panic!(
                    "{css} did not appear on {}; page says:\n{body}",
                    self.path().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the element's text contains `needle` (ignoring case: lozenges are shown in
    /// capitals); returns the text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                let text = element.text().await.unwrap_or_default();
                if text.to_lowercase().contains(&needle.to_lowercase()) {
                    return text;
                }
            }
            if Instant::now() > deadline {
                let text = self.text_of(css).await;
                panic!("{css} never said {needle:?}; it says {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until a `select` offers `value`, then chooses it.
    pub async fn choose(&self, css: &str, value: &str) {
        self.wait_for(&format!("{css} option[value=\"{value}\"]"))
            .await;
        let select = self.wait_for(css).await;
        select.select_by_value(value).await.expect("option chosen");
    }

    /// The visible text of the first match, or "" when none.
    pub async fn text_of(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The visible text of the whole page.
    pub async fn body_text(&self) -> String {
        self.text_of("body").await
    }

    /// Whether an element matches now.
    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Types into a field after clearing it.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.wait_for(css).await;
        input.clear().await.expect("cleared");
        input.send_keys(text).await.expect("typed");
    }

    /// Clicks an element once it is displayed.
    pub async fn click(&self, css: &str) {
        let element = self.wait_for(css).await;
        // As a person would: bring it to the middle of the window, clear of the sticky bar.
        let arg = serde_json::to_value(&element).expect("element reference");
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg])
            .await
            .expect("scrolled");
        element.click().await.expect("clicked");
    }

    /// Presses a key in the focused element (WebDriver key codes, e.g. "\u{E00C}" for Esc).
    pub async fn press(&self, key: &str) {
        let focused = self.client.active_element().await.expect("focused element");
        focused.send_keys(key).await.expect("key pressed");
    }

    /// The id of the focused element.
    pub async fn focused_id(&self) -> String {
        let focused = self.client.active_element().await.expect("focused element");
        focused.attr("id").await.ok().flatten().unwrap_or_default()
    }

    /// Saves the viewport as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot saved");
    }

    /// Sizes the window so the page itself (the viewport) is `width`×`height`.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("viewport");
        let get = |i: usize| inner[i].as_u64().unwrap_or(0) as u32;
        let (extra_w, extra_h) = (width.saturating_sub(get(0)), height.saturating_sub(get(1)));
        if extra_w > 0 || extra_h > 0 {
            self.client
                .set_window_size(width + extra_w, height + extra_h)
                .await
                .expect("resize");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    /// Saves the whole page at `width` (the viewport grown to the page's height), then goes
    /// back to 1280×800.
    async fn screenshot_page(&self, name: &str, width: u32) {
        self.set_viewport(width, 800).await;
        let page_height = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(800) as u32;
        if page_height > 800 {
            self.set_viewport(width, page_height.min(4000)).await;
        }
        self.screenshot(name).await;
        self.set_viewport(1280, 800).await;
    }

    /// Saves the whole page at 1280 px wide.
    pub async fn screenshot_full(&self, name: &str) {
        self.screenshot_page(name, 1280).await;
    }

    /// Saves the whole page as it looks in a narrow (400 px) window.
    pub async fn screenshot_narrow(&self, name: &str) {
        self.screenshot_page(name, 400).await;
    }

    /// Ends the session (Chromium exits); chromedriver ends on drop.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failed scenario does not leave chromedriver or its Chromium behind: end the
        // process group this browser started, by its id.
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .arg(format!("-{}", self.driver.id()))
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
