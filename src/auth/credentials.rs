//! Access keys and the keyring that resolves them.
//!
//! Secrets live in [`SecretKey`], whose `Debug` is redacted and which has no
//! `PartialEq`, so a secret can neither leak into a log line nor be compared
//! with a timing-dependent `==`.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use super::AuthError;

/// Who a key belongs to, as the key source resolved it: opaque here (this module knows
/// nothing of accounts or policies), carried through [`super::Authenticated`] to the
/// layer that authorizes, which downcasts it to its own principal type.
pub type Identity = Arc<dyn Any + Send + Sync>;

/// Resolves an access key id (and, for temporary credentials, the session token sent
/// with it) to its secret. Implemented by [`Keyring`] (static keys) and by the identity
/// store (accounts, IAM users, STS sessions).
pub trait KeySource: Send + Sync {
    /// The credentials of `access_key`. `session_token` is the `x-amz-security-token`
    /// sent with the request; `now` is the request's arrival time (temporary credentials
    /// expire). Errors: [`AuthError::InvalidAccessKeyId`] for an unknown or inactive key,
    /// [`AuthError::InvalidToken`] / [`AuthError::ExpiredToken`] for a bad session token.
    fn lookup(&self, access_key: &str, session_token: Option<&str>, now: SystemTime) -> Result<Credentials, AuthError>;
}

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

/// One access key id, its secret, and whom it identifies.
#[derive(Clone)]
pub struct Credentials {
    /// The public access key id (`AKIA...`), as sent by clients.
    pub access_key: String,
    /// The secret used to sign requests.
    pub secret_key: SecretKey,
    /// The principal the key belongs to (`None` for bare keyring keys).
    pub identity: Option<Identity>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("access_key", &self.access_key).field("secret_key", &self.secret_key).finish_non_exhaustive()
    }
}

impl Credentials {
    /// Builds credentials from an access key id and its secret.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self { access_key: access_key.into(), secret_key: SecretKey::new(secret_key.into()), identity: None }
    }

    /// The same credentials, identifying `identity`.
    #[must_use]
    pub fn with_identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
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

impl KeySource for Keyring {
    fn lookup(&self, access_key: &str, session_token: Option<&str>, _now: SystemTime) -> Result<Credentials, AuthError> {
        if session_token.is_some() {
            // A keyring holds long-term keys only: no session token belongs to them.
            return Err(AuthError::InvalidToken);
        }
        self.get(access_key).cloned().ok_or(AuthError::InvalidAccessKeyId)
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
