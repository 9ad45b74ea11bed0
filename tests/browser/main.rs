//! Browser tests: the admin pages and the issue panel in a real headless Chromium, driven over
//! WebDriver (chromedriver), against the real application wired to both emulators.
//!
//! Each scenario saves screenshots under `target/screenshots/` for people to review. Chromium
//! and chromedriver come from the Debian packages `chromium` and `chromium-driver`, which
//! `scripts/test.sh` installs when they are missing.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/world.rs"]
mod world;

mod admin;
mod harness;
mod history;
mod panel;
