//! Multipart uploads in the store: upload and part records, part replacement, atomic
//! completion (one batch: the new version, its references, and the removal of every
//! part record), abort, listings.
//!
//! Each part holds references on its blobs like a version does, so completion moves
//! references from parts to the version within one batch and no bytes are copied;
//! unlisted parts lose theirs and are collected.

use std::collections::BTreeMap;

use super::{unpin, RefDelta, Store, StoreError, StoreResult, TierBlob, TierId};
use crate::blob::{BlobHash, StagedBlob};
use crate::meta::{keys, Batch};
use crate::model::event::Cause;
use crate::model::multipart::{PartRecord, UploadRecord};
use crate::model::stored;
use crate::model::ObjectVersion;

/// What a completion (or a retry of one) produced.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CompleteOutcome {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// The object's version.
    pub version: ObjectVersion,
}

/// A page of ListMultipartUploads.
pub struct UploadListing {
    /// Uploads, by key then initiation.
    pub uploads: Vec<UploadRecord>,
    /// Whether more follow.
    pub truncated: bool,
}

impl Store {
    /// A new upload id (under the lock): ordered by creation through the store's
    /// sequence, unguessable through 128 random bits.
    fn new_upload_id(&self, batch: &mut Batch) -> String {
        let seq = self.next_seq(batch);
        format!("{seq:016x}{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>())
    }

    /// Records a new upload of `record.key`; fills in and returns its id.
    pub async fn create_upload(&self, bucket: &str, mut record: UploadRecord) -> StoreResult<UploadRecord> {
        {
            let _guard = self.locked();
            self.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
            let mut batch = Batch::new();
            record.upload_id = self.new_upload_id(&mut batch);
            batch.put(keys::upload(bucket, &record.key, &record.upload_id), stored::encode(&record));
            self.apply(&batch)?;
        }
        self.durable().await?;
        Ok(record)
    }

    /// The upload, if it is in progress.
    pub fn upload(&self, bucket: &str, key: &str, upload_id: &str) -> StoreResult<Option<UploadRecord>> {
        match self.meta.get(&keys::upload(bucket, key, upload_id))? {
            Some(v) => Ok(Some(stored::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Stores part `part.part_number` (replacing an earlier upload of that number) whose
    /// bytes are `staged` (written to the blobs of the upload's storage class), or
    /// shared pieces of other objects (UploadPartCopy) when `staged` is empty.
    pub async fn put_part(&self, bucket: &str, key: &str, upload_id: &str, part: PartRecord, staged: &mut [StagedBlob]) -> StoreResult<()> {
        // An upload's storage class never changes, so its tier can be read before the lock.
        let upload = self.upload(bucket, key, upload_id)?.ok_or(StoreError::NoSuchUpload)?;
        let tier = self.tier_of(&upload.storage_class);
        self.commit_with_blobs(tier, staged, |pinned| self.commit_part(bucket, key, upload_id, tier, &part, pinned)).await
    }

    /// Drops the references of an upload's part.
    fn unreference_part(tier: TierId, part: &PartRecord, refs: &mut RefDelta) {
        for entry in &part.manifest {
            refs.add((tier, entry.hash), -1);
        }
    }

    fn commit_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        tier: TierId,
        part: &PartRecord,
        pinned: &[BlobHash],
    ) -> StoreResult<Vec<TierBlob>> {
        let mut pins = self.locked();
        for hash in pinned {
            unpin(&mut pins, (tier, *hash));
        }
        if self.upload(bucket, key, upload_id)?.is_none() {
            return Err(StoreError::NoSuchUpload);
        }
        let mut batch = Batch::new();
        let mut refs = RefDelta::default();
        let part_key = keys::part(upload_id, part.part_number);
        if let Some(old) = self.meta.get(&part_key)? {
            let old: PartRecord = stored::decode(&old)?;
            Self::unreference_part(tier, &old, &mut refs);
        }
        self.reference(&part.manifest, tier, pinned, &mut refs)?;
        batch.put(part_key, stored::encode(part));
        let freed = refs.write(self, &mut batch)?;
        self.apply(&batch)?;
        Ok(freed)
    }

    /// Up to `limit` parts of an upload with numbers above `after`.
    pub fn list_parts(&self, upload_id: &str, after: u32, limit: usize) -> StoreResult<Vec<PartRecord>> {
        let (start, end) = keys::part_range(upload_id);
        let first = match after.checked_add(1) {
            Some(n) => keys::part(upload_id, n),
            None => return Ok(Vec::new()),
        };
        let first = if first < start { start } else { first };
        self.meta.scan(&first, Some(&end), limit)?.iter().map(|(_, v)| stored::decode(v).map_err(StoreError::from)).collect()
    }

    fn all_parts(&self, upload_id: &str) -> StoreResult<BTreeMap<u32, PartRecord>> {
        Ok(self.list_parts(upload_id, 0, usize::MAX)?.into_iter().map(|p| (p.part_number, p)).collect())
    }

    /// Completes an upload atomically. `plan` sees the upload and all its parts under
    /// the commit lock and returns the new version (or refuses). A retry of an upload
    /// already completed returns the earlier outcome.
    pub async fn complete_upload<E: From<StoreError>>(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        plan: impl FnOnce(&UploadRecord, &BTreeMap<u32, PartRecord>) -> Result<ObjectVersion, E>,
        cause: &Cause,
    ) -> Result<CompleteOutcome, E> {
        let (outcome, freed) = {
            let _guard = self.locked();
            let record = self.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
            let Some(upload) = self.upload(bucket, key, upload_id)? else {
                return match self.meta.get(&keys::completed(upload_id)).map_err(StoreError::from)? {
                    Some(done) => {
                        let done: CompleteOutcome = stored::decode(&done).map_err(StoreError::from)?;
                        if done.bucket == bucket && done.key == key {
                            Ok(done)
                        } else {
                            Err(StoreError::NoSuchUpload.into())
                        }
                    }
                    None => Err(StoreError::NoSuchUpload.into()),
                };
            };
            let parts = self.all_parts(upload_id)?;
            let mut version = plan(&upload, &parts)?;
            // Parts and object share the upload's tier: references move, bytes stay.
            version.storage_class.clone_from(&upload.storage_class);
            let tier = self.tier_of(&upload.storage_class);
            let mut batch = Batch::new();
            let mut refs = RefDelta::default();
            self.stage_version(bucket, key, &record, &mut version, &[], &mut batch, &mut refs)?;
            let event =
                self.stage_events(bucket, key, &version, cause.kind.event_name(false), cause, version.last_modified_ms, &mut batch)?;
            for (number, part) in &parts {
                Self::unreference_part(tier, part, &mut refs);
                batch.delete(keys::part(upload_id, *number));
            }
            batch.delete(keys::upload(bucket, key, upload_id));
            let outcome = CompleteOutcome { bucket: bucket.to_owned(), key: key.to_owned(), version };
            batch.put(keys::completed(upload_id), stored::encode(&outcome));
            let freed = refs.write(self, &mut batch)?;
            self.apply(&batch)?;
            self.publish(event);
            (outcome, freed)
        };
        self.durable().await?;
        self.outbox_signal.notify_one();
        self.collect(&freed);
        Ok(outcome)
    }

    /// Aborts an upload: its parts' blobs lose their references.
    pub async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> StoreResult<()> {
        let freed = {
            let _guard = self.locked();
            let upload = self.upload(bucket, key, upload_id)?.ok_or(StoreError::NoSuchUpload)?;
            let tier = self.tier_of(&upload.storage_class);
            let mut batch = Batch::new();
            let mut refs = RefDelta::default();
            for (number, part) in self.all_parts(upload_id)? {
                Self::unreference_part(tier, &part, &mut refs);
                batch.delete(keys::part(upload_id, number));
            }
            batch.delete(keys::upload(bucket, key, upload_id));
            let freed = refs.write(self, &mut batch)?;
            self.apply(&batch)?;
            freed
        };
        self.durable().await?;
        self.collect(&freed);
        Ok(())
    }

    /// Up to `limit` uploads of `bucket` starting at upload key `from` (inclusive,
    /// relative encoding from [`keys::upload`]/[`keys::uploads_of`]); `None` = from the start.
    pub fn list_uploads(&self, bucket: &str, from: Option<Vec<u8>>, limit: usize) -> StoreResult<UploadListing> {
        let (start, end) = keys::upload_range(bucket);
        let first = from.filter(|f| *f > start).unwrap_or(start);
        let mut rows = self.meta.scan(&first, Some(&end), limit.saturating_add(1))?;
        let truncated = rows.len() > limit;
        rows.truncate(limit);
        let uploads = rows.iter().map(|(_, v)| stored::decode(v).map_err(StoreError::from)).collect::<StoreResult<_>>()?;
        Ok(UploadListing { uploads, truncated })
    }

    /// Whether any upload is in progress in `bucket` (DeleteBucket refuses then? S3
    /// allows it; kept for reporting).
    pub fn has_uploads(&self, bucket: &str) -> StoreResult<bool> {
        let (start, end) = keys::upload_range(bucket);
        Ok(!self.meta.scan(&start, Some(&end), 1)?.is_empty())
    }

    /// Sum of reference counts held on main-tier blobs (test and fsck aid).
    pub fn total_references(&self, hashes: &[BlobHash]) -> StoreResult<u64> {
        hashes.iter().map(|h| self.count((0, *h))).sum()
    }
}
