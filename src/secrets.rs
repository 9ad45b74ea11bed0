//! Secrets at rest: the Salesforce client secret (and any future credential) encrypted with
//! XChaCha20-Poly1305 under a key kept outside the data directory.
//!
//! Secrets never enter the event log: the log is append-only, so a secret written there could
//! never be erased by revoking the connection. They live in `<data_dir>/secrets.json`, each
//! entry sealed with a random nonce and its own name as associated data (an entry cannot be
//! moved to another name). The key file is created on first start with owner-only permissions;
//! a copy of the data directory alone therefore reveals nothing.
//!
//! Besides the Salesforce secret (set through the connection route), the Jira credentials and
//! the webhook secret ([`JIRA_SECRETS`]) can be kept here instead of in the configuration file:
//! stored through `PUT /api/admin/secrets/{name}` or `sfjira secrets set`, and read at start by
//! [`fill_from_vault`] for each one the configuration leaves unset.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use parking_lot::Mutex;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Why the vault failed.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Reading or writing a file failed.
    #[error("secret storage {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file is not a 32-byte key.
    #[error("the key file {0} does not hold a 32-byte key")]
    BadKey(PathBuf),
    /// An entry cannot be decrypted with this key (wrong key file, or tampering).
    #[error(
        "secret {0:?} cannot be decrypted with the configured key file; if the key file was \
         replaced, revoke and re-enter the Salesforce connection"
    )]
    Undecryptable(String),
    /// The secrets file is not valid.
    #[error("the secrets file {0} is damaged")]
    Damaged(PathBuf),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SealedFile {
    version: u32,
    entries: BTreeMap<String, Sealed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sealed {
    nonce: String,
    ciphertext: String,
}

/// The encrypted secret store of one data directory.
pub struct SecretVault {
    cipher: XChaCha20Poly1305,
    path: PathBuf,
    lock: Mutex<()>,
}

impl std::fmt::Debug for SecretVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretVault")
            .field("path", &self.path)
            .finish()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SecretError + '_ {
    move |source| SecretError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads the key file, creating it (owner read/write only) when missing.
fn load_or_create_key(key_file: &Path) -> Result<[u8; 32], SecretError> {
    match std::fs::read(key_file) {
        Ok(bytes) => {
            let decoded = B64
                .decode(String::from_utf8_lossy(&bytes).trim())
                .map_err(|_| SecretError::BadKey(key_file.to_path_buf()))?;
            decoded
                .try_into()
                .map_err(|_| SecretError::BadKey(key_file.to_path_buf()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = key_file.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let key: [u8; 32] = rand::random();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(key_file).map_err(io(key_file))?;
            file.write_all(B64.encode(key).as_bytes())
                .and_then(|_| file.sync_all())
                .map_err(io(key_file))?;
            tracing::info!(key_file = %key_file.display(), "created the key for secrets at rest");
            Ok(key)
        }
        Err(e) => Err(io(key_file)(e)),
    }
}

/// Creates `dir` (and missing parents) readable by its owner only (mode 0700 on Unix); an
/// existing directory is left as it is, with a warning when others may read it.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let existed = dir.is_dir();
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    #[cfg(unix)]
    if existed {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                dir = %dir.display(),
                mode = format!("{:o}", mode & 0o777),
                "the data directory can be read by other users; chmod 700 it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = existed;
    Ok(())
}

impl SecretVault {
    /// Opens the vault of `data_dir` with the key in `key_file` (created when missing).
    pub fn open(data_dir: &Path, key_file: &Path) -> Result<Self, SecretError> {
        let key = load_or_create_key(key_file)?;
        create_private_dir(data_dir).map_err(io(data_dir))?;
        Ok(Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
            path: data_dir.join("secrets.json"),
            lock: Mutex::new(()),
        })
    }

    fn read_file(&self) -> Result<SealedFile, SecretError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|_| SecretError::Damaged(self.path.clone()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SealedFile {
                version: 1,
                entries: BTreeMap::new(),
            }),
            Err(e) => Err(io(&self.path)(e)),
        }
    }

    fn write_file(&self, file: &SealedFile) -> Result<(), SecretError> {
        let tmp = self.path.with_extension("json.tmp");
        let bytes =
            serde_json::to_vec_pretty(file).map_err(|_| SecretError::Damaged(tmp.clone()))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut out = options.open(&tmp).map_err(io(&tmp))?;
        out.write_all(&bytes)
            .and_then(|_| out.sync_all())
            .map_err(io(&tmp))?;
        std::fs::rename(&tmp, &self.path).map_err(io(&self.path))?;
        if let Some(dir) = self.path.parent() {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// Stores (or replaces) a secret.
    pub fn put(&self, name: &str, secret: &SecretString) -> Result<(), SecretError> {
        let _guard = self.lock.lock();
        let nonce_bytes: [u8; 24] = rand::random();
        let nonce = XNonce::from(nonce_bytes);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.expose_secret().as_bytes(),
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Undecryptable(name.to_string()))?;
        let mut file = self.read_file()?;
        file.entries.insert(
            name.to_string(),
            Sealed {
                nonce: B64.encode(nonce_bytes),
                ciphertext: B64.encode(ciphertext),
            },
        );
        self.write_file(&file)
    }

    /// Reads a secret.
    pub fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        let _guard = self.lock.lock();
        let file = self.read_file()?;
        let Some(sealed) = file.entries.get(name) else {
            return Ok(None);
        };
        let undecryptable = || SecretError::Undecryptable(name.to_string());
        let nonce: [u8; 24] = B64
            .decode(&sealed.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(undecryptable)?;
        let ciphertext = B64
            .decode(&sealed.ciphertext)
            .map_err(|_| undecryptable())?;
        let plain = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &ciphertext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| undecryptable())?;
        let text = String::from_utf8(plain).map_err(|_| undecryptable())?;
        Ok(Some(SecretString::from(text)))
    }

    /// Erases a secret; `false` if there was none.
    pub fn delete(&self, name: &str) -> Result<bool, SecretError> {
        let _guard = self.lock.lock();
        let mut file = self.read_file()?;
        let existed = file.entries.remove(name).is_some();
        if existed {
            self.write_file(&file)?;
        }
        Ok(existed)
    }
}

/// The configuration keys that may live in the vault instead of the configuration file.
pub const JIRA_SECRETS: &[&str] = &["jira.api_token", "jira.bearer_token", "jira.webhook_secret"];

/// Why a value may not be stored under a vault name.
#[derive(Debug, thiserror::Error)]
pub enum VaultValueError {
    /// Not one of [`JIRA_SECRETS`].
    #[error("{0:?} is not a secret that can be stored in the vault (one of: {list})", list = JIRA_SECRETS.join(", "))]
    UnknownName(String),
    /// Empty, or too short for its kind.
    #[error("{0}")]
    Weak(String),
}

/// Checks a value before it is stored under `name`: a known name, not empty, and for the
/// webhook secret at least [`crate::config::MIN_SECRET_LEN`] characters.
pub fn check_vault_value(name: &str, value: &SecretString) -> Result<(), VaultValueError> {
    if !JIRA_SECRETS.contains(&name) {
        return Err(VaultValueError::UnknownName(name.to_string()));
    }
    if value.expose_secret().trim().is_empty() {
        return Err(VaultValueError::Weak(format!("{name} must not be empty")));
    }
    if name == "jira.webhook_secret" {
        crate::config::check_strength(name, Some(value))
            .map_err(|e| VaultValueError::Weak(e.to_string()))?;
    }
    Ok(())
}

/// Fills each of [`JIRA_SECRETS`] the settings leave unset from the vault; returns the names it
/// filled. A value set in the configuration (or its `*_file`) wins over the vault.
pub fn fill_from_vault(
    settings: &mut crate::config::Settings,
    vault: &SecretVault,
) -> Result<Vec<&'static str>, SecretError> {
    let mut filled = Vec::new();
    for name in JIRA_SECRETS {
        let slot = match *name {
            "jira.api_token" => &mut settings.jira.api_token,
            "jira.bearer_token" => &mut settings.jira.bearer_token,
            _ => &mut settings.jira.webhook_secret,
        };
        if slot.is_none() {
            if let Some(value) = vault.get(name)? {
                *slot = Some(value);
                filled.push(*name);
            }
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_round_trips_and_is_not_stored_in_clear() {
        let dir = tempfile::tempdir().expect("tmp");
        let data = dir.path().join("data");
        let key = dir.path().join("data.key");
        let vault = SecretVault::open(&data, &key).expect("open");
        vault
            .put(
                "salesforce.client_secret",
                &SecretString::from("hunter2-secret"),
            )
            .expect("put");
        let stored = std::fs::read_to_string(data.join("secrets.json")).expect("file");
        assert!(!stored.contains("hunter2"));
        let reopened = SecretVault::open(&data, &key).expect("reopen");
        let back = reopened
            .get("salesforce.client_secret")
            .expect("get")
            .expect("present");
        assert_eq!(back.expose_secret(), "hunter2-secret");
        assert!(reopened.delete("salesforce.client_secret").expect("delete"));
        assert!(reopened
            .get("salesforce.client_secret")
            .expect("get")
            .is_none());
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let key = dir.path().join("k");
        SecretVault::open(&dir.path().join("d"), &key).expect("open");
        let mode = std::fs::metadata(&key).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn the_configuration_wins_and_the_vault_fills_the_rest() {
        let dir = tempfile::tempdir().expect("tmp");
        let vault = SecretVault::open(&dir.path().join("d"), &dir.path().join("k")).expect("open");
        let strong = SecretString::from("a-webhook-secret-of-thirty-two-chars!");
        check_vault_value("jira.webhook_secret", &strong).expect("strong enough");
        assert!(check_vault_value("jira.webhook_secret", &SecretString::from("short")).is_err());
        assert!(check_vault_value("http.admin_token", &strong).is_err());
        vault.put("jira.webhook_secret", &strong).expect("put");
        vault
            .put("jira.api_token", &SecretString::from("from-the-vault"))
            .expect("put");
        let mut settings = crate::config::Settings::default();
        settings.jira.api_token = Some(SecretString::from("from-the-file"));
        let filled = fill_from_vault(&mut settings, &vault).expect("fill");
        assert_eq!(filled, vec!["jira.webhook_secret"]);
        assert_eq!(
            settings.jira.api_token.as_ref().map(|s| s.expose_secret()),
            Some("from-the-file")
        );
        assert_eq!(
            settings
                .jira
                .webhook_secret
                .as_ref()
                .map(|s| s.expose_secret()),
            Some(strong.expose_secret())
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_new_data_directory_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let data = dir.path().join("a/data");
        create_private_dir(&data).expect("create");
        let mode = std::fs::metadata(&data).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn another_key_cannot_read_the_secrets() {
        let dir = tempfile::tempdir().expect("tmp");
        let data = dir.path().join("data");
        let vault = SecretVault::open(&data, &dir.path().join("k1")).expect("open");
        vault.put("s", &SecretString::from("x")).expect("put");
        let other = SecretVault::open(&data, &dir.path().join("k2")).expect("open");
        assert!(matches!(other.get("s"), Err(SecretError::Undecryptable(_))));
    }
}
