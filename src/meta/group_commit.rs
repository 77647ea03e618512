//! [`GroupCommit`]: concurrent writers share one [`MetaStore::flush`].
//!
//! This machine does about 600 fsyncs per second; a flush per request would cap small
//! PUTs there. Instead each writer takes a ticket after its batch is applied and waits
//! until a flush that began after its ticket has finished. Whoever holds the leader lock
//! flushes for everyone who arrived before the flush started; the others find their
//! ticket covered when they get the lock and return without flushing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{MetaError, MetaStore};

/// Shares flushes between concurrent committers.
pub struct GroupCommit {
    /// The store to flush.
    store: Arc<dyn MetaStore>,
    /// Tickets handed out: one per applied batch that waits for durability.
    applied: AtomicU64,
    /// Highest ticket known durable.
    flushed: AtomicU64,
    /// Held by the one task running a flush; the queue on it is the group.
    leader: tokio::sync::Mutex<()>,
}

impl GroupCommit {
    /// Group commit over `store`.
    pub fn new(store: Arc<dyn MetaStore>) -> Self {
        Self { store, applied: AtomicU64::new(0), flushed: AtomicU64::new(0), leader: tokio::sync::Mutex::new(()) }
    }

    /// Returns once every batch applied before this call is durable.
    pub async fn durable(&self) -> Result<(), MetaError> {
        let ticket = self.applied.fetch_add(1, Ordering::SeqCst) + 1;
        loop {
            if self.flushed.load(Ordering::SeqCst) >= ticket {
                return Ok(());
            }
            let _leader = self.leader.lock().await;
            if self.flushed.load(Ordering::SeqCst) >= ticket {
                return Ok(());
            }
            // Everything ticketed so far was applied before its ticket was taken, so one
            // flush now covers all of them.
            let target = self.applied.load(Ordering::SeqCst);
            let store = Arc::clone(&self.store);
            tokio::task::spawn_blocking(move || store.flush()).await.map_err(|e| MetaError::Backend(format!("flush task: {e}")))??;
            self.flushed.fetch_max(target, Ordering::SeqCst);
        }
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
        assert_eq!(gc.flushed.load(Ordering::SeqCst), 64);
    }
}
