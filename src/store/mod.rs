//! The object store: buckets and object versions over the metadata store and the blob
//! directory, with the commit protocol that keeps them consistent.
//!
//! A write goes: blob staged in `tmp/` (by the caller, through [`Blobs::writer`]) →
//! its bytes made durable (fdatasync, by the writer) → pinned → placed at its address →
//! that made durable ([`Blobs::sync`]: an fsync of each changed directory, shared by
//! every concurrent writer) →
//! metadata batch (version record, current pointer, reference counts) applied under the
//! commit lock, after the precondition is checked → group-commit flush → acknowledged →
//! blobs whose count fell to zero collected.
//!
//! Why the pin: between "the blob file already exists, drop my copy" and the commit
//! that counts a reference to it, the collector must not delete that file. The collector
//! takes the same lock and skips pinned hashes, so a concurrent PUT of identical bytes
//! never loses its blob.
//!
//! This module knows nothing of HTTP or S3 headers; it must not import `s3` or `auth`.

mod audit;
mod collector;
mod identity;
mod lease;
mod lock;
pub mod multipart;
mod outbox;
mod pending_logs;
mod scrub;
mod settings;
mod space;
mod tier_dir;
mod transition;
mod unflushed;
mod usage;
mod versions;

pub use audit::AuditReport;
pub use lease::ReadLease;
pub use lock::OBJECT_LOCK_CONFIG;
pub use multipart::{CompleteOutcome, UploadListing};
pub use outbox::RULES as NOTIFICATION_RULES;
pub use scrub::{PassEnd, ScrubReport};
pub use space::SpaceStatus;
pub use usage::{AccountOf, QUOTA_CONFIG};
pub use versions::{DeleteGuard, DeleteOutcome, VersionEntry};

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::blob::{BlobHash, Blobs, FsBlobStore, StagedBlob};
use crate::meta::{keys, Batch, GroupCommit, MetaError, MetaStore, SledStore};
use crate::model::event::Cause;
use crate::model::object::NULL_VERSION;
use crate::model::stored::{self, DecodeError};
use crate::model::{BucketRecord, ObjectVersion, Versioning};

/// Errors of store operations: expected outcomes first, failures last.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The bucket does not exist.
    #[error("no such bucket")]
    NoSuchBucket,
    /// CreateBucket of an existing bucket; carries its owner.
    #[error("bucket exists")]
    BucketExists {
        /// Owner access key of the existing bucket.
        owner: String,
    },
    /// DeleteBucket of a bucket that still holds versions.
    #[error("bucket not empty")]
    BucketNotEmpty,
    /// A copy's source blobs were collected before the copy committed (the source was
    /// deleted concurrently).
    #[error("copy source vanished")]
    SourceGone,
    /// The key has no current version.
    #[error("no such key")]
    NoSuchKey,
    /// The operation does not apply to a delete marker.
    #[error("method not allowed on a delete marker")]
    MethodNotAllowed,
    /// The version id names no version of the key.
    #[error("no such version")]
    NoSuchVersion,
    /// The version id is not one this store could have issued.
    #[error("invalid version id")]
    InvalidVersionId,
    /// The multipart upload does not exist (never, aborted, or completed).
    #[error("no such upload")]
    NoSuchUpload,
    /// The change would take a bucket or account past its quota (the message says which).
    #[error("{0}")]
    QuotaExceeded(String),
    /// The disk is full: new data is refused (the message says which disk and how full)
    /// while deletes still work.
    #[error("{0}")]
    DiskFull(String),
    /// A write precondition did not hold at commit time.
    #[error("precondition failed")]
    PreconditionFailed,
    /// The version is protected by Object Lock (retention or legal hold) and may not be
    /// removed or have its protection weakened now.
    #[error("protected by object lock")]
    ObjectLocked,
    /// The change does not fit the bucket's state (suspending versioning with Object
    /// Lock on; turning Object Lock on without versioning).
    #[error("invalid bucket state")]
    InvalidBucketState,
    /// A storage tier that holds objects is no longer configured, or a declared tier's
    /// class already has objects in the main blob directory.
    #[error("storage.tiers: {0}")]
    TierMissing(String),
    /// The metadata store failed.
    #[error(transparent)]
    Meta(#[from] MetaError),
    /// Blob I/O failed.
    #[error("blob io: {0}")]
    Io(#[from] io::Error),
}

impl From<DecodeError> for StoreError {
    fn from(e: DecodeError) -> Self {
        StoreError::Meta(MetaError::Corrupt { key: String::new(), detail: e.to_string() })
    }
}

/// What reads have found wrong with blobs since start-up (for the stats).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct BlobHealthReport {
    /// Blobs found damaged (each was quarantined).
    pub damaged: u64,
    /// Reads of blobs missing or shorter than their manifest says.
    pub missing: u64,
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// Checked at commit time against the key's current version (`None` if absent or a
/// delete marker); returning `false` aborts with [`StoreError::PreconditionFailed`].
pub type Precondition<'a> = &'a (dyn Fn(Option<&ObjectVersion>) -> bool + Sync);

/// Index of a blob tier in [`Store`]: 0 is the main blob directory (`STANDARD`), then
/// the configured tiers (`storage.tiers`) in declaration order.
pub type TierId = usize;

/// A blob in a tier: what reference counts, pins and the collector deal in. The same
/// bytes in two tiers are two blobs (a transition copies, then frees the old one).
pub type TierBlob = (TierId, BlobHash);

/// The storage class of the main blob directory.
pub const MAIN_CLASS: &str = "STANDARD";

/// One blob directory and the storage class it holds.
struct Tier {
    /// `STANDARD` for the main directory, else the configured class.
    class: String,
    /// Its blobs.
    blobs: Blobs,
    /// Its directory, for free-space checks (`None` for stores built from parts).
    dir: Option<std::path::PathBuf>,
}

/// Buckets and objects, durable.
pub struct Store {
    /// Every record but blob bytes.
    meta: Arc<dyn MetaStore>,
    /// Shares flushes between concurrent writers.
    commits: GroupCommit,
    /// Batches applied but not yet known durable, with their undo (see `unflushed.rs`).
    unflushed: Mutex<unflushed::Unflushed>,
    /// Blob bytes: the main directory first, then one per configured tier. A version's
    /// blobs live in the tier of its storage class (the main one for classes without a
    /// tier, as written before tiers existed).
    tiers: Vec<Tier>,
    /// Serializes read-check-write of metadata, pinning and collection. Held only for
    /// in-memory work (sled apply, renames are outside), never across an await.
    lock: Mutex<Pins>,
    /// Blobs whose last reference was durably dropped while they were pinned: the
    /// collector skipped them, and whoever unpins them last collects them. Locked only
    /// while `lock` is held.
    deferred: Mutex<std::collections::HashSet<TierBlob>>,
    /// Last version sequence number handed out (persisted in every batch that uses one).
    seq: AtomicU64,
    /// Free space and the reserve (`None` for stores built from parts, in tests).
    space: Option<space::DiskSpace>,
    /// The scrubber's progress and findings.
    scrub: scrub::ScrubState,
    /// Signalled after commits that may have queued events.
    outbox_signal: tokio::sync::Notify,
    /// The in-process event bus: every applied change, in commit order.
    bus: tokio::sync::broadcast::Sender<Arc<crate::model::event::OutboxEntry>>,
    /// The Object Lock clocks (see `lock.rs`), loaded on first use.
    lock_clock: Mutex<Option<lock::LockClock>>,
    /// Account quotas and the bucket → account mapping they need (see `usage.rs`).
    account_quotas: usage::AccountQuotas,
    /// Whether start-up reconciliation ([`Store::reconcile_blobs`]) has finished.
    reconciled: std::sync::atomic::AtomicBool,
    /// Events in the outbox, kept by [`Store::apply`] (a rollback after a failed flush
    /// leaves it off until the restart that failure requires).
    outbox_backlog: AtomicU64,
}

/// One storage tier as an operator sees it (`coffer admin info`, metrics).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TierStatus {
    /// Its storage class (`STANDARD` for the main blob directory).
    pub class: String,
    /// Its directory.
    pub path: Option<std::path::PathBuf>,
    /// Bytes free to coffer on its filesystem, and the filesystem's size.
    pub free_bytes: Option<u64>,
    /// The filesystem's size in bytes.
    pub total_bytes: Option<u64>,
}

/// Blobs being published by in-flight writes or streamed by reads → number of pins.
type Pins = HashMap<TierBlob, u32>;

/// Events buffered per bus subscriber before the slowest starts losing the oldest.
const BUS_CAPACITY: usize = 4096;

/// Key of the persisted version sequence counter.
const SEQ_COUNTER: &str = "seq";

/// Key of the storage classes that have ever had a tier, newline-separated.
const TIERS_COUNTER: &str = "tiers";

/// Key of the storage classes other than `STANDARD` whose objects were written to the
/// main blob directory before this store knew tiers, newline-separated.
const MAIN_CLASSES_COUNTER: &str = "main_classes";

impl Store {
    /// Opens the store under `root` (`meta/` and the blob directories), creating it if
    /// needed, with a metadata cache of `cache_bytes`.
    pub fn open(root: &Path, cache_bytes: u64) -> StoreResult<Self> {
        Self::open_with_tiers(root, cache_bytes, &[], 0)
    }

    /// [`Store::open`] with storage tiers: (storage class, directory) each, the
    /// directories created if needed; and a disk space reserve of `reserve_bytes` (see
    /// `space.rs`; 0: none).
    pub fn open_with_tiers(root: &Path, cache_bytes: u64, tiers: &[(String, std::path::PathBuf)], reserve_bytes: u64) -> StoreResult<Self> {
        crate::fsync::create_dir_all(root)?;
        // Before the metadata store: on a full disk it gives sled room to open.
        let space = space::DiskSpace::open(root, reserve_bytes)?;
        let meta: Arc<dyn MetaStore> = Arc::new(SledStore::open(&root.join("meta"), cache_bytes)?);
        let blobs = Blobs::new(Arc::new(FsBlobStore::open(root)?));
        let known = class_list(meta.as_ref(), TIERS_COUNTER)?.unwrap_or_default();
        let mut tier_blobs = Vec::new();
        for (class, dir) in tiers {
            tier_dir::check(class, dir, known.contains(class))?;
            tier_blobs.push((class.clone(), Blobs::new(Arc::new(FsBlobStore::open(dir)?))));
        }
        let mut store = Self::with_tiers(meta, blobs, tier_blobs)?;
        store.tiers[0].dir = Some(root.to_owned());
        for (tier, (_, dir)) in store.tiers.iter_mut().skip(1).zip(tiers) {
            tier.dir = Some(dir.clone());
        }
        store.space = Some(space);
        Ok(store)
    }

    /// Checks that about `incoming` bytes of new data (0 for metadata only) may be
    /// stored with storage class `class`: [`StoreError::DiskFull`] if the data root or
    /// the class's tier is down to its reserve.
    pub fn admit_write(&self, class: &str, incoming: u64) -> StoreResult<()> {
        let (Some(space), Some(dir)) = (&self.space, &self.tiers[self.tier_of(class)].dir) else { return Ok(()) };
        space.admit(dir, incoming).map_err(StoreError::DiskFull)
    }

    /// Damaged and missing blobs found by reads since start-up, summed over tiers.
    pub fn blob_health(&self) -> BlobHealthReport {
        let sum = |f: fn(&crate::blob::BlobHealth) -> &AtomicU64| {
            self.tiers.iter().map(|t| f(t.blobs.health()).load(Ordering::Relaxed)).sum::<u64>()
        };
        BlobHealthReport { damaged: sum(|h| &h.damaged), missing: sum(|h| &h.missing) }
    }

    /// Free space and the reserve of the data root, if this store has one.
    pub fn space_status(&self) -> Option<SpaceStatus> {
        self.space.as_ref().map(space::DiskSpace::status)
    }

    /// A store over the given parts (tests use the in-memory metadata store).
    pub fn with_parts(meta: Arc<dyn MetaStore>, blobs: Blobs) -> StoreResult<Self> {
        Self::with_tiers(meta, blobs, Vec::new())
    }

    /// A store over the given parts, with storage tiers (class, blobs). A class that had
    /// a tier before must still have one: its objects' bytes are there, and serving
    /// them from elsewhere would fail (refused with [`StoreError::TierMissing`]).
    pub fn with_tiers(meta: Arc<dyn MetaStore>, blobs: Blobs, tiers: Vec<(String, Blobs)>) -> StoreResult<Self> {
        remember_tiers(meta.as_ref(), &tiers.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>())?;
        let seq = match meta.get(&keys::counter(SEQ_COUNTER))? {
            Some(v) => u64::from_be_bytes(v.as_slice().try_into().map_err(|_| corrupt("seq counter"))?),
            None => 0,
        };
        let meta_for_count = Arc::clone(&meta);
        let store = Self {
            commits: GroupCommit::new(Arc::clone(&meta)),
            unflushed: Mutex::default(),
            meta,
            tiers: std::iter::once(Tier { class: MAIN_CLASS.to_owned(), blobs, dir: None })
                .chain(tiers.into_iter().map(|(class, blobs)| Tier { class, blobs, dir: None }))
                .collect(),
            space: None,
            scrub: scrub::ScrubState::default(),
            lock: Mutex::new(HashMap::new()),
            deferred: Mutex::new(std::collections::HashSet::new()),
            seq: AtomicU64::new(seq),
            outbox_signal: tokio::sync::Notify::new(),
            lock_clock: Mutex::new(None),
            bus: tokio::sync::broadcast::channel(BUS_CAPACITY).0,
            account_quotas: usage::AccountQuotas::default(),
            reconciled: std::sync::atomic::AtomicBool::new(false),
            outbox_backlog: AtomicU64::new(Self::count_outbox(meta_for_count.as_ref())?),
        };
        store.load_usage()?;
        store.ensure_blob_bytes()?;
        Ok(store)
    }

    /// The blob directory holding objects of storage class `class`, for writers and
    /// readers.
    pub fn blobs_for(&self, class: &str) -> &Blobs {
        &self.tiers[self.tier_of(class)].blobs
    }

    /// The tier holding objects of storage class `class`: the main directory for
    /// `STANDARD` and for any class without a configured tier.
    pub fn tier_of(&self, class: &str) -> TierId {
        self.tiers.iter().position(|t| t.class == class).unwrap_or(0)
    }

    /// Whether objects can be stored with storage class `class` (`STANDARD` or a
    /// configured tier).
    pub fn has_storage_class(&self, class: &str) -> bool {
        self.tiers.iter().any(|t| t.class == class)
    }

    /// Copies the whole blobs under `manifest` from the tier of storage class `from` to
    /// the tier of `to`, staged there (verified against their hashes on the way) and
    /// ready to commit with the manifest unchanged: the same bytes have the same
    /// address in every tier. Nothing when both classes share a tier.
    pub async fn stage_in_tier(&self, manifest: &[crate::model::ManifestEntry], from: &str, to: &str) -> StoreResult<Vec<StagedBlob>> {
        let (from, to) = (self.tier_of(from), self.tier_of(to));
        let mut staged: Vec<StagedBlob> = Vec::new();
        if from == to {
            return Ok(staged);
        }
        for entry in manifest {
            if staged.iter().all(|s| s.hash != entry.hash) {
                staged.push(self.tiers[to].blobs.copy_from(&self.tiers[from].blobs, &entry.hash).await?);
            }
        }
        Ok(staged)
    }

    /// The key suffix of tier `tier` in reference-count keys: none for the main
    /// directory (so stores from before tiers read unchanged), else the class name.
    fn tier_key(&self, tier: TierId) -> &[u8] {
        if tier == 0 {
            &[]
        } else {
            self.tiers[tier].class.as_bytes()
        }
    }

    /// Bytes the metadata store occupies on disk.
    pub fn meta_size_on_disk(&self) -> u64 {
        self.meta.size_on_disk()
    }

    /// Why writes are refused, if a metadata flush or a blob sync has failed (see
    /// [`crate::group_sync`]): writes fail until coffer restarts.
    pub fn durability_failure(&self) -> Option<String> {
        let blobs = self.tiers.iter().find_map(|t| t.blobs.sync_failure().map(|e| format!("{} blobs: {e}", t.class)));
        self.commits.failure().map(|e| format!("metadata: {e}")).or(blobs)
    }

    /// Why this store should not be sent requests now, if it should not: a failed
    /// flush or directory sync ([`Store::durability_failure`]), start-up reconciliation
    /// still running, the metadata store not answering, or a blob directory where a
    /// file cannot be created. Creates and removes a small probe file in each tier.
    pub fn not_ready(&self) -> Option<String> {
        if let Some(failure) = self.durability_failure() {
            return Some(format!("durability failure (restart needed): {failure}"));
        }
        if let Err(e) = self.meta.get(&keys::counter(SEQ_COUNTER)) {
            return Some(format!("metadata store: {e}"));
        }
        for tier in &self.tiers {
            let Some(dir) = &tier.dir else { continue };
            let probe = dir.join("tmp").join(format!(".ready-probe-{}", std::process::id()));
            let written = std::fs::write(&probe, b"ready");
            let _ = std::fs::remove_file(&probe);
            if let Err(e) = written {
                return Some(format!("{} blob directory {} is not writable: {e}", tier.class, dir.display()));
            }
        }
        if !self.reconciled.load(Ordering::Acquire) {
            return Some("start-up reconciliation of blobs is still running".to_owned());
        }
        None
    }

    /// The group commit's flushes since start-up: how many, how many commits they
    /// covered, how long they took.
    pub fn commit_stats(&self) -> crate::group_sync::SyncStats {
        self.commits.stats()
    }

    /// Each tier with its directory and free space.
    pub fn tier_status(&self) -> Vec<TierStatus> {
        self.tiers
            .iter()
            .map(|t| {
                let fs = t.dir.as_deref().and_then(|d| rustix::fs::statvfs(d).ok());
                TierStatus {
                    class: t.class.clone(),
                    path: t.dir.clone(),
                    free_bytes: fs.as_ref().map(|s| s.f_bavail.saturating_mul(s.f_frsize)),
                    total_bytes: fs.as_ref().map(|s| s.f_blocks.saturating_mul(s.f_frsize)),
                }
            })
            .collect()
    }

    fn locked(&self) -> MutexGuard<'_, Pins> {
        // Nothing panics while holding the lock in normal operation; if something did,
        // the pin map is still a valid map, so carry on.
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ----- buckets -----

    /// The bucket record, if the bucket exists.
    pub fn bucket(&self, name: &str) -> StoreResult<Option<BucketRecord>> {
        match self.meta.get(&keys::bucket(name))? {
            Some(v) => Ok(Some(stored::decode_bucket(&v)?)),
            None => Ok(None),
        }
    }

    /// All buckets, by name.
    pub fn list_buckets(&self) -> StoreResult<Vec<(String, BucketRecord)>> {
        let (start, end) = keys::bucket_range();
        let mut out = Vec::new();
        for (k, v) in self.meta.scan(&start, Some(&end), usize::MAX)? {
            let name = keys::bucket_name(&k).ok_or_else(|| corrupt("bucket key"))?;
            out.push((name.to_owned(), stored::decode_bucket(&v)?));
        }
        Ok(out)
    }

    /// Creates a bucket; [`StoreError::BucketExists`] if the name is taken.
    pub async fn create_bucket(&self, name: &str, record: BucketRecord) -> StoreResult<()> {
        self.create_bucket_with(name, record, Vec::new()).await
    }

    /// Creates a bucket with its first configuration documents (name, bytes) in the
    /// same atomic write, so that no crash leaves it without them.
    pub async fn create_bucket_with(&self, name: &str, record: BucketRecord, configs: Vec<(&str, Vec<u8>)>) -> StoreResult<()> {
        {
            let _guard = self.locked();
            if let Some(existing) = self.bucket(name)? {
                return Err(StoreError::BucketExists { owner: existing.owner });
            }
            let mut batch = Batch::new();
            batch.put(keys::bucket(name), stored::encode_bucket(&record));
            for (config, value) in configs {
                batch.put(keys::bucket_config(name, config), value);
            }
            self.apply(&batch)?;
        }
        self.durable().await
    }

    /// Deletes a bucket that holds no versions (delete markers included). Multipart
    /// uploads still in progress are aborted in the same batch, as S3 does for
    /// general-purpose buckets.
    pub async fn delete_bucket(&self, name: &str) -> StoreResult<()> {
        let freed = {
            let _guard = self.locked();
            if self.bucket(name)?.is_none() {
                return Err(StoreError::NoSuchBucket);
            }
            let (start, end) = keys::version_range(name);
            if !self.meta.scan(&start, Some(&end), 1)?.is_empty() {
                return Err(StoreError::BucketNotEmpty);
            }
            let mut batch = Batch::new();
            let mut refs = RefDelta::default();
            let (ustart, uend) = keys::upload_range(name);
            for (_, v) in self.meta.scan(&ustart, Some(&uend), usize::MAX)? {
                let upload = stored::decode_upload(&v)?;
                self.stage_abort(name, &upload, &mut batch, &mut refs)?;
            }
            batch.delete(keys::bucket(name));
            let (cstart, cend) = keys::bucket_config_range(name);
            for (k, _) in self.meta.scan(&cstart, Some(&cend), usize::MAX)? {
                batch.delete(k);
            }
            let freed = refs.write(self, &mut batch)?;
            self.apply(&batch)?;
            freed
        };
        self.durable().await?;
        self.collect(&freed);
        Ok(())
    }

    // ----- objects -----

    /// The current version of `key` (possibly a delete marker), if any.
    pub fn current(&self, bucket: &str, key: &str) -> StoreResult<Option<ObjectVersion>> {
        match self.meta.get(&keys::current(bucket, key))? {
            Some(v) => Ok(Some(stored::decode_version(&v)?)),
            None => Ok(None),
        }
    }

    /// Up to `limit` current versions in `bucket` with object key bytes `>= from`, in
    /// key order. Delete markers are included (callers skip them).
    pub fn scan_current(&self, bucket: &str, from: &[u8], limit: usize) -> StoreResult<Vec<(String, ObjectVersion)>> {
        let (start, end) = keys::current_range(bucket);
        let mut first = start;
        first.extend_from_slice(from);
        let mut out = Vec::with_capacity(limit.min(1024));
        for (k, v) in self.meta.scan(&first, Some(&end), limit)? {
            let key = keys::current_object_key(bucket, &k).ok_or_else(|| corrupt("object key"))?;
            out.push((key.to_owned(), stored::decode_version(&v)?));
        }
        Ok(out)
    }

    /// Stores a new version of `key` whose bytes are `staged` (or no bytes, if `None`
    /// and the manifest is empty), after checking `precondition` atomically against the
    /// current version. `version` carries everything but its id and seq, which the store
    /// assigns. Returns the stored version once it is durable.
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        mut version: ObjectVersion,
        staged: &mut [StagedBlob],
        precondition: Precondition<'_>,
        cause: &Cause,
    ) -> StoreResult<ObjectVersion> {
        let tier = self.tier_of(&version.storage_class);
        self.commit_with_blobs(tier, staged, |pinned| self.commit_version(bucket, key, &mut version, precondition, pinned, None, cause))
            .await?;
        Ok(version)
    }

    /// [`Store::put_object`] for a small object whose bytes `data` are stored inline, in
    /// the metadata store beside the version record (written in the same batch, made
    /// durable by the same flush): no blob file, no filesystem sync. `version` must have
    /// an empty manifest and a storage class kept in the main tier.
    pub async fn put_inline(
        &self,
        bucket: &str,
        key: &str,
        mut version: ObjectVersion,
        data: &[u8],
        precondition: Precondition<'_>,
        cause: &Cause,
    ) -> StoreResult<ObjectVersion> {
        // Encrypted inline bytes are stored sealed, so longer than the object.
        let size_ok = version.encryption.is_some() || version.size == data.len() as u64;
        if !version.manifest.is_empty() || !size_ok || self.tier_of(&version.storage_class) != 0 {
            return Err(StoreError::Io(io::Error::other("inline object with a manifest, a wrong size or a tier")));
        }
        let inline = (!data.is_empty() && version.size > 0).then_some(data);
        self.commit_with_blobs(0, &mut [], |_| self.commit_version(bucket, key, &mut version, precondition, &[], inline, cause)).await?;
        Ok(version)
    }

    /// Stages `data` as a blob in the tier of storage class `class`: how inline bytes
    /// become a blob when they are copied or moved to another tier.
    /// `req` says what to compute beside the content address.
    pub async fn stage_bytes(&self, class: &str, data: bytes::Bytes, req: crate::blob::HashRequest) -> StoreResult<StagedBlob> {
        let mut writer = self.blobs_for(class).writer(req);
        writer.write(data).await?;
        Ok(writer.finish().await?)
    }

    /// The inline bytes of the version with sequence number `seq`, if it is stored inline
    /// and still exists. The record is written once and removed with its version (seqs
    /// are never reused), so bytes found are that version's.
    pub fn inline_bytes(&self, seq: u64) -> StoreResult<Option<bytes::Bytes>> {
        Ok(self.meta.get(&keys::inline(seq))?.map(bytes::Bytes::from))
    }

    /// The write protocol around a metadata commit: pin the `staged` blobs (in `tier`),
    /// place them at their addresses durably, run `commit` (which takes the lock and
    /// unpins), wait for the group flush, then collect the blobs the commit freed. On
    /// failure blobs placed for nothing are collected again.
    async fn commit_with_blobs(
        &self,
        tier: TierId,
        staged: &mut [StagedBlob],
        commit: impl FnOnce(&[BlobHash]) -> StoreResult<Vec<TierBlob>>,
    ) -> StoreResult<()> {
        let pinned: Vec<BlobHash> = staged.iter().map(|s| s.hash).collect();
        let pinned_blobs: Vec<TierBlob> = pinned.iter().map(|h| (tier, *h)).collect();
        {
            let mut pins = self.locked();
            for b in &pinned_blobs {
                pin(&mut pins, *b);
            }
        }
        if let Err(e) = self.place(tier, staged).await {
            // `commit` never ran, so the pins are still ours to drop.
            {
                let mut pins = self.locked();
                for b in &pinned_blobs {
                    unpin(&mut pins, *b);
                }
            }
            self.collect(&pinned_blobs);
            return Err(e);
        }
        // `commit` unpins under the lock whatever its outcome.
        let freed = match commit(&pinned) {
            Ok(freed) => freed,
            Err(e) => {
                self.collect(&pinned_blobs);
                return Err(e);
            }
        };
        self.durable().await?;
        self.outbox_signal.notify_one();
        self.collect(&freed);
        Ok(())
    }

    /// Moves staged blobs (their bytes already durable: the writer fdatasynced them, so
    /// that a file at an address is complete even after a crash, and a later PUT of
    /// identical bytes may deduplicate against it before start-up reconciliation) to
    /// their addresses in `tier`, and makes the renames durable: one fsync of each
    /// changed directory, shared by every writer waiting.
    async fn place(&self, tier: TierId, staged: &mut [StagedBlob]) -> StoreResult<()> {
        if staged.is_empty() {
            return Ok(());
        }
        let blobs = &self.tiers[tier].blobs;
        for s in staged.iter_mut() {
            blobs.publish(s)?;
        }
        blobs.sync().await?;
        Ok(())
    }

    /// Under the lock: check, assign id and seq, write records (and `inline` bytes) and
    /// reference counts. Unpins `pinned`. Returns blobs whose count dropped to zero.
    #[allow(clippy::too_many_arguments)]
    fn commit_version(
        &self,
        bucket: &str,
        key: &str,
        version: &mut ObjectVersion,
        precondition: Precondition<'_>,
        pinned: &[BlobHash],
        inline: Option<&[u8]>,
        cause: &Cause,
    ) -> StoreResult<Vec<TierBlob>> {
        let mut pins = self.locked();
        let tier = self.tier_of(&version.storage_class);
        for hash in pinned {
            unpin(&mut pins, (tier, *hash));
        }
        let record = self.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
        let current = self.current(bucket, key)?;
        if !precondition(current.as_ref().filter(|v| !v.delete_marker)) {
            return Err(StoreError::PreconditionFailed);
        }
        let mut batch = Batch::new();
        let mut refs = RefDelta::default();
        self.stage_version(bucket, key, &record, version, pinned, &mut batch, &mut refs)?;
        if let Some(data) = inline {
            batch.put(keys::inline(version.seq), data.to_vec());
        }
        let event = self.stage_events(bucket, key, version, cause.kind.event_name(false), cause, version.last_modified_ms, &mut batch)?;
        let freed = refs.write(self, &mut batch)?;
        self.apply(&batch)?;
        self.publish(event);
        Ok(freed)
    }

    /// Adds a new version of `key` to `batch`: assigns seq and version id, replaces the
    /// `null` version where the bucket's versioning says so, counts references (checking
    /// that shared blobs still exist), writes the version and current records.
    #[allow(clippy::too_many_arguments)]
    fn stage_version(
        &self,
        bucket: &str,
        key: &str,
        record: &BucketRecord,
        version: &mut ObjectVersion,
        pinned: &[BlobHash],
        batch: &mut Batch,
        refs: &mut RefDelta,
    ) -> StoreResult<()> {
        version.seq = self.next_seq(batch);
        version.version_id = match record.versioning {
            Versioning::Enabled => new_version_id(version.seq),
            Versioning::Unversioned | Versioning::Suspended => NULL_VERSION.to_owned(),
        };
        if version.version_id == NULL_VERSION {
            self.drop_null_version(bucket, key, batch, refs)?;
        }
        self.reference(&version.manifest, self.tier_of(&version.storage_class), pinned, refs)?;
        let encoded = stored::encode_version(version);
        batch.put(keys::version(bucket, key, version.seq), encoded.clone());
        batch.put(keys::current(bucket, key), encoded);
        Ok(())
    }

    /// Counts a reference to every piece of `manifest`, whose blobs are in `tier`.
    /// Bytes shared with another version or part (copies) must still exist: the
    /// collector removes unreferenced blobs under the same lock, so checking here is
    /// race-free.
    fn reference(
        &self,
        manifest: &[crate::model::ManifestEntry],
        tier: TierId,
        pinned: &[BlobHash],
        refs: &mut RefDelta,
    ) -> StoreResult<()> {
        for entry in manifest {
            let blob = (tier, entry.hash);
            let counted = refs.0.get(&blob).copied().unwrap_or(0) > 0;
            if !pinned.contains(&entry.hash) && !counted && self.count(blob)? == 0 && !self.tiers[tier].blobs.exists(&entry.hash) {
                return Err(StoreError::SourceGone);
            }
            refs.add(blob, 1);
        }
        Ok(())
    }

    /// Drops the references of `version`'s manifest.
    fn unreference(&self, version: &ObjectVersion, refs: &mut RefDelta) {
        let tier = self.tier_of(&version.storage_class);
        for entry in &version.manifest {
            refs.add((tier, entry.hash), -1);
        }
    }

    /// Adds to `batch` the removal of version `version` of `key` with its inline bytes,
    /// and drops its references.
    fn remove_version_record(&self, bucket: &str, key: &str, version: &ObjectVersion, batch: &mut Batch, refs: &mut RefDelta) {
        self.unreference(version, refs);
        batch.delete(keys::version(bucket, key, version.seq));
        if version.is_inline() {
            batch.delete(keys::inline(version.seq));
        }
    }

    /// Adds to `batch` the removal of the `null` version of `key`, if there is one.
    fn drop_null_version(&self, bucket: &str, key: &str, batch: &mut Batch, refs: &mut RefDelta) -> StoreResult<()> {
        let (start, end) = keys::versions_of(bucket, key);
        // Unversioned keys have one version; versioned ones are bounded by what the
        // user keeps. A null-version index arrives with versioning if this shows up.
        for (_, v) in self.meta.scan(&start, Some(&end), usize::MAX)? {
            let old = stored::decode_version(&v)?;
            if old.version_id == NULL_VERSION {
                // A null version under Object Lock (written before versioning, or given
                // retention since) is never replaced or removed early either.
                let wall = scrub::now_ms();
                self.may_remove(&old, wall, false)?;
                self.remove_version_record(bucket, key, &old, batch, refs);
            }
        }
        Ok(())
    }

    fn next_seq(&self, batch: &mut Batch) -> u64 {
        // Called under the lock, so fetch_add + persist is race-free.
        let seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        batch.put(keys::counter(SEQ_COUNTER), seq.to_be_bytes().to_vec());
        seq
    }

    /// The reference count of a blob in the main tier.
    pub fn refcount(&self, hash: &BlobHash) -> StoreResult<u64> {
        self.count((0, *hash))
    }

    /// The reference count of a blob.
    fn count(&self, (tier, hash): TierBlob) -> StoreResult<u64> {
        match self.meta.get(&keys::refcount(&hash.0, self.tier_key(tier)))? {
            Some(v) => Ok(u64::from_be_bytes(v.as_slice().try_into().map_err(|_| corrupt("refcount"))?)),
            None => Ok(0),
        }
    }
}

/// Checks `configured` against the classes that ever had a tier, then records them.
///
/// A version's tier follows from its storage class, so a class must not change tiers
/// while it has objects: a class that had a tier keeps it, and a class whose objects
/// were written to the main directory before this store knew tiers (coffer once took any
/// S3 class name as a label) cannot get one. The first open by a tier-aware coffer finds
/// those classes with one scan and records them.
fn remember_tiers(meta: &dyn MetaStore, configured: &[&str]) -> StoreResult<()> {
    let recorded = class_list(meta, TIERS_COUNTER)?;
    let mut batch = Batch::new();
    let in_main = if recorded.is_some() {
        class_list(meta, MAIN_CLASSES_COUNTER)?.unwrap_or_default()
    } else {
        let found = classes_in_main(meta)?;
        batch.put(keys::counter(MAIN_CLASSES_COUNTER), found.join("\n").into_bytes());
        found
    };
    if let Some(clash) = configured.iter().find(|c| in_main.iter().any(|m| m == *c)) {
        return Err(StoreError::TierMissing(format!(
            "{clash} has objects in the main blob directory, written before this store had tiers; it cannot have its own tier (remove it from storage.tiers)"
        )));
    }
    let known = recorded.clone().unwrap_or_default();
    if let Some(missing) = known.iter().find(|c| !configured.contains(&c.as_str())) {
        return Err(StoreError::TierMissing(format!(
            "{missing} had a tier when this store was last opened and may still hold objects; declare it again (its directory unchanged)"
        )));
    }
    let added: Vec<&str> = configured.iter().copied().filter(|c| !known.iter().any(|k| k == c)).collect();
    if recorded.is_none() || !added.is_empty() {
        let all: Vec<&str> = known.iter().map(String::as_str).chain(added).collect();
        batch.put(keys::counter(TIERS_COUNTER), all.join("\n").into_bytes());
        meta.apply(&batch)?;
        meta.flush()?;
    }
    Ok(())
}

/// A newline-separated list of storage classes kept under counter `name`; `None` if
/// the record was never written.
fn class_list(meta: &dyn MetaStore, name: &str) -> StoreResult<Option<Vec<String>>> {
    let Some(raw) = meta.get(&keys::counter(name))? else { return Ok(None) };
    let text = std::str::from_utf8(&raw).map_err(|_| corrupt(name))?;
    Ok(Some(text.lines().map(str::to_owned).collect()))
}

/// The storage classes other than `STANDARD` of every version and multipart upload: one
/// pass over all of them, sorted.
fn classes_in_main(meta: &dyn MetaStore) -> StoreResult<Vec<String>> {
    let mut classes = std::collections::BTreeSet::new();
    let mut each = |range: (Vec<u8>, Vec<u8>), class_of: &dyn Fn(&[u8]) -> StoreResult<String>| -> StoreResult<()> {
        let (mut start, end) = range;
        loop {
            let page = meta.scan(&start, Some(&end), 1000)?;
            for (_, value) in &page {
                let class = class_of(value)?;
                if class != MAIN_CLASS {
                    classes.insert(class);
                }
            }
            match page.last() {
                Some((last, _)) if page.len() == 1000 => start = [last.as_slice(), &[0]].concat(),
                _ => return Ok(()),
            }
        }
    };
    let (buckets_start, buckets_end) = keys::bucket_range();
    let buckets: Vec<String> = meta
        .scan(&buckets_start, Some(&buckets_end), usize::MAX)?
        .iter()
        .filter_map(|(k, _)| keys::bucket_name(k).map(str::to_owned))
        .collect();
    for bucket in &buckets {
        each(keys::version_range(bucket), &|v| Ok(stored::decode_version(v)?.storage_class))?;
        each(keys::upload_range(bucket), &|v| Ok(stored::decode_upload(v)?.storage_class))?;
    }
    Ok(classes.into_iter().collect())
}

fn pin(pins: &mut Pins, blob: TierBlob) {
    *pins.entry(blob).or_insert(0) += 1;
}

fn unpin(pins: &mut Pins, blob: TierBlob) {
    if let Some(n) = pins.get_mut(&blob) {
        *n -= 1;
        if *n == 0 {
            pins.remove(&blob);
        }
    }
}

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Meta(MetaError::Corrupt { key: what.to_owned(), detail: "undecodable".to_owned() })
}

/// The counter of the bytes of a tier's referenced blobs.
fn blob_bytes_counter(class: &str) -> String {
    format!("blob_bytes/{class}")
}

/// Counter marking that the blob byte counters exist (written once, by the count made
/// when a store from before them is opened).
const BLOB_BYTES_COUNTED: &str = "blob_bytes_counted";

impl Store {
    /// Bytes of the referenced blobs of a tier, as kept by every commit.
    fn blob_bytes_of(&self, tier: TierId) -> StoreResult<u64> {
        match self.meta.get(&keys::counter(&blob_bytes_counter(&self.tiers[tier].class)))? {
            Some(v) => Ok(u64::from_be_bytes(v.as_slice().try_into().map_err(|_| corrupt("blob bytes"))?)),
            None => Ok(0),
        }
    }

    /// Bytes of the blobs each tier holds for stored objects and parts (storage class,
    /// bytes), kept by every commit: what deduplication and compression leave of the
    /// logical bytes.
    pub fn blob_bytes(&self) -> StoreResult<Vec<(String, u64)>> {
        (0..self.tiers.len()).map(|t| Ok((self.tiers[t].class.clone(), self.blob_bytes_of(t)?))).collect()
    }

    /// The referenced blobs' bytes of each tier, counted from the blob directories and
    /// reference counts (a walk of every blob: at first open and in the audit).
    pub(super) fn count_blob_bytes(&self) -> StoreResult<Vec<u64>> {
        let mut out = Vec::with_capacity(self.tiers.len());
        for (tier, t) in self.tiers.iter().enumerate() {
            let mut total = 0u64;
            for hash in t.blobs.list()? {
                if self.count((tier, hash))? > 0 {
                    total += t.blobs.len(&hash).unwrap_or(0);
                }
            }
            out.push(total);
        }
        Ok(out)
    }

    /// On a store from before the blob byte counters, counts them once.
    fn ensure_blob_bytes(&self) -> StoreResult<()> {
        if self.meta.get(&keys::counter(BLOB_BYTES_COUNTED))?.is_some() {
            return Ok(());
        }
        let counted = self.count_blob_bytes()?;
        let mut batch = Batch::new();
        for (t, n) in counted.iter().enumerate() {
            batch.put(keys::counter(&blob_bytes_counter(&self.tiers[t].class)), n.to_be_bytes().to_vec());
        }
        batch.put(keys::counter(BLOB_BYTES_COUNTED), 1u64.to_be_bytes().to_vec());
        self.meta.apply(&batch)?;
        self.meta.flush()?;
        Ok(())
    }
}

/// A version id for versioned writes: unique, opaque, and ordered by seq.
fn new_version_id(seq: u64) -> String {
    format!("{seq:016x}{:08x}", rand::random::<u32>())
}

/// Pending reference count changes of one commit.
#[derive(Default)]
struct RefDelta(HashMap<TierBlob, i64>);

impl RefDelta {
    fn add(&mut self, blob: TierBlob, delta: i64) {
        *self.0.entry(blob).or_insert(0) += delta;
    }

    /// Adds the new counts to `batch`, with the tiers' referenced-blob byte counters
    /// (a blob counts from its first reference to its last); returns the blobs left
    /// unreferenced.
    fn write(self, store: &Store, batch: &mut Batch) -> StoreResult<Vec<TierBlob>> {
        let mut freed = Vec::new();
        let mut bytes: HashMap<TierId, i64> = HashMap::new();
        let size = |(tier, hash): TierBlob| -> i64 {
            match store.tiers[tier].blobs.len(&hash) {
                Ok(n) => i64::try_from(n).unwrap_or(i64::MAX),
                Err(e) => {
                    tracing::warn!(%hash, tier, error = %e, "blob size unknown: the tier's byte count leaves it out");
                    0
                }
            }
        };
        for (blob, delta) in self.0 {
            if delta == 0 {
                continue;
            }
            let old = i64::try_from(store.count(blob)?).map_err(|_| corrupt("refcount"))?;
            let new = old + delta;
            let (tier, hash) = blob;
            let key = keys::refcount(&hash.0, store.tier_key(tier));
            if old <= 0 && new > 0 {
                *bytes.entry(tier).or_insert(0) += size(blob);
            } else if old > 0 && new <= 0 {
                // Still on disk: the collector removes it after the commit.
                *bytes.entry(tier).or_insert(0) -= size(blob);
            }
            if new <= 0 {
                if new < 0 {
                    tracing::error!(%hash, tier, old, delta, "reference count would go negative");
                }
                batch.delete(key);
                freed.push(blob);
            } else {
                batch.put(key, new.unsigned_abs().to_be_bytes().to_vec());
            }
        }
        for (tier, change) in bytes {
            if change != 0 {
                let now = store.blob_bytes_of(tier)?;
                batch.put(
                    keys::counter(&blob_bytes_counter(&store.tiers[tier].class)),
                    now.saturating_add_signed(change).to_be_bytes().to_vec(),
                );
            }
        }
        Ok(freed)
    }
}

#[cfg(test)]
impl Store {
    /// Stores `data` as a new version of `key` with storage class `class` (its bytes in
    /// that class's tier), as a PUT would.
    pub(crate) async fn put_bytes_for_test(&self, bucket: &str, key: &str, data: bytes::Bytes, class: &str) -> ObjectVersion {
        let mut staged = self.stage_bytes(class, data, crate::blob::HashRequest::default()).await.unwrap();
        let mut v = ObjectVersion::empty_for_test(0);
        v.size = staged.len;
        class.clone_into(&mut v.storage_class);
        v.manifest = vec![crate::model::ManifestEntry::whole(&staged)];
        self.put_object(bucket, key, v, std::slice::from_mut(&mut staged), &|_| true, &Cause::default()).await.unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::MemoryStore;
    use crate::model::BucketRecord;

    /// A metadata store whose flushes fail once `failing` is set.
    struct FlakyFlush {
        inner: MemoryStore,
        failing: std::sync::atomic::AtomicBool,
    }

    impl MetaStore for FlakyFlush {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, MetaError> {
            self.inner.get(key)
        }
        fn scan(&self, start: &[u8], end: Option<&[u8]>, limit: usize) -> Result<Vec<crate::meta::Entry>, MetaError> {
            self.inner.scan(start, end, limit)
        }
        fn scan_rev(&self, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<crate::meta::Entry>, MetaError> {
            self.inner.scan_rev(start, end, limit)
        }
        fn apply(&self, batch: &Batch) -> Result<(), MetaError> {
            self.inner.apply(batch)
        }
        fn flush(&self) -> Result<(), MetaError> {
            if self.failing.load(Ordering::SeqCst) {
                return Err(MetaError::Backend("flush: I/O error".into()));
            }
            self.inner.flush()
        }
        fn size_on_disk(&self) -> u64 {
            0
        }
    }

    #[tokio::test]
    async fn a_failed_flush_refuses_every_later_write() {
        let dir = tempfile::tempdir().unwrap();
        let meta = Arc::new(FlakyFlush { inner: MemoryStore::new(), failing: false.into() });
        let blobs = Blobs::new(Arc::new(FsBlobStore::open(dir.path()).unwrap()));
        let store = Store::with_parts(Arc::clone(&meta) as Arc<dyn MetaStore>, blobs).unwrap();
        let record = BucketRecord { created_ms: 0, region: "r".into(), versioning: Versioning::Unversioned, owner: "o".into() };
        store.create_bucket("b", record).await.unwrap();
        store.put_bytes_for_test("b", "before", bytes::Bytes::from_static(b"1"), "STANDARD").await;
        assert_eq!(store.durability_failure(), None);

        meta.failing.store(true, Ordering::SeqCst);
        let cause = Cause::default();
        let put = |key: &'static str| store.put_object("b", key, ObjectVersion::empty_for_test(0), &mut [], &|_| true, &cause);
        assert!(put("lost").await.is_err(), "not acknowledged");
        // Its records left the visible state before the error was answered.
        assert!(store.current("b", "lost").unwrap().is_none(), "a write whose flush failed is never visible");
        assert!(store.scan_current("b", b"", 10).unwrap().iter().all(|(k, _)| k != "lost"));
        meta.failing.store(false, Ordering::SeqCst);
        // The disk works again, but what the failed flush held may be gone: no write
        // is acknowledged until a restart.
        let later = put("later").await.unwrap_err();
        assert!(later.to_string().contains("I/O error"), "{later}");
        assert!(store.durability_failure().is_some_and(|e| e.contains("metadata")));
        assert!(store.current("b", "before").unwrap().is_some(), "reads go on");
    }
}
