//! Metadata batches applied but not yet flushed, kept with what they replaced, so that
//! a failed flush leaves no visible trace.
//!
//! sled applies a batch to its in-memory view at once; only the group-commit flush
//! makes it durable. If that flush fails, the writers waiting on it get an error, and
//! their records must not stay readable and listable until a restart (a write that was
//! never durable would be visible, then vanish). So every batch is applied through
//! [`Store::apply`], which first reads the values the batch will replace; a failed
//! flush rolls back every batch not known durable, newest first, before any waiting
//! writer is answered. A successful flush forgets the batches it covered.

use std::collections::HashSet;
use std::sync::{MutexGuard, PoisonError};

use super::{Store, StoreResult};
use crate::meta::Batch;

/// The batches applied since the last flush known to cover them.
#[derive(Default)]
pub(super) struct Unflushed {
    /// Id of the last batch applied.
    last: u64,
    /// (id, the batch that undoes it), oldest first.
    undo: Vec<(u64, Batch)>,
}

impl Store {
    fn unflushed(&self) -> MutexGuard<'_, Unflushed> {
        // Still a valid list whatever panicked while holding it.
        self.unflushed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `batch` to the metadata store atomically, remembering how to undo it
    /// until a flush covers it.
    pub(super) fn apply(&self, batch: &Batch) -> StoreResult<()> {
        let mut log = self.unflushed();
        let mut undo = Batch::new();
        let mut seen = HashSet::new();
        for (key, _) in batch.ops() {
            if seen.insert(key.as_slice()) {
                match self.meta.get(key)? {
                    Some(old) => undo.put(key.clone(), old),
                    None => undo.delete(key.clone()),
                }
            }
        }
        self.meta.apply(batch)?;
        log.last += 1;
        let id = log.last;
        log.undo.push((id, undo));
        Ok(())
    }

    /// Returns once every batch applied before this call is durable (the group
    /// commit). If the flush failed, every batch not known durable has been rolled back
    /// when this returns the error.
    pub(super) async fn durable(&self) -> StoreResult<()> {
        let covered = self.unflushed().last;
        match self.commits.durable().await {
            Ok(()) => {
                self.unflushed().undo.retain(|(id, _)| *id > covered);
                Ok(())
            }
            Err(e) => {
                self.roll_back();
                Err(e.into())
            }
        }
    }

    /// Undoes every batch not known durable, newest first.
    fn roll_back(&self) {
        let _pins = self.locked();
        let mut log = self.unflushed();
        let undone = log.undo.len();
        for (_, undo) in log.undo.drain(..).rev() {
            if let Err(e) = self.meta.apply(&undo) {
                tracing::error!(error = %e, "could not roll back a metadata batch whose flush failed");
            }
        }
        if undone > 0 {
            tracing::warn!(undone, "metadata flush failed: rolled back the writes it held");
        }
    }
}
