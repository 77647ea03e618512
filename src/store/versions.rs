//! Versioning in the store: switching a bucket's versioning state, delete markers,
//! addressing and permanently deleting one version, and listing every version.
//!
//! Every write already creates a version record (unversioned buckets use the `null`
//! version), so versioning is a policy on which versions are kept, not a new path.

use super::{RefDelta, Store, StoreError, StoreResult};
use crate::meta::{keys, Batch};
use crate::model::event::Cause;
use crate::model::object::NULL_VERSION;
use crate::model::stored;
use crate::model::{ContentHeaders, ObjectVersion, Versioning};

/// What a DeleteObject did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// The version removed or the delete marker created (`None` for unversioned deletes).
    pub version_id: Option<String>,
    /// Whether a delete marker was created, or the removed version was one.
    pub delete_marker: bool,
}

/// What must hold for a delete to go ahead, checked under the commit lock.
#[derive(Clone, Copy)]
pub enum DeleteGuard<'a> {
    /// Nothing.
    None,
    /// The key's current version still has this seq: the lifecycle worker expires what
    /// it evaluated, never a version written since.
    CurrentSeq(u64),
    /// A client's condition on the version removed: the one `version_id` names
    /// (delete markers included), else the current one (`None` if absent or a marker).
    Target(super::Precondition<'a>),
}

/// One row of ListObjectVersions.
#[derive(Debug, Clone)]
pub struct VersionEntry {
    /// Object key.
    pub key: String,
    /// The version (or delete marker).
    pub version: ObjectVersion,
}

impl Store {
    /// Sets a bucket's versioning state (Enabled or Suspended; never back to
    /// Unversioned).
    pub async fn set_versioning(&self, bucket: &str, state: Versioning) -> StoreResult<()> {
        {
            let _guard = self.locked();
            let mut record = self.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
            if state != Versioning::Enabled && self.bucket_config(bucket, super::OBJECT_LOCK_CONFIG)?.is_some() {
                return Err(StoreError::InvalidBucketState);
            }
            record.versioning = state;
            let mut batch = Batch::new();
            batch.put(keys::bucket(bucket), stored::encode_bucket(&record));
            self.apply(&batch)?;
        }
        self.durable().await
    }

    /// One version of `key` by id (including delete markers).
    pub fn version(&self, bucket: &str, key: &str, version_id: &str) -> StoreResult<Option<ObjectVersion>> {
        if version_id == NULL_VERSION {
            let (start, end) = keys::versions_of(bucket, key);
            for (_, v) in self.meta.scan(&start, Some(&end), usize::MAX)? {
                let version = stored::decode_version(&v)?;
                if version.version_id == NULL_VERSION {
                    return Ok(Some(version));
                }
            }
            return Ok(None);
        }
        // Ids this store issues start with the version's seq in 16 hex digits, so a
        // version is one key lookup away.
        let seq = version_id.get(..16).and_then(|h| u64::from_str_radix(h, 16).ok()).filter(|_| version_id.len() == 24);
        let seq = seq.ok_or(StoreError::InvalidVersionId)?;
        match self.meta.get(&keys::version(bucket, key, seq))? {
            Some(v) => Ok(Some(stored::decode_version(&v)?).filter(|v| v.version_id == version_id)),
            None => Ok(None),
        }
    }

    /// DeleteObject: without `version_id`, removes the key (unversioned) or places a
    /// delete marker (versioning enabled or suspended); with one, permanently removes
    /// that version and, if it was current, makes the next newest current.
    pub async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        now_ms: i64,
        cause: &Cause,
    ) -> StoreResult<DeleteOutcome> {
        self.delete_object_if(bucket, key, version_id, now_ms, DeleteGuard::None, false, cause).await
    }

    /// [`Store::delete_object`], but only if `guard` holds at commit; fails with
    /// `PreconditionFailed` otherwise. A version protected by Object Lock is never
    /// removed (`ObjectLocked`), but GOVERNANCE retention with `bypass_governance`;
    /// adding a delete marker is always allowed, as S3.
    #[allow(clippy::too_many_arguments)]
    pub async fn delete_object_if(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        now_ms: i64,
        guard: DeleteGuard<'_>,
        bypass_governance: bool,
        cause: &Cause,
    ) -> StoreResult<DeleteOutcome> {
        let (outcome, freed) = {
            let _guard = self.locked();
            let record = self.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
            let holds = match guard {
                DeleteGuard::None => true,
                DeleteGuard::CurrentSeq(seq) => self.current(bucket, key)?.map(|c| c.seq) == Some(seq),
                DeleteGuard::Target(condition) => {
                    let target = match version_id {
                        Some(id) => self.version(bucket, key, id)?,
                        None => self.current(bucket, key)?.filter(|v| !v.delete_marker),
                    };
                    condition(target.as_ref())
                }
            };
            if !holds {
                return Err(StoreError::PreconditionFailed);
            }
            let mut batch = Batch::new();
            let mut refs = RefDelta::default();
            // The version removed or the marker created: what the event describes.
            let (outcome, affected) = match (version_id, record.versioning) {
                (Some(id), _) => self.remove_version(bucket, key, id, now_ms, bypass_governance, &mut batch, &mut refs)?,
                (None, Versioning::Unversioned) => {
                    let current = self.current(bucket, key)?;
                    if current.is_some() {
                        self.drop_null_version(bucket, key, &mut batch, &mut refs)?;
                        batch.delete(keys::current(bucket, key));
                    }
                    (DeleteOutcome { version_id: None, delete_marker: false }, current)
                }
                (None, _) => {
                    let mut marker = delete_marker(now_ms);
                    self.stage_version(bucket, key, &record, &mut marker, &[], &mut batch, &mut refs)?;
                    (DeleteOutcome { version_id: Some(marker.version_id.clone()), delete_marker: true }, Some(marker))
                }
            };
            let created_marker = version_id.is_none() && outcome.delete_marker;
            let event = match &affected {
                Some(v) => Some(self.stage_events(bucket, key, v, cause.kind.event_name(created_marker), cause, now_ms, &mut batch)?),
                None => None,
            };
            let freed = refs.write(self, &mut batch)?;
            self.apply(&batch)?;
            if let Some(event) = event {
                self.publish(event);
            }
            (outcome, freed)
        };
        self.durable().await?;
        self.outbox_signal.notify_one();
        self.collect(&freed);
        Ok(outcome)
    }

    /// Adds the permanent removal of one version to `batch`. A version id that names
    /// nothing is not an error (S3 answers 204).
    #[allow(clippy::too_many_arguments)]
    fn remove_version(
        &self,
        bucket: &str,
        key: &str,
        id: &str,
        now_ms: i64,
        bypass_governance: bool,
        batch: &mut Batch,
        refs: &mut RefDelta,
    ) -> StoreResult<(DeleteOutcome, Option<ObjectVersion>)> {
        let Some(version) = self.version(bucket, key, id)? else {
            return Ok((DeleteOutcome { version_id: Some(id.to_owned()), delete_marker: false }, None));
        };
        self.may_remove(&version, now_ms, bypass_governance)?;
        self.remove_version_record(bucket, key, &version, batch, refs);
        let is_current = self.current(bucket, key)?.is_some_and(|c| c.seq == version.seq);
        if is_current {
            let (start, end) = keys::versions_of(bucket, key);
            let next = self
                .meta
                .scan(&start, Some(&end), 2)?
                .into_iter()
                .map(|(_, v)| v)
                .find(|v| stored::decode_version(v).is_ok_and(|n| n.seq != version.seq));
            match next {
                Some(v) => batch.put(keys::current(bucket, key), v),
                None => batch.delete(keys::current(bucket, key)),
            }
        }
        Ok((DeleteOutcome { version_id: Some(version.version_id.clone()), delete_marker: version.delete_marker }, Some(version)))
    }

    /// Up to `limit` versions of `bucket` from version-record key `from` (inclusive),
    /// by key then newest first.
    pub fn scan_versions(&self, bucket: &str, from: &[u8], limit: usize) -> StoreResult<Vec<VersionEntry>> {
        let (start, end) = keys::version_range(bucket);
        let first = if from < start.as_slice() { start } else { from.to_vec() };
        let mut out = Vec::new();
        for (k, v) in self.meta.scan(&first, Some(&end), limit)? {
            let (key, _) = keys::decode_version(bucket, &k).ok_or_else(|| super::corrupt("version key"))?;
            out.push(VersionEntry { key, version: stored::decode_version(&v)? });
        }
        Ok(out)
    }
}

/// A new delete marker (id and seq are assigned at commit).
fn delete_marker(now_ms: i64) -> ObjectVersion {
    ObjectVersion {
        version_id: String::new(),
        seq: 0,
        delete_marker: true,
        size: 0,
        etag: String::new(),
        last_modified_ms: now_ms,
        headers: ContentHeaders::default(),
        user_metadata: Vec::new(),
        checksums: Vec::new(),
        storage_class: super::MAIN_CLASS.to_owned(),
        tags: Vec::new(),
        part_sizes: Vec::new(),
        composite_checksum: false,
        part_checksums: Vec::new(),
        manifest: Vec::new(),
        acl: None,
        encryption: None,
        retention: None,
        legal_hold: false,
        website_redirect: None,
    }
}
