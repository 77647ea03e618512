//! Bucket access: a bucket's resource-side controls — its policy, its ACL, its Object
//! Ownership and its Block Public Access settings — as stored (bucket configuration
//! documents, written with the bucket) and as authorization reads them (parsed once and
//! cached). The decision itself, with the caller's identity policies, is
//! `crate::s3::access`; the S3 operations that read and write these settings are
//! `crate::s3::bucket_access`.
//!
//! `acl` and `settings` are pure (documents and their XML); this module adds storage.

pub mod acl;
pub mod settings;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::iam::directory::Directory;
use crate::iam::policy::{Policy, PolicyKind};
use crate::iam::principal::{owner_account, ConditionKeys};
use crate::model::acl::Acl;
use crate::model::cors::{self, CorsConfiguration};
use crate::model::stored;
use crate::model::website::{self, WebsiteConfiguration};
use crate::store::{Store, StoreResult};
use settings::{Ownership, PublicAccessBlock};

/// Configuration document names (see `Store::bucket_config`).
pub mod names {
    /// The bucket policy, as the JSON text the owner sent.
    pub const POLICY: &str = "policy";
    /// The Object Ownership setting.
    pub const OWNERSHIP: &str = "ownership-controls";
    /// The bucket's Block Public Access settings.
    pub const PUBLIC_ACCESS_BLOCK: &str = "public-access-block";
    /// The bucket ACL, when not the owner's full control alone.
    pub const ACL: &str = "acl";
}

/// A bucket policy, parsed.
#[derive(Debug)]
pub struct BucketPolicy {
    /// The document as stored (GetBucketPolicy returns it unchanged).
    pub text: String,
    /// The compiled policy.
    pub policy: Policy,
    /// Whether S3 would call it public (Block Public Access acts on that).
    pub public: bool,
    /// The condition keys it tests: the only ones a request needs to compute for it.
    pub keys: ConditionKeys,
}

impl BucketPolicy {
    /// Parses a stored or submitted document.
    pub fn parse(text: &str) -> Result<Self, crate::iam::policy::PolicyError> {
        let policy = Policy::parse(text, PolicyKind::Resource)?;
        let public = policy.is_public();
        Ok(Self { text: text.to_owned(), policy, public, keys: ConditionKeys::from_documents(std::iter::once(text)) })
    }
}

/// What authorization needs of one bucket.
#[derive(Debug)]
pub struct BucketAccess {
    /// When the bucket was created (a bucket deleted and created again is another one).
    pub created_ms: i64,
    /// The owning account's id.
    pub owner: String,
    /// The owning account's canonical user id.
    pub owner_canonical: String,
    /// The bucket policy, if any.
    pub policy: Option<BucketPolicy>,
    /// Object Ownership; `None` when never set or deleted, which S3 treats as
    /// `ObjectWriter`.
    pub ownership: Option<Ownership>,
    /// The bucket's Block Public Access settings (`None`: none set).
    pub public_block: Option<PublicAccessBlock>,
    /// The bucket ACL; `None` is the owner's full control alone.
    pub acl: Option<Acl>,
    /// The bucket's CORS rules, if any (answered to browsers, not part of authorization).
    pub cors: Option<CorsConfiguration>,
    /// The bucket's website configuration, if any (what its website endpoint serves).
    pub website: Option<WebsiteConfiguration>,
    /// Where the bucket's server access log goes, if logging is on.
    pub logging: Option<crate::model::logging::LoggingEnabled>,
}

impl BucketAccess {
    /// The Object Ownership in effect.
    pub fn ownership(&self) -> Ownership {
        self.ownership.unwrap_or(Ownership::ObjectWriter)
    }

    /// Whether ACLs take part in authorization (every setting but BucketOwnerEnforced).
    pub fn acls_enabled(&self) -> bool {
        self.ownership() != Ownership::BucketOwnerEnforced
    }

    /// The bucket ACL (the default one when none is stored).
    pub fn acl(&self) -> Acl {
        self.acl.clone().unwrap_or_else(|| acl::Acl::owner_full_control(&self.owner_canonical))
    }
}

/// Parsed bucket access settings, cached per bucket. Any change to any bucket's settings
/// empties the cache (changes are rare; a generation number makes a load that raced
/// with a change never enter the cache).
#[derive(Debug, Default)]
pub struct AccessCache {
    entries: Mutex<HashMap<String, (u64, Arc<BucketAccess>)>>,
    generation: AtomicU64,
}

impl AccessCache {
    /// The settings of `bucket`, `None` if it does not exist.
    pub fn get(&self, store: &Store, dir: &Directory, bucket: &str) -> StoreResult<Option<Arc<BucketAccess>>> {
        let Some(record) = store.bucket(bucket)? else { return Ok(None) };
        let generation = self.generation.load(Ordering::Acquire);
        {
            let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((g, hit)) = entries.get(bucket) {
                if *g == generation && hit.created_ms == record.created_ms {
                    return Ok(Some(Arc::clone(hit)));
                }
            }
        }
        let owner = owner_account(&record.owner, &dir.default_account).to_owned();
        let owner_canonical = dir.accounts.get(&owner).map_or_else(|| owner.clone(), |a| a.account.canonical_id.clone());
        let policy = match store.bucket_config(bucket, names::POLICY)? {
            Some(raw) => {
                let text = String::from_utf8_lossy(&raw).into_owned();
                Some(BucketPolicy::parse(&text).unwrap_or_else(|e| {
                    // Stored only after it parsed; a newer parser that refuses it must not
                    // open the bucket.
                    tracing::error!(bucket, error = %e, "a stored bucket policy no longer parses; it is replaced by a deny-all");
                    BucketPolicy::parse(DENY_ALL).expect("the deny-all policy parses")
                }))
            }
            None => None,
        };
        let decoded = |name: &str| -> StoreResult<Option<Vec<u8>>> { store.bucket_config(bucket, name) };
        let ownership = decoded(names::OWNERSHIP)?.map(|raw| stored::decode::<Ownership>(&raw)).transpose()?;
        let public_block = decoded(names::PUBLIC_ACCESS_BLOCK)?.map(|raw| stored::decode::<PublicAccessBlock>(&raw)).transpose()?;
        let acl = decoded(names::ACL)?.map(|raw| stored::decode::<Acl>(&raw)).transpose()?;
        // Stored only after they validated; one a newer parser refuses is dropped (with an
        // error logged): no CORS grant, no website, which fails closed.
        let cors = decoded(cors::DOCUMENT)?.and_then(|raw| {
            cors::parse_stored(&raw).map_err(|e| tracing::error!(bucket, error = ?e, "a stored CORS configuration no longer parses")).ok()
        });
        let website = decoded(website::DOCUMENT)?.and_then(|raw| {
            website::parse_stored(&raw)
                .map_err(|e| tracing::error!(bucket, error = ?e, "a stored website configuration no longer parses"))
                .ok()
        });
        let logging = decoded(crate::model::logging::DOCUMENT)?.and_then(|raw| {
            crate::model::logging::parse_stored(&raw)
                .map_err(|e| tracing::error!(bucket, error = ?e, "a stored logging status no longer parses"))
                .ok()
                .and_then(|s| s.enabled)
        });
        let access = Arc::new(BucketAccess {
            created_ms: record.created_ms,
            owner,
            owner_canonical,
            policy,
            ownership,
            public_block,
            acl,
            cors,
            website,
            logging,
        });
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if self.generation.load(Ordering::Acquire) == generation {
            entries.insert(bucket.to_owned(), (generation, Arc::clone(&access)));
        }
        Ok(Some(access))
    }

    /// Stores (`Some`) or removes (`None`) one setting of the bucket `access` describes
    /// (the bucket of that name created then: not one created again since), durably, and
    /// makes every later authorization see it.
    pub async fn set(&self, store: &Store, bucket: &str, access: &BucketAccess, name: &str, value: Option<Vec<u8>>) -> StoreResult<()> {
        let result = store.set_bucket_config_of(bucket, Some(access.created_ms), name, value).await;
        self.invalidate();
        result
    }

    /// Forgets every cached entry.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// What a stored policy that no longer parses becomes: everything denied to everyone
/// (fail closed), until the owner's root, who may always manage the policy, replaces it.
const DENY_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::*","arn:aws:s3:::*/*"]}]}"#;

/// The settings S3 gives a new bucket since 2023: ACLs disabled (bucket owner enforced)
/// and every Block Public Access setting on, unless the request asks for another
/// ownership.
pub fn new_bucket_configs(ownership: Ownership) -> Vec<(&'static str, Vec<u8>)> {
    vec![(names::OWNERSHIP, stored::encode(&ownership)), (names::PUBLIC_ACCESS_BLOCK, stored::encode(&PublicAccessBlock::ALL))]
}

/// The worker progress record saying that buckets created before bucket access
/// settings existed have been given them.
const ADOPTED: &str = "bucket-access-adopted";

/// Once, on the first start with bucket access settings: every bucket that has no
/// Object Ownership setting gets BucketOwnerEnforced and all of Block Public Access,
/// which is how such buckets behaved before (owner-only ACLs refused beyond private, no
/// anonymous access). Without this an upgrade would leave them as S3 treats buckets
/// without settings (ObjectWriter, nothing blocked), looser than before. Later deletions
/// of these settings are the owner's choice and are not undone. Returns how many buckets
/// were given settings.
pub async fn adopt_existing_buckets(store: &Store) -> StoreResult<usize> {
    if store.worker_progress(ADOPTED)?.is_some() {
        return Ok(0);
    }
    let mut adopted = 0;
    for (name, record) in store.list_buckets()? {
        if store.bucket_config(&name, names::OWNERSHIP)?.is_some() {
            continue;
        }
        for (config, value) in new_bucket_configs(Ownership::BucketOwnerEnforced) {
            if store.bucket_config(&name, config)?.is_none() {
                store.set_bucket_config_of(&name, Some(record.created_ms), config, Some(value)).await?;
            }
        }
        adopted += 1;
    }
    store.set_worker_progress(ADOPTED, Some(vec![1]))?;
    if adopted > 0 {
        tracing::info!(
            buckets = adopted,
            "buckets created before bucket access settings now have them: BucketOwnerEnforced, Block Public Access on"
        );
    }
    Ok(adopted)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::blob::{Blobs, FsBlobStore};
    use crate::meta::MemoryStore;
    use crate::model::{BucketRecord, Versioning};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn buckets_from_before_get_the_settings_they_behaved_by_once() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(Arc::new(FsBlobStore::open(dir.path()).unwrap()));
        let store = Store::with_parts(Arc::new(MemoryStore::new()), blobs).unwrap();
        let record = |created_ms| BucketRecord { created_ms, region: "r".into(), versioning: Versioning::Unversioned, owner: "o".into() };
        store.create_bucket("old", record(1)).await.unwrap();
        store.create_bucket_with("new", record(2), new_bucket_configs(Ownership::ObjectWriter)).await.unwrap();
        assert_eq!(adopt_existing_buckets(&store).await.unwrap(), 1);
        let ownership = |b: &str| store.bucket_config(b, names::OWNERSHIP).unwrap().map(|raw| stored::decode::<Ownership>(&raw).unwrap());
        assert_eq!(ownership("old"), Some(Ownership::BucketOwnerEnforced));
        assert_eq!(ownership("new"), Some(Ownership::ObjectWriter), "a bucket with settings keeps them");
        let block =
            store.bucket_config("old", names::PUBLIC_ACCESS_BLOCK).unwrap().map(|raw| stored::decode::<PublicAccessBlock>(&raw).unwrap());
        assert_eq!(block, Some(PublicAccessBlock::ALL));
        // Once only: an owner who then deletes the setting keeps that choice.
        store.set_bucket_config("old", names::OWNERSHIP, None).await.unwrap();
        assert_eq!(adopt_existing_buckets(&store).await.unwrap(), 0);
        assert_eq!(ownership("old"), None);
    }
}
