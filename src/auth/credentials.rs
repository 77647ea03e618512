//! Access keys and the keyring that resolves them.
//!
//! Secrets live in [`SecretKey`], whose `Debug` is redacted and which has no
//! `PartialEq`, so a secret can neither leak into a log line nor be compared
//! with a timing-dependent `==`.

use std::collections::HashMap;
use std::fmt;

/// A secret access key: redacted `Debug`, no `PartialEq`.
#[derive(Clone)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a secret access key.
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret itself, for key derivation only; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// One access key id and its secret.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The public access key id (`AKIA...`), as sent by clients.
    pub access_key: String,
    /// The secret used to sign requests.
    pub secret_key: SecretKey,
}

impl Credentials {
    /// Builds credentials from an access key id and its secret.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self { access_key: access_key.into(), secret_key: SecretKey::new(secret_key.into()) }
    }
}

/// Lookup of credentials by access key id.
#[derive(Clone, Debug, Default)]
pub struct Keyring {
    /// Credentials indexed by access key id; a later duplicate replaces an earlier one.
    by_access_key: HashMap<String, Credentials>,
}

impl Keyring {
    /// Builds a keyring; when an access key id appears twice the last entry wins.
    pub fn new(credentials: Vec<Credentials>) -> Self {
        let by_access_key = credentials.into_iter().map(|c| (c.access_key.clone(), c)).collect();
        Self { by_access_key }
    }

    /// The credentials for `access_key`, if known.
    pub fn get(&self, access_key: &str) -> Option<&Credentials> {
        self.by_access_key.get(access_key)
    }

    /// Number of distinct access keys.
    pub fn len(&self) -> usize {
        self.by_access_key.len()
    }

    /// Whether the keyring holds no keys (every request is then anonymous or rejected).
    pub fn is_empty(&self) -> bool {
        self.by_access_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secret() {
        let creds = Credentials::new("AK", "super-secret");
        let shown = format!("{creds:?}");
        assert!(!shown.contains("super-secret"));
        assert!(shown.contains("AK"));
    }

    #[test]
    fn keyring_lookup() {
        let ring = Keyring::new(vec![Credentials::new("a", "1"), Credentials::new("b", "2")]);
        assert_eq!(ring.get("b").map(|c| c.secret_key.expose()), Some("2"));
        assert!(ring.get("c").is_none());
        assert_eq!(ring.len(), 2);
    }
}
