//! The object store: buckets and object versions over the metadata store and the blob
//! directory, with the commit protocol that keeps them consistent.
//!
//! A write goes: blob staged in `tmp/` (by the caller, through [`Blobs::writer`]) →
//! pinned → its bytes made durable → placed at its address → that made durable (both
//! by [`Blobs::sync`], a filesystem sync shared by every concurrent writer) →
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
mod multipart;
mod outbox;
mod settings;
mod versions;

pub use audit::AuditReport;
pub use multipart::{CompleteOutcome, UploadListing};
pub use outbox::RULES as NOTIFICATION_RULES;
pub use versions::{DeleteOutcome, VersionEntry};

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
    /// A write precondition did not hold at commit time.
    #[error("precondition failed")]
    PreconditionFailed,
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

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// Checked at commit time against the key's current version (`None` if absent or a
/// delete marker); returning `false` aborts with [`StoreError::PreconditionFailed`].
pub type Precondition<'a> = &'a (dyn Fn(Option<&ObjectVersion>) -> bool + Sync);

/// Buckets and objects, durable.
pub struct Store {
    /// Every record but blob bytes.
    meta: Arc<dyn MetaStore>,
    /// Shares flushes between concurrent writers.
    commits: GroupCommit,
    /// Blob bytes.
    blobs: Blobs,
    /// Serializes read-check-write of metadata, pinning and collection. Held only for
    /// in-memory work (sled apply, renames are outside), never across an await.
    lock: Mutex<Pins>,
    /// Last version sequence number handed out (persisted in every batch that uses one).
    seq: AtomicU64,
    /// Signalled after commits that may have queued events.
    outbox_signal: tokio::sync::Notify,
    /// The in-process event bus: every applied change, in commit order.
    bus: tokio::sync::broadcast::Sender<Arc<crate::model::event::OutboxEntry>>,
}

/// Blobs being published by in-flight writes: hash → number of writers.
type Pins = HashMap<BlobHash, u32>;

/// Events buffered per bus subscriber before the slowest starts losing the oldest.
const BUS_CAPACITY: usize = 4096;

/// Key of the persisted version sequence counter.
const SEQ_COUNTER: &str = "seq";

impl Store {
    /// Opens the store under `root` (`meta/` and the blob directories), creating it if
    /// needed, with a metadata cache of `cache_bytes`.
    pub fn open(root: &Path, cache_bytes: u64) -> StoreResult<Self> {
        std::fs::create_dir_all(root)?;
        let meta: Arc<dyn MetaStore> = Arc::new(SledStore::open(&root.join("meta"), cache_bytes)?);
        let blobs = Blobs::new(Arc::new(FsBlobStore::open(root)?));
        Self::with_parts(meta, blobs)
    }

    /// A store over the given parts (tests use the in-memory metadata store).
    pub fn with_parts(meta: Arc<dyn MetaStore>, blobs: Blobs) -> StoreResult<Self> {
        let seq = match meta.get(&keys::counter(SEQ_COUNTER))? {
            Some(v) => u64::from_be_bytes(v.as_slice().try_into().map_err(|_| corrupt("seq counter"))?),
            None => 0,
        };
        Ok(Self {
            commits: GroupCommit::new(Arc::clone(&meta)),
            meta,
            blobs,
            lock: Mutex::new(HashMap::new()),
            seq: AtomicU64::new(seq),
            outbox_signal: tokio::sync::Notify::new(),
            bus: tokio::sync::broadcast::channel(BUS_CAPACITY).0,
        })
    }

    /// The blob directory, for writers and readers.
    pub fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    /// Bytes the metadata store occupies on disk.
    pub fn meta_size_on_disk(&self) -> u64 {
        self.meta.size_on_disk()
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
        {
            let _guard = self.locked();
            if let Some(existing) = self.bucket(name)? {
                return Err(StoreError::BucketExists { owner: existing.owner });
            }
            let mut batch = Batch::new();
            batch.put(keys::bucket(name), stored::encode_bucket(&record));
            self.meta.apply(&batch)?;
        }
        Ok(self.commits.durable().await?)
    }

    /// Deletes an empty bucket.
    pub async fn delete_bucket(&self, name: &str) -> StoreResult<()> {
        {
            let _guard = self.locked();
            if self.bucket(name)?.is_none() {
                return Err(StoreError::NoSuchBucket);
            }
            // Versions (including delete markers) and multipart uploads in progress both
            // hold data; deleting the bucket under them would strand their blobs.
            let (start, end) = keys::version_range(name);
            let (ustart, uend) = keys::upload_range(name);
            if !self.meta.scan(&start, Some(&end), 1)?.is_empty() || !self.meta.scan(&ustart, Some(&uend), 1)?.is_empty() {
                return Err(StoreError::BucketNotEmpty);
            }
            let mut batch = Batch::new();
            batch.delete(keys::bucket(name));
            let (cstart, cend) = keys::bucket_config_range(name);
            for (k, _) in self.meta.scan(&cstart, Some(&cend), usize::MAX)? {
                batch.delete(k);
            }
            self.meta.apply(&batch)?;
        }
        Ok(self.commits.durable().await?)
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
        staged: Option<&mut StagedBlob>,
        precondition: Precondition<'_>,
        cause: &Cause,
    ) -> StoreResult<ObjectVersion> {
        self.commit_with_blob(staged, |pinned| self.commit_version(bucket, key, &mut version, precondition, pinned, cause)).await?;
        Ok(version)
    }

    /// The write protocol around a metadata commit: pin `staged` (if any), place it at
    /// its address durably, run `commit` (which takes the lock and unpins), wait for the
    /// group flush, then collect the blobs the commit freed. On failure a blob placed
    /// for nothing is collected again.
    async fn commit_with_blob(
        &self,
        staged: Option<&mut StagedBlob>,
        commit: impl FnOnce(Option<BlobHash>) -> StoreResult<Vec<BlobHash>>,
    ) -> StoreResult<()> {
        let pinned = staged.as_ref().map(|s| s.hash);
        if let Some(hash) = pinned {
            *self.locked().entry(hash).or_insert(0) += 1;
        }
        let placed = match staged {
            Some(s) => self.place(s).await,
            None => Ok(()),
        };
        if let Err(e) = placed {
            // `commit` never ran, so the pin is still ours to drop.
            if let Some(hash) = pinned {
                unpin(&mut self.locked(), hash);
                self.collect(&[hash]);
            }
            return Err(e);
        }
        // `commit` unpins under the lock whatever its outcome.
        let freed = match commit(pinned) {
            Ok(freed) => freed,
            Err(e) => {
                if let Some(hash) = pinned {
                    self.collect(&[hash]);
                }
                return Err(e);
            }
        };
        self.commits.durable().await?;
        self.outbox_signal.notify_one();
        self.collect(&freed);
        Ok(())
    }

    /// Makes a staged blob's bytes durable, moves it to its address, and makes that
    /// durable. Bytes before the rename, so that a file at an address is complete even
    /// after a crash: a later PUT of identical bytes may deduplicate against it before
    /// start-up reconciliation has removed it. Both syncs are shared by every writer
    /// waiting (one `syncfs` each per group, not two fsyncs per PUT).
    async fn place(&self, staged: &mut StagedBlob) -> StoreResult<()> {
        self.blobs.sync().await?;
        self.blobs.publish(staged)?;
        self.blobs.sync().await?;
        Ok(())
    }

    /// Under the lock: check, assign id and seq, write records and reference counts.
    /// Unpins `pinned`. Returns blobs whose count dropped to zero.
    fn commit_version(
        &self,
        bucket: &str,
        key: &str,
        version: &mut ObjectVersion,
        precondition: Precondition<'_>,
        pinned: Option<BlobHash>,
        cause: &Cause,
    ) -> StoreResult<Vec<BlobHash>> {
        let mut pins = self.locked();
        if let Some(hash) = pinned {
            unpin(&mut pins, hash);
        }
        let record = self.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
        let current = self.current(bucket, key)?;
        if !precondition(current.as_ref().filter(|v| !v.delete_marker)) {
            return Err(StoreError::PreconditionFailed);
        }
        let mut batch = Batch::new();
        let mut refs = RefDelta::default();
        self.stage_version(bucket, key, &record, version, pinned, &mut batch, &mut refs)?;
        let event = self.stage_events(bucket, key, version, cause.kind.event_name(false), cause, version.last_modified_ms, &mut batch)?;
        let freed = refs.write(self.meta.as_ref(), &mut batch)?;
        self.meta.apply(&batch)?;
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
        pinned: Option<BlobHash>,
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
        self.reference(&version.manifest, pinned, refs)?;
        let encoded = stored::encode_version(version);
        batch.put(keys::version(bucket, key, version.seq), encoded.clone());
        batch.put(keys::current(bucket, key), encoded);
        Ok(())
    }

    /// Counts a reference to every piece of `manifest`. Bytes shared with another
    /// version or part (copies) must still exist: the collector removes unreferenced
    /// blobs under the same lock, so checking here is race-free.
    fn reference(&self, manifest: &[crate::model::ManifestEntry], pinned: Option<BlobHash>, refs: &mut RefDelta) -> StoreResult<()> {
        for entry in manifest {
            let counted = refs.0.get(&entry.hash).copied().unwrap_or(0) > 0;
            if Some(entry.hash) != pinned
                && !counted
                && read_count(self.meta.as_ref(), &entry.hash)? == 0
                && !self.blobs.exists(&entry.hash)
            {
                return Err(StoreError::SourceGone);
            }
            refs.add(entry.hash, 1);
        }
        Ok(())
    }

    /// Adds to `batch` the removal of the `null` version of `key`, if there is one.
    fn drop_null_version(&self, bucket: &str, key: &str, batch: &mut Batch, refs: &mut RefDelta) -> StoreResult<()> {
        let (start, end) = keys::versions_of(bucket, key);
        // Unversioned keys have one version; versioned ones are bounded by what the
        // user keeps. A null-version index arrives with versioning if this shows up.
        for (k, v) in self.meta.scan(&start, Some(&end), usize::MAX)? {
            let old = stored::decode_version(&v)?;
            if old.version_id == NULL_VERSION {
                for entry in &old.manifest {
                    refs.add(entry.hash, -1);
                }
                batch.delete(k);
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

    /// The reference count of a blob.
    pub fn refcount(&self, hash: &BlobHash) -> StoreResult<u64> {
        read_count(self.meta.as_ref(), hash)
    }
}

fn unpin(pins: &mut Pins, hash: BlobHash) {
    if let Some(n) = pins.get_mut(&hash) {
        *n -= 1;
        if *n == 0 {
            pins.remove(&hash);
        }
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Meta(MetaError::Corrupt { key: what.to_owned(), detail: "undecodable".to_owned() })
}

/// A version id for versioned writes: unique, opaque, and ordered by seq.
fn new_version_id(seq: u64) -> String {
    format!("{seq:016x}{:08x}", rand::random::<u32>())
}

fn read_count(meta: &dyn MetaStore, hash: &BlobHash) -> StoreResult<u64> {
    match meta.get(&keys::refcount(&hash.0))? {
        Some(v) => Ok(u64::from_be_bytes(v.as_slice().try_into().map_err(|_| corrupt("refcount"))?)),
        None => Ok(0),
    }
}

/// Pending reference count changes of one commit.
#[derive(Default)]
struct RefDelta(HashMap<BlobHash, i64>);

impl RefDelta {
    fn add(&mut self, hash: BlobHash, delta: i64) {
        *self.0.entry(hash).or_insert(0) += delta;
    }

    /// Adds the new counts to `batch`; returns the blobs left unreferenced.
    fn write(self, meta: &dyn MetaStore, batch: &mut Batch) -> StoreResult<Vec<BlobHash>> {
        let mut freed = Vec::new();
        for (hash, delta) in self.0 {
            if delta == 0 {
                continue;
            }
            let old = i64::try_from(read_count(meta, &hash)?).map_err(|_| corrupt("refcount"))?;
            let new = old + delta;
            if new <= 0 {
                if new < 0 {
                    tracing::error!(%hash, old, delta, "reference count would go negative");
                }
                batch.delete(keys::refcount(&hash.0));
                freed.push(hash);
            } else {
                batch.put(keys::refcount(&hash.0), new.unsigned_abs().to_be_bytes().to_vec());
            }
        }
        Ok(freed)
    }
}
