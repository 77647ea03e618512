//! Per-bucket configuration documents (tagging, lifecycle) and object tag updates.
//!
//! Documents are stored as opaque bytes chosen by the caller (already validated);
//! the store only keeps them durable and removes them with their bucket.

use super::{Store, StoreError, StoreResult};
use crate::meta::{keys, Batch};
use crate::model::event::Cause;
use crate::model::stored;

impl Store {
    /// A bucket configuration document, if set.
    pub fn bucket_config(&self, bucket: &str, name: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.meta.get(&keys::bucket_config(bucket, name))?)
    }

    /// Sets (`Some`) or removes (`None`) a bucket configuration document.
    pub async fn set_bucket_config(&self, bucket: &str, name: &str, value: Option<Vec<u8>>) -> StoreResult<()> {
        self.set_bucket_config_of(bucket, None, name, value).await
    }

    /// [`Self::set_bucket_config`] on the bucket created at `created_ms` only: a bucket
    /// deleted and created again (by another account, maybe) since the request was
    /// authorized is another bucket, and the write is refused with NoSuchBucket.
    pub async fn set_bucket_config_of(&self, bucket: &str, created_ms: Option<i64>, name: &str, value: Option<Vec<u8>>) -> StoreResult<()> {
        {
            let _guard = self.locked();
            let record = self.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
            if created_ms.is_some_and(|c| c != record.created_ms) {
                return Err(StoreError::NoSuchBucket);
            }
            let mut batch = Batch::new();
            match value {
                Some(v) => batch.put(keys::bucket_config(bucket, name), v),
                None => batch.delete(keys::bucket_config(bucket, name)),
            }
            self.apply(&batch)?;
        }
        self.durable().await
    }

    /// A background worker's saved resume point.
    pub fn worker_progress(&self, worker: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.meta.get(&keys::progress(worker))?)
    }

    /// Saves (or clears) a worker's resume point. Not flushed on its own: losing the
    /// latest one in a crash only repeats some work.
    pub fn set_worker_progress(&self, worker: &str, value: Option<Vec<u8>>) -> StoreResult<()> {
        let mut batch = Batch::new();
        match value {
            Some(v) => batch.put(keys::progress(worker), v),
            None => batch.delete(keys::progress(worker)),
        }
        self.apply(&batch)
    }

    /// [`Self::set_worker_progress`], returning once the record is durable (a failed
    /// flush rolls it back).
    pub async fn set_worker_progress_durably(&self, worker: &str, value: Option<Vec<u8>>) -> StoreResult<()> {
        self.set_worker_progress(worker, value)?;
        self.durable().await
    }

    /// Replaces the tags of one version (the current one if `version_id` is `None`).
    /// Tags change no bytes and create no version, as in S3. Returns the version id.
    pub async fn set_tags(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        tags: Vec<(String, String)>,
        cause: &Cause,
        now_ms: i64,
    ) -> StoreResult<String> {
        self.modify_version(bucket, key, version_id, cause, now_ms, |v| {
            v.tags = tags;
            Ok(())
        })
        .await
    }

    /// Replaces the owner and ACL of one version (the current one if `version_id` is
    /// `None`); `None` is the default (bucket owner, full control). Returns the version id.
    pub async fn set_version_acl(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        acl: Option<crate::model::acl::Acl>,
        cause: &Cause,
        now_ms: i64,
    ) -> StoreResult<String> {
        self.modify_version(bucket, key, version_id, cause, now_ms, |v| {
            v.acl = acl;
            Ok(())
        })
        .await
    }

    /// Changes one version's attributes (not its bytes) in place, publishing the
    /// cause's event.
    pub(super) async fn modify_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        cause: &Cause,
        now_ms: i64,
        change: impl FnOnce(&mut crate::model::ObjectVersion) -> StoreResult<()>,
    ) -> StoreResult<String> {
        let id = {
            let _guard = self.locked();
            self.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
            let current = self.current(bucket, key)?;
            let mut version = match version_id {
                Some(id) => self.version(bucket, key, id)?.ok_or(StoreError::NoSuchVersion)?,
                None => current.clone().filter(|v| !v.delete_marker).ok_or(StoreError::NoSuchKey)?,
            };
            if version.delete_marker {
                return Err(StoreError::MethodNotAllowed);
            }
            change(&mut version)?;
            let encoded = stored::encode_version(&version);
            let mut batch = Batch::new();
            batch.put(keys::version(bucket, key, version.seq), encoded.clone());
            if current.is_some_and(|c| c.seq == version.seq) {
                batch.put(keys::current(bucket, key), encoded);
            }
            let event = self.stage_events(bucket, key, &version, cause.kind.event_name(false), cause, now_ms, &mut batch)?;
            self.apply(&batch)?;
            self.publish(event);
            version.version_id
        };
        self.durable().await?;
        self.outbox_signal.notify_one();
        Ok(id)
    }
}
