//! Settings: defaults, overrides, validation and secret files.

use super::*;
use secrecy::ExposeSecret;

const STRONG: &str = "0123456789abcdef0123456789abcdef-strong";

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_apply_when_nothing_is_given() {
    let s = Settings::load_with_env(None, env(&[])).expect("defaults load");
    assert_eq!(s.sync.interval_secs, 300);
    assert_eq!(s.data_dir, PathBuf::from("./data"));
    assert_eq!(s.sync.attachment_ceiling_bytes, 10 * 1024 * 1024);
}

#[test]
fn environment_overrides_the_file_and_parses_types() {
    let s = Settings::load_with_env(
        None,
        env(&[
            ("SFJIRA_HTTP__PORT", "9090"),
            ("SFJIRA_SYNC__SCHEDULER_ENABLED", "false"),
            ("SFJIRA_HTTP__ADMIN_TOKEN", STRONG),
            ("SFJIRA_DATA_DIR", "/tmp/x"),
            ("SFJIRA_LOG", "debug"),
        ]),
    )
    .expect("overrides load");
    assert_eq!(s.http.port, 9090);
    assert!(!s.sync.scheduler_enabled);
    assert_eq!(
        s.http.admin_token.as_ref().map(|t| t.expose_secret()),
        Some(STRONG)
    );
    assert_eq!(s.data_dir, PathBuf::from("/tmp/x"));
}

#[test]
fn an_unknown_key_is_named() {
    let err = Settings::from_toml("[sync]\ninterval = 5\n").expect_err("unknown key");
    let text = err.to_string();
    assert!(text.contains("interval"), "{text}");
}

#[test]
fn a_bad_value_is_named_with_its_path() {
    let err = Settings::from_toml("[sync]\ninterval_secs = \"soon\"\n").expect_err("bad value");
    assert!(err.to_string().contains("sync.interval_secs"), "{err}");
    let err = Settings::from_toml("[sync]\ninterval_secs = 0\n").expect_err("zero");
    assert!(err.to_string().contains("sync.interval_secs"), "{err}");
}

#[test]
fn secrets_never_print() {
    let s = Settings::from_toml(&format!("[http]\nadmin_token = \"{STRONG}\"\n")).expect("loads");
    assert!(!format!("{s:?}").contains(STRONG));
}

#[test]
fn short_or_empty_secrets_are_refused_naming_the_key() {
    for (toml, key) in [
        ("[http]\nadmin_token = \"hunter2\"\n", "http.admin_token"),
        ("[http]\nadmin_token = \"\"\n", "http.admin_token"),
        (
            "[jira]\nwebhook_secret = \"short-secret\"\n",
            "jira.webhook_secret",
        ),
    ] {
        let err = Settings::from_toml(toml).expect_err("weak secret");
        assert!(err.to_string().contains(key), "{err}");
        assert!(err.to_string().contains("32"), "{err}");
    }
}

#[test]
fn secrets_are_read_from_files_and_not_twice() {
    let dir = tempfile::tempdir().expect("tmp");
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{STRONG}\n")).expect("write");
    let s = Settings::from_toml(&format!(
        "[jira]\napi_token_file = {:?}\nwebhook_secret_file = {:?}\n",
        token, token
    ))
    .expect("loads");
    assert_eq!(
        s.jira.api_token.as_ref().map(|t| t.expose_secret()),
        Some(STRONG)
    );
    assert_eq!(
        s.jira.webhook_secret.as_ref().map(|t| t.expose_secret()),
        Some(STRONG)
    );
    let err = Settings::from_toml(&format!(
        "[jira]\napi_token = \"x\"\napi_token_file = {token:?}\n"
    ))
    .expect_err("both");
    assert!(err.to_string().contains("jira.api_token_file"), "{err}");
    let err = Settings::from_toml("[http]\nadmin_token_file = \"/nonexistent/t\"\n")
        .expect_err("missing file");
    assert!(err.to_string().contains("http.admin_token_file"), "{err}");
}

#[test]
fn the_key_file_check_compares_canonical_paths() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let sneaky = dir.path().join("data/../data/k");
    let err = Settings::from_toml(&format!(
        "data_dir = {data:?}\n[secrets]\nkey_file = {sneaky:?}\n"
    ))
    .expect_err("inside the data directory through ..");
    assert!(err.to_string().contains("secrets.key_file"), "{err}");
    #[cfg(unix)]
    {
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&data, &link).expect("symlink");
        let err = Settings::from_toml(&format!(
            "data_dir = {data:?}\n[secrets]\nkey_file = {:?}\n",
            link.join("k")
        ))
        .expect_err("inside the data directory through a link");
        assert!(err.to_string().contains("secrets.key_file"), "{err}");
    }
}

#[test]
fn the_key_file_must_live_outside_the_data_directory() {
    let err = Settings::from_toml("data_dir = \"/srv/d\"\n[secrets]\nkey_file = \"/srv/d/k\"\n")
        .expect_err("inside data dir");
    assert!(err.to_string().contains("secrets.key_file"), "{err}");
    let s = Settings::from_toml("data_dir = \"/srv/d\"\n").expect("loads");
    assert_eq!(s.key_file(), PathBuf::from("/srv/d.key"));
}

#[test]
fn actor_threads_and_idle_timeout_default_and_are_validated() {
    let s = Settings::from_toml("").expect("defaults");
    assert!(s.actors.threads >= 1);
    assert!(
        (1..=15).contains(&s.actors.idle_timeout_secs),
        "idle actors stop within seconds"
    );
    let s = Settings::from_toml("[actors]\nthreads = 3\n").expect("set");
    assert_eq!(s.actors.threads, 3);
    let s = Settings::load_with_env(None, env(&[("SFJIRA_ACTORS__THREADS", "2")])).expect("env");
    assert_eq!(s.actors.threads, 2);
    for toml in ["[actors]\nthreads = 0\n", "[actors]\nthreads = -1\n"] {
        let err = Settings::from_toml(toml).expect_err(toml);
        assert!(
            matches!(&err, ConfigError::Invalid { key, .. } if key == "actors.threads"),
            "{toml}: {err}"
        );
    }
}

#[test]
fn links_in_flight_defaults_and_is_validated() {
    let s = Settings::from_toml("").expect("defaults");
    assert_eq!(s.sync.links_in_flight, DEFAULT_LINKS_IN_FLIGHT);
    let s = Settings::from_toml("[sync]\nlinks_in_flight = 64\n").expect("set");
    assert_eq!(s.sync.links_in_flight, 64);
    for toml in [
        "[sync]\nlinks_in_flight = 0\n",
        "[sync]\nlinks_in_flight = \"many\"\n",
    ] {
        let err = Settings::from_toml(toml).expect_err(toml);
        assert!(
            matches!(&err, ConfigError::Invalid { key, .. } if key == "sync.links_in_flight"),
            "{toml}: {err}"
        );
    }
}

#[test]
fn records_page_size_defaults_to_a_full_page_and_is_validated() {
    let s = Settings::from_toml("").expect("defaults");
    assert_eq!(s.sync.records_page_size, 2000);
    let s = Settings::from_toml("[sync]\nrecords_page_size = 200\n").expect("set");
    assert_eq!(s.sync.records_page_size, 200);
    for bad in ["199", "2001"] {
        let err = Settings::from_toml(&format!("[sync]\nrecords_page_size = {bad}\n"))
            .expect_err("out of range");
        assert!(
            matches!(&err, ConfigError::Invalid { key, .. } if key == "sync.records_page_size"),
            "{bad}: {err}"
        );
    }
}
