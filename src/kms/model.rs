//! The KMS records: each account's symmetric keys (their key material, wrapped by the
//! server key, one version per rotation) and aliases, stored as one record per account.
//! Pure: no I/O, no HTTP.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A key's state, as KMS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Not usable until enabled again.
    Disabled,
    /// Deletion scheduled: not usable; deleted at `KmsKey::deletion_ms` unless cancelled.
    PendingDeletion,
}

impl KeyState {
    /// The name KMS answers with.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::PendingDeletion => "PendingDeletion",
        }
    }
}

/// One version of a key's material (a new one per rotation; old ones decrypt what they
/// encrypted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVersion {
    /// The 32-byte material sealed by the server's KMS wrapping key, bound to the key's
    /// ARN and this version's number.
    pub sealed: Vec<u8>,
    /// When it was made, ms since the Unix epoch.
    pub created_ms: i64,
}

/// Automatic rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// Days between rotations (90–2560).
    pub period_days: u32,
    /// When the next rotation is due, ms since the Unix epoch.
    pub next_ms: i64,
}

/// A symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsKey {
    /// The key id (a UUID).
    pub id: String,
    /// Description as given.
    pub description: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
    /// State.
    pub state: KeyState,
    /// When a scheduled deletion happens (PendingDeletion only).
    pub deletion_ms: Option<i64>,
    /// Automatic rotation, when enabled.
    pub rotation: Option<Rotation>,
    /// The material, oldest first: the last one encrypts, every one decrypts.
    pub versions: Vec<KeyVersion>,
}

/// One account's keys and aliases (schema v1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsAccount {
    /// Keys by id.
    pub keys: BTreeMap<String, KmsKey>,
    /// Alias name (`alias/...`) → key id.
    pub aliases: BTreeMap<String, String>,
}

/// The ARN of a key.
pub fn key_arn(region: &str, account: &str, id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{id}")
}

/// The ARN of an alias (`name` includes `alias/`).
pub fn alias_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:{name}")
}

/// What a `KeyId` parameter names: a key id or alias, in the caller's account or in
/// the account an ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A key id (UUID), `account` when given by ARN.
    Key { account: Option<String>, id: String },
    /// An alias name (`alias/...`), `account` when given by ARN.
    Alias { account: Option<String>, name: String },
}

impl KeyRef {
    /// Parses a `KeyId`: `1234abcd-...`, `arn:aws:kms:REGION:ACCOUNT:key/ID`,
    /// `alias/name` or `arn:aws:kms:REGION:ACCOUNT:alias/name`.
    pub fn parse(text: &str) -> Option<KeyRef> {
        if let Some(rest) = text.strip_prefix("arn:") {
            let mut parts = rest.splitn(5, ':');
            let (_partition, service, _region, account, resource) =
                (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            if service != "kms" || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let account = Some(account.to_owned());
            return if let Some(id) = resource.strip_prefix("key/") {
                valid_key_id(id).then(|| KeyRef::Key { account, id: id.to_owned() })
            } else if resource.starts_with("alias/") {
                Some(KeyRef::Alias { account, name: resource.to_owned() })
            } else {
                None
            };
        }
        if text.starts_with("alias/") {
            return Some(KeyRef::Alias { account: None, name: text.to_owned() });
        }
        valid_key_id(text).then(|| KeyRef::Key { account: None, id: text.to_owned() })
    }
}

/// Whether `id` has a key id's shape (a UUID: 8-4-4-4-12 hex digits).
pub fn valid_key_id(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5 && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Why an alias name is refused (KMS's `InvalidAliasNameException`), if it is: it must
/// be `alias/` followed by 1–250 of `[a-zA-Z0-9/_-]`, and `alias/aws/` is AWS's.
pub fn alias_name_problem(name: &str) -> Option<&'static str> {
    let Some(rest) = name.strip_prefix("alias/") else { return Some("Alias must start with the prefix \"alias/\"") };
    if name.starts_with("alias/aws/") {
        return Some("Alias names starting with \"alias/aws/\" are reserved for AWS managed keys");
    }
    if rest.is_empty() || name.len() > 256 || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-')) {
        return Some("Alias name must be alias/ followed by 1 to 250 characters of a-z, A-Z, 0-9, /, _ and -");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn key_ids_in_every_form() {
        assert_eq!(KeyRef::parse(ID), Some(KeyRef::Key { account: None, id: ID.into() }));
        let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{ID}");
        assert_eq!(KeyRef::parse(&arn), Some(KeyRef::Key { account: Some("111122223333".into()), id: ID.into() }));
        assert_eq!(KeyRef::parse("alias/backups"), Some(KeyRef::Alias { account: None, name: "alias/backups".into() }));
        assert_eq!(
            KeyRef::parse("arn:aws:kms:us-east-1:111122223333:alias/backups"),
            Some(KeyRef::Alias { account: Some("111122223333".into()), name: "alias/backups".into() })
        );
        for bad in ["", "nope", "1234abcd-12ab-34cd-56ef", "arn:aws:s3:::bucket", "arn:aws:kms:us-east-1:1:key/x"] {
            assert_eq!(KeyRef::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn alias_names() {
        assert_eq!(alias_name_problem("alias/backups-2026/db_main"), None);
        assert!(alias_name_problem("backups").is_some());
        assert!(alias_name_problem("alias/").is_some());
        assert!(alias_name_problem("alias/aws/s3").is_some());
        assert!(alias_name_problem("alias/sp ace").is_some());
    }

    #[test]
    fn arns() {
        assert_eq!(key_arn("r", "111122223333", ID), format!("arn:aws:kms:r:111122223333:key/{ID}"));
        assert_eq!(alias_arn("r", "111122223333", "alias/x"), "arn:aws:kms:r:111122223333:alias/x");
    }
}
