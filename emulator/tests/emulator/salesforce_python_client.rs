//! Real-client fidelity: the simple-salesforce library, unmodified, logs in with client
//! credentials, describes, pages a 2,500-row query with `query_all`, creates, updates and
//! deletes records, uploads and downloads a file, and searches — against the emulator over
//! HTTPS. The interpreter comes from `SFJIRA_PYTHON` or `scripts/python-clients.sh`.

use crate::salesforce_support;

use std::path::PathBuf;
use std::time::Duration;

use emulator::common::{Seed, ServerOptions};
use emulator::salesforce::SalesforceOptions;
use reqwest::Method;
use salesforce_support::start_with;
use serde_json::{json, Value};

const CASES: usize = 2_500;

fn python() -> String {
    if let Ok(p) = std::env::var("SFJIRA_PYTHON") {
        return p;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/python-clients.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .output()
        .expect("run scripts/python-clients.sh");
    assert!(
        out.status.success(),
        "python-clients.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn simple_salesforce_works_against_the_emulator_unmodified() {
    let dir = std::env::temp_dir().join(format!("sfemu-py-{}", std::process::id()));
    let sf = start_with(SalesforceOptions {
        server: ServerOptions {
            port: 0,
            tls_dir: Some(dir.clone()),
        },
        seed: Seed::Empty,
        ..SalesforceOptions::default()
    })
    .await;
    assert!(sf.base.starts_with("https://"));
    assert!(sf.info.instance_url.starts_with("https://"));
    let records: Vec<Value> = (0..CASES)
        .map(|i| json!({"Subject": format!("Seeded case {i:05}")}))
        .collect();
    let seeded = sf
        .control(Method::POST, "/records/Case", Some(Value::Array(records)))
        .await;
    assert_eq!(seeded.status, 201, "{}", seeded.body);

    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/salesforce_client.py");
    let cert = sf.emu.cert_path().expect("certificate");
    let child = tokio::process::Command::new(python())
        .arg(&script)
        .env("REQUESTS_CA_BUNDLE", &cert)
        .env("SF_BASE", &sf.base)
        .env("SF_DOMAIN", "sfjira-demo.my")
        .env("SF_CLIENT_ID", &sf.info.client_id)
        .env("SF_CLIENT_SECRET", &sf.info.client_secret)
        .env("SF_EXPECTED_CASES", CASES.to_string())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), child)
        .await
        .expect("script finished in time")
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "script failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("simple-salesforce fidelity: OK"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok   query_all pages over nextRecordsUrl"),
        "{stdout}"
    );

    let log = sf.control(Method::GET, "/requests?limit=0", None).await;
    let counts = &log.body["counts"];
    assert!(
        counts["POST /services/oauth2/token"].as_u64() >= Some(1),
        "{counts}"
    );
    assert!(
        counts["GET /services/data/v60.0/query/{id}"].as_u64() >= Some(2),
        "paging went through the locator: {counts}"
    );
    sf.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
