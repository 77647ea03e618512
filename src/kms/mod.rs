//! A built-in KMS: symmetric keys per account (AWS KMS's SYMMETRIC_DEFAULT,
//! ENCRYPT_DECRYPT), aliases, enable/disable, rotation that keeps every old version for
//! decryption, scheduled deletion, and the data-plane operations Encrypt, Decrypt and
//! GenerateDataKey. Key material never leaves this module unwrapped: it is stored sealed
//! by a key derived from the server key (the same one that seals secret access keys), so
//! a copy of the data directory without the server key decrypts nothing.
//!
//! [`Kms`] is what the rest of coffer (SSE-KMS, later) needs of a KMS, so that an
//! external one (Vault Transit, KMIP) can stand in for [`LocalKms`]. The KMS JSON API on
//! the S3 port (`aws kms ...`) is `api`; the records are `model`; error codes `error`.
//!
//! Ciphertext blobs: `"CK1\0"`, the key's account (12 digits), key id (36), version
//! (u32 BE), a random 32-byte salt, then the AES-256-GCM sealing (nonce, ciphertext,
//! tag) of the plaintext under a key derived from that version's material and the salt,
//! with the header and the encryption context (sorted JSON) as associated data: a changed
//! byte, another context or another key fails to open.

pub mod api;
pub mod error;
pub mod model;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

pub use error::{KmsError, KmsErrorCode, KmsResult};
use model::{key_arn, KeyState, KeyVersion, KmsAccount, KmsKey, Rotation};

use crate::iam::secrets::{fill_random, SealingKey};
use crate::model::stored;
use crate::s3::Clock;
use crate::store::Store;

/// An encryption context: string pairs bound to a ciphertext.
pub type EncryptionContext = BTreeMap<String, String>;

/// What coffer needs of a KMS (for SSE-KMS): data keys under a customer key, and their
/// decryption. Implemented by [`LocalKms`].
#[allow(async_fn_in_trait)]
pub trait Kms {
    /// A fresh data key of `bytes` bytes: (plaintext, ciphertext blob), under key
    /// `key_id` of `account`.
    async fn generate_data_key(
        &self,
        account: &str,
        key_id: &str,
        bytes: usize,
        context: &EncryptionContext,
    ) -> KmsResult<(Vec<u8>, Vec<u8>)>;
    /// The plaintext of a blob and the ARN of the key that made it.
    fn decrypt(&self, blob: &[u8], context: &EncryptionContext) -> KmsResult<(Vec<u8>, String)>;
    /// A data key wrapped again under key `key_id` of `account` for another `context`
    /// (a copy under the same key: the data is not re-encrypted).
    async fn wrap_data_key(&self, account: &str, key_id: &str, data_key: &[u8], context: &EncryptionContext) -> KmsResult<Vec<u8>>;
}

const MAGIC: &[u8; 4] = b"CK1\0";
const HEADER_LEN: usize = 4 + 12 + 36 + 4;
/// A random salt per blob: each blob is sealed under its own key derived from the
/// version's material and the salt, so the 96-bit random nonces of AES-GCM never meet
/// under one key however many blobs a key version makes.
const SALT_LEN: usize = 32;
const DAY_MS: i64 = 86_400_000;

/// The KMS built into coffer.
pub struct LocalKms {
    store: Arc<Store>,
    wrap: SealingKey,
    region: String,
    clock: Clock,
    accounts: RwLock<HashMap<String, Arc<KmsAccount>>>,
    writes: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for LocalKms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalKms").field("region", &self.region).finish_non_exhaustive()
    }
}

fn internal(e: impl std::fmt::Display) -> KmsError {
    tracing::error!(error = %e, "KMS internal error");
    KmsError::new(KmsErrorCode::KMSInternalException, "internal error")
}

/// Per-account bounds (AWS KMS has quotas too; they keep one tenant's records small).
const MAX_KEYS: usize = 1000;
const MAX_ALIASES: usize = 1000;
/// Versions of one key's material (each rotation adds one; all are kept).
const MAX_VERSIONS: usize = 100;

fn limit(message: &str) -> KmsError {
    KmsError::new(KmsErrorCode::LimitExceededException, message)
}

fn not_found(what: &str) -> KmsError {
    KmsError::new(KmsErrorCode::NotFoundException, format!("{what} is not found."))
}

impl LocalKms {
    /// Loads every account's keys. `master` is the server key.
    pub fn open(store: Arc<Store>, master: &SealingKey, region: &str, clock: Clock) -> crate::store::StoreResult<Self> {
        let mut accounts = HashMap::new();
        for (account, raw) in store.kms_records()? {
            accounts.insert(account, Arc::new(stored::decode::<KmsAccount>(&raw)?));
        }
        Ok(Self {
            store,
            wrap: master.derive("kms key material"),
            region: region.to_owned(),
            clock,
            accounts: RwLock::new(accounts),
            writes: tokio::sync::Mutex::new(()),
        })
    }

    /// The region in ARNs.
    pub fn region(&self) -> &str {
        &self.region
    }

    fn now_ms(&self) -> i64 {
        crate::s3::headers::to_ms((self.clock)())
    }

    /// The account's keys and aliases as they are now.
    pub fn account(&self, account: &str) -> Arc<KmsAccount> {
        self.accounts.read().unwrap_or_else(PoisonError::into_inner).get(account).cloned().unwrap_or_default()
    }

    /// Changes an account's record durably (keys whose deletion time has come are
    /// deleted on the way) and publishes it.
    async fn mutate<T>(&self, account: &str, change: impl FnOnce(&mut KmsAccount, i64) -> KmsResult<T>) -> KmsResult<T> {
        let _writer = self.writes.lock().await;
        let now = self.now_ms();
        let mut record = (*self.account(account)).clone();
        purge_deleted(&mut record, now);
        let out = change(&mut record, now)?;
        self.store.set_kms_record(account, stored::encode(&record)).await.map_err(internal)?;
        self.accounts.write().unwrap_or_else(PoisonError::into_inner).insert(account.to_owned(), Arc::new(record));
        Ok(out)
    }

    /// The key id a `KeyId` parameter names in `account` (a key id, key ARN, alias or
    /// alias ARN). Another account's key is AccessDeniedException: coffer has no key
    /// policies that could share one.
    pub fn resolve(&self, account: &str, key_id: &str) -> KmsResult<String> {
        let Some(reference) = model::KeyRef::parse(key_id) else {
            return Err(not_found(&format!("Invalid keyId '{key_id}'")));
        };
        let owner = match &reference {
            model::KeyRef::Key { account: owner, .. } | model::KeyRef::Alias { account: owner, .. } => owner.as_deref(),
        };
        // Another account's key or alias is refused before anything of it is looked up,
        // so the answer says nothing of whether it exists.
        if owner.is_some_and(|o| o != account) {
            return Err(KmsError::new(KmsErrorCode::AccessDeniedException, "The key belongs to another account."));
        }
        let id = match reference {
            model::KeyRef::Key { id, .. } => id,
            model::KeyRef::Alias { name, .. } => {
                self.account(account).aliases.get(&name).cloned().ok_or_else(|| not_found(&format!("Alias {name}")))?
            }
        };
        let record = self.account(account);
        match record.keys.get(&id) {
            Some(k) if !deleted(k, self.now_ms()) => Ok(id),
            _ => Err(not_found(&format!("Key '{}'", key_arn(&self.region, account, &id)))),
        }
    }

    /// A key (resolved first with [`Self::resolve`]).
    pub fn key(&self, account: &str, id: &str) -> KmsResult<KmsKey> {
        self.account(account).keys.get(id).cloned().ok_or_else(|| not_found(&format!("Key '{id}'")))
    }

    /// Whether a key's scheduled deletion time has come (it is gone, whether or not its
    /// record was purged yet).
    pub fn is_deleted(&self, key: &KmsKey) -> bool {
        deleted(key, self.now_ms())
    }

    /// Refuses to let a key go while it protects versions under Object Lock (their bytes
    /// would be lost with it, which no key holder may do early):
    /// KMSInvalidStateException.
    pub fn check_not_protecting_locked_data(&self, account: &str, id: &str) -> KmsResult<()> {
        let locked = self.store.locked_versions_under_kms_key(account, id).map_err(internal)?;
        if locked > 0 {
            return Err(KmsError::new(
                KmsErrorCode::KMSInvalidStateException,
                format!("{} protects {locked} object version(s) under Object Lock retention or legal hold; it cannot be scheduled for deletion until they are free.", self.arn(account, id)),
            ));
        }
        Ok(())
    }

    /// The ARN of a key of `account`.
    pub fn arn(&self, account: &str, id: &str) -> String {
        key_arn(&self.region, account, id)
    }

    /// CreateKey.
    pub async fn create_key(&self, account: &str, description: &str) -> KmsResult<KmsKey> {
        let id = new_key_id();
        let arn = self.arn(account, &id);
        let now = self.now_ms();
        let first = self.new_version(&arn, 0, now);
        let key = KmsKey {
            id: id.clone(),
            description: description.to_owned(),
            created_ms: now,
            state: KeyState::Enabled,
            deletion_ms: None,
            rotation: None,
            versions: vec![first],
        };
        self.mutate(account, |record, _| {
            if record.keys.len() >= MAX_KEYS {
                return Err(limit(&format!("An account can have at most {MAX_KEYS} keys.")));
            }
            record.keys.insert(id, key.clone());
            Ok(key)
        })
        .await
    }

    /// The id of the AWS-managed-style key of `account` behind `alias` (such as
    /// `alias/aws/s3`, the key SSE-KMS uses when a request names none), created with
    /// its alias on first use. Reserved names cannot be created through the API, so
    /// only coffer makes these.
    pub async fn managed_key(&self, account: &str, alias: &str) -> KmsResult<String> {
        if let Some(id) = self.account(account).aliases.get(alias) {
            return Ok(id.clone());
        }
        let id = new_key_id();
        let now = self.now_ms();
        let first = self.new_version(&self.arn(account, &id), 0, now);
        self.mutate(account, |record, _| {
            if let Some(existing) = record.aliases.get(alias) {
                return Ok(existing.clone());
            }
            if record.keys.len() >= MAX_KEYS {
                return Err(limit(&format!("An account can have at most {MAX_KEYS} keys.")));
            }
            let key = KmsKey {
                id: id.clone(),
                description: format!("Default key that protects my objects when no other key is defined ({alias})"),
                created_ms: now,
                state: KeyState::Enabled,
                deletion_ms: None,
                rotation: None,
                versions: vec![first],
            };
            record.keys.insert(id.clone(), key);
            record.aliases.insert(alias.to_owned(), id.clone());
            Ok(id)
        })
        .await
    }

    fn new_version(&self, arn: &str, number: usize, now_ms: i64) -> KeyVersion {
        let mut material = [0u8; 32];
        fill_random(&mut material);
        KeyVersion { sealed: self.wrap.seal(version_label(arn, number).as_bytes(), &material), created_ms: now_ms }
    }

    /// EnableKey / DisableKey.
    pub async fn set_enabled(&self, account: &str, id: &str, enabled: bool) -> KmsResult<()> {
        self.mutate(account, |record, _| {
            let key = record.keys.get_mut(id).ok_or_else(|| not_found(id))?;
            if key.state == KeyState::PendingDeletion {
                return Err(KmsError::new(KmsErrorCode::KMSInvalidStateException, format!("{id} is pending deletion.")));
            }
            key.state = if enabled { KeyState::Enabled } else { KeyState::Disabled };
            Ok(())
        })
        .await
    }

    /// EnableKeyRotation (`Some(period)`) / DisableKeyRotation (`None`).
    pub async fn set_rotation(&self, account: &str, id: &str, period_days: Option<u32>) -> KmsResult<()> {
        self.mutate(account, |record, now| {
            let key = record.keys.get_mut(id).ok_or_else(|| not_found(id))?;
            usable(key)?;
            key.rotation = period_days.map(|days| Rotation { period_days: days, next_ms: now + i64::from(days) * DAY_MS });
            Ok(())
        })
        .await
    }

    /// RotateKeyOnDemand: new material now; the old versions still decrypt.
    pub async fn rotate(&self, account: &str, id: &str) -> KmsResult<()> {
        let arn = self.arn(account, id);
        self.mutate(account, |record, now| {
            let key = record.keys.get_mut(id).ok_or_else(|| not_found(id))?;
            usable(key)?;
            if key.versions.len() >= MAX_VERSIONS {
                return Err(limit(&format!("A key keeps at most {MAX_VERSIONS} versions of its material.")));
            }
            let version = self.new_version(&arn, key.versions.len(), now);
            key.versions.push(version);
            Ok(())
        })
        .await
    }

    /// ScheduleKeyDeletion: the key is unusable at once and deleted after `days`;
    /// returns the deletion time (ms).
    pub async fn schedule_deletion(&self, account: &str, id: &str, days: u32) -> KmsResult<i64> {
        self.mutate(account, |record, now| {
            let key = record.keys.get_mut(id).ok_or_else(|| not_found(id))?;
            if key.state == KeyState::PendingDeletion {
                return Err(KmsError::new(KmsErrorCode::KMSInvalidStateException, format!("{id} is pending deletion.")));
            }
            let at = now + i64::from(days) * DAY_MS;
            key.state = KeyState::PendingDeletion;
            key.deletion_ms = Some(at);
            Ok(at)
        })
        .await
    }

    /// CancelKeyDeletion: the key comes back Disabled, as in AWS KMS.
    pub async fn cancel_deletion(&self, account: &str, id: &str) -> KmsResult<()> {
        self.mutate(account, |record, _| {
            let key = record.keys.get_mut(id).ok_or_else(|| not_found(id))?;
            if key.state != KeyState::PendingDeletion {
                return Err(KmsError::new(KmsErrorCode::KMSInvalidStateException, format!("{id} is not pending deletion.")));
            }
            key.state = KeyState::Disabled;
            key.deletion_ms = None;
            Ok(())
        })
        .await
    }

    /// CreateAlias (`current` None) / UpdateAlias (`current`: the key the alias pointed
    /// to when the caller was authorized on it; a change since is refused).
    pub async fn set_alias(&self, account: &str, name: &str, id: &str, current: Option<&str>) -> KmsResult<()> {
        let update = current.is_some();
        if let Some(problem) = model::alias_name_problem(name) {
            // A name without the prefix fails validation (ValidationException, as AWS
            // answers); a reserved or malformed one is an invalid alias name.
            let code = if name.starts_with("alias/") { KmsErrorCode::InvalidAliasNameException } else { KmsErrorCode::ValidationException };
            return Err(KmsError::new(code, problem));
        }
        self.mutate(account, |record, _| {
            match (record.aliases.contains_key(name), update) {
                (true, false) => {
                    return Err(KmsError::new(
                        KmsErrorCode::AlreadyExistsException,
                        format!("An alias with the name {} already exists", self.alias_arn(account, name)),
                    ))
                }
                (false, true) => return Err(not_found(&format!("Alias {}", self.alias_arn(account, name)))),
                _ => {}
            }
            if update && record.aliases.get(name).map(String::as_str) != current {
                return Err(KmsError::new(
                    KmsErrorCode::KMSInvalidStateException,
                    "The alias changed while the request was authorized; retry.",
                ));
            }
            if !update && record.aliases.len() >= MAX_ALIASES {
                return Err(limit(&format!("An account can have at most {MAX_ALIASES} aliases.")));
            }
            record.aliases.insert(name.to_owned(), id.to_owned());
            Ok(())
        })
        .await
    }

    /// The key an alias of `account` points to.
    pub fn alias_target(&self, account: &str, name: &str) -> KmsResult<String> {
        self.account(account).aliases.get(name).cloned().ok_or_else(|| not_found(&format!("Alias {}", self.alias_arn(account, name))))
    }

    /// DeleteAlias (`current`: the key it pointed to when the caller was authorized).
    pub async fn delete_alias(&self, account: &str, name: &str, current: &str) -> KmsResult<()> {
        self.mutate(account, |record, _| {
            match record.aliases.get(name) {
                None => return Err(not_found(&format!("Alias {}", self.alias_arn(account, name)))),
                Some(id) if id != current => {
                    return Err(KmsError::new(
                        KmsErrorCode::KMSInvalidStateException,
                        "The alias changed while the request was authorized; retry.",
                    ))
                }
                Some(_) => {}
            }
            record.aliases.remove(name);
            Ok(())
        })
        .await
    }

    /// The ARN of an alias of `account`.
    pub fn alias_arn(&self, account: &str, name: &str) -> String {
        model::alias_arn(&self.region, account, name)
    }

    /// Encrypt: a blob of `plaintext` under the key's newest material (rotating first
    /// when an automatic rotation is due).
    pub async fn encrypt(&self, account: &str, id: &str, plaintext: &[u8], context: &EncryptionContext) -> KmsResult<Vec<u8>> {
        let mut key = self.key(account, id)?;
        usable(&key)?;
        if key.rotation.is_some_and(|r| r.next_ms <= self.now_ms()) {
            let arn = self.arn(account, id);
            key = self
                .mutate(account, |record, now| {
                    let key = record.keys.get_mut(id).ok_or_else(|| not_found(id))?;
                    usable(key)?;
                    if let Some(r) = key.rotation.as_mut().filter(|r| r.next_ms <= now) {
                        r.next_ms = now + i64::from(r.period_days) * DAY_MS;
                        let version = self.new_version(&arn, key.versions.len(), now);
                        key.versions.push(version);
                    }
                    Ok(key.clone())
                })
                .await?;
        }
        let number = key.versions.len() - 1;
        let material = self.material(account, &key, number)?;
        let mut header = Vec::with_capacity(HEADER_LEN + SALT_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(account.as_bytes());
        header.extend_from_slice(key.id.as_bytes());
        header.extend_from_slice(&u32::try_from(number).map_err(internal)?.to_be_bytes());
        let mut salt = [0u8; SALT_LEN];
        fill_random(&mut salt);
        header.extend_from_slice(&salt);
        let sealed = blob_key(&material, &salt).seal(&associated_data(&header, context), plaintext);
        header.extend_from_slice(&sealed);
        Ok(header)
    }

    fn material(&self, account: &str, key: &KmsKey, number: usize) -> KmsResult<SealingKey> {
        let version = key.versions.get(number).ok_or_else(invalid_ciphertext)?;
        let label = version_label(&self.arn(account, &key.id), number);
        let raw = self
            .wrap
            .open(label.as_bytes(), &version.sealed)
            .ok_or_else(|| internal("key material does not unwrap with the server key"))?;
        let raw: [u8; 32] = raw.try_into().map_err(|_| internal("key material is not 32 bytes"))?;
        Ok(SealingKey::from_bytes(raw))
    }

    /// The account and key id a blob names, without opening it.
    pub fn blob_key(blob: &[u8]) -> KmsResult<(String, String)> {
        if blob.len() < HEADER_LEN + SALT_LEN || &blob[..4] != MAGIC {
            return Err(invalid_ciphertext());
        }
        let account = std::str::from_utf8(&blob[4..16]).map_err(|_| invalid_ciphertext())?;
        let id = std::str::from_utf8(&blob[16..52]).map_err(|_| invalid_ciphertext())?;
        Ok((account.to_owned(), id.to_owned()))
    }

    /// Decrypt: the plaintext of a blob (which names its key) and the key's ARN.
    pub fn open_blob(&self, blob: &[u8], context: &EncryptionContext) -> KmsResult<(Vec<u8>, String)> {
        let (account, id) = Self::blob_key(blob)?;
        let key = self.account(&account).keys.get(&id).cloned().filter(|k| !deleted(k, self.now_ms())).ok_or_else(invalid_ciphertext)?;
        usable(&key)?;
        let number = u32::from_be_bytes(blob[52..56].try_into().map_err(|_| invalid_ciphertext())?) as usize;
        let material = self.material(&account, &key, number)?;
        let salt = &blob[HEADER_LEN..HEADER_LEN + SALT_LEN];
        let header = &blob[..HEADER_LEN + SALT_LEN];
        let plain = blob_key(&material, salt)
            .open(&associated_data(header, context), &blob[HEADER_LEN + SALT_LEN..])
            .ok_or_else(invalid_ciphertext)?;
        Ok((plain, self.arn(&account, &id)))
    }
}

impl Kms for LocalKms {
    async fn generate_data_key(
        &self,
        account: &str,
        key_id: &str,
        bytes: usize,
        context: &EncryptionContext,
    ) -> KmsResult<(Vec<u8>, Vec<u8>)> {
        let id = self.resolve(account, key_id)?;
        let mut plain = vec![0u8; bytes];
        fill_random(&mut plain);
        let blob = self.encrypt(account, &id, &plain, context).await?;
        Ok((plain, blob))
    }

    fn decrypt(&self, blob: &[u8], context: &EncryptionContext) -> KmsResult<(Vec<u8>, String)> {
        self.open_blob(blob, context)
    }

    async fn wrap_data_key(&self, account: &str, key_id: &str, data_key: &[u8], context: &EncryptionContext) -> KmsResult<Vec<u8>> {
        let id = self.resolve(account, key_id)?;
        self.encrypt(account, &id, data_key, context).await
    }
}

fn invalid_ciphertext() -> KmsError {
    KmsError::new(
        KmsErrorCode::InvalidCiphertextException,
        "The ciphertext is invalid, was altered, or its encryption context does not match.",
    )
}

/// The key one blob is sealed under: HKDF-SHA256 of the version's material with the
/// blob's salt.
fn blob_key(material: &SealingKey, salt: &[u8]) -> SealingKey {
    material.derive(&format!("kms blob {}", hex::encode(salt)))
}

/// What a version's material is sealed for: the key's account and id (from its ARN,
/// without the region, which an operator may correct) and the version number.
fn version_label(arn: &str, number: usize) -> String {
    let mut parts = arn.splitn(6, ':');
    let (account, resource) = (parts.nth(4).unwrap_or_default(), parts.next().unwrap_or_default());
    format!("kms material {account}:{resource} #{number}")
}

/// The associated data of a blob: its header and its encryption context (sorted JSON).
fn associated_data(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let mut aad = header.to_vec();
    aad.extend_from_slice(serde_json::to_string(context).unwrap_or_default().as_bytes());
    aad
}

fn deleted(key: &KmsKey, now_ms: i64) -> bool {
    key.deletion_ms.is_some_and(|at| at <= now_ms)
}

/// Removes keys whose scheduled deletion time has come, and their aliases.
fn purge_deleted(record: &mut KmsAccount, now_ms: i64) {
    let gone: Vec<String> = record.keys.values().filter(|k| deleted(k, now_ms)).map(|k| k.id.clone()).collect();
    for id in &gone {
        record.keys.remove(id);
    }
    record.aliases.retain(|_, id| !gone.contains(id));
}

/// Whether a key may encrypt or decrypt: Disabled → DisabledException, PendingDeletion →
/// KMSInvalidStateException, as AWS KMS.
fn usable(key: &KmsKey) -> KmsResult<()> {
    match key.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(KmsError::new(KmsErrorCode::DisabledException, format!("{} is disabled.", key.id))),
        KeyState::PendingDeletion => Err(KmsError::new(KmsErrorCode::KMSInvalidStateException, format!("{} is pending deletion.", key.id))),
    }
}

/// A random key id (UUID v4 form).
fn new_key_id() -> String {
    let mut b = [0u8; 16];
    fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}
