//! The blob collector: deletes blob files that no version references.
//!
//! Deletion happens only after the metadata change that dropped the last reference is
//! durable (a crash must never leave a durable record pointing at a deleted blob), and
//! re-checks the count and the pins under the commit lock, so it cannot race a commit
//! that starts referencing the same bytes again.

use super::{Store, TierBlob};

impl Store {
    /// Deletes each of `hashes` whose reference count is zero and that no write is
    /// publishing. Failures are logged: a leftover blob wastes space, nothing more, and
    /// [`Store::reconcile_blobs`] retries it at the next start.
    pub(super) fn collect(&self, blobs: &[TierBlob]) {
        if blobs.is_empty() {
            return;
        }
        let pins = self.locked();
        for &(tier, hash) in blobs {
            match self.count((tier, hash)) {
                // In use by a read or a write: collected when its last pin goes (see
                // [`super::ReadLease`]).
                Ok(0) if pins.contains_key(&(tier, hash)) => {
                    self.deferred().insert((tier, hash));
                }
                Ok(0) => {
                    if let Err(e) = self.tiers[tier].blobs.remove(&hash) {
                        if e.kind() != std::io::ErrorKind::NotFound {
                            tracing::warn!(%hash, error = %e, "could not remove unreferenced blob");
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(%hash, error = %e, "reading reference count"),
            }
        }
    }

    /// Removes blobs left unreferenced by a crash between placing a blob and committing
    /// the version that references it. Run once at start-up, in the background.
    /// Returns how many blobs were removed.
    pub fn reconcile_blobs(&self) -> usize {
        let mut removed = 0;
        for (tier, t) in self.tiers.iter().enumerate() {
            let hashes = match t.blobs.list() {
                Ok(h) => h,
                Err(e) => {
                    tracing::warn!(class = %t.class, error = %e, "listing blobs for reconciliation");
                    continue;
                }
            };
            for chunk in hashes.chunks(1024) {
                let orphans: Vec<TierBlob> = chunk.iter().map(|h| (tier, *h)).filter(|b| matches!(self.count(*b), Ok(0))).collect();
                removed += orphans.len();
                self.collect(&orphans);
            }
        }
        if removed > 0 {
            tracing::info!(removed, "removed unreferenced blobs left by an earlier crash");
        }
        self.reconciled.store(true, std::sync::atomic::Ordering::Release);
        removed
    }
}
