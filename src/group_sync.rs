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
//! A failed barrier poisons the group: on Linux a failed `fsync` may already
//! have dropped the dirty pages it was writing, and a later successful call does not
//! bring them back (the error is reported once). So after a failure no caller is told
//! its change is durable again: every later `durable` fails until the process restarts
//! and start-up reconciliation checks what reached the disk.
//!
//! The bottom layer: imports nothing from the crate, so `meta` and `blob` both use it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The barrier a [`GroupSync`] runs: blocking, so it runs on tokio's blocking pool.
type Barrier<E> = Arc<dyn Fn() -> Result<(), E> + Send + Sync>;

/// Durability can't be promised: the barrier task panicked, or an earlier barrier
/// failed (the group is poisoned). Converted into the caller's error type.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
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
    /// Set by the first failed barrier; from then on every call fails.
    poisoned: std::sync::OnceLock<String>,
    /// Barriers run, callers they covered, and the time they took (for metrics).
    runs: AtomicU64,
    covered_callers: AtomicU64,
    barrier_nanos: AtomicU64,
}

/// What a [`GroupSync`] has done since start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Barriers run.
    pub runs: u64,
    /// Callers those barriers covered (callers / runs = the mean group size).
    pub covered_callers: u64,
    /// Time spent in barriers, nanoseconds.
    pub barrier_nanos: u64,
}

impl<E: From<BarrierTaskFailed> + std::fmt::Display + Send + 'static> GroupSync<E> {
    /// Group sync over `barrier`.
    pub fn new(barrier: impl Fn() -> Result<(), E> + Send + Sync + 'static) -> Self {
        Self {
            barrier: Arc::new(barrier),
            requested: AtomicU64::new(0),
            done: AtomicU64::new(0),
            leader: tokio::sync::Mutex::new(()),
            poisoned: std::sync::OnceLock::new(),
            runs: AtomicU64::new(0),
            covered_callers: AtomicU64::new(0),
            barrier_nanos: AtomicU64::new(0),
        }
    }

    /// Barriers run and what they covered, since start-up.
    pub fn stats(&self) -> SyncStats {
        SyncStats {
            runs: self.runs.load(Ordering::Relaxed),
            covered_callers: self.covered_callers.load(Ordering::Relaxed),
            barrier_nanos: self.barrier_nanos.load(Ordering::Relaxed),
        }
    }

    /// Returns once every change made before this call is durable. If the barrier fails,
    /// the caller that ran it gets its error and every other caller, now and later, gets
    /// a [`BarrierTaskFailed`] naming it (see the module note).
    pub async fn durable(&self) -> Result<(), E> {
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        if self.done.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let _leader = self.leader.lock().await;
        self.check_poison()?;
        if self.done.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        // Every ticket so far was taken after its change was in place, so one barrier
        // starting now covers all of them.
        let target = self.requested.load(Ordering::SeqCst);
        let barrier = Arc::clone(&self.barrier);
        let started = std::time::Instant::now();
        let outcome = match tokio::task::spawn_blocking(move || barrier()).await {
            Ok(result) => result,
            Err(e) => Err(BarrierTaskFailed(format!("durability barrier task panicked: {e}")).into()),
        };
        self.runs.fetch_add(1, Ordering::Relaxed);
        self.barrier_nanos.fetch_add(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
        match outcome {
            Ok(()) => {
                let before = self.done.fetch_max(target, Ordering::SeqCst);
                self.covered_callers.fetch_add(target.saturating_sub(before), Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                let _ = self.poisoned.set(format!("{e}"));
                tracing::error!(error = %e, "durability barrier failed; refusing writes until restart");
                Err(e)
            }
        }
    }

    /// Why the group is poisoned, if a barrier has failed.
    pub fn failure(&self) -> Option<&str> {
        self.poisoned.get().map(String::as_str)
    }

    fn check_poison(&self) -> Result<(), E> {
        match self.poisoned.get() {
            Some(cause) => {
                Err(BarrierTaskFailed(format!("an earlier durability barrier failed ({cause}); writes are refused until coffer restarts"))
                    .into())
            }
            None => Ok(()),
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
        let stats = group.stats();
        assert_eq!(stats.covered_callers, 64, "every caller counted once");
        let runs = runs.load(Ordering::SeqCst);
        assert_eq!(stats.runs, runs as u64);
        assert!((1..64).contains(&runs), "64 callers took {runs} barrier runs");
    }

    #[tokio::test]
    async fn a_failed_barrier_poisons_every_later_call() {
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
        // The barrier would succeed now, but the failed one may have lost pages: no
        // caller is told it is durable again.
        let later = group.durable().await.unwrap_err();
        assert!(later.to_string().contains("disk gone"), "{later}");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(group.failure(), Some("disk gone"));
    }
}
