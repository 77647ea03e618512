//! The metadata store: an ordered, transactional key-value map that holds every
//! record coffer keeps besides blob bytes.
//!
//! Everything above this module talks to [`MetaStore`], never to sled directly, so the
//! embedded database can be replaced (Garage had to drop sled; we keep that door open).
//! Two adapters share one conformance suite: [`SledStore`] (the default, on disk) and
//! [`MemoryStore`] (tests).
//!
//! The contract, in the terms of `docs/durability.md`:
//! - [`MetaStore::apply`] is atomic: after a crash either every write of a batch is
//!   visible or none is.
//! - A batch is durable once a [`MetaStore::flush`] that started after `apply` returned
//!   has returned. [`GroupCommit`] lets concurrent writers share one flush.
//!
//! This module knows nothing of HTTP, S3 headers or blob files.

mod group_commit;
pub mod keys;
mod memory;
mod sled_store;

pub use group_commit::GroupCommit;
pub use memory::MemoryStore;
pub use sled_store::SledStore;

/// An error of the metadata store itself (I/O, corruption). Expected outcomes such as
/// a missing key are `Ok(None)`, never an error.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// The underlying database failed.
    #[error("metadata store: {0}")]
    Backend(String),
    /// A stored record could not be decoded (unknown schema version or corruption).
    #[error("metadata record {key}: {detail}")]
    Corrupt {
        /// The printable form of the record's key.
        key: String,
        /// What was wrong with it.
        detail: String,
    },
}

/// One key and its value, as returned by scans.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A set of writes applied atomically by [`MetaStore::apply`].
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// Writes in order; `None` deletes the key. A later write to the same key wins.
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push((key, Some(value)));
    }

    /// Deletes `key` (a no-op if it is absent).
    pub fn delete(&mut self, key: Vec<u8>) {
        self.ops.push((key, None));
    }

    /// Whether the batch holds no writes.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The writes, in order.
    pub fn ops(&self) -> &[(Vec<u8>, Option<Vec<u8>>)] {
        &self.ops
    }
}

/// An ordered key-value store with atomic batches and an explicit durability point.
///
/// Keys compare as unsigned byte strings; [`keys`] encodes records so that this order
/// is S3's listing order.
pub trait MetaStore: Send + Sync + 'static {
    /// The value at `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, MetaError>;

    /// Up to `limit` entries with `start <= key < end` (`end: None` = no upper bound),
    /// ascending. Costs O(limit), not O(store size).
    fn scan(&self, start: &[u8], end: Option<&[u8]>, limit: usize) -> Result<Vec<Entry>, MetaError>;

    /// Up to `limit` entries with `start <= key < end`, descending from `end`.
    fn scan_rev(&self, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, MetaError>;

    /// Applies every write of `batch` atomically (all or nothing, also across a crash).
    fn apply(&self, batch: &Batch) -> Result<(), MetaError>;

    /// Makes every batch applied before this call durable. Blocking; call it through
    /// [`GroupCommit`] from async code.
    fn flush(&self) -> Result<(), MetaError>;

    /// Bytes the store occupies on disk (0 for in-memory stores).
    fn size_on_disk(&self) -> u64;
}

#[cfg(test)]
mod conformance;
