//! Storage-class transitions: moving one version's blobs to another tier.
//!
//! The protocol follows the write path: copy each blob into the target tier (read
//! whole, so verified; staged and pinned there), make the copies durable and place
//! them, then one metadata batch switches the version's storage class and moves its
//! references from the old tier to the new; after the flush the old copies, now
//! unreferenced, are collected. A crash before the batch leaves the version where it
//! was (the new copies are unreferenced and reconciled away); after it, in the new tier.
//! The manifest does not change: the same bytes have the same address in every tier.

use super::{unpin, RefDelta, Store, StoreError, StoreResult, TierBlob};
use crate::blob::BlobHash;
use crate::meta::{keys, Batch};
use crate::model::event::Cause;
use crate::model::{stored, ManifestEntry};

/// The event of a transition.
const TRANSITION_EVENT: &str = "s3:LifecycleTransition";

/// One version's move, as decided before its blobs were copied.
struct Moved<'a> {
    /// The version.
    seq: u64,
    /// The storage class it had.
    from: &'a str,
    /// The storage class it gets.
    to: &'a str,
    /// For a version stored inline: the manifest of the blob its bytes became.
    manifest: Option<Vec<ManifestEntry>>,
}

impl Store {
    /// Moves version `seq` of `key` to storage class `to` (a configured tier, or
    /// `STANDARD`). Fails with `PreconditionFailed` if the version is gone, is a delete
    /// marker, or changed class since it was evaluated (`from`).
    #[allow(clippy::too_many_arguments)]
    pub async fn transition_version(
        &self,
        bucket: &str,
        key: &str,
        seq: u64,
        from: &str,
        to: &str,
        now_ms: i64,
        cause: &Cause,
    ) -> StoreResult<()> {
        if !self.has_storage_class(to) {
            return Err(StoreError::Io(std::io::Error::other(format!("storage class {to} has no tier"))));
        }
        let record_key = keys::version(bucket, key, seq);
        let version = match self.meta.get(&record_key)? {
            Some(raw) => stored::decode_version(&raw)?,
            None => return Err(StoreError::PreconditionFailed),
        };
        if version.delete_marker || version.storage_class != from || from == to {
            return Err(StoreError::PreconditionFailed);
        }
        // Leased while copied: a delete meanwhile makes this transition stale, not broken.
        let lease = match self.lease_here(bucket, key, &version) {
            Err(StoreError::SourceGone) => return Err(StoreError::PreconditionFailed),
            other => other?,
        };
        // A version stored inline leaves the metadata store: its bytes become a blob in
        // the target tier, and the version gets a manifest.
        let (mut staged, manifest) = match lease.inline() {
            Some(data) => {
                // Stored as they are (sealed, if encrypted: the blob holds the same
                // chunks a sealed write would), covering the object's plaintext size.
                let staged = self.stage_bytes(to, data.clone(), crate::blob::HashRequest::default()).await?;
                let manifest = vec![ManifestEntry { hash: staged.hash, offset: 0, len: version.size }];
                (vec![staged], Some(manifest))
            }
            None => (self.stage_in_tier(&version.manifest, from, to).await?, None),
        };
        drop(lease);
        let target = self.tier_of(to);
        let moved = Moved { seq, from, to, manifest };
        self.commit_with_blobs(target, &mut staged, |pinned| self.commit_transition(bucket, key, &moved, pinned, now_ms, cause)).await
    }

    /// Under the lock: re-check the version, switch its class and references (and, for
    /// a version stored inline, give it its manifest and drop its inline bytes).
    fn commit_transition(
        &self,
        bucket: &str,
        key: &str,
        moved: &Moved<'_>,
        pinned: &[BlobHash],
        now_ms: i64,
        cause: &Cause,
    ) -> StoreResult<Vec<TierBlob>> {
        let Moved { seq, from, to, .. } = *moved;
        let mut pins = self.locked();
        let target = self.tier_of(to);
        for hash in pinned {
            unpin(&mut pins, (target, *hash));
        }
        let record_key = keys::version(bucket, key, seq);
        let Some(raw) = self.meta.get(&record_key)? else { return Err(StoreError::PreconditionFailed) };
        let mut version = stored::decode_version(&raw)?;
        if version.storage_class != from || version.is_inline() != moved.manifest.is_some() {
            return Err(StoreError::PreconditionFailed);
        }
        let mut batch = Batch::new();
        let mut refs = RefDelta::default();
        self.unreference(&version, &mut refs);
        if let Some(manifest) = &moved.manifest {
            batch.delete(keys::inline(seq));
            version.manifest.clone_from(manifest);
        }
        to.clone_into(&mut version.storage_class);
        self.reference(&version.manifest, target, pinned, &mut refs)?;
        let encoded = stored::encode_version(&version);
        if self.current(bucket, key)?.is_some_and(|c| c.seq == seq) {
            batch.put(keys::current(bucket, key), encoded.clone());
        }
        batch.put(record_key, encoded);
        let event = self.stage_events(bucket, key, &version, TRANSITION_EVENT, cause, now_ms, &mut batch)?;
        let freed = refs.write(self, &mut batch)?;
        self.apply(&batch)?;
        self.publish(event);
        Ok(freed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use futures_util::StreamExt as _;

    use super::*;
    use crate::blob::{Blobs, FsBlobStore};
    use crate::meta::MemoryStore;
    use crate::model::{BucketRecord, Versioning};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transition_moves_blobs_and_references_and_keeps_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let main = Blobs::new(Arc::new(FsBlobStore::open(&dir.path().join("main")).unwrap()));
        let cold = Blobs::new(Arc::new(FsBlobStore::open(&dir.path().join("cold")).unwrap()));
        let store = Store::with_tiers(Arc::new(MemoryStore::new()), main.clone(), vec![("GLACIER".into(), cold.clone())]).unwrap();
        let record = BucketRecord { created_ms: 0, region: "r".into(), versioning: Versioning::Enabled, owner: "o".into() };
        store.create_bucket("b", record).await.unwrap();
        let cause = Cause::default();
        let data = Bytes::from(vec![7u8; 300_000]);
        let put = |key: &'static str| store.put_bytes_for_test("b", key, data.clone(), "STANDARD");
        let old = put("k").await;
        let new = put("k").await;
        let other = put("shared").await;
        let hash = old.manifest[0].hash;
        assert_eq!(store.refcount(&hash).unwrap(), 3, "identical bytes dedup in one tier");

        store.transition_version("b", "k", old.seq, "STANDARD", "GLACIER", 1, &cause).await.unwrap();
        assert!(cold.exists(&hash), "copied to the tier");
        assert!(main.exists(&hash), "still referenced by the other versions");
        assert_eq!(store.refcount(&hash).unwrap(), 2);
        store.transition_version("b", "k", new.seq, "STANDARD", "GLACIER", 1, &cause).await.unwrap();
        store.transition_version("b", "shared", other.seq, "STANDARD", "GLACIER", 1, &cause).await.unwrap();
        assert!(!main.exists(&hash), "the last main-tier reference gone, the old copy is collected");
        assert_eq!(store.current("b", "k").unwrap().unwrap().storage_class, "GLACIER");
        assert_eq!(store.version("b", "k", &old.version_id).unwrap().unwrap().storage_class, "GLACIER");
        let mut read = std::pin::pin!(store.blobs_for("GLACIER").read(&hash, 0, data.len() as u64));
        let mut back = Vec::new();
        while let Some(chunk) = read.next().await {
            back.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(back, data);
        assert!(store.audit().unwrap().is_clean(), "{:?}", store.audit().unwrap());
        // Evaluated stale: the version already moved.
        let again = store.transition_version("b", "k", old.seq, "STANDARD", "GLACIER", 1, &cause).await;
        assert!(matches!(again, Err(StoreError::PreconditionFailed)));
        // Deleting the versions frees the tier's copy.
        for v in [&old, &new] {
            store.delete_object("b", "k", Some(&v.version_id), 2, &cause).await.unwrap();
        }
        store.delete_object("b", "shared", Some(&other.version_id), 2, &cause).await.unwrap();
        assert!(!cold.exists(&hash));
        assert!(store.audit().unwrap().is_clean());
    }

    #[test]
    fn a_tier_that_held_objects_must_stay_declared() {
        let dir = tempfile::tempdir().unwrap();
        let tiers = vec![("GLACIER".to_owned(), dir.path().join("cold"))];
        drop(Store::open_with_tiers(&dir.path().join("data"), 8 << 20, &tiers, 0).unwrap());
        let reopened = Store::open(&dir.path().join("data"), 8 << 20);
        assert!(matches!(reopened, Err(StoreError::TierMissing(m)) if m.contains("GLACIER")));
        let more = vec![tiers[0].clone(), ("STANDARD_IA".to_owned(), dir.path().join("ia"))];
        drop(Store::open_with_tiers(&dir.path().join("data"), 8 << 20, &more, 0).unwrap());
        assert!(
            matches!(Store::open_with_tiers(&dir.path().join("data"), 8 << 20, &tiers, 0), Err(StoreError::TierMissing(m)) if m.contains("STANDARD_IA"))
        );
    }

    #[test]
    fn a_tier_directory_must_be_the_one_used_before() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (cold, ia, empty) = (dir.path().join("cold"), dir.path().join("ia"), dir.path().join("unmounted"));
        let tiers =
            |g: &std::path::Path, i: &std::path::Path| vec![("GLACIER".to_owned(), g.to_owned()), ("STANDARD_IA".to_owned(), i.to_owned())];
        drop(Store::open_with_tiers(&data, 8 << 20, &tiers(&cold, &ia), 0).unwrap());
        std::fs::create_dir_all(cold.join("blobs/ab")).unwrap();
        // Swapped in the configuration.
        let swapped = Store::open_with_tiers(&data, 8 << 20, &tiers(&ia, &cold), 0);
        assert!(matches!(swapped, Err(StoreError::TierMissing(m)) if m.contains("holds the")));
        // A disk not mounted: an empty directory where GLACIER's was.
        std::fs::create_dir_all(&empty).unwrap();
        let unmounted = Store::open_with_tiers(&data, 8 << 20, &tiers(&empty, &ia), 0);
        assert!(matches!(unmounted, Err(StoreError::TierMissing(m)) if m.contains("mounted")));
        assert!(!empty.join("coffer-tier").exists(), "nothing written to the wrong directory");
        // A tier from before markers, holding blobs, is adopted.
        std::fs::remove_file(cold.join("coffer-tier")).unwrap();
        drop(Store::open_with_tiers(&data, 8 << 20, &tiers(&cold, &ia), 0).unwrap());
        assert_eq!(std::fs::read_to_string(cold.join("coffer-tier")).unwrap(), "GLACIER\n");
    }

    #[tokio::test]
    async fn a_class_with_objects_in_the_main_directory_cannot_get_a_tier() {
        use crate::meta::{keys, Batch, MetaStore};
        use crate::store::{MAIN_CLASSES_COUNTER, TIERS_COUNTER};
        let dir = tempfile::tempdir().unwrap();
        let meta: Arc<dyn MetaStore> = Arc::new(MemoryStore::new());
        let main = Blobs::new(Arc::new(FsBlobStore::open(&dir.path().join("main")).unwrap()));
        let cold = || Blobs::new(Arc::new(FsBlobStore::open(&dir.path().join("ia")).unwrap()));
        let store = Store::with_parts(Arc::clone(&meta), main.clone()).unwrap();
        let record = BucketRecord { created_ms: 0, region: "r".into(), versioning: Versioning::Enabled, owner: "o".into() };
        store.create_bucket("b", record).await.unwrap();
        // Written as a coffer without tiers did: the class a label, the bytes in main.
        store.put_bytes_for_test("b", "k", Bytes::from_static(b"old bytes"), "STANDARD_IA").await;
        drop(store);
        let mut forget = Batch::new();
        forget.delete(keys::counter(TIERS_COUNTER));
        forget.delete(keys::counter(MAIN_CLASSES_COUNTER));
        meta.apply(&forget).unwrap();

        let refused = Store::with_tiers(Arc::clone(&meta), main.clone(), vec![("STANDARD_IA".into(), cold())]);
        assert!(matches!(refused, Err(StoreError::TierMissing(m)) if m.contains("STANDARD_IA") && m.contains("main blob directory")));
        let store = Store::with_parts(Arc::clone(&meta), main.clone()).unwrap();
        let hash = store.current("b", "k").unwrap().unwrap().manifest[0].hash;
        assert!(store.blobs_for("STANDARD_IA").exists(&hash), "served from the main directory");
        drop(store);
        // Recorded: still refused on a later open, and other classes can have tiers.
        let refused = Store::with_tiers(Arc::clone(&meta), main.clone(), vec![("STANDARD_IA".into(), cold())]);
        assert!(matches!(refused, Err(StoreError::TierMissing(_))));
        Store::with_tiers(meta, main, vec![("GLACIER".into(), cold())]).unwrap();
    }
}
