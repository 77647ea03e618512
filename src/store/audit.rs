//! The reference audit: recounts every blob reference held by versions and parts and
//! compares with the stored counts and the blob directory. Used by crash tests and as
//! an integrity check an operator can run on a stopped store.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Store, StoreResult, TierBlob, TierId};
use crate::blob::BlobHash;
use crate::meta::{keys, MetaStore};
use crate::model::multipart::{PartRecord, UploadRecord};
use crate::model::stored;
use crate::model::usage::BucketUsage;

/// What the audit found; all empty means consistent. Blobs of a tier other than the
/// main one are reported with their storage class, main ones with `STANDARD`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AuditReport {
    /// Blobs referenced by a record but missing from their blob directory (data loss).
    pub missing: Vec<(String, BlobHash)>,
    /// Blob files no record references (leaked space).
    pub leaked: Vec<(String, BlobHash)>,
    /// Blobs whose stored count differs from the recount: (class, hash, stored, actual).
    pub miscounted: Vec<(String, BlobHash, u64, u64)>,
    /// Version records (keys) of objects stored inline whose bytes are missing.
    pub inline_missing: Vec<Vec<u8>>,
    /// Inline byte records (keys) that no inline version owns.
    pub inline_stray: Vec<Vec<u8>>,
    /// Buckets whose usage as kept by writes differs from a recount of their records:
    /// (bucket, as kept, as recounted).
    pub usage_mismatch: Vec<(String, Option<BucketUsage>, Option<BucketUsage>)>,
    /// Tiers whose referenced-blob byte counter differs from a recount: (class, kept,
    /// recounted).
    pub blob_bytes_mismatch: Vec<(String, u64, u64)>,
    /// Versions protected by Object Lock (a retention not yet past, by the lock clock,
    /// or a legal hold): not a fault, reported so an operator sees what is locked.
    pub locked: Vec<LockedVersion>,
}

/// One version under Object Lock, as the audit reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedVersion {
    /// Bucket.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// Version id.
    pub version_id: String,
    /// Its retention, if in force.
    pub retention: Option<crate::model::lock::Retention>,
    /// Whether a legal hold is on.
    pub legal_hold: bool,
}

impl AuditReport {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty()
            && self.leaked.is_empty()
            && self.miscounted.is_empty()
            && self.inline_missing.is_empty()
            && self.inline_stray.is_empty()
            && self.usage_mismatch.is_empty()
            && self.blob_bytes_mismatch.is_empty()
    }
}

/// Every record of one kind (single-byte key prefix), with its key, decoded by `f`.
pub(super) fn scan_kind(meta: &dyn MetaStore, kind: u8, f: impl FnMut(&[u8], &[u8]) -> StoreResult<()>) -> StoreResult<()> {
    scan_range(meta, vec![kind], &[kind + 1], f)
}

/// Every record with `start <= key < end`, with its key, decoded by `f`, a page at a time.
pub(super) fn scan_range(
    meta: &dyn MetaStore,
    mut start: Vec<u8>,
    end: &[u8],
    mut f: impl FnMut(&[u8], &[u8]) -> StoreResult<()>,
) -> StoreResult<()> {
    loop {
        let rows = meta.scan(&start, Some(end), 1024)?;
        let Some((last, _)) = rows.last() else { return Ok(()) };
        start.clone_from(last);
        start.push(0);
        for (k, v) in &rows {
            f(k, v)?;
        }
    }
}

impl Store {
    /// Recounts references from every version and part record. Walks the whole store:
    /// O(objects), for tests and offline checks, not the request path.
    pub fn audit(&self) -> StoreResult<AuditReport> {
        let mut counts: BTreeMap<TierBlob, u64> = BTreeMap::new();
        let mut report = AuditReport::default();
        let mut inline_seqs = BTreeSet::new();
        let wall = super::scrub::now_ms();
        let lock_now = self.lock_removal_now(wall)?;
        scan_kind(self.meta.as_ref(), b'V', |k, v| {
            let version = stored::decode_version(v)?;
            let retention = version.retention.filter(|r| r.until_ms > lock_now);
            if retention.is_some() || version.legal_hold {
                // Version keys are `V` + bucket + 0 + the escaped object key + ...
                let bucket = k.get(1..).and_then(|r| r.split(|b| *b == 0).next()).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("");
                let key = keys::decode_version(bucket, k).map(|(o, _)| o).unwrap_or_default();
                report.locked.push(LockedVersion {
                    bucket: bucket.to_owned(),
                    key,
                    version_id: version.version_id.clone(),
                    retention,
                    legal_hold: version.legal_hold,
                });
            }
            if version.is_inline() {
                inline_seqs.insert(version.seq);
                if self.meta.get(&keys::inline(version.seq))?.is_none() {
                    report.inline_missing.push(k.to_vec());
                }
            }
            let tier = self.tier_of(&version.storage_class);
            for entry in version.manifest {
                *counts.entry((tier, entry.hash)).or_insert(0) += 1;
            }
            Ok(())
        })?;
        // Parts live in the tier of their upload's storage class.
        let mut upload_tiers: HashMap<String, TierId> = HashMap::new();
        scan_kind(self.meta.as_ref(), b'U', |_, v| {
            let upload: UploadRecord = stored::decode_upload(v)?;
            upload_tiers.insert(upload.upload_id.clone(), self.tier_of(&upload.storage_class));
            Ok(())
        })?;
        scan_kind(self.meta.as_ref(), b'P', |k, v| {
            let part: PartRecord = stored::decode(v)?;
            // Part keys are `P` + upload id + 0 + the part number (4 bytes).
            let upload_id = k.get(1..k.len().saturating_sub(5)).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default();
            let tier = upload_tiers.get(upload_id).copied().unwrap_or(0);
            for entry in part.manifest {
                *counts.entry((tier, entry.hash)).or_insert(0) += 1;
            }
            Ok(())
        })?;
        scan_kind(self.meta.as_ref(), keys::inline_range().0[0], |k, _| {
            if !keys::decode_inline(k).is_some_and(|seq| inline_seqs.contains(&seq)) {
                report.inline_stray.push(k.to_vec());
            }
            Ok(())
        })?;
        let class = |tier: TierId| self.tiers[tier].class.clone();
        let mut on_disk: BTreeSet<TierBlob> = BTreeSet::new();
        for (tier, t) in self.tiers.iter().enumerate() {
            on_disk.extend(t.blobs.list()?.into_iter().map(|h| (tier, h)));
        }
        for (&(tier, hash), actual) in &counts {
            let stored = self.count((tier, hash))?;
            if stored != *actual {
                report.miscounted.push((class(tier), hash, stored, *actual));
            }
            if !on_disk.contains(&(tier, hash)) {
                report.missing.push((class(tier), hash));
            }
        }
        let (start, end) = keys::refcount_range();
        for (k, v) in self.meta.scan(&start, Some(&end), usize::MAX)? {
            let (hash, suffix) = keys::decode_refcount(&k).ok_or_else(|| super::corrupt("refcount key"))?;
            let stored = u64::from_be_bytes(v.as_slice().try_into().map_err(|_| super::corrupt("refcount"))?);
            let tier = if suffix.is_empty() { Some(0) } else { self.tiers.iter().position(|t| t.class.as_bytes() == suffix) };
            let shown = tier.map_or_else(|| String::from_utf8_lossy(suffix).into_owned(), class);
            if tier.is_none_or(|t| !counts.contains_key(&(t, BlobHash(hash)))) {
                report.miscounted.push((shown, BlobHash(hash), stored, 0));
            }
        }
        report.leaked = on_disk.into_iter().filter(|b| !counts.contains_key(b)).map(|(t, h)| (class(t), h)).collect();
        for ((class, kept), counted) in self.blob_bytes()?.into_iter().zip(self.count_blob_bytes()?) {
            if kept != counted {
                report.blob_bytes_mismatch.push((class, kept, counted));
            }
        }
        let (kept, counted) = (self.all_usage()?, self.recount_usage()?);
        for bucket in kept.keys().chain(counted.keys()).collect::<BTreeSet<_>>() {
            let (k, c) = (kept.get(bucket).copied(), counted.get(bucket).copied());
            if k != c {
                report.usage_mismatch.push((bucket.clone(), k, c));
            }
        }
        Ok(report)
    }
}
