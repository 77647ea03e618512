//! The in-memory view of every account, rebuilt after each IAM change and swapped in
//! whole: access key → secret and resolved [`Principal`] (with compiled policies), and
//! the compiled policy sets of users and roles. Requests read it without locks held
//! across any work, and never touch the metadata store to authenticate or authorize.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::managed;
use super::model::{name_key, AccountData, Role, User};
use super::policy::{Policy, PolicyKind, PrincipalInfo};
use super::principal::{ConditionKeys, Principal, PrincipalKind};
use super::secrets::SealingKey;
use crate::auth::SecretKey;

/// Stands in for a stored policy that no longer parses: it denies everything, so that a
/// Deny statement can never be lost by failing to read it.
const DENY_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;

/// One usable access key.
pub struct KeyEntry {
    /// Its secret.
    pub secret: SecretKey,
    /// Whom it authenticates.
    pub principal: Arc<Principal>,
}

/// Everything the request path needs to know of the identities.
#[derive(Default)]
pub struct Directory {
    /// Accounts by id.
    pub accounts: BTreeMap<String, Arc<AccountData>>,
    /// The default account's id (owner of buckets created before accounts existed).
    pub default_account: String,
    /// Active access keys (root and users; the configured root key included).
    pub keys: HashMap<String, KeyEntry>,
    /// Compiled policies of each user: (account id, lower-case name).
    pub user_policies: HashMap<(String, String), Arc<Vec<Policy>>>,
    /// Compiled policies of each role: (account id, lower-case name).
    pub role_policies: HashMap<(String, String), Arc<Vec<Policy>>>,
}

/// Compiles a stored policy document.
fn compile(doc: &str) -> Policy {
    Policy::parse(doc, PolicyKind::Identity).unwrap_or_else(|e| {
        tracing::error!(error = %e, "a stored policy no longer parses; it is replaced by a deny-all");
        Policy::parse(DENY_ALL, PolicyKind::Identity).expect("the deny-all policy parses")
    })
}

/// The document of a managed policy attached by ARN: AWS managed, or a customer managed
/// policy of `account`.
pub fn attached_document<'a>(account: &'a AccountData, arn: &str) -> Option<&'a str> {
    if let Some(doc) = managed::aws_managed(arn) {
        return Some(doc);
    }
    account.policies.values().find(|p| account.policy_arn(p) == arn).map(super::model::ManagedPolicy::default_document)
}

fn compile_set(account: &AccountData, inline: impl Iterator<Item = String>, attached: impl Iterator<Item = String>) -> Vec<Policy> {
    let mut out: Vec<Policy> = inline.map(|d| compile(&d)).collect();
    for arn in attached {
        // An attachment whose policy is gone grants nothing (DeletePolicy refuses while
        // attached, so this is only reachable through an older record).
        if let Some(doc) = attached_document(account, &arn) {
            out.push(compile(doc));
        }
    }
    out
}

/// The policies in force for `user`: its own and its groups'.
pub fn user_policy_set(account: &AccountData, user: &User) -> Vec<Policy> {
    let groups: Vec<_> = user.groups.iter().filter_map(|g| account.groups.get(g)).collect();
    let inline = user.inline.values().cloned().chain(groups.iter().flat_map(|g| g.inline.values().cloned()));
    let attached = user.attached.iter().cloned().chain(groups.iter().flat_map(|g| g.attached.iter().cloned()));
    compile_set(account, inline, attached)
}

/// The policies in force for `role`.
pub fn role_policy_set(account: &AccountData, role: &Role) -> Vec<Policy> {
    compile_set(account, role.inline.values().cloned(), role.attached.iter().cloned())
}

/// What resource and trust policies see of a principal.
pub fn principal_info(account: &AccountData, arn: String, role_arn: Option<String>) -> Arc<PrincipalInfo> {
    Arc::new(PrincipalInfo {
        arn,
        account: account.account.id.clone(),
        canonical_id: account.account.canonical_id.clone(),
        role_arn,
        federated: None,
        service: None,
    })
}

/// The root principal of `account`.
pub fn root_principal(account: &AccountData, access_key: &str, admin: bool) -> Principal {
    let arn = account.root_arn();
    Principal {
        account: account.account.id.clone(),
        account_name: account.account.name.clone(),
        kind: PrincipalKind::Root,
        user_id: account.account.id.clone(),
        access_key: access_key.to_owned(),
        admin,
        policies: Arc::default(),
        tags: vec![],
        session: None,
        info: principal_info(account, arn.clone(), None),
        arn,
        condition_keys: Arc::new(ConditionKeys::Only(Vec::new())),
        key_use: None,
    }
}

/// The principal of IAM user `user`.
pub fn user_principal(account: &AccountData, user: &User, policies: Arc<Vec<Policy>>, access_key: &str) -> Principal {
    let arn = account.user_arn(user);
    Principal {
        account: account.account.id.clone(),
        account_name: account.account.name.clone(),
        kind: PrincipalKind::User { name: user.name.clone() },
        user_id: user.id.clone(),
        access_key: access_key.to_owned(),
        admin: false,
        policies,
        tags: user.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect(),
        session: None,
        info: principal_info(account, arn.clone(), None),
        arn,
        condition_keys: Arc::new(user_condition_keys(account, user)),
        key_use: None,
    }
}

/// The condition keys the policies in force for `user` mention.
fn user_condition_keys(account: &AccountData, user: &User) -> ConditionKeys {
    let groups: Vec<_> = user.groups.iter().filter_map(|g| account.groups.get(g)).collect();
    let inline = user.inline.values().map(String::as_str).chain(groups.iter().flat_map(|g| g.inline.values().map(String::as_str)));
    let attached =
        user.attached.iter().chain(groups.iter().flat_map(|g| g.attached.iter())).filter_map(|arn| attached_document(account, arn));
    ConditionKeys::from_documents(inline.chain(attached))
}

/// The condition keys the policies in force for `role`, and a session policy, mention.
pub fn role_condition_keys(account: &AccountData, role: &Role, session_policy: Option<&str>) -> ConditionKeys {
    let attached = role.attached.iter().filter_map(|arn| attached_document(account, arn));
    ConditionKeys::from_documents(role.inline.values().map(String::as_str).chain(attached).chain(session_policy))
}

impl Directory {
    /// Builds the view of `accounts`. `root` is the configured key of the default
    /// account's root (the server administrator); `secrets` opens stored secrets.
    pub fn build(
        accounts: BTreeMap<String, Arc<AccountData>>,
        default_account: &str,
        root: (&str, &SecretKey),
        secrets: &SealingKey,
    ) -> Self {
        let mut dir = Self { default_account: default_account.to_owned(), ..Self::default() };
        for (id, account) in &accounts {
            for (name, user) in &account.users {
                dir.user_policies.insert((id.clone(), name.clone()), Arc::new(user_policy_set(account, user)));
            }
            for (name, role) in &account.roles {
                dir.role_policies.insert((id.clone(), name.clone()), Arc::new(role_policy_set(account, role)));
            }
            for (user, key) in account.access_keys().filter(|(_, k)| k.active) {
                let Some(secret) = secrets.open(key.id.as_bytes(), &key.sealed_secret).and_then(|s| String::from_utf8(s).ok()) else {
                    tracing::error!(access_key = %key.id, "a stored secret key cannot be opened with this server key; the key is unusable");
                    continue;
                };
                let principal = match user.and_then(|u| account.users.get(u).map(|rec| (u, rec))) {
                    None => root_principal(account, &key.id, false),
                    Some((name, rec)) => {
                        let policies = dir.user_policies.get(&(id.clone(), name.to_owned())).cloned().unwrap_or_default();
                        user_principal(account, rec, policies, &key.id)
                    }
                };
                let principal = Principal { key_use: Some(Arc::default()), ..principal };
                dir.keys.insert(key.id.clone(), KeyEntry { secret: SecretKey::new(secret), principal: Arc::new(principal) });
            }
        }
        if let Some(account) = accounts.get(default_account) {
            let principal = Principal { key_use: Some(Arc::default()), ..root_principal(account, root.0, true) };
            dir.keys.insert(root.0.to_owned(), KeyEntry { secret: root.1.clone(), principal: Arc::new(principal) });
        }
        dir.accounts = accounts;
        dir
    }

    /// Takes over the last-use records of `previous` for every key still here (a change
    /// to one user must not forget when the others' keys were used).
    pub fn carry_key_use(&self, previous: &Directory) {
        for (id, entry) in &self.keys {
            let old = previous.keys.get(id).and_then(|e| e.principal.key_use.as_ref()).and_then(|u| u.get());
            if let (Some(old), Some(cell)) = (old, entry.principal.key_use.as_ref()) {
                cell.record(old.ms, old.service);
            }
        }
    }

    /// The account named `name`.
    pub fn account_by_name(&self, name: &str) -> Option<&Arc<AccountData>> {
        self.accounts.values().find(|a| a.account.name == name)
    }

    /// Whether any key id (stored or configured) is `id`.
    pub fn key_exists(&self, id: &str) -> bool {
        self.keys.contains_key(id) || self.accounts.values().any(|a| a.access_keys().any(|(_, k)| k.id == id))
    }

    /// The compiled policies of a user.
    pub fn policies_of_user(&self, account: &str, name: &str) -> Arc<Vec<Policy>> {
        self.user_policies.get(&(account.to_owned(), name_key(name))).cloned().unwrap_or_default()
    }
}
