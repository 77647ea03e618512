//! [`MemoryStore`]: a `BTreeMap` behind a lock, for tests and as the reference model
//! the conformance suite holds the sled adapter to.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::RwLock;

use super::{Batch, Entry, MetaError, MetaStore};

/// An in-memory [`MetaStore`]; nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    /// The whole map; a `RwLock` because reads (listings) far outnumber batches.
    map: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Vec<u8>, Vec<u8>>> {
        // A poisoned lock only means another thread panicked mid-read; the map is intact
        // because every write happens in `apply` without panicking paths.
        self.map.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl MetaStore for MemoryStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, MetaError> {
        Ok(self.read().get(key).cloned())
    }

    fn scan(&self, start: &[u8], end: Option<&[u8]>, limit: usize) -> Result<Vec<Entry>, MetaError> {
        let map = self.read();
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        if end.is_some_and(|e| e <= start) {
            return Ok(Vec::new());
        }
        Ok(map.range((Bound::Included(start.to_vec()), upper)).take(limit).map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    fn scan_rev(&self, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, MetaError> {
        if end <= start {
            return Ok(Vec::new());
        }
        let map = self.read();
        Ok(map
            .range((Bound::Included(start.to_vec()), Bound::Excluded(end.to_vec())))
            .rev()
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn apply(&self, batch: &Batch) -> Result<(), MetaError> {
        let mut map = self.map.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (key, value) in batch.ops() {
            match value {
                Some(v) => map.insert(key.clone(), v.clone()),
                None => map.remove(key),
            };
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), MetaError> {
        Ok(())
    }

    fn size_on_disk(&self) -> u64 {
        0
    }
}
