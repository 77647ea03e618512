//! The scrubber: a background task that runs [`Store::scrub_pass`] every
//! `scrub.interval` seconds (the first one a minute after start-up, or at once if a
//! pass was interrupted), reading at most `scrub.bytes_per_sec`, on one blocking
//! thread. A pass stops (resumably) when the server shuts down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::store::{PassEnd, Store};

/// When and how fast the scrubber runs.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// From the start of one pass to the start of the next.
    pub interval: Duration,
    /// Read budget.
    pub bytes_per_sec: u64,
}

/// How long after start-up the first pass begins: not while the server warms up.
const FIRST_PASS_DELAY: Duration = Duration::from_secs(60);

/// Runs passes until `stop` turns true.
pub async fn run(store: Arc<Store>, schedule: Schedule, mut stop: watch::Receiver<bool>) {
    let mut wait = FIRST_PASS_DELAY;
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        let started = Instant::now();
        let (store, stopping) = (Arc::clone(&store), stop.clone());
        let pass = tokio::task::spawn_blocking(move || store.scrub_pass(&mut pacer(schedule.bytes_per_sec, &stopping))).await;
        match pass {
            Ok(Ok(PassEnd::Finished)) => tracing::info!(secs = started.elapsed().as_secs(), "scrub pass finished"),
            Ok(Ok(PassEnd::Stopped)) => return,
            Ok(Err(e)) => tracing::warn!(error = %e, "scrub pass failed; retrying at the next interval"),
            Err(e) => tracing::error!(error = %e, "scrub pass panicked"),
        }
        wait = schedule.interval.saturating_sub(started.elapsed()).max(Duration::from_secs(1));
    }
}

/// Sleeps after each blob so that the pass averages at most `bytes_per_sec`; says to
/// stop once shutdown is signalled.
fn pacer(bytes_per_sec: u64, stop: &watch::Receiver<bool>) -> impl FnMut(u64) -> bool + '_ {
    let started = Instant::now();
    let mut read = 0u64;
    move |bytes| {
        read += bytes;
        #[allow(clippy::cast_precision_loss)] // a rate: precision to the nanosecond is plenty
        let due = Duration::from_secs_f64(read as f64 / bytes_per_sec.max(1) as f64);
        let ahead = due.saturating_sub(started.elapsed());
        // Sleep in slices so that shutdown is not held up by a long pause.
        let until = Instant::now() + ahead;
        while Instant::now() < until && !*stop.borrow() {
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(200)));
        }
        !*stop.borrow()
    }
}
