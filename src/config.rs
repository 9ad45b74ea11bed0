//! Typed settings: a TOML file, then `SFJIRA_*` environment overrides, into structs with
//! defaults.
//!
//! An unknown key or a bad value is an error that names the key (`sync.interval_secs: invalid
//! type…`), because a typo silently ignored is how a connector ends up syncing the wrong thing.
//! Environment overrides use `__` between section and key: `SFJIRA_HTTP__PORT=8081`,
//! `SFJIRA_DATA_DIR=/var/lib/sfjira`. Secrets are held in `SecretString`, which never prints.

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

/// Everything sfjira can be told at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the event log and projections live (one process per directory).
    pub data_dir: PathBuf,
    /// The HTTP listener and the admin token.
    pub http: HttpSettings,
    /// Reconciliation cadence and limits.
    pub sync: SyncSettings,
    /// Link actor lifecycle.
    pub actors: ActorSettings,
    /// Event store tuning.
    pub store: StoreSettings,
    /// Salesforce connection policy (credentials are set through the admin API).
    pub salesforce: SalesforceSettings,
    /// The Jira site.
    pub jira: JiraSettings,
    /// Encryption of secrets at rest.
    pub secrets: SecretSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            http: HttpSettings::default(),
            sync: SyncSettings::default(),
            actors: ActorSettings::default(),
            store: StoreSettings::default(),
            salesforce: SalesforceSettings::default(),
            jira: JiraSettings::default(),
            secrets: SecretSettings::default(),
        }
    }
}

/// The HTTP listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Interface to bind; loopback by default.
    pub host: String,
    /// Port; 0 picks a free one (tests).
    pub port: u16,
    /// Bearer token for the admin, panel and audit routes. Required to serve those routes; at
    /// least [`MIN_SECRET_LEN`] characters.
    pub admin_token: Option<SecretString>,
    /// A file holding the admin token (instead of `admin_token`), read at start.
    pub admin_token_file: Option<PathBuf>,
    /// The URL Jira should call for webhooks, when it differs from the bound address.
    pub public_url: Option<String>,
    /// Largest request body accepted, in bytes (webhooks and admin calls).
    pub max_body_bytes: usize,
    /// Failed sign-ins and bearer tokens allowed per client address before it is answered
    /// 429 (the burst); one more is allowed every `auth_failure_window_secs / this`.
    pub auth_failures_allowed: u32,
    /// The window, in seconds, in which `auth_failures_allowed` failures refill.
    pub auth_failure_window_secs: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            admin_token: None,
            admin_token_file: None,
            public_url: None,
            max_body_bytes: 1024 * 1024,
            auth_failures_allowed: 5,
            auth_failure_window_secs: 60,
        }
    }
}

/// Reconciliation cadence and limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncSettings {
    /// Seconds between scheduled reconciliation runs.
    pub interval_secs: u64,
    /// Whether the scheduler ticks at all (tests drive runs by hand).
    pub scheduler_enabled: bool,
    /// Items reconciled at once.
    pub item_concurrency: usize,
    /// Links one item's run keeps busy at once, which bounds the remote calls it has in
    /// flight (each link's work makes its calls one after another).
    pub links_in_flight: usize,
    /// Changed records a run reads per page of its records query (Salesforce's `batchSize`,
    /// 200–2,000): a run holds one page in memory, however many records changed.
    pub records_page_size: u32,
    /// Overlap of incremental windows, in seconds, against clock skew and late commits.
    pub window_overlap_secs: u64,
    /// Share of the daily Salesforce API limit above which scheduled work pauses.
    pub api_budget_share: f64,
    /// Files larger than this are skipped and recorded.
    pub attachment_ceiling_bytes: u64,
    /// After a create's answer was lost, how long (seconds) the request may still be processed
    /// remotely: until then, not finding its marker does not prove it absent.
    pub unconfirmed_create_wait_secs: u64,
    /// How long (seconds) Jira's search index may trail a new issue, added to the wait above
    /// when a create can only be looked for by JQL.
    pub jira_search_lag_secs: u64,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            interval_secs: 300,
            scheduler_enabled: true,
            item_concurrency: 4,
            links_in_flight: DEFAULT_LINKS_IN_FLIGHT,
            records_page_size: 2000,
            window_overlap_secs: 60,
            api_budget_share: 0.8,
            attachment_ceiling_bytes: 10 * 1024 * 1024,
            unconfirmed_create_wait_secs: 60,
            jira_search_lag_secs: 30,
        }
    }
}

impl SyncSettings {
    /// How long after an attempt a marker lookup may still miss the object it created.
    pub fn unknown_outcome_window(&self) -> crate::domain::unknown_outcome::UnknownOutcomeWindow {
        let secs = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        crate::domain::unknown_outcome::UnknownOutcomeWindow {
            in_flight: secs(self.unconfirmed_create_wait_secs),
            search_index: secs(self.jira_search_lag_secs),
        }
    }
}

/// The default of `store.cache_capacity_bytes`: 8 MiB of compressed pages, about 80 MB
/// resident once full.
pub const DEFAULT_CACHE_CAPACITY_BYTES: u64 = 8 * 1024 * 1024;

/// The default of `sync.links_in_flight`.
pub const DEFAULT_LINKS_IN_FLIGHT: usize = 32;

/// Link actor lifecycle and threads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActorSettings {
    /// An idle link actor stops after this many seconds, and its state is freed; it
    /// re-activates on demand by reading its stream again.
    pub idle_timeout_secs: u64,
    /// Worker threads link actors are spread over (by a hash of the link id); default: the
    /// machine's available parallelism.
    pub threads: usize,
}

impl Default for ActorSettings {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 10,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// Event store tuning.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// sled page cache size in bytes. sled counts a page by its size on disk, compressed, so
    /// the memory the cache takes is several times this (about ten times at 8 MiB).
    pub cache_capacity_bytes: u64,
    /// A switch that makes the store's writes fail on demand, for tests and failure drills
    /// (never read from the file).
    #[serde(skip)]
    pub write_fault: Option<crate::events::store::WriteFault>,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            cache_capacity_bytes: DEFAULT_CACHE_CAPACITY_BYTES,
            write_fault: None,
        }
    }
}

/// Salesforce connection policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SalesforceSettings {
    /// REST API version used in paths.
    pub api_version: String,
    /// Allow plain http and loopback login/instance URLs (demo and tests only).
    pub allow_insecure_loopback: bool,
    /// Request timeout in seconds.
    pub timeout_secs: u64,
}

impl Default for SalesforceSettings {
    fn default() -> Self {
        Self {
            api_version: "v60.0".into(),
            allow_insecure_loopback: false,
            timeout_secs: 30,
        }
    }
}

/// The Jira site and how sfjira signs in to it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JiraSettings {
    /// Site URL, e.g. `https://acme.atlassian.net`. Unset: Jira features are off.
    pub base_url: Option<String>,
    /// Account email for basic auth.
    pub email: Option<String>,
    /// API token for basic auth.
    pub api_token: Option<SecretString>,
    /// A file holding the API token (instead of `api_token`), read at start.
    pub api_token_file: Option<PathBuf>,
    /// Bearer token, instead of email and API token.
    pub bearer_token: Option<SecretString>,
    /// A file holding the bearer token (instead of `bearer_token`), read at start.
    pub bearer_token_file: Option<PathBuf>,
    /// Secret Jira signs webhooks with (`X-Hub-Signature`); at least [`MIN_SECRET_LEN`]
    /// characters.
    pub webhook_secret: Option<SecretString>,
    /// A file holding the webhook secret (instead of `webhook_secret`), read at start.
    pub webhook_secret_file: Option<PathBuf>,
    /// Deliveries whose signed `timestamp` is further than this from now, in seconds, are
    /// refused as replays (default one hour: Jira delivers retries up to 30 minutes late).
    pub webhook_max_age_secs: u64,
    /// Allow plain http and loopback site URLs (demo and tests only).
    pub allow_insecure_loopback: bool,
    /// Request timeout in seconds.
    pub timeout_secs: u64,
}

impl Default for JiraSettings {
    fn default() -> Self {
        Self {
            base_url: None,
            email: None,
            api_token: None,
            api_token_file: None,
            bearer_token: None,
            bearer_token_file: None,
            webhook_secret: None,
            webhook_secret_file: None,
            webhook_max_age_secs: 3600,
            allow_insecure_loopback: false,
            timeout_secs: 30,
        }
    }
}

/// Encryption of secrets at rest.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretSettings {
    /// File holding the 32-byte key; created on first start with owner-only permissions.
    /// Must live outside the data directory. Default: `<data_dir>.key` beside the directory.
    pub key_file: Option<PathBuf>,
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("configuration file {path} is not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A key is unknown or a value has the wrong type.
    #[error("configuration key `{key}`: {message}")]
    Invalid {
        /// Dotted path of the key.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// An environment override does not name a key.
    #[error(
        "environment variable {name} does not name a configuration key (use SFJIRA_SECTION__KEY)"
    )]
    BadEnvName {
        /// The variable.
        name: String,
    },
}

/// The environment prefix for overrides.
pub const ENV_PREFIX: &str = "SFJIRA_";

impl Settings {
    /// Loads `file` (when given) and applies `SFJIRA_*` overrides from the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with_env(file, std::env::vars())
    }

    /// Like [`Settings::load`] with an explicit environment (tests).
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Syntax {
                        path: path.to_path_buf(),
                        message: e.to_string(),
                    })?
            }
            None => toml::Table::new(),
        };
        let mut overrides: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX) && !IGNORED_ENV.contains(&k.as_str()))
            .collect();
        overrides.sort();
        for (name, value) in overrides {
            apply_override(&mut table, &name, &value)?;
        }
        Self::from_table(table)
    }

    /// Parses settings from TOML text (no environment).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let table = text
            .parse::<toml::Table>()
            .map_err(|e| ConfigError::Syntax {
                path: PathBuf::from("<inline>"),
                message: e.to_string(),
            })?;
        Self::from_table(table)
    }

    fn from_table(table: toml::Table) -> Result<Self, ConfigError> {
        let mut settings: Settings = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| ConfigError::Invalid {
                key: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        settings.read_secret_files()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Reads every `*_file` secret (`http.admin_token_file`, `jira.api_token_file`,
    /// `jira.bearer_token_file`, `jira.webhook_secret_file`) into its key, trimming the trailing
    /// newline editors add. Setting both a key and its file is an error naming the key. Called
    /// when settings are loaded; call it on settings built in code before [`Settings::validate`].
    pub fn read_secret_files(&mut self) -> Result<(), ConfigError> {
        read_secret_file(
            "http.admin_token",
            &mut self.http.admin_token,
            &mut self.http.admin_token_file,
        )?;
        read_secret_file(
            "jira.api_token",
            &mut self.jira.api_token,
            &mut self.jira.api_token_file,
        )?;
        read_secret_file(
            "jira.bearer_token",
            &mut self.jira.bearer_token,
            &mut self.jira.bearer_token_file,
        )?;
        read_secret_file(
            "jira.webhook_secret",
            &mut self.jira.webhook_secret,
            &mut self.jira.webhook_secret_file,
        )
    }

    /// Checks values that types alone cannot: ranges, secret strength, where the key file lives.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| {
            Err(ConfigError::Invalid {
                key: key.into(),
                message: message.into(),
            })
        };
        check_strength("http.admin_token", self.http.admin_token.as_ref())?;
        check_strength("jira.webhook_secret", self.jira.webhook_secret.as_ref())?;
        if self.http.auth_failures_allowed == 0 {
            return invalid("http.auth_failures_allowed", "must be at least 1");
        }
        if self.http.auth_failure_window_secs == 0 {
            return invalid("http.auth_failure_window_secs", "must be at least 1");
        }
        if self.jira.webhook_max_age_secs == 0 {
            return invalid("jira.webhook_max_age_secs", "must be at least 1");
        }
        if self.sync.interval_secs == 0 {
            return invalid("sync.interval_secs", "must be at least 1");
        }
        if self.sync.item_concurrency == 0 {
            return invalid("sync.item_concurrency", "must be at least 1");
        }
        if self.sync.links_in_flight == 0 {
            return invalid("sync.links_in_flight", "must be at least 1");
        }
        if !(200..=2000).contains(&self.sync.records_page_size) {
            return invalid("sync.records_page_size", "must be between 200 and 2000");
        }
        if !(0.0..=1.0).contains(&self.sync.api_budget_share) {
            return invalid("sync.api_budget_share", "must be between 0 and 1");
        }
        if self.actors.idle_timeout_secs == 0 {
            return invalid("actors.idle_timeout_secs", "must be at least 1");
        }
        if self.actors.threads == 0 {
            return invalid("actors.threads", "must be at least 1");
        }
        if let Some(key_file) = &self.secrets.key_file {
            if canonical(key_file).starts_with(canonical(&self.data_dir)) {
                return invalid(
                    "secrets.key_file",
                    "must live outside data_dir, so a copy of the data does not carry its key",
                );
            }
        }
        Ok(())
    }

    /// The key file for secrets at rest: configured, or `<data_dir>.key` beside the directory.
    pub fn key_file(&self) -> PathBuf {
        self.secrets.key_file.clone().unwrap_or_else(|| {
            let mut name = self
                .data_dir
                .file_name()
                .map(|n| n.to_os_string())
                .unwrap_or_else(|| "data".into());
            name.push(".key");
            self.data_dir.with_file_name(name)
        })
    }
}

/// The shortest admin token or webhook secret accepted: 32 characters (`sfjira demo` makes 48
/// random hex characters; `openssl rand -hex 32` makes 64).
pub const MIN_SECRET_LEN: usize = 32;

/// Refuses an empty or short secret, naming its key.
pub fn check_strength(key: &str, secret: Option<&SecretString>) -> Result<(), ConfigError> {
    use secrecy::ExposeSecret;
    let Some(secret) = secret else {
        return Ok(());
    };
    let len = secret.expose_secret().trim().chars().count();
    if len < MIN_SECRET_LEN {
        return Err(ConfigError::Invalid {
            key: key.into(),
            message: format!(
                "must be at least {MIN_SECRET_LEN} characters (it has {len}); generate one with `openssl rand -hex 32`"
            ),
        });
    }
    Ok(())
}

fn read_secret_file(
    key: &str,
    value: &mut Option<SecretString>,
    file: &mut Option<PathBuf>,
) -> Result<(), ConfigError> {
    let Some(path) = file.take() else {
        return Ok(());
    };
    if value.is_some() {
        return Err(ConfigError::Invalid {
            key: format!("{key}_file"),
            message: format!("set either {key} or {key}_file, not both"),
        });
    }
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Invalid {
        key: format!("{key}_file"),
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    let trimmed = text.trim_end_matches(['\r', '\n']);
    if trimmed.is_empty() {
        return Err(ConfigError::Invalid {
            key: format!("{key}_file"),
            message: format!("{} is empty", path.display()),
        });
    }
    *value = Some(SecretString::from(trimmed.to_string()));
    Ok(())
}

/// `path` made absolute with symbolic links and `..` resolved, as far as it exists (the rest
/// is appended as written), so two spellings of one place compare equal.
pub fn canonical(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |mut acc, part| {
                if part == ".." {
                    acc.pop();
                } else {
                    acc.push(part);
                }
                acc
            });
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// Variables with the prefix that are not configuration keys.
const IGNORED_ENV: &[&str] = &["SFJIRA_LOG", "SFJIRA_PYTHON", "SFJIRA_JIRA_OPENAPI"];

/// Writes `SFJIRA_A__B=value` into `table["a"]["b"]`, parsing the value as a TOML scalar when it
/// is one (numbers, booleans), else as a string.
fn apply_override(table: &mut toml::Table, name: &str, value: &str) -> Result<(), ConfigError> {
    let path: Vec<String> = name[ENV_PREFIX.len()..]
        .split("__")
        .map(|p| p.to_ascii_lowercase())
        .collect();
    if path.iter().any(String::is_empty) {
        return Err(ConfigError::BadEnvName { name: name.into() });
    }
    let parsed = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_table())
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    let (last, parents) = path
        .split_last()
        .ok_or_else(|| ConfigError::BadEnvName { name: name.into() })?;
    let mut cursor = table;
    for part in parents {
        let entry = cursor
            .entry(part.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cursor = match entry {
            toml::Value::Table(t) => t,
            _ => {
                return Err(ConfigError::Invalid {
                    key: path.join("."),
                    message: format!("`{part}` is not a section"),
                })
            }
        };
    }
    cursor.insert(last.clone(), parsed);
    Ok(())
}

#[cfg(test)]
mod tests;
