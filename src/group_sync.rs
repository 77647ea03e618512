//! [`GroupSync`]: concurrent callers share one run of an expensive durability barrier
//! (a metadata flush, a filesystem sync).
//!
//! fsyncs are the scarce resource of a small-object write path: a barrier per request
//! caps throughput at the disk's fsyncs per second. Instead each caller takes a ticket
//! once its own change is in place and waits until a barrier that *began after* its
//! ticket has finished. Whoever holds the leader lock runs the barrier for everyone who
//! arrived before it started; the others find their ticket covered when they get the
//! lock and return without running it.
//!
//! The bottom layer: imports nothing from the crate, so `meta` and `blob` both use it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The barrier a [`GroupSync`] runs: blocking, so it runs on tokio's blocking pool.
type Barrier<E> = Arc<dyn Fn() -> Result<(), E> + Send + Sync>;

/// The barrier task itself failed (it panicked); converted into the caller's error type.
#[derive(Debug, thiserror::Error)]
#[error("durability barrier task failed: {0}")]
pub struct BarrierTaskFailed(pub String);

impl From<BarrierTaskFailed> for std::io::Error {
    fn from(e: BarrierTaskFailed) -> Self {
        std::io::Error::other(e)
    }
}

/// Shares runs of one barrier between concurrent callers.
pub struct GroupSync<E> {
    /// What makes every change made so far durable.
    barrier: Barrier<E>,
    /// Tickets handed out: one per caller waiting for durability.
    requested: AtomicU64,
    /// Highest ticket known durable.
    done: AtomicU64,
    /// Held by the one task running the barrier; the queue on it is the group.
    leader: tokio::sync::Mutex<()>,
}

impl<E: From<BarrierTaskFailed> + Send + 'static> GroupSync<E> {
    /// Group sync over `barrier`.
    pub fn new(barrier: impl Fn() -> Result<(), E> + Send + Sync + 'static) -> Self {
        Self { barrier: Arc::new(barrier), requested: AtomicU64::new(0), done: AtomicU64::new(0), leader: tokio::sync::Mutex::new(()) }
    }

    /// Returns once every change made before this call is durable. If the barrier fails,
    /// the caller that ran it gets the error; the others run it again themselves.
    pub async fn durable(&self) -> Result<(), E> {
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        loop {
            if self.done.load(Ordering::SeqCst) >= ticket {
                return Ok(());
            }
            let _leader = self.leader.lock().await;
            if self.done.load(Ordering::SeqCst) >= ticket {
                return Ok(());
            }
            // Every ticket so far was taken after its change was in place, so one
            // barrier starting now covers all of them.
            let target = self.requested.load(Ordering::SeqCst);
            let barrier = Arc::clone(&self.barrier);
            tokio::task::spawn_blocking(move || barrier()).await.map_err(|e| BarrierTaskFailed(e.to_string()))??;
            self.done.fetch_max(target, Ordering::SeqCst);
        }
    }

    /// The highest ticket a finished barrier covers. For tests.
    #[cfg(test)]
    pub(crate) fn covered(&self) -> u64 {
        self.done.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_callers_share_few_barriers() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let group = Arc::new(GroupSync::<std::io::Error>::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(5));
            Ok(())
        }));
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                tokio::spawn({
                    let group = Arc::clone(&group);
                    async move { group.durable().await.unwrap() }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(group.covered(), 64);
        let runs = runs.load(Ordering::SeqCst);
        assert!((1..64).contains(&runs), "64 callers took {runs} barrier runs");
    }

    #[tokio::test]
    async fn a_failed_barrier_is_reported_and_retried() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let group =
            GroupSync::new(
                move || {
                    if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                        Err(std::io::Error::other("disk gone"))
                    } else {
                        Ok(())
                    }
                },
            );
        assert!(group.durable().await.is_err());
        group.durable().await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
