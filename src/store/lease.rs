//! [`ReadLease`]: keeps the blobs of a version being streamed from being collected.
//!
//! A GET looks its version up, then streams its blobs one after another, opening each
//! when it gets there. Meanwhile the version may be deleted, overwritten or moved to
//! another tier, dropping the last reference to a blob the GET has yet to open. The
//! lease pins the blobs for as long as the body is streamed: the collector skips pinned
//! blobs and records them as deferred, and the lease collects them when it ends. So a
//! read that began sees the whole version it began with, as on S3.

use std::ops::Deref;
use std::sync::{Arc, MutexGuard, PoisonError};

use super::{pin, unpin, Store, StoreError, StoreResult, TierBlob};
use crate::meta::keys;
use crate::model::{stored, ObjectVersion};

/// The blobs of one version, pinned until this is dropped. Holds the store by `Arc`
/// (a response body outlives its handler) or by reference (inside a store operation).
pub struct ReadLease<S: Deref<Target = Store> = Arc<Store>> {
    store: S,
    blobs: Vec<TierBlob>,
    /// The bytes of a version stored inline, read when the lease was taken (nothing to
    /// pin: they are in memory).
    inline: Option<bytes::Bytes>,
}

impl<S: Deref<Target = Store>> ReadLease<S> {
    /// The version's bytes, if it is stored inline.
    pub fn inline(&self) -> Option<&bytes::Bytes> {
        self.inline.as_ref()
    }
}

impl Store {
    /// Pins the blobs of `version` (of `key` in `bucket`) for a read. Fails with
    /// [`StoreError::SourceGone`] if the version changed tier or went away since it was
    /// looked up (its blobs may be gone): look it up again.
    pub fn lease(self: &Arc<Self>, bucket: &str, key: &str, version: &ObjectVersion) -> StoreResult<ReadLease> {
        lease_in(Arc::clone(self), bucket, key, version)
    }

    /// [`Store::lease`] for use within a store operation.
    pub(super) fn lease_here(&self, bucket: &str, key: &str, version: &ObjectVersion) -> StoreResult<ReadLease<&Store>> {
        lease_in(self, bucket, key, version)
    }

    /// Blobs whose collection waits for their last pin.
    pub(super) fn deferred(&self) -> MutexGuard<'_, std::collections::HashSet<TierBlob>> {
        self.deferred.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn lease_in<S: Deref<Target = Store>>(store: S, bucket: &str, key: &str, version: &ObjectVersion) -> StoreResult<ReadLease<S>> {
    if version.is_inline() {
        // Inline bytes are removed with their version, in the same batch, and a
        // transition to another tier removes them too: found means still this version.
        return match store.inline_bytes(version.seq)? {
            Some(data) => Ok(ReadLease { store, blobs: Vec::new(), inline: Some(data) }),
            None => Err(StoreError::SourceGone),
        };
    }
    let tier = store.tier_of(&version.storage_class);
    let mut blobs: Vec<TierBlob> = version.manifest.iter().map(|e| (tier, e.hash)).collect();
    blobs.sort_unstable();
    blobs.dedup();
    {
        let mut pins = store.locked();
        for b in &blobs {
            pin(&mut pins, *b);
        }
    }
    let record = store.meta.get(&keys::version(bucket, key, version.seq));
    let lease = ReadLease { store, blobs, inline: None };
    // Pinned first, checked second: if the record is still there now, its blobs were
    // referenced when the pins went in, and the collector now leaves them.
    let still = match record? {
        Some(raw) => stored::decode_version(&raw)?.storage_class == version.storage_class,
        None => false,
    };
    if still {
        Ok(lease)
    } else {
        Err(StoreError::SourceGone)
    }
}

impl<S: Deref<Target = Store>> Drop for ReadLease<S> {
    fn drop(&mut self) {
        let released: Vec<TierBlob> = {
            let mut pins = self.store.locked();
            let mut deferred = self.store.deferred();
            self.blobs
                .iter()
                .filter(|b| {
                    unpin(&mut pins, **b);
                    !pins.contains_key(b) && deferred.remove(b)
                })
                .copied()
                .collect()
        };
        // Their last reference was dropped by a change already durable (the collector
        // runs only after the flush), so they can go now.
        self.store.collect(&released);
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures_util::StreamExt as _;

    use super::*;
    use crate::blob::{Blobs, FsBlobStore};
    use crate::meta::MemoryStore;
    use crate::model::event::Cause;
    use crate::model::{BucketRecord, Versioning};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_leased_version_stays_readable_after_delete() {
        let dir = tempfile::tempdir().unwrap();
        let main = Blobs::new(Arc::new(FsBlobStore::open(dir.path()).unwrap()));
        let store = Arc::new(Store::with_parts(Arc::new(MemoryStore::new()), main.clone()).unwrap());
        let record = BucketRecord { created_ms: 0, region: "r".into(), versioning: Versioning::Unversioned, owner: "o".into() };
        store.create_bucket("b", record).await.unwrap();
        let cause = Cause::default();
        let data = Bytes::from(vec![5u8; 100_000]);
        let v = store.put_bytes_for_test("b", "k", data.clone(), "STANDARD").await;
        let hash = v.manifest[0].hash;

        let lease = store.lease("b", "k", &v).unwrap();
        store.delete_object("b", "k", None, 1, &cause).await.unwrap();
        assert!(main.exists(&hash), "leased: not collected");
        let mut read = std::pin::pin!(main.read(&hash, 0, v.size));
        let mut back = Vec::new();
        while let Some(chunk) = read.next().await {
            back.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(back, data);
        drop(lease);
        assert!(!main.exists(&hash), "collected when the lease ends");
        assert!(store.audit().unwrap().is_clean());
        // A version gone before the lease: refused, so the reader looks again.
        assert!(matches!(store.lease("b", "k", &v), Err(StoreError::SourceGone)));
    }
}
