//! HTTPS on the S3 listener: a rustls server configuration whose certificate is read
//! from `server.tls_cert` / `server.tls_key` at start (a bad file stops the start) and
//! again on SIGHUP (a bad file then is logged and the current certificate kept).
//! Reloading swaps the certificate new handshakes get; open connections keep theirs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::crypto::ring::sign::any_supported_type;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Why a certificate could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("TLS certificate {path}: {why}")]
pub struct TlsError {
    /// The file at fault.
    pub path: String,
    /// What is wrong with it.
    pub why: String,
}

/// The certificate handshakes get, replaceable while the server runs.
#[derive(Debug)]
struct Reloadable {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Reloadable {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner)))
    }
}

/// The listener's TLS: the acceptor and where its certificate comes from.
pub struct Tls {
    acceptor: TlsAcceptor,
    certificate: Arc<Reloadable>,
    cert_path: PathBuf,
    key_path: PathBuf,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("cert_path", &self.cert_path).field("key_path", &self.key_path).finish_non_exhaustive()
    }
}

impl Tls {
    /// Loads the certificate chain and key (PEM) and builds the acceptor: HTTP/1.1
    /// offered by ALPN, TLS 1.2 and 1.3, ring's cipher suites.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let certificate = Arc::new(Reloadable { current: RwLock::new(Arc::new(certified_key(cert_path, key_path)?)) });
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError { path: cert_path.display().to_string(), why: e.to_string() })?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(&certificate) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certificate,
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
        })
    }

    /// The acceptor that performs handshakes.
    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// Reads the files again; new handshakes get the new certificate. On an error the
    /// current one stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = Arc::new(certified_key(&self.cert_path, &self.key_path)?);
        *self.certificate.current.write().unwrap_or_else(PoisonError::into_inner) = fresh;
        Ok(())
    }
}

fn certified_key(cert_path: &Path, key_path: &Path) -> Result<CertifiedKey, TlsError> {
    let err = |path: &Path, why: String| TlsError { path: path.display().to_string(), why };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| err(cert_path, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(cert_path, e.to_string()))?;
    if chain.is_empty() {
        return Err(err(cert_path, "no CERTIFICATE in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| err(key_path, e.to_string()))?;
    let signing = any_supported_type(&key).map_err(|e| err(key_path, e.to_string()))?;
    let certified = CertifiedKey::new(chain, signing);
    // The key must belong to the certificate: a mismatch would fail every handshake.
    certified.keys_match().map_err(|e| err(key_path, format!("does not match the certificate: {e}")))?;
    Ok(certified)
}
