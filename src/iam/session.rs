//! STS temporary credentials. A session is not stored: everything about it (its secret,
//! whose it is, when it expires, its session policy) travels in the session token,
//! sealed with AES-256-GCM under a key derived from the server key. Any coffer holding
//! the server key can check a token, and a restart loses no session. A token cannot be
//! forged or altered without the key; it names its access key id, so a token cannot be
//! paired with another key.

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::secrets::SealingKey;

/// Whose permissions a session carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// GetSessionToken by an account root.
    Root,
    /// GetSessionToken by an IAM user.
    User {
        /// Lower-case name key.
        name: String,
        /// The user's id at issue time: a user deleted and created again under the same
        /// name does not inherit the old one's sessions.
        user_id: String,
    },
    /// AssumeRole / AssumeRoleWithWebIdentity.
    Role {
        /// Lower-case role name key.
        role: String,
        /// The role's id at issue time: a role deleted and created again under the same
        /// name does not inherit the old one's sessions.
        role_id: String,
        /// RoleSessionName.
        session: String,
    },
    /// A web-console session of the server administrator (signed in with the configured
    /// root key): the default account's root, allowed the admin API. Appended last, so
    /// tokens sealed before it still decode.
    Administrator {
        /// `Iam::administrator_fingerprint` when it was issued: the session ends when the
        /// configured root key changes.
        key: String,
    },
}

/// One set of temporary credentials (schema 1 of the sealed token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// `ASIA...`.
    pub access_key: String,
    /// The secret access key.
    pub secret: String,
    /// The account id.
    pub account: String,
    /// Whose permissions.
    pub subject: Subject,
    /// Issue time, ms since the Unix epoch.
    pub issued_ms: i64,
    /// Expiry, ms since the Unix epoch.
    pub expires_ms: i64,
    /// A session policy (AssumeRole `Policy`), JSON.
    pub policy: Option<String>,
}

/// The token's schema byte.
const TOKEN_SCHEMA: u8 = 1;

/// Authenticated data bound into every token.
const CONTEXT: &[u8] = b"coffer sts session token";

/// Seals `session` into a session token (URL-safe base64).
pub fn issue(key: &SealingKey, session: &Session) -> String {
    let mut plain = vec![TOKEN_SCHEMA];
    plain.extend(postcard::to_stdvec(session).expect("postcard encodes plain structs"));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.seal(CONTEXT, &plain))
}

/// Opens a session token; `None` if it is not one this server's key sealed.
pub fn open(key: &SealingKey, token: &str) -> Option<Session> {
    // Bounded before decoding: a token is a few hundred bytes, session policy included.
    if token.len() > 16 * 1024 {
        return None;
    }
    let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    let plain = key.open(CONTEXT, &sealed)?;
    match plain.split_first() {
        Some((&TOKEN_SCHEMA, rest)) => postcard::from_bytes(rest).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_resist_tampering() {
        let key = SealingKey::from_bytes([3; 32]);
        let s = Session {
            access_key: "ASIAX".into(),
            secret: "s".into(),
            account: "123456789012".into(),
            subject: Subject::Role { role: "r".into(), role_id: "AROA".into(), session: "x".into() },
            issued_ms: 1,
            expires_ms: 2,
            policy: None,
        };
        let token = issue(&key, &s);
        assert_eq!(open(&key, &token), Some(s));
        let mut bytes = token.into_bytes();
        bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
        assert_eq!(open(&key, &String::from_utf8(bytes).expect("ascii")), None);
        assert_eq!(open(&SealingKey::from_bytes([4; 32]), "abc"), None);
        assert_eq!(open(&key, "!!"), None);
    }
}
