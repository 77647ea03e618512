//! The server key, and what it protects: secret access keys sealed at rest and STS
//! session tokens, both with AES-256-GCM; random identifiers and secrets.
//!
//! The server key is 32 random bytes. It comes from, in order: `COFFER_MASTER_KEY`
//! (64 hex digits), the file `auth.master_key_file` names, or `master.key` in the data
//! directory, created with mode 0600 on first start. Keep a copy: without it the stored
//! secret keys cannot be opened (their users then need new keys). Sub-keys for each
//! purpose are derived with HKDF-SHA256, so a session token can never be passed off as
//! a sealed secret or the other way round.

use std::fmt;
use std::io::Write;
use std::path::Path;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};

/// The name of the key file created in the data directory.
pub const KEY_FILE: &str = "master.key";

/// A sealing key: AES-256-GCM with random nonces. `Debug` shows nothing of it.
pub struct SealingKey {
    key: LessSafeKey,
    raw: [u8; 32],
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

/// Why the server key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or creating the key file failed.
    #[error("server key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
    /// The key is not 64 hex digits.
    #[error("server key from {0} is not 64 hexadecimal digits")]
    Malformed(String),
}

/// HKDF length type for 32-byte outputs.
struct Len32;

impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

impl SealingKey {
    /// A key from 32 bytes.
    pub fn from_bytes(raw: [u8; 32]) -> Self {
        // 32 bytes is exactly AES-256's key length, so this cannot fail.
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &raw).expect("32-byte AES-256 key"));
        Self { key, raw }
    }

    /// Loads the server key: `env` (the value of `COFFER_MASTER_KEY`, if set), else the
    /// file at `configured` (if set), else `data_dir/master.key`, created if absent.
    pub fn load(data_dir: &Path, configured: Option<&Path>, env: Option<&str>) -> Result<Self, KeyError> {
        if let Some(hex_key) = env.filter(|v| !v.trim().is_empty()) {
            return parse_hex(hex_key.trim()).map(Self::from_bytes).ok_or_else(|| KeyError::Malformed("COFFER_MASTER_KEY".into()));
        }
        let path = configured.map_or_else(|| data_dir.join(KEY_FILE), Path::to_path_buf);
        let io = |source| KeyError::Io { path: path.display().to_string(), source };
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_hex(text.trim()).map(Self::from_bytes).ok_or_else(|| KeyError::Malformed(path.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && configured.is_none() => {
                let mut raw = [0u8; 32];
                fill_random(&mut raw);
                write_new_key(&path, &hex::encode(raw)).map_err(io)?;
                tracing::info!(path = %path.display(), "created the server key; back it up with the data directory's configuration");
                Ok(Self::from_bytes(raw))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// A key for one purpose, derived from this one.
    #[must_use]
    pub fn derive(&self, purpose: &str) -> Self {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"coffer server key");
        let prk = salt.extract(&self.raw);
        let info = [purpose.as_bytes()];
        let mut out = [0u8; 32];
        // Expanding 32 bytes from SHA-256 is always within HKDF's limit.
        prk.expand(&info, Len32).and_then(|okm| okm.fill(&mut out)).expect("HKDF of 32 bytes");
        Self::from_bytes(out)
    }

    /// 32 secret bytes for one purpose, derived from this key (as [`Self::derive`]), for
    /// a cipher other than this one (the SSE-S3 chunk key).
    pub fn derive_secret(&self, purpose: &str) -> [u8; 32] {
        self.derive(purpose).raw
    }

    /// `nonce || ciphertext || tag` of `plain`, bound to `context` (authenticated, not
    /// stored: the same context must be given to [`Self::open`]).
    pub fn seal(&self, context: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let mut out = plain.to_vec();
        // Sealing fails only for inputs beyond GCM's 64 GiB limit.
        self.key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context), &mut out).expect("AES-GCM seal");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&out);
        sealed
    }

    /// The plaintext of `sealed`, or `None` if it was not sealed by this key for
    /// `context` (or was altered).
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = rest.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(context), &mut buf).ok()?;
        Some(plain.to_vec())
    }
}

/// Creates `path` with mode 0600 holding `text`, durably (file and directory fsynced).
fn write_new_key(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    if let Some(dir) = path.parent() {
        crate::fsync::sync_dir(dir)?;
    }
    Ok(())
}

fn parse_hex(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}

/// Fills `buf` from the system's CSPRNG.
pub fn fill_random(buf: &mut [u8]) {
    // The system RNG fails only if the OS has none, which no supported system lacks.
    SystemRandom::new().fill(buf).expect("system random number generator");
}

/// `len` random characters from `alphabet`.
pub fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut bytes = vec![0u8; len];
    fill_random(&mut bytes);
    // 256 is a multiple of 32 and 64, the alphabets used, so the choice is unbiased.
    bytes.iter().map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()])).collect()
}

/// Upper-case letters and digits 2–7, as AWS access key ids and entity ids use.
pub const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The 64 characters of secret access keys.
pub const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A new IAM identifier: `prefix` (`AKIA`, `ASIA`, `AIDA`, `AGPA`, `AROA`, `ANPA`) and
/// 16 more characters.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", random_string(ID_ALPHABET, 16))
}

/// A new 40-character secret access key.
pub fn new_secret() -> String {
    random_string(SECRET_ALPHABET, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let key = SealingKey::from_bytes([7; 32]);
        let sealed = key.seal(b"ctx", b"secret");
        assert_eq!(key.open(b"ctx", &sealed).as_deref(), Some(&b"secret"[..]));
        assert!(key.open(b"other", &sealed).is_none(), "context is bound");
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(key.open(b"ctx", &bad).is_none(), "tampering is detected");
        assert!(key.derive("a").open(b"ctx", &sealed).is_none(), "derived keys differ");
        assert!(key.open(b"ctx", b"short").is_none());
    }

    #[test]
    fn key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = SealingKey::load(dir.path(), None, None).expect("created");
        let sealed = a.seal(b"", b"x");
        let b = SealingKey::load(dir.path(), None, None).expect("reloaded");
        assert_eq!(b.open(b"", &sealed).as_deref(), Some(&b"x"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let env = hex::encode([1u8; 32]);
        assert!(SealingKey::load(dir.path(), None, Some(&env)).expect("env key").open(b"", &sealed).is_none());
        assert!(SealingKey::load(dir.path(), None, Some("zz")).is_err());
        assert!(SealingKey::load(dir.path(), Some(&dir.path().join("missing")), None).is_err(), "a configured file must exist");
    }

    #[test]
    fn ids_and_secrets_have_aws_shapes() {
        let id = new_id("AKIA");
        assert_eq!(id.len(), 20);
        assert!(id.bytes().all(|b| ID_ALPHABET.contains(&b)));
        assert_eq!(new_secret().len(), 40);
    }
}
