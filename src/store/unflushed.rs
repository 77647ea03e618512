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

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{MutexGuard, PoisonError};

use super::{Store, StoreResult};
use crate::meta::{keys, Batch};

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
        let mut old: HashMap<&[u8], Option<Vec<u8>>> = HashMap::new();
        let mut undo = Batch::new();
        for (key, _) in batch.ops() {
            if let Entry::Vacant(slot) = old.entry(key.as_slice()) {
                let value = self.meta.get(key)?;
                match &value {
                    Some(v) => undo.put(key.clone(), v.clone()),
                    None => undo.delete(key.clone()),
                }
                slot.insert(value);
            }
        }
        // Usage records change in the same batch as what they count (see `usage.rs`);
        // a batch that would exceed a quota stops here, before anything is applied.
        let usage = self.usage_changes(batch, &old)?;
        let extended;
        let batch = if usage.is_empty() {
            batch
        } else {
            let mut with_usage = batch.clone();
            for (key, before, after) in usage {
                match before {
                    Some(v) => undo.put(key.clone(), v),
                    None => undo.delete(key.clone()),
                }
                match after {
                    Some(v) => with_usage.put(key, v),
                    None => with_usage.delete(key),
                }
            }
            extended = with_usage;
            &extended
        };
        self.meta.apply(batch)?;
        let queued =
            batch.ops().iter().filter(|(k, v)| keys::is_outbox(k) && v.is_some() && old.get(k.as_slice()).is_some_and(Option::is_none));
        let taken =
            batch.ops().iter().filter(|(k, v)| keys::is_outbox(k) && v.is_none() && old.get(k.as_slice()).is_some_and(Option::is_some));
        let (queued, taken) = (queued.count() as u64, taken.count() as u64);
        if queued != taken {
            // Never below zero (a rollback may have put back entries since delivered).
            let _ = self.outbox_backlog.fetch_update(std::sync::atomic::Ordering::Relaxed, std::sync::atomic::Ordering::Relaxed, |n| {
                Some((n + queued).saturating_sub(taken))
            });
        }
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
