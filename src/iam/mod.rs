//! Identity and access management: accounts, IAM users, groups, roles and policies, STS
//! sessions, and the authorization decision every request passes.
//!
//! # Layout
//! - [`policy`]: the IAM policy language (parse, validate, evaluate); pure.
//! - [`model`]: the stored records ([`model::AccountData`] per account).
//! - [`principal`]: [`Principal`] (who signed) and [`Principal::is_allowed`], AWS's
//!   evaluation order.
//! - [`directory`]: the in-memory view requests read (keys → principals, compiled
//!   policies), rebuilt and swapped after every change.
//! - [`secrets`]: the server key; secret keys sealed at rest; random ids.
//! - [`session`]: STS session tokens (sealed, not stored).
//! - [`managed`]: the AWS managed policies coffer knows by ARN.
//! - [`api`]: the IAM and STS query APIs (`POST /`, SigV4 service `iam` or `sts`).
//! - [`error`]: every IAM/STS error code; [`xml`]: their answers' XML.
//!
//! [`Iam`] ties them together: it owns the directory, applies changes durably through
//! the store, and is the [`KeySource`] the authentication step resolves keys with. It
//! imports `store` (for durability) and `auth` (for the key-source trait), never `s3`.

pub mod api;
pub mod directory;
pub mod error;
pub mod managed;
pub mod model;
pub mod password;
pub mod policy;
pub mod principal;
pub mod secrets;
pub mod session;
pub mod xml;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::auth::{AuthError, Credentials, KeySource, SecretKey};
use crate::model::stored;
use crate::store::Store;

pub use directory::Directory;
pub use error::{IamError, IamErrorCode, IamResult};
pub use principal::{Principal, PrincipalKind};

use model::{AccessKey, Account, AccountData};
use policy::{Policy, PolicyKind};
use principal::SessionDetails;
use secrets::SealingKey;
use session::{Session, Subject};

/// The name of the account the configured root key belongs to.
pub const DEFAULT_ACCOUNT: &str = "default";

/// When and where an access key was last used.
#[derive(Debug, Clone)]
pub struct LastUsed {
    /// Time, ms since the Unix epoch.
    pub ms: i64,
    /// Service signed for (`s3`, `iam`, `sts`).
    pub service: &'static str,
}

/// The last use of one long-term access key: atomics, so that recording a use costs no
/// lock and no allocation on the request path. Carried from one directory to the next.
#[derive(Debug, Default)]
pub struct KeyUse {
    /// ms since the Unix epoch; 0 = never.
    ms: std::sync::atomic::AtomicI64,
    /// Index into [`SERVICES`].
    service: std::sync::atomic::AtomicU8,
}

/// The services a key can be used for, as GetAccessKeyLastUsed names them.
const SERVICES: [&str; 3] = ["s3", "iam", "sts"];

impl KeyUse {
    fn record(&self, ms: i64, service: &str) {
        use std::sync::atomic::Ordering::Relaxed;
        let index = SERVICES.iter().position(|s| *s == service).unwrap_or(0);
        self.service.store(u8::try_from(index).unwrap_or(0), Relaxed);
        self.ms.store(ms, Relaxed);
    }

    fn get(&self) -> Option<LastUsed> {
        use std::sync::atomic::Ordering::Relaxed;
        let ms = self.ms.load(Relaxed);
        (ms > 0).then(|| LastUsed { ms, service: SERVICES.get(usize::from(self.service.load(Relaxed))).copied().unwrap_or("s3") })
    }
}

/// The identity service.
pub struct Iam {
    /// Where account records are kept.
    store: Arc<Store>,
    /// Seals stored secret access keys.
    secrets: SealingKey,
    /// Seals STS session tokens.
    sessions: SealingKey,
    /// The configured root key of the default account (the server administrator).
    root: (String, SecretKey),
    /// The current view; replaced whole after each change.
    directory: RwLock<Arc<Directory>>,
    /// Serializes changes (read-modify-write of an account record, then the swap).
    writer: tokio::sync::Mutex<()>,
    /// The key uses last saved (see [`Iam::save_key_use`]).
    saved_key_use: Mutex<Vec<(String, i64, String)>>,
    /// Console sessions' credentials and those revoked early (saved in
    /// [`LEDGER_RECORD`]).
    ledger: Mutex<SessionLedger>,
    /// [`Iam::administrator_fingerprint`], computed once.
    admin_fingerprint: String,
    /// Orders the writes of the ledger record (each writes the whole ledger as it stands).
    ledger_writer: tokio::sync::Mutex<()>,
}

/// The record (a background worker's progress slot) holding the last use of each key.
const KEY_USE_RECORD: &str = "iam-key-use";

/// A fingerprint of the configured root key (id and secret), 32 hex digits.
fn fingerprint(root: &Credentials) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"coffer console administrator\0");
    h.update(root.access_key.as_bytes());
    h.update(b"\0");
    h.update(root.secret_key.expose().as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// The record (a progress slot) holding the [`SessionLedger`].
const LEDGER_RECORD: &str = "iam-session-ledger";

/// Temporary credentials issued to web-console sessions, and credentials revoked before
/// their expiry (access key id → expiry, ms; entries go once expired). Console
/// sessions live in memory, so at start-up every console credential still listed as
/// issued is revoked: a restart signs everyone out, credentials included.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct SessionLedger {
    /// Issued to console sessions that have not ended.
    issued: BTreeMap<String, i64>,
    /// Revoked.
    revoked: BTreeMap<String, i64>,
}

impl SessionLedger {
    fn prune(&mut self, now_ms: i64) {
        self.issued.retain(|_, expires| *expires > now_ms);
        self.revoked.retain(|_, expires| *expires > now_ms);
    }
}

fn now_ms(now: SystemTime) -> i64 {
    now.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `len` random decimal digits, the first not 0.
fn random_digits(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    secrets::fill_random(&mut bytes);
    bytes.iter().enumerate().map(|(i, b)| char::from(if i == 0 { b'1' + b % 9 } else { b'0' + b % 10 })).collect()
}

impl Iam {
    /// Opens the identity service over `store`, creating the default account (owner of
    /// every bucket created before accounts existed) on first start. `master` is the
    /// server key; `root` the configured root credentials.
    pub async fn open(store: Arc<Store>, master: &SealingKey, root: &Credentials, now: SystemTime) -> IamResult<Self> {
        let mut accounts = BTreeMap::new();
        for (id, bytes) in store.account_records()? {
            let data = AccountData::decode(&bytes).map_err(|e| IamError::internal(format!("account record {id}: {e}")))?;
            accounts.insert(id, Arc::new(data));
        }
        let iam = Self {
            store,
            secrets: master.derive("secret access keys"),
            sessions: master.derive("sts session tokens"),
            root: (root.access_key.clone(), root.secret_key.clone()),
            admin_fingerprint: fingerprint(root),
            directory: RwLock::default(),
            writer: tokio::sync::Mutex::new(()),
            saved_key_use: Mutex::default(),
            ledger: Mutex::default(),
            ledger_writer: tokio::sync::Mutex::new(()),
        };
        let default_id = if let Some(a) = accounts.values().find(|a| a.account.name == DEFAULT_ACCOUNT) {
            a.account.id.clone()
        } else {
            let data = Self::new_account(DEFAULT_ACCOUNT, None, now, &accounts);
            let id = data.account.id.clone();
            iam.store.set_account_record(&id, Some(data.encode())).await?;
            accounts.insert(id.clone(), Arc::new(data));
            id
        };
        iam.publish(Directory::build(accounts, &default_id, (&iam.root.0, &iam.root.1), &iam.secrets));
        iam.load_key_use();
        iam.load_ledger(now)?;
        Ok(iam)
    }

    /// Saves when each long-term key was last used, if that changed since the last save.
    /// Not flushed on its own (the next commit or the shutdown checkpoint makes it
    /// durable): a crash loses at most the uses since the previous save. Called
    /// periodically by the server and at shutdown.
    pub fn save_key_use(&self) -> IamResult<()> {
        let dir = self.directory();
        let mut entries: Vec<(String, i64, String)> = dir
            .keys
            .iter()
            .filter_map(|(id, e)| e.principal.key_use.as_ref().and_then(|u| u.get()).map(|u| (id.clone(), u.ms, u.service.to_owned())))
            .collect();
        entries.sort();
        let mut saved = self.saved_key_use.lock().unwrap_or_else(PoisonError::into_inner);
        if *saved == entries {
            return Ok(());
        }
        self.store.set_worker_progress(KEY_USE_RECORD, Some(stored::encode(&entries)))?;
        *saved = entries;
        Ok(())
    }

    /// Restores the last uses saved by [`Self::save_key_use`].
    fn load_key_use(&self) {
        let entries: Vec<(String, i64, String)> = match self.store.worker_progress(KEY_USE_RECORD) {
            Ok(Some(bytes)) => stored::decode(&bytes).unwrap_or_default(),
            _ => return,
        };
        let dir = self.directory();
        for (id, ms, service) in &entries {
            if let Some(cell) = dir.keys.get(id).and_then(|e| e.principal.key_use.as_ref()) {
                cell.record(*ms, service);
            }
        }
        *self.saved_key_use.lock().unwrap_or_else(PoisonError::into_inner) = entries;
    }

    /// The current view of every identity.
    pub fn directory(&self) -> Arc<Directory> {
        Arc::clone(&self.directory.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Swaps in a new view, carrying over the last use of every key that is still there.
    fn publish(&self, dir: Directory) {
        let mut slot = self.directory.write().unwrap_or_else(PoisonError::into_inner);
        dir.carry_key_use(&slot);
        *slot = Arc::new(dir);
    }

    /// The default account's id.
    pub fn default_account(&self) -> String {
        self.directory().default_account.clone()
    }

    fn new_account(name: &str, email: Option<&str>, now: SystemTime, existing: &BTreeMap<String, Arc<AccountData>>) -> AccountData {
        let id = loop {
            let id = random_digits(12);
            if !existing.contains_key(&id) {
                break id;
            }
        };
        let mut canonical = [0u8; 32];
        secrets::fill_random(&mut canonical);
        AccountData::new(Account {
            id,
            name: name.to_owned(),
            email: email.map(str::to_owned),
            canonical_id: hex::encode(canonical),
            created_ms: now_ms(now),
            root_keys: Vec::new(),
        })
    }

    /// A new access key (its record, secret sealed, and the secret itself, to be shown
    /// once). Its id is unique among all keys.
    pub fn new_access_key(&self, now: SystemTime) -> (AccessKey, String) {
        let dir = self.directory();
        let id = loop {
            let id = secrets::new_id("AKIA");
            if !dir.key_exists(&id) {
                break id;
            }
        };
        let secret = secrets::new_secret();
        let sealed_secret = self.secrets.seal(id.as_bytes(), secret.as_bytes());
        (AccessKey { id, sealed_secret, active: true, created_ms: now_ms(now) }, secret)
    }

    /// Applies `change` to account `account` and makes it durable before returning;
    /// the new view is in force when this returns. Nothing changes if `change` fails.
    pub async fn mutate<T>(&self, account: &str, change: impl FnOnce(&mut AccountData) -> IamResult<T>) -> IamResult<T> {
        let _writer = self.writer.lock().await;
        let dir = self.directory();
        let current = dir.accounts.get(account).ok_or_else(|| IamError::no_such("account", account))?;
        let mut data = (**current).clone();
        let out = change(&mut data)?;
        if data != **current {
            self.store.set_account_record(account, Some(data.encode())).await?;
            let mut accounts = dir.accounts.clone();
            accounts.insert(account.to_owned(), Arc::new(data));
            self.publish(Directory::build(accounts, &dir.default_account, (&self.root.0, &self.root.1), &self.secrets));
        }
        Ok(out)
    }

    /// Creates account `name` with a root access key; returns it and the key's secret.
    pub async fn create_account(&self, name: &str, email: Option<&str>, now: SystemTime) -> IamResult<(Arc<AccountData>, String)> {
        validate_account_name(name)?;
        let _writer = self.writer.lock().await;
        let dir = self.directory();
        if dir.account_by_name(name).is_some() {
            return Err(IamError::exists("Account", name));
        }
        let mut data = Self::new_account(name, email, now, &dir.accounts);
        let (key, secret) = self.new_access_key(now);
        data.account.root_keys.push(key);
        let id = data.account.id.clone();
        self.store.set_account_record(&id, Some(data.encode())).await?;
        let data = Arc::new(data);
        let mut accounts = dir.accounts.clone();
        accounts.insert(id, Arc::clone(&data));
        self.publish(Directory::build(accounts, &dir.default_account, (&self.root.0, &self.root.1), &self.secrets));
        Ok((data, secret))
    }

    /// Deletes account `name` and every IAM entity in it. `owns_buckets` tells whether
    /// the account still owns a bucket or a KMS key, which must be deleted first
    /// (DeleteConflict).
    pub async fn delete_account(&self, name: &str, owns_buckets: impl Fn(&str) -> IamResult<bool>) -> IamResult<()> {
        let _writer = self.writer.lock().await;
        let dir = self.directory();
        let account = dir.account_by_name(name).ok_or_else(|| IamError::no_such("account", name))?;
        if account.account.name == DEFAULT_ACCOUNT {
            return Err(IamError::new(IamErrorCode::DeleteConflict, "The default account (the server administrator's) cannot be deleted."));
        }
        let id = account.account.id.clone();
        if owns_buckets(&id)? {
            return Err(IamError::new(IamErrorCode::DeleteConflict, format!("Account {name} still owns buckets or KMS keys; delete them first (a key is gone once its scheduled deletion date has passed).")));
        }
        self.store.set_account_record(&id, None).await?;
        let mut accounts = dir.accounts.clone();
        accounts.remove(&id);
        self.publish(Directory::build(accounts, &dir.default_account, (&self.root.0, &self.root.1), &self.secrets));
        Ok(())
    }

    /// Loads the session ledger, revoking the credentials of every console session the
    /// previous run left open (its sessions are gone with its memory).
    fn load_ledger(&self, now: SystemTime) -> IamResult<()> {
        let mut ledger: SessionLedger = match self.store.worker_progress(LEDGER_RECORD)? {
            Some(bytes) => stored::decode(&bytes).map_err(|e| IamError::internal(format!("session ledger record: {e}")))?,
            None => SessionLedger::default(),
        };
        ledger.prune(now_ms(now));
        let issued = std::mem::take(&mut ledger.issued);
        let carried = !issued.is_empty();
        ledger.revoked.extend(issued);
        if carried {
            // Durable with the next commit or the shutdown checkpoint; until then a crash
            // leaves them listed as issued, and the next start revokes them again.
            self.store.set_worker_progress(LEDGER_RECORD, Some(stored::encode(&ledger)))?;
        }
        *self.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = ledger;
        Ok(())
    }

    /// Changes the session ledger with `change` (at once, in memory), then saves it
    /// durably; writes are ordered, each saving everything changed before it.
    async fn change_ledger(&self, now: SystemTime, change: impl FnOnce(&mut SessionLedger)) -> IamResult<()> {
        let _writer = self.ledger_writer.lock().await;
        let record = {
            let mut ledger = self.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            ledger.prune(now_ms(now));
            change(&mut ledger);
            stored::encode(&*ledger)
        };
        self.store.set_worker_progress_durably(LEDGER_RECORD, Some(record)).await?;
        Ok(())
    }

    /// Records durably that console session credentials `access_key` (valid until
    /// `expires_ms`) were issued, so that a restart revokes them.
    pub async fn console_session_opened(&self, access_key: &str, expires_ms: i64, now: SystemTime) -> IamResult<()> {
        self.change_ledger(now, |l| {
            l.issued.insert(access_key.to_owned(), expires_ms);
        })
        .await
    }

    /// Revokes the temporary credentials `access_key` (valid until `expires_ms`) before
    /// they expire, durably: refused from now on, across restarts.
    pub async fn revoke_session(&self, access_key: &str, expires_ms: i64, now: SystemTime) -> IamResult<()> {
        self.change_ledger(now, |l| {
            l.issued.remove(access_key);
            l.revoked.insert(access_key.to_owned(), expires_ms);
        })
        .await
    }

    /// Whether temporary credentials `access_key` were revoked.
    fn is_revoked(&self, access_key: &str) -> bool {
        let ledger = self.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        !ledger.revoked.is_empty() && ledger.revoked.contains_key(access_key)
    }

    /// A fingerprint of the configured root key (id and secret): an administrator's
    /// console session names it, and stops working when the key is changed.
    pub fn administrator_fingerprint(&self) -> &str {
        &self.admin_fingerprint
    }

    /// Seals `session` into a session token.
    pub fn issue_session(&self, session: &Session) -> String {
        session::issue(&self.sessions, session)
    }

    /// When long-term key `access_key` was last used since the server started, if it was
    /// (kept in memory: a use must not cost a metadata write per request).
    pub fn last_used(&self, access_key: &str) -> Option<LastUsed> {
        self.directory().keys.get(access_key).and_then(|k| k.principal.key_use.as_ref()).and_then(|u| u.get())
    }

    /// Records a use of the key that signed as `principal` (once its signature checked
    /// out); temporary credentials are not tracked, as in IAM.
    pub fn record_use(principal: &Principal, service: &str, now: SystemTime) {
        if let Some(u) = &principal.key_use {
            u.record(now_ms(now), service);
        }
    }

    /// The principal of an open session, as the directory stands now.
    fn session_principal(dir: &Directory, s: &Session) -> Result<Principal, AuthError> {
        let account = dir.accounts.get(&s.account).ok_or(AuthError::InvalidToken)?;
        let mut p = match &s.subject {
            Subject::Root => directory::root_principal(account, &s.access_key, false),
            // Only the default account's: an administrator session names no other.
            // Only the default account's, and only while the configured root key is the
            // one it was issued for (checked by the caller).
            Subject::Administrator { .. } if s.account == dir.default_account => directory::root_principal(account, &s.access_key, true),
            Subject::Administrator { .. } => return Err(AuthError::InvalidToken),
            Subject::User { name, user_id } => {
                let user = account.users.get(name).filter(|u| u.id == *user_id).ok_or(AuthError::InvalidToken)?;
                directory::user_principal(account, user, dir.policies_of_user(&s.account, name), &s.access_key)
            }
            Subject::Role { role, role_id, session } => {
                let r = account.roles.get(role).filter(|r| r.id == *role_id).ok_or(AuthError::InvalidToken)?;
                let role_arn = account.role_arn(r);
                let arn = format!("arn:aws:sts::{}:assumed-role/{}/{session}", account.account.id, r.name);
                Principal {
                    account: account.account.id.clone(),
                    account_name: account.account.name.clone(),
                    kind: PrincipalKind::AssumedRole { role: r.name.clone(), session: session.clone() },
                    user_id: format!("{}:{session}", r.id),
                    access_key: s.access_key.clone(),
                    admin: false,
                    policies: dir.role_policies.get(&(s.account.clone(), role.clone())).cloned().unwrap_or_default(),
                    tags: r.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect(),
                    session: None,
                    info: directory::principal_info(account, arn.clone(), Some(role_arn)),
                    arn,
                    key_use: None,
                    condition_keys: Arc::new(directory::role_condition_keys(account, r, s.policy.as_deref())),
                }
            }
        };
        // A session policy that no longer parses grants nothing.
        let policy = s.policy.as_deref().map(|doc| {
            Arc::new(Policy::parse(doc, PolicyKind::Session).unwrap_or_else(|_| {
                Policy::parse(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
                    PolicyKind::Session,
                )
                .expect("deny-all parses")
            }))
        });
        p.session = Some(SessionDetails { issued_ms: s.issued_ms, expires_ms: s.expires_ms, policy });
        Ok(p)
    }
}

impl KeySource for Iam {
    fn lookup(&self, access_key: &str, session_token: Option<&str>, now: SystemTime) -> Result<Credentials, AuthError> {
        let dir = self.directory();
        match session_token {
            None => {
                let entry = dir.keys.get(access_key).ok_or(AuthError::InvalidAccessKeyId)?;
                let identity: crate::auth::Identity = entry.principal.clone();
                Ok(Credentials { access_key: access_key.to_owned(), secret_key: entry.secret.clone(), identity: Some(identity) })
            }
            Some(token) => {
                let session = session::open(&self.sessions, token).ok_or(AuthError::InvalidToken)?;
                if session.access_key != access_key {
                    return Err(AuthError::InvalidToken);
                }
                if now_ms(now) >= session.expires_ms {
                    return Err(AuthError::ExpiredToken);
                }
                if self.is_revoked(access_key) {
                    return Err(AuthError::InvalidToken);
                }
                if let Subject::Administrator { key } = &session.subject {
                    if !bool::from(subtle::ConstantTimeEq::ct_eq(key.as_bytes(), self.admin_fingerprint.as_bytes())) {
                        return Err(AuthError::InvalidToken);
                    }
                }
                let principal = Self::session_principal(&dir, &session)?;
                let identity: crate::auth::Identity = Arc::new(principal);
                Ok(Credentials::new(access_key, session.secret).with_identity(identity))
            }
        }
    }
}

/// Account names: 1–64 characters of letters, digits and `+=,.@_-`.
pub fn validate_account_name(name: &str) -> IamResult<()> {
    let ok = (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(IamError::new(IamErrorCode::ValidationError, "Account names are 1 to 64 letters, digits or +=,.@_- characters."))
    }
}

/// The principal a request was authenticated as, from its `Authenticated::identity`.
pub fn principal_of(identity: Option<&crate::auth::Identity>) -> Option<Arc<Principal>> {
    identity.and_then(|i| Arc::clone(i).downcast::<Principal>().ok())
}
