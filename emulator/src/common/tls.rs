//! Self-signed HTTPS for clients that insist on `https://`.
//!
//! A fresh certificate for `localhost` and `127.0.0.1` is generated at start and its PEM written
//! to a directory of the caller's choosing, so a client can add it as a trusted root (for
//! Python's requests: `REQUESTS_CA_BUNDLE=<dir>/emulator-cert.pem`).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A generated certificate, its files, and the server configuration that uses it.
pub struct SelfSigned {
    /// PEM of the certificate (trust this).
    pub cert_path: PathBuf,
    /// PEM of the private key.
    pub key_path: PathBuf,
    /// The certificate in DER, for clients built in-process.
    pub cert_der: Vec<u8>,
    /// rustls server configuration (ring provider, TLS 1.2 and 1.3).
    pub server_config: rustls::ServerConfig,
}

impl SelfSigned {
    /// Generates a certificate and writes `<name>-cert.pem` and `<name>-key.pem` into `dir`.
    pub fn generate(dir: &Path, name: &str) -> io::Result<Self> {
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .map_err(io::Error::other)?;
        std::fs::create_dir_all(dir)?;
        let cert_path = dir.join(format!("{name}-cert.pem"));
        let key_path = dir.join(format!("{name}-key.pem"));
        std::fs::write(&cert_path, certified.cert.pem())?;
        std::fs::write(&key_path, certified.key_pair.serialize_pem())?;
        let cert_der = certified.cert.der().to_vec();
        let key =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
        let server_config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key)
        .map_err(io::Error::other)?;
        Ok(Self {
            cert_path,
            key_path,
            cert_der,
            server_config,
        })
    }
}
