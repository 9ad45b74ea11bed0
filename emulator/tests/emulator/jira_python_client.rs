//! Real-client fidelity: the Python `jira` package drives the emulator (create, search,
//! transition, comment, attachment, signed webhook) and must not notice it is not Jira Cloud.
//!
//! The interpreter comes from `SFJIRA_PYTHON`, or from `scripts/python-clients.sh`, which
//! prepares a virtual environment with the client libraries and prints its python.

use crate::support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use support::Jira;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> String {
    if let Ok(python) = std::env::var("SFJIRA_PYTHON") {
        return python;
    }
    let script = workspace_root().join("scripts/python-clients.sh");
    let output = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .expect("python-clients.sh prints the interpreter path")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_jira_client_creates_searches_transitions_comments_attaches_and_gets_signed_webhooks(
) {
    let python = python();
    let jira = Jira::start().await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/jira_client.py");
    let (base, email, token) = (
        jira.info.base_url.clone(),
        jira.info.email.clone(),
        jira.info.api_token.clone(),
    );
    let output = tokio::time::timeout(
        Duration::from_secs(180),
        tokio::process::Command::new(&python)
            .arg(&script)
            .args([&base, &email, &token])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the Python client finishes within 3 minutes")
    .expect("the Python client runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    jira.stop().await;
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "the Python client failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    for step in [
        "ok: created SUP-",
        "ok: search found",
        "ok: transitioned",
        "ok: commented",
        "ok: attached",
        "ok: webhooks received",
    ] {
        assert!(stdout.contains(step), "missing step {step:?}:\n{stdout}");
    }
    assert!(stdout.contains("python-jira fidelity: ok"), "{stdout}");
}
