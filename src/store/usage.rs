//! Usage per bucket, kept current by every metadata batch, and the quotas checked
//! against it before a batch that grows a bucket is applied.
//!
//! Every batch goes through [`Store::apply`], which already reads the value each key
//! had (to undo the batch if its flush fails). From those old values and the batch's
//! new ones, [`Store::usage_changes`] derives how each bucket's [`BucketUsage`] changes
//! — a version record put or removed, a current pointer moved, an upload begun or
//! ended, a part stored — and writes the new usage records in the same batch. So usage
//! is a function of the stored records by construction, on every path (PUT, copy,
//! Complete, delete, lifecycle, bucket deletion), and survives crashes with them: no
//! scan, no separate bookkeeping to forget.
//!
//! Part records are keyed by upload id alone; a batch that writes parts also writes
//! (or removes) their upload's record, which names the bucket.
//!
//! Quotas: a bucket's is its `quota` configuration document (deleted with the bucket);
//! an account's is a `Q` record. A batch that grows a bucket past either is refused
//! with [`StoreError::QuotaExceeded`] before anything is applied.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{PoisonError, RwLock};

use super::{Store, StoreError, StoreResult};
use crate::meta::{keys, Batch, MetaStore};
use crate::model::multipart::PartRecord;
use crate::model::stored;
use crate::model::usage::{BucketUsage, Quota, QuotaLimit, UsageDelta};

/// The bucket configuration document holding a bucket's quota.
pub const QUOTA_CONFIG: &str = "quota";

/// Counter marking that usage records exist for every bucket (written once, by the
/// recount that runs when a store from before usage tracking is opened).
const USAGE_COUNTED: &str = "usage_counted";

/// A usage record change: key, value before, value after (`None`: absent).
pub(super) type UsageWrite = (Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// Maps a bucket record's owner to the account id whose quota applies.
pub type AccountOf = Box<dyn Fn(&str) -> String + Send + Sync>;

/// Account quotas and how to find a bucket's account, in memory (few, changed rarely).
#[derive(Default)]
pub(super) struct AccountQuotas {
    /// Account id → its quota.
    quotas: RwLock<BTreeMap<String, Quota>>,
    /// Set once by the server; without it account quotas do not apply.
    account_of: std::sync::OnceLock<AccountOf>,
}

impl Store {
    /// Tells the store which account owns a bucket (from its record's `owner`), so that
    /// account quotas apply. Set once, at start-up.
    pub fn set_account_resolver(&self, account_of: AccountOf) {
        let _ = self.account_quotas.account_of.set(account_of);
    }

    /// What `bucket` holds (zero for a bucket that never held anything).
    pub fn bucket_usage(&self, bucket: &str) -> StoreResult<BucketUsage> {
        read_usage(self.meta.as_ref(), bucket)
    }

    /// What every bucket holds, by bucket name: one record per bucket, no object scan.
    pub fn all_usage(&self) -> StoreResult<BTreeMap<String, BucketUsage>> {
        let (start, end) = keys::usage_range();
        let mut out = BTreeMap::new();
        for (k, v) in self.meta.scan(&start, Some(&end), usize::MAX)? {
            let bucket = keys::usage_bucket(&k).ok_or_else(|| super::corrupt("usage key"))?;
            out.insert(bucket.to_owned(), stored::decode(&v)?);
        }
        Ok(out)
    }

    /// What the buckets of `account` hold together.
    pub fn account_usage(&self, account: &str) -> StoreResult<BucketUsage> {
        let mut sum = BucketUsage::default();
        for (name, record) in self.list_buckets()? {
            if self.account_of(&record.owner).as_deref() == Some(account) {
                sum = sum.plus(&self.bucket_usage(&name)?);
            }
        }
        Ok(sum)
    }

    /// The quota of `bucket` (unlimited if none was set).
    pub fn bucket_quota(&self, bucket: &str) -> StoreResult<Quota> {
        Ok(match self.bucket_config(bucket, QUOTA_CONFIG)? {
            Some(raw) => stored::decode(&raw)?,
            None => Quota::default(),
        })
    }

    /// Sets (or, if unlimited, removes) the quota of `bucket`.
    pub async fn set_bucket_quota(&self, bucket: &str, quota: Quota) -> StoreResult<()> {
        let value = (!quota.is_unlimited()).then(|| stored::encode(&quota));
        self.set_bucket_config(bucket, QUOTA_CONFIG, value).await
    }

    /// The quota of `account` (unlimited if none was set).
    pub fn account_quota(&self, account: &str) -> Quota {
        self.account_quotas.quotas.read().unwrap_or_else(PoisonError::into_inner).get(account).copied().unwrap_or_default()
    }

    /// Sets (or, if unlimited, removes) the quota of `account`, durably.
    pub async fn set_account_quota(&self, account: &str, quota: Quota) -> StoreResult<()> {
        {
            let _guard = self.locked();
            let mut batch = Batch::new();
            if quota.is_unlimited() {
                batch.delete(keys::account_quota(account));
            } else {
                batch.put(keys::account_quota(account), stored::encode(&quota));
            }
            self.apply(&batch)?;
        }
        self.durable().await?;
        let mut quotas = self.account_quotas.quotas.write().unwrap_or_else(PoisonError::into_inner);
        if quota.is_unlimited() {
            quotas.remove(account);
        } else {
            quotas.insert(account.to_owned(), quota);
        }
        Ok(())
    }

    /// Refuses, before any byte arrives, a write of `incoming` bytes that can free at
    /// most `replaced` and would still take `bucket` or its account past a byte quota.
    pub fn admit_quota(&self, bucket: &str, incoming: u64, replaced: u64) -> StoreResult<()> {
        let grows = i64::try_from(incoming).unwrap_or(i64::MAX).saturating_sub(i64::try_from(replaced).unwrap_or(i64::MAX));
        if grows <= 0 {
            return Ok(());
        }
        let delta = UsageDelta { bytes: grows, ..UsageDelta::default() };
        self.check_quotas(bucket, &self.bucket_usage(bucket)?, &delta)
    }

    /// Recounts every bucket's usage from its records: O(objects), for tests and
    /// offline checks (the result must equal [`Store::all_usage`]).
    pub fn recount_usage(&self) -> StoreResult<BTreeMap<String, BucketUsage>> {
        recount(self.meta.as_ref())
    }

    fn account_of(&self, owner: &str) -> Option<String> {
        self.account_quotas.account_of.get().map(|f| f(owner))
    }

    /// The usage records `batch` changes, given the value each of its keys had before
    /// (`old`, first write of each key); refuses a batch that grows a bucket past its
    /// quota or its account's.
    pub(super) fn usage_changes(&self, batch: &Batch, old: &HashMap<&[u8], Option<Vec<u8>>>) -> StoreResult<Vec<UsageWrite>> {
        let mut deltas: BTreeMap<&str, UsageDelta> = BTreeMap::new();
        let mut parts = UsageDelta::default();
        let mut parts_written = false;
        let mut upload_buckets = BTreeSet::new();
        let mut deleted = Vec::new();
        // The value of each key as the batch goes: later writes see earlier ones.
        let mut now: HashMap<&[u8], Option<&[u8]>> = HashMap::new();
        for (key, value) in batch.ops() {
            let Some(counted) = keys::counted(key) else { continue };
            let before = match now.get(key.as_slice()) {
                Some(v) => *v,
                None => old.get(key.as_slice()).and_then(Option::as_deref),
            };
            let after = value.as_deref();
            now.insert(key, after);
            match counted {
                keys::Counted::Current(b) => {
                    deltas.entry(b).or_default().objects += i64::from(is_object(after)?) - i64::from(is_object(before)?);
                }
                keys::Counted::Version(b) => {
                    let d = deltas.entry(b).or_default();
                    d.add(&version_delta(after, 1)?);
                    d.add(&version_delta(before, -1)?);
                }
                keys::Counted::Upload(b) => {
                    deltas.entry(b).or_default().uploads += i64::from(after.is_some()) - i64::from(before.is_some());
                    upload_buckets.insert(b);
                }
                keys::Counted::Part => {
                    parts_written = true;
                    parts.upload_bytes += part_size(after)? - part_size(before)?;
                }
                keys::Counted::Bucket(b) => {
                    if after.is_none() {
                        deleted.push(b);
                    }
                }
            }
        }
        if parts_written {
            let mut buckets = upload_buckets.iter();
            match (buckets.next(), buckets.next()) {
                (Some(b), None) => deltas.entry(b).or_default().add(&parts),
                _ => return Err(StoreError::Io(std::io::Error::other("a batch writes parts without naming their upload's bucket"))),
            }
        }
        let mut writes = Vec::new();
        for (bucket, delta) in deltas {
            if delta.is_zero() || deleted.contains(&bucket) {
                continue;
            }
            let key = keys::usage(bucket);
            let raw = self.meta.get(&key)?;
            let usage: BucketUsage = raw.as_deref().map(stored::decode).transpose()?.unwrap_or_default();
            if usage.underflows(&delta) {
                tracing::error!(bucket, ?usage, ?delta, "bucket usage would go negative: the stored usage was wrong");
            }
            self.check_quotas(bucket, &usage, &delta)?;
            // An empty bucket has no record, as one that never held anything.
            let after = usage.after(&delta);
            writes.push((key, raw, (after != BucketUsage::default()).then(|| stored::encode(&after))));
        }
        for bucket in deleted {
            let key = keys::usage(bucket);
            if let Some(raw) = self.meta.get(&key)? {
                writes.push((key, Some(raw), None));
            }
        }
        Ok(writes)
    }

    /// Refuses `delta` if it takes `bucket` (now holding `usage`) or its account past a quota.
    fn check_quotas(&self, bucket: &str, usage: &BucketUsage, delta: &UsageDelta) -> StoreResult<()> {
        // Deletes, markers and shrinking overwrites never need the quotas read.
        if !(delta.bytes > 0 || delta.upload_bytes > 0 || delta.versions > 0) {
            return Ok(());
        }
        if let Some(limit) = self.bucket_quota(bucket)?.exceeded(usage, delta) {
            return Err(StoreError::QuotaExceeded(describe("bucket", bucket, limit)));
        }
        let any_account_quota = !self.account_quotas.quotas.read().unwrap_or_else(PoisonError::into_inner).is_empty();
        if !any_account_quota {
            return Ok(());
        }
        let Some(record) = self.bucket(bucket)? else { return Ok(()) };
        let Some(account) = self.account_of(&record.owner) else { return Ok(()) };
        let quota = self.account_quota(&account);
        if quota.is_unlimited() {
            return Ok(());
        }
        if let Some(limit) = quota.exceeded(&self.account_usage(&account)?, delta) {
            return Err(StoreError::QuotaExceeded(describe("account", &account, limit)));
        }
        Ok(())
    }

    /// Loads account quotas; on a store from before usage tracking, counts every
    /// bucket's usage once (one pass over all records) and records that it did.
    pub(super) fn load_usage(&self) -> StoreResult<()> {
        let (start, end) = keys::account_quota_range();
        let mut quotas = BTreeMap::new();
        for (k, v) in self.meta.scan(&start, Some(&end), usize::MAX)? {
            let account = String::from_utf8_lossy(&k[1..]).into_owned();
            quotas.insert(account, stored::decode(&v)?);
        }
        *self.account_quotas.quotas.write().unwrap_or_else(PoisonError::into_inner) = quotas;
        if self.meta.get(&keys::counter(USAGE_COUNTED))?.is_some() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let counted = recount(self.meta.as_ref())?;
        let mut batch = Batch::new();
        for (bucket, usage) in &counted {
            batch.put(keys::usage(bucket), stored::encode(usage));
        }
        batch.put(keys::counter(USAGE_COUNTED), 1u64.to_be_bytes().to_vec());
        self.meta.apply(&batch)?;
        self.meta.flush()?;
        tracing::info!(
            buckets = counted.len(),
            ms = started.elapsed().as_millis(),
            "bucket usage counted (first start with usage tracking)"
        );
        Ok(())
    }
}

/// The usage of `bucket` as stored.
fn read_usage(meta: &dyn MetaStore, bucket: &str) -> StoreResult<BucketUsage> {
    Ok(meta.get(&keys::usage(bucket))?.as_deref().map(stored::decode).transpose()?.unwrap_or_default())
}

/// Whether a current-version record is an object (not a delete marker, not absent).
fn is_object(record: Option<&[u8]>) -> StoreResult<bool> {
    Ok(match record {
        Some(raw) => !stored::decode_version(raw)?.delete_marker,
        None => false,
    })
}

/// What a version record (if any) counts, times `sign`.
fn version_delta(record: Option<&[u8]>, sign: i64) -> StoreResult<UsageDelta> {
    let mut d = UsageDelta::default();
    if let Some(raw) = record {
        let v = stored::decode_version(raw)?;
        if v.delete_marker {
            d.delete_markers = sign;
        } else {
            d.versions = sign;
            d.bytes = sign * i64::try_from(v.size).unwrap_or(i64::MAX);
        }
    }
    Ok(d)
}

/// The size of a part record (0 if absent).
fn part_size(record: Option<&[u8]>) -> StoreResult<i64> {
    Ok(match record {
        Some(raw) => i64::try_from(stored::decode::<PartRecord>(raw)?.size).unwrap_or(i64::MAX),
        None => 0,
    })
}

/// The refusal's message, S3 style. It says which limit, never the figures or the
/// account: a writer another account's policy lets in learns nothing of its usage (the
/// figures are logged for the operator).
fn describe(scope: &str, name: &str, limit: QuotaLimit) -> String {
    let (what, max, after) = match limit {
        QuotaLimit::Bytes { max, after } => ("bytes", max, after),
        QuotaLimit::Objects { max, after } => ("objects", max, after),
    };
    tracing::info!(scope, name, what, max, after, "write refused: quota exceeded");
    format!("The {scope}'s quota has been exceeded: it holds as many {what} as it may.")
}

/// Every bucket's usage, counted from its records.
fn recount(meta: &dyn MetaStore) -> StoreResult<BTreeMap<String, BucketUsage>> {
    let mut out = BTreeMap::new();
    let (start, end) = keys::bucket_range();
    let buckets: Vec<String> =
        meta.scan(&start, Some(&end), usize::MAX)?.iter().filter_map(|(k, _)| keys::bucket_name(k).map(str::to_owned)).collect();
    for bucket in buckets {
        let mut delta = UsageDelta::default();
        let (start, end) = keys::version_range(&bucket);
        super::audit::scan_range(meta, start, &end, |_, v| {
            delta.add(&version_delta(Some(v), 1)?);
            Ok(())
        })?;
        let (start, end) = keys::current_range(&bucket);
        super::audit::scan_range(meta, start, &end, |_, v| {
            delta.objects += i64::from(is_object(Some(v))?);
            Ok(())
        })?;
        let (start, end) = keys::upload_range(&bucket);
        let mut uploads = Vec::new();
        super::audit::scan_range(meta, start, &end, |_, v| {
            uploads.push(stored::decode_upload(v)?.upload_id);
            Ok(())
        })?;
        for upload_id in uploads {
            delta.uploads += 1;
            let (start, end) = keys::part_range(&upload_id);
            super::audit::scan_range(meta, start, &end, |_, v| {
                delta.upload_bytes += part_size(Some(v))?;
                Ok(())
            })?;
        }
        let usage = BucketUsage::default().after(&delta);
        if usage != BucketUsage::default() {
            out.insert(bucket, usage);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::*;
    use crate::blob::{Blobs, FsBlobStore};
    use crate::meta::MemoryStore;
    use crate::model::event::Cause;
    use crate::model::{BucketRecord, Versioning};

    fn store(dir: &std::path::Path) -> Store {
        let blobs = Blobs::new(Arc::new(FsBlobStore::open(dir).unwrap()));
        Store::with_parts(Arc::new(MemoryStore::new()), blobs).unwrap()
    }

    fn record(owner: &str) -> BucketRecord {
        BucketRecord { created_ms: 0, region: "r".into(), versioning: Versioning::Unversioned, owner: owner.into() }
    }

    /// The usage kept by writes, checked against a recount after every step.
    fn kept(store: &Store, bucket: &str) -> BucketUsage {
        assert_eq!(store.all_usage().unwrap(), store.recount_usage().unwrap(), "kept usage = recounted usage");
        store.bucket_usage(bucket).unwrap()
    }

    #[tokio::test]
    async fn usage_follows_every_write_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        s.create_bucket("b", record("o")).await.unwrap();
        assert_eq!(kept(&s, "b"), BucketUsage::default());
        s.put_bytes_for_test("b", "k1", Bytes::from_static(b"hello"), "STANDARD").await;
        s.put_bytes_for_test("b", "k2", Bytes::from_static(b"abc"), "STANDARD").await;
        let u = kept(&s, "b");
        assert_eq!((u.objects, u.versions, u.bytes), (2, 2, 8));
        // Overwrite in an unversioned bucket replaces the null version.
        s.put_bytes_for_test("b", "k1", Bytes::from_static(b"hi"), "STANDARD").await;
        let u = kept(&s, "b");
        assert_eq!((u.objects, u.versions, u.bytes), (2, 2, 5));
        // Versioned: overwrites keep the old version; a delete adds a marker.
        s.set_versioning("b", Versioning::Enabled).await.unwrap();
        s.put_bytes_for_test("b", "k1", Bytes::from_static(b"four"), "STANDARD").await;
        s.delete_object("b", "k2", None, 0, &Cause::default()).await.unwrap();
        let u = kept(&s, "b");
        assert_eq!((u.objects, u.versions, u.bytes, u.delete_markers), (1, 3, 9, 1));
        // Removing the marker brings the object back.
        let versions = s.scan_versions("b", b"", 100).unwrap();
        let marker = versions.iter().find(|e| e.version.delete_marker).unwrap().version.version_id.clone();
        s.delete_object("b", "k2", Some(&marker), 0, &Cause::default()).await.unwrap();
        let u = kept(&s, "b");
        assert_eq!((u.objects, u.versions, u.bytes, u.delete_markers), (2, 3, 9, 0));
        for e in s.scan_versions("b", b"", 100).unwrap() {
            s.delete_object("b", &e.key, Some(&e.version.version_id), 0, &Cause::default()).await.unwrap();
        }
        assert_eq!(kept(&s, "b"), BucketUsage::default());
        assert!(s.all_usage().unwrap().is_empty(), "an empty bucket keeps no record");
        s.delete_bucket("b").await.unwrap();
        assert!(s.all_usage().unwrap().is_empty());
    }

    #[tokio::test]
    async fn blob_bytes_count_each_referenced_blob_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        s.create_bucket("b", record("o")).await.unwrap();
        let blob = |s: &Store| s.blob_bytes().unwrap()[0].1;
        assert_eq!(blob(&s), 0);
        let data = Bytes::from(vec![7u8; 5000]);
        s.put_bytes_for_test("b", "one", data.clone(), "STANDARD").await;
        assert_eq!(blob(&s), 5000);
        // The same bytes again are deduplicated: no more blob bytes, twice the logical.
        s.put_bytes_for_test("b", "two", data, "STANDARD").await;
        assert_eq!((blob(&s), kept(&s, "b").bytes), (5000, 10_000));
        s.delete_object("b", "one", None, 0, &Cause::default()).await.unwrap();
        assert_eq!(blob(&s), 5000, "still referenced by two");
        s.delete_object("b", "two", None, 0, &Cause::default()).await.unwrap();
        assert_eq!(blob(&s), 0);
        assert!(s.audit().unwrap().is_clean(), "{:?}", s.audit().unwrap());
    }

    #[tokio::test]
    async fn a_write_past_a_quota_is_refused_without_a_trace() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        s.create_bucket("b", record("o")).await.unwrap();
        s.set_bucket_quota("b", Quota { max_bytes: Some(10), max_objects: Some(2) }).await.unwrap();
        s.put_bytes_for_test("b", "a", Bytes::from_static(b"123456"), "STANDARD").await;
        let put = |key: &'static str, data: &'static [u8]| {
            let s = &s;
            async move {
                let mut staged = s.stage_bytes("STANDARD", Bytes::from_static(data), crate::blob::HashRequest::default()).await.unwrap();
                let mut v = crate::model::ObjectVersion::empty_for_test(0);
                v.size = staged.len;
                v.manifest = vec![crate::model::ManifestEntry::whole(&staged)];
                s.put_object("b", key, v, std::slice::from_mut(&mut staged), &|_| true, &Cause::default()).await
            }
        };
        let refused = put("b", b"12345").await.unwrap_err();
        assert!(matches!(&refused, StoreError::QuotaExceeded(m) if m.contains("bucket's quota") && m.contains("bytes")), "{refused}");
        assert!(s.current("b", "b").unwrap().is_none(), "nothing stored");
        assert!(s.audit().unwrap().is_clean(), "no blob left behind: {:?}", s.audit().unwrap());
        // An overwrite that stays within the quota passes; so does one that fits.
        put("a", b"1234567890").await.unwrap();
        assert_eq!(kept(&s, "b").bytes, 10);
        s.set_bucket_quota("b", Quota { max_bytes: None, max_objects: Some(1) }).await.unwrap();
        assert!(matches!(put("c", b"1").await, Err(StoreError::QuotaExceeded(m)) if m.contains("objects")));
        // Account quotas: the account's buckets together.
        s.set_bucket_quota("b", Quota::default()).await.unwrap();
        s.set_account_resolver(Box::new(|owner| format!("acct-{owner}")));
        s.set_account_quota("acct-o", Quota { max_bytes: Some(15), max_objects: None }).await.unwrap();
        s.create_bucket("b2", record("o")).await.unwrap();
        s.put_bytes_for_test("b2", "x", Bytes::from_static(b"12345"), "STANDARD").await;
        assert_eq!(s.account_usage("acct-o").unwrap().bytes, 15);
        assert!(matches!(put("d", b"1").await, Err(StoreError::QuotaExceeded(m)) if m.contains("account")));
        // Deleting frees quota.
        s.delete_object("b", "a", None, 0, &Cause::default()).await.unwrap();
        put("d", b"1").await.unwrap();
        assert!(s.audit().unwrap().is_clean());
    }
}
