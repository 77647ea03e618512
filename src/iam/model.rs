//! The identity records: accounts and, inside each, IAM users, groups, roles and managed
//! policies, as AWS IAM models them. Pure data: no IO, no HTTP.
//!
//! One [`AccountData`] is stored as one record (schema byte + postcard, see
//! `model::stored`): an IAM change rewrites its account's record, durably, before it is
//! answered. Names of users, groups, roles and policies are unique within an account
//! regardless of case, as in IAM: the maps are keyed by the lower-case name and each
//! record keeps the name as created.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Access keys one user (or account root) may hold, as in IAM.
pub const MAX_ACCESS_KEYS: usize = 2;

/// Groups, users, roles or policies an account may hold (IAM's quotas are 5,000 users,
/// 300 groups, 1,000 roles, 1,500 policies; one limit keeps the record bounded).
pub const MAX_ENTITIES: usize = 5000;

/// Managed policies attached to one user, group or role (IAM's default quota).
pub const MAX_ATTACHED: usize = 10;

/// Versions a managed policy keeps (IAM: 5).
pub const MAX_POLICY_VERSIONS: usize = 5;

/// One account: its identity, root keys and IAM entities (schema 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountData {
    /// The account itself.
    pub account: Account,
    /// IAM users by lower-case name.
    pub users: BTreeMap<String, User>,
    /// Groups by lower-case name.
    pub groups: BTreeMap<String, Group>,
    /// Roles by lower-case name.
    pub roles: BTreeMap<String, Role>,
    /// Customer managed policies by lower-case name.
    pub policies: BTreeMap<String, ManagedPolicy>,
    /// Console passwords (IAM login profiles) by user id (schema 2): keyed by id, not
    /// name, so that renaming a user keeps its password.
    pub login_profiles: BTreeMap<String, LoginProfile>,
}

/// An IAM user's console password (CreateLoginProfile).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    /// The password as an Argon2id PHC string (salted, slow); never the password.
    pub password_hash: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
    /// The user must choose a new password at the next sign-in.
    pub reset_required: bool,
}

impl std::fmt::Debug for LoginProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginProfile")
            .field("password_hash", &"<redacted>")
            .field("created_ms", &self.created_ms)
            .field("reset_required", &self.reset_required)
            .finish()
    }
}

/// Schema of account records: 2 added `login_profiles` (schema 1 records decode with
/// none).
pub const ACCOUNT_SCHEMA: u8 = 2;

/// Account records as schema 1 wrote them, frozen.
mod v1 {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::{Account, Group, ManagedPolicy, Role, User};

    /// [`super::AccountData`] before login profiles.
    #[derive(Deserialize)]
    pub struct AccountData {
        pub account: Account,
        pub users: BTreeMap<String, User>,
        pub groups: BTreeMap<String, Group>,
        pub roles: BTreeMap<String, Role>,
        pub policies: BTreeMap<String, ManagedPolicy>,
    }
}

/// An account: owns buckets and IAM entities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// 12 decimal digits.
    pub id: String,
    /// Unique name (`coffer admin account create NAME`); `default` for the config's.
    pub name: String,
    /// Contact address (ACL grantees by `emailAddress=` later).
    pub email: Option<String>,
    /// 64 hex digits: the canonical user id of S3 ACLs.
    pub canonical_id: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
    /// The root user's access keys (the default account's root key comes from the
    /// configuration instead and is not stored).
    pub root_keys: Vec<AccessKey>,
}

/// An access key of a user or account root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// `AKIA` + 16 characters.
    pub id: String,
    /// The secret, sealed under the server key (see `iam::secrets`); never stored plain.
    pub sealed_secret: Vec<u8>,
    /// Active keys authenticate; inactive ones are refused as unknown.
    pub active: bool,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
}

/// A tag on a user or role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// `AIDA` + 17 characters (`aws:userid`).
    pub id: String,
    /// Name as created.
    pub name: String,
    /// Path, `/` or `/division/`.
    pub path: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
    /// Access keys (at most [`MAX_ACCESS_KEYS`]).
    pub keys: Vec<AccessKey>,
    /// Inline policies: name → JSON document.
    pub inline: BTreeMap<String, String>,
    /// Attached managed policy ARNs.
    pub attached: Vec<String>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Lower-case names of the groups it belongs to.
    pub groups: Vec<String>,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// `AGPA` + 17 characters.
    pub id: String,
    /// Name as created.
    pub name: String,
    /// Path.
    pub path: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
    /// Inline policies: name → JSON document.
    pub inline: BTreeMap<String, String>,
    /// Attached managed policy ARNs.
    pub attached: Vec<String>,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// `AROA` + 17 characters.
    pub id: String,
    /// Name as created.
    pub name: String,
    /// Path.
    pub path: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
    /// The trust policy (who may assume it), JSON.
    pub trust_policy: String,
    /// Description.
    pub description: String,
    /// Longest session AssumeRole may grant, seconds (3600..=43200).
    pub max_session_secs: u32,
    /// Inline policies: name → JSON document.
    pub inline: BTreeMap<String, String>,
    /// Attached managed policy ARNs.
    pub attached: Vec<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    /// `ANPA` + 17 characters.
    pub id: String,
    /// Name as created.
    pub name: String,
    /// Path.
    pub path: String,
    /// Description.
    pub description: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
    /// Last change (new default version), ms since the Unix epoch.
    pub updated_ms: i64,
    /// Versions, oldest first (at most [`MAX_POLICY_VERSIONS`]).
    pub versions: Vec<PolicyVersion>,
    /// The id of the version in force (`v1`...).
    pub default_version: String,
    /// The number of the next version created.
    pub next_version: u32,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`...
    pub id: String,
    /// The JSON document.
    pub document: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
}

impl ManagedPolicy {
    /// The document of the default version.
    pub fn default_document(&self) -> &str {
        self.versions.iter().find(|v| v.id == self.default_version).map_or("", |v| v.document.as_str())
    }
}

impl AccountData {
    /// A new account with no IAM entities.
    pub fn new(account: Account) -> Self {
        Self {
            account,
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
            roles: BTreeMap::new(),
            policies: BTreeMap::new(),
            login_profiles: BTreeMap::new(),
        }
    }

    /// The stored form: schema byte [`ACCOUNT_SCHEMA`], then postcard.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![ACCOUNT_SCHEMA];
        out.extend(postcard::to_stdvec(self).expect("postcard encodes plain structs"));
        out
    }

    /// Reads a stored account record of any schema.
    pub fn decode(bytes: &[u8]) -> Result<Self, crate::model::stored::DecodeError> {
        use crate::model::stored::DecodeError;
        let malformed = |e: postcard::Error| DecodeError::Malformed(e.to_string());
        match bytes.split_first() {
            Some((&ACCOUNT_SCHEMA, rest)) => postcard::from_bytes(rest).map_err(malformed),
            Some((&1, rest)) => {
                let old: v1::AccountData = postcard::from_bytes(rest).map_err(malformed)?;
                Ok(Self {
                    account: old.account,
                    users: old.users,
                    groups: old.groups,
                    roles: old.roles,
                    policies: old.policies,
                    login_profiles: BTreeMap::new(),
                })
            }
            Some((&other, _)) => Err(DecodeError::UnknownSchema(other)),
            None => Err(DecodeError::Malformed("empty".into())),
        }
    }

    /// Every access key of the account (root and users), with the user's lower-case name
    /// (`None` for the root).
    pub fn access_keys(&self) -> impl Iterator<Item = (Option<&str>, &AccessKey)> {
        let root = self.account.root_keys.iter().map(|k| (None, k));
        root.chain(self.users.iter().flat_map(|(name, u)| u.keys.iter().map(move |k| (Some(name.as_str()), k))))
    }

    /// ARN of a user.
    pub fn user_arn(&self, user: &User) -> String {
        format!("arn:aws:iam::{}:user{}{}", self.account.id, user.path, user.name)
    }

    /// ARN of a group.
    pub fn group_arn(&self, group: &Group) -> String {
        format!("arn:aws:iam::{}:group{}{}", self.account.id, group.path, group.name)
    }

    /// ARN of a role.
    pub fn role_arn(&self, role: &Role) -> String {
        format!("arn:aws:iam::{}:role{}{}", self.account.id, role.path, role.name)
    }

    /// ARN of a customer managed policy.
    pub fn policy_arn(&self, policy: &ManagedPolicy) -> String {
        format!("arn:aws:iam::{}:policy{}{}", self.account.id, policy.path, policy.name)
    }

    /// ARN of the account root.
    pub fn root_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.account.id)
    }
}

/// The lower-case form names are keyed by.
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AccountData {
        AccountData::new(Account {
            id: "123456789012".into(),
            name: "a".into(),
            email: None,
            canonical_id: "c".repeat(64),
            created_ms: 0,
            root_keys: vec![],
        })
    }

    #[test]
    fn arns_have_the_aws_form() {
        let a = account();
        let user = User {
            id: "AIDA".into(),
            name: "Alice".into(),
            path: "/div/".into(),
            created_ms: 0,
            keys: vec![],
            inline: BTreeMap::new(),
            attached: vec![],
            tags: vec![],
            groups: vec![],
        };
        assert_eq!(a.user_arn(&user), "arn:aws:iam::123456789012:user/div/Alice");
        assert_eq!(a.root_arn(), "arn:aws:iam::123456789012:root");
    }

    #[test]
    fn records_round_trip() {
        let mut a = account();
        a.login_profiles
            .insert("AIDA1".into(), LoginProfile { password_hash: "$argon2id$v=19$...".into(), created_ms: 5, reset_required: true });
        let back = AccountData::decode(&a.encode()).expect("decodes");
        assert_eq!(a, back);
    }

    #[test]
    fn schema_1_records_decode_without_login_profiles() {
        // A schema 1 record, byte for byte as coffer wrote it before login profiles: the
        // account (id, name, no email, canonical id, created 0, no root keys), then no
        // users, groups, roles or policies.
        let mut v1 = vec![1u8, 12];
        v1.extend(b"123456789012");
        v1.extend([1, b'a', 0, 64]);
        v1.extend([b'c'; 64]);
        v1.extend([0, 0, 0, 0, 0, 0]);
        let back = AccountData::decode(&v1).expect("schema 1 decodes");
        assert_eq!(back, account());
        assert!(back.login_profiles.is_empty());
        assert_eq!(AccountData::decode(&back.encode()).expect("schema 2 decodes"), back);
        assert!(AccountData::decode(&[9, 0]).is_err());
    }
}
