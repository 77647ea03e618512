//! [`GroupCommit`]: concurrent writers share one [`MetaStore::flush`].
//!
//! A flush per request would cap small PUTs at the disk's fsyncs per second. Each
//! writer applies its batch, then waits on [`GroupCommit::durable`]; one flush that
//! began after its batch was applied covers it (see [`crate::group_sync`]).

use std::sync::Arc;

use super::{MetaError, MetaStore};
use crate::group_sync::{BarrierTaskFailed, GroupSync};

impl From<BarrierTaskFailed> for MetaError {
    fn from(e: BarrierTaskFailed) -> Self {
        MetaError::Backend(e.to_string())
    }
}

/// Shares flushes between concurrent committers.
pub struct GroupCommit {
    /// Runs [`MetaStore::flush`] once for every group of waiting committers.
    group: GroupSync<MetaError>,
}

impl GroupCommit {
    /// Group commit over `store`.
    pub fn new(store: Arc<dyn MetaStore>) -> Self {
        Self { group: GroupSync::new(move || store.flush()) }
    }

    /// Why metadata durability can no longer be promised, if a flush has failed.
    pub fn failure(&self) -> Option<&str> {
        self.group.failure()
    }

    /// Flushes run, commits they covered, time spent flushing.
    pub fn stats(&self) -> crate::group_sync::SyncStats {
        self.group.stats()
    }

    /// Returns once every batch applied before this call is durable.
    pub async fn durable(&self) -> Result<(), MetaError> {
        self.group.durable().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::{Batch, MemoryStore};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_writers_all_return() {
        let store: Arc<dyn MetaStore> = Arc::new(MemoryStore::new());
        let gc = Arc::new(GroupCommit::new(Arc::clone(&store)));
        let mut tasks = Vec::new();
        for i in 0..64u32 {
            let (gc, store) = (Arc::clone(&gc), Arc::clone(&store));
            tasks.push(tokio::spawn(async move {
                let mut b = Batch::new();
                b.put(i.to_be_bytes().to_vec(), vec![1]);
                store.apply(&b).unwrap();
                gc.durable().await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(gc.group.covered(), 64);
    }
}
