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

/// What is kept of a completed upload for a while ([`COMPLETED_RETENTION_MS`]), so that
/// a retried Complete (its answer lost in transit) gets the same answer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct CompletedUpload {
    /// The answer given.
    outcome: CompleteOutcome,
    /// The parts the completion listed (number, ETag without quotes, lowercase): a
    /// retry must list the same ones.
    parts: Vec<(u32, String)>,
    /// When it completed (ms since the epoch).
    completed_ms: i64,
}

/// Schema byte of completed-upload records. Their own, not [`stored::SCHEMA`]: the
/// record embeds an `ObjectVersion`, so a change to either bumps this byte, and records
/// of another schema (they live a day) are simply forgotten. 1 was the outcome alone.
const COMPLETED_SCHEMA: u8 = 2;

impl CompletedUpload {
    /// The record of a completion: the version slimmed to what a retry's answer shows
    /// (no manifest, metadata or per-part checksums), so a 10,000-part upload does not
    /// leave a 10,000-entry record behind.
    fn new(outcome: &CompleteOutcome, parts: Vec<(u32, String)>, completed_ms: i64) -> Self {
        let mut version = outcome.version.clone();
        version.manifest = Vec::new();
        version.part_checksums = Vec::new();
        version.user_metadata = Vec::new();
        version.tags = Vec::new();
        version.headers = crate::model::ContentHeaders::default();
        let outcome = CompleteOutcome { bucket: outcome.bucket.clone(), key: outcome.key.clone(), version };
        Self { outcome, parts, completed_ms }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = vec![COMPLETED_SCHEMA];
        out.extend(postcard::to_stdvec(self).expect("postcard encodes plain structs"));
        out
    }

    /// Decodes a record; `None` for records of another schema (they answer retries with
    /// NoSuchUpload, and are forgotten by the next sweep).
    fn decode(raw: &[u8]) -> Option<Self> {
        match raw.split_first() {
            Some((&COMPLETED_SCHEMA, rest)) => postcard::from_bytes(rest).ok(),
            _ => None,
        }
    }
}

/// How long a completed upload is remembered for retries: a day, far beyond any
/// client's retry window.
pub const COMPLETED_RETENTION_MS: i64 = 24 * 3600 * 1000;

/// The parts a Complete request lists, as compared between a completion and its retry.
pub fn listed_parts(parts: &[(u32, String)]) -> Vec<(u32, String)> {
    parts.iter().map(|(n, etag)| (*n, etag.trim().trim_matches('"').to_ascii_lowercase())).collect()
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
            batch.put(keys::upload(bucket, &record.key, &record.upload_id), stored::encode_upload(&record));
            self.apply(&batch)?;
        }
        self.durable().await?;
        Ok(record)
    }

    /// The upload, if it is in progress.
    pub fn upload(&self, bucket: &str, key: &str, upload_id: &str) -> StoreResult<Option<UploadRecord>> {
        match self.meta.get(&keys::upload(bucket, key, upload_id))? {
            Some(v) => Ok(Some(stored::decode_upload(&v)?)),
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
        let upload_key = keys::upload(bucket, key, upload_id);
        let Some(upload) = self.meta.get(&upload_key)? else { return Err(StoreError::NoSuchUpload) };
        let mut batch = Batch::new();
        // Rewritten unchanged: parts are keyed by upload id, and the upload's record in
        // the same batch tells usage accounting whose bucket the part's bytes count in.
        batch.put(upload_key, upload);
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

    /// Completes an upload atomically. `plan` sees the upload, all its parts and the
    /// key's current version (`None` if absent or a delete marker) under the commit
    /// lock and returns the new version (or refuses). A retry of an upload already
    /// completed that lists the same `parts` returns the earlier outcome; one listing
    /// other parts is `NoSuchUpload` (the upload is gone).
    pub async fn complete_upload<E: From<StoreError>>(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts_listed: &[(u32, String)],
        plan: impl FnOnce(&UploadRecord, &BTreeMap<u32, PartRecord>, Option<&ObjectVersion>) -> Result<ObjectVersion, E>,
        cause: &Cause,
    ) -> Result<CompleteOutcome, E> {
        let listed = listed_parts(parts_listed);
        let (outcome, freed) = {
            let guard = self.locked();
            let record = self.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
            let Some(upload) = self.upload(bucket, key, upload_id)? else {
                let Some(raw) = self.meta.get(&keys::completed(upload_id)).map_err(StoreError::from)? else {
                    return Err(StoreError::NoSuchUpload.into());
                };
                match CompletedUpload::decode(&raw) {
                    Some(done) if done.outcome.bucket == bucket && done.outcome.key == key && done.parts == listed => {
                        drop(guard);
                        // The first completion may still be waiting for its flush: the
                        // retry answers only once that version is durable.
                        self.durable().await?;
                        return Ok(done.outcome);
                    }
                    _ => return Err(StoreError::NoSuchUpload.into()),
                }
            };
            let parts = self.all_parts(upload_id)?;
            let current = self.current(bucket, key)?.filter(|v| !v.delete_marker);
            let mut version = plan(&upload, &parts, current.as_ref())?;
            // Parts and object share the upload's tier: references move, bytes stay.
            version.storage_class.clone_from(&upload.storage_class);
            let mut batch = Batch::new();
            let mut refs = RefDelta::default();
            self.stage_version(bucket, key, &record, &mut version, &[], &mut batch, &mut refs)?;
            let event =
                self.stage_events(bucket, key, &version, cause.kind.event_name(false), cause, version.last_modified_ms, &mut batch)?;
            self.stage_abort(bucket, &upload, &mut batch, &mut refs)?;
            let outcome = CompleteOutcome { bucket: bucket.to_owned(), key: key.to_owned(), version };
            let completed_ms = outcome.version.last_modified_ms;
            batch.put(keys::completed(upload_id), CompletedUpload::new(&outcome, listed, completed_ms).encode());
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

    /// Forgets completed uploads older than `before_ms` (retries of them then answer
    /// NoSuchUpload, as S3 eventually does). Returns how many were forgotten.
    pub fn forget_completed_uploads(&self, before_ms: i64) -> StoreResult<u64> {
        const PAGE: usize = 1000;
        let (mut from, end) = keys::completed_range();
        let mut forgotten = 0;
        loop {
            let rows = self.meta.scan(&from, Some(&end), PAGE)?;
            let mut batch = Batch::new();
            for (k, v) in &rows {
                if CompletedUpload::decode(v).is_none_or(|d| d.completed_ms < before_ms) {
                    batch.delete(k.clone());
                    forgotten += 1;
                }
            }
            if !batch.is_empty() {
                // Losing these deletions in a crash only keeps the records a pass longer.
                let _guard = self.locked();
                self.apply(&batch)?;
            }
            match rows.last() {
                Some((k, _)) if rows.len() == PAGE => {
                    from.clone_from(k);
                    from.push(0);
                }
                _ => return Ok(forgotten),
            }
        }
    }

    /// Aborts an upload: its parts' blobs lose their references.
    pub async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> StoreResult<()> {
        let freed = {
            let _guard = self.locked();
            let upload = self.upload(bucket, key, upload_id)?.ok_or(StoreError::NoSuchUpload)?;
            let mut batch = Batch::new();
            let mut refs = RefDelta::default();
            self.stage_abort(bucket, &upload, &mut batch, &mut refs)?;
            let freed = refs.write(self, &mut batch)?;
            self.apply(&batch)?;
            freed
        };
        self.durable().await?;
        self.collect(&freed);
        Ok(())
    }

    /// Adds the removal of an upload and its parts to `batch` (under the lock).
    pub(super) fn stage_abort(&self, bucket: &str, upload: &UploadRecord, batch: &mut Batch, refs: &mut RefDelta) -> StoreResult<()> {
        let tier = self.tier_of(&upload.storage_class);
        for (number, part) in self.all_parts(&upload.upload_id)? {
            Self::unreference_part(tier, &part, refs);
            batch.delete(keys::part(&upload.upload_id, number));
        }
        batch.delete(keys::upload(bucket, &upload.key, &upload.upload_id));
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
        let uploads = rows.iter().map(|(_, v)| stored::decode_upload(v).map_err(StoreError::from)).collect::<StoreResult<_>>()?;
        Ok(UploadListing { uploads, truncated })
    }

    /// Sum of reference counts held on main-tier blobs (test and fsck aid).
    pub fn total_references(&self, hashes: &[BlobHash]) -> StoreResult<u64> {
        hashes.iter().map(|h| self.count((0, *h))).sum()
    }
}
