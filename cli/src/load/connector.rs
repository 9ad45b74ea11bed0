//! The connector under load: `sfjira serve` started as a process of its own (so that its memory
//! is its own), with its own configuration file and data directory, and the readings taken from
//! outside it: resident memory from `/proc/<pid>/status`, disk use of the data directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// What a load run needs to know to configure the connector.
pub struct ConnectorConfig<'a> {
    /// Where the data directory, key file, configuration and log go.
    pub dir: &'a Path,
    /// The admin bearer token.
    pub admin_token: &'a str,
    /// The Jira emulator's base URL.
    pub jira_url: &'a str,
    /// Jira admin email.
    pub jira_email: &'a str,
    /// Jira admin API token.
    pub jira_api_token: &'a str,
    /// Secret Jira signs webhooks with.
    pub webhook_secret: &'a str,
    /// Seconds of overlap of incremental windows.
    pub window_overlap_secs: u64,
    /// The port to listen on: the same across a restart, so that the Jira webhook registered
    /// with the first process reaches the next one.
    pub port: u16,
}

/// The running connector process.
pub struct Connector {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The port it listens on.
    pub port: u16,
    /// Its data directory.
    pub data_dir: PathBuf,
}

/// Resident memory of a process, in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss: u64,
    /// `VmHWM`: the most it has been resident since it started.
    pub peak: u64,
}

/// A TOML basic string (JSON's string escapes are valid TOML ones).
fn toml_str(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// A port nothing listens on now.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

impl Connector {
    /// Writes the configuration and starts `sfjira serve` (this same executable); answers once
    /// `/healthz` does.
    pub async fn launch(
        config: ConnectorConfig<'_>,
        http: &reqwest::Client,
    ) -> anyhow::Result<Self> {
        let port = config.port;
        let data_dir = config.dir.join("data");
        let toml = format!(
            "data_dir = {data_dir}\n\n\
             [http]\nhost = \"127.0.0.1\"\nport = {port}\nadmin_token = {token}\n\n\
             [sync]\n# Runs are started by the load run, through the admin API.\n\
             interval_secs = 31536000\nwindow_overlap_secs = {overlap}\n\n\
             [salesforce]\nallow_insecure_loopback = true\n\n\
             [jira]\nbase_url = {jira}\nemail = {email}\napi_token = {api_token}\n\
             webhook_secret = {secret}\nallow_insecure_loopback = true\n\n\
             [secrets]\nkey_file = {key}\n",
            data_dir = toml_str(&data_dir.display().to_string()),
            token = toml_str(config.admin_token),
            overlap = config.window_overlap_secs,
            jira = toml_str(config.jira_url),
            email = toml_str(config.jira_email),
            api_token = toml_str(config.jira_api_token),
            secret = toml_str(config.webhook_secret),
            key = toml_str(&config.dir.join("sfjira.key").display().to_string()),
        );
        let config_file = config.dir.join("sfjira.toml");
        std::fs::write(&config_file, toml)
            .with_context(|| format!("writing {}", config_file.display()))?;
        let log_file = config.dir.join("sfjira.log");
        // Appended to, so that a restarted connector's log follows the killed one's.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_file)
            .with_context(|| format!("opening {}", log_file.display()))?;
        let exe = std::env::current_exe().context("finding the sfjira executable")?;
        let child = Command::new(exe)
            .arg("serve")
            .arg("--config")
            .arg(&config_file)
            .env_remove("RUST_LOG")
            .env_remove("SFJIRA_LOG")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting `sfjira serve`")?;
        let mut connector = Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            port,
            data_dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = connector.child.try_wait()? {
                anyhow::bail!(
                    "`sfjira serve` exited ({status}) before it answered; see {}",
                    log_file.display()
                );
            }
            let healthy = http
                .get(format!("{}/healthz", connector.base_url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return Ok(connector);
            }
            if Instant::now() > deadline {
                connector.kill();
                anyhow::bail!("`sfjira serve` did not answer /healthz within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now and at its highest.
    pub fn memory(&self) -> Memory {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let kib = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
                .map_or(0, |k| k * 1024)
        };
        Memory {
            rss: kib("VmRSS:"),
            peak: kib("VmHWM:"),
        }
    }

    /// Bytes the data directory occupies on disk (allocated blocks, as `du` counts them).
    pub fn disk_usage(&self) -> u64 {
        disk_usage(&self.data_dir)
    }

    /// Asks the process to stop (SIGTERM, which the server answers with a graceful shutdown)
    /// and waits for it; kills it when it has not stopped after 30 s.
    pub async fn stop(mut self) {
        let asked = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .is_ok_and(|s| s.success());
        if asked {
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        self.kill();
    }

    /// Kills the process (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Allocated bytes of every file under `path`.
pub fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    let own = meta.blocks() * 512;
    if !meta.is_dir() {
        return own;
    }
    let children: u64 = std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| disk_usage(&e.path()))
                .sum()
        })
        .unwrap_or(0);
    own + children
}
