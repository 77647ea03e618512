//! Event delivery: reads the store's outbox in commit order and sends each entry to its
//! destination. At-least-once (an entry is removed only after its target accepted it),
//! in order per destination (a failing destination holds back its later entries), with
//! exponential back-off, and dropped (counted, logged) once older than the retry window.
//! The outbox is durable, so pending events survive restarts and target downtime.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::events::message::{render, Origin};
use crate::events::Target;
use crate::store::{Store, StoreResult};

/// Entries read per round.
const PAGE: usize = 128;
/// First retry delay; doubles per attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Longest retry delay.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Delivery counters (for logs, stats and metrics).
#[derive(Debug, Default)]
pub struct DeliveryStats {
    /// Events accepted by their destination.
    pub delivered: AtomicU64,
    /// Attempts that failed (each retried later).
    pub failed_attempts: AtomicU64,
    /// Events given up on (destination unknown, or retried past the window).
    pub dropped: AtomicU64,
    /// Per destination ARN: delivered, failed attempts, dropped. Destinations come from
    /// the configuration (events name only configured ones), so the map stays small.
    per_destination: std::sync::Mutex<std::collections::BTreeMap<String, [u64; 3]>>,
}

/// What happened to one event, for [`DeliveryStats`].
#[derive(Debug, Clone, Copy)]
enum Counted {
    Delivered = 0,
    Failed = 1,
    Dropped = 2,
}

impl DeliveryStats {
    fn count(&self, arn: &str, what: Counted) {
        let total = match what {
            Counted::Delivered => &self.delivered,
            Counted::Failed => &self.failed_attempts,
            Counted::Dropped => &self.dropped,
        };
        total.fetch_add(1, Ordering::Relaxed);
        let mut per = self.per_destination.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = per.get_mut(arn) {
            c[what as usize] += 1;
        } else {
            let mut c = [0; 3];
            c[what as usize] = 1;
            per.insert(arn.to_owned(), c);
        }
    }

    /// Per destination ARN: (delivered, failed attempts, dropped).
    pub fn by_destination(&self) -> Vec<(String, [u64; 3])> {
        self.per_destination.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

/// The destinations and retry window in force (SIGHUP may replace them).
pub struct Targets {
    /// Destinations by ARN.
    pub by_arn: HashMap<String, Target>,
    /// Retry window.
    pub max_age: Duration,
}

/// The destinations the worker reads each round, replaceable while it runs.
pub type SharedTargets = Arc<std::sync::RwLock<Arc<Targets>>>;

/// What the worker needs.
pub struct Delivery {
    /// The outbox.
    pub store: Arc<Store>,
    /// Destinations and retry window.
    pub targets: SharedTargets,
    /// Region stamped on messages.
    pub region: String,
    /// Counters.
    pub stats: Arc<DeliveryStats>,
}

/// Retry state of one entry.
struct Retry {
    attempts: u32,
    next: Instant,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Delivery {
    /// Delivers until `shutdown` changes.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut retries: HashMap<u64, Retry> = HashMap::new();
        let mut last_report = Instant::now();
        loop {
            let progressed = match self.round(&mut retries).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "event delivery round failed");
                    false
                }
            };
            if last_report.elapsed() > Duration::from_secs(60) {
                last_report = Instant::now();
                if let Ok(backlog) = self.store.outbox_len() {
                    if backlog > 0 {
                        tracing::info!(backlog, stats = ?self.stats, "event outbox backlog");
                    }
                }
            }
            if progressed {
                continue;
            }
            let wait = retries.values().map(|r| r.next.saturating_duration_since(Instant::now())).min().unwrap_or(Duration::from_secs(1));
            tokio::select! {
                () = self.store.outbox_signal().notified() => {}
                () = tokio::time::sleep(wait.min(Duration::from_secs(1))) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// One pass over the head of the outbox. Returns whether any entry was finished.
    async fn round(&self, retries: &mut HashMap<u64, Retry>) -> StoreResult<bool> {
        let page = self.store.outbox_page(None, PAGE)?;
        let targets = Arc::clone(&self.targets.read().unwrap_or_else(std::sync::PoisonError::into_inner));
        let mut finished = Vec::new();
        let mut held: HashSet<String> = HashSet::new();
        for (seq, entry) in page {
            if held.contains(&entry.arn) {
                continue;
            }
            let Some(target) = targets.by_arn.get(&entry.arn) else {
                tracing::warn!(arn = %entry.arn, event = %entry.event_name, "dropping event for a destination no longer configured");
                self.stats.count(&entry.arn, Counted::Dropped);
                finished.push(seq);
                continue;
            };
            if retries.get(&seq).is_some_and(|r| r.next > Instant::now()) {
                held.insert(entry.arn.clone());
                continue;
            }
            let body = serde_json::to_vec(&render(&entry, &Origin { region: &self.region })).unwrap_or_default();
            match target.send(body).await {
                Ok(()) => {
                    self.stats.count(&entry.arn, Counted::Delivered);
                    retries.remove(&seq);
                    finished.push(seq);
                }
                Err(e) => {
                    self.stats.count(&entry.arn, Counted::Failed);
                    let age = Duration::from_millis(u64::try_from(now_ms().saturating_sub(entry.time_ms)).unwrap_or(0));
                    if age > targets.max_age {
                        tracing::error!(arn = %entry.arn, event = %entry.event_name, key = %entry.key, error = %e, "dropping event after the retry window");
                        self.stats.count(&entry.arn, Counted::Dropped);
                        retries.remove(&seq);
                        finished.push(seq);
                        continue;
                    }
                    let r = retries.entry(seq).or_insert(Retry { attempts: 0, next: Instant::now() });
                    r.attempts += 1;
                    let backoff = FIRST_BACKOFF.saturating_mul(1 << r.attempts.min(10)).min(MAX_BACKOFF);
                    r.next = Instant::now() + backoff;
                    tracing::warn!(arn = %entry.arn, attempt = r.attempts, error = %e, retry_in = ?backoff, "event delivery failed");
                    held.insert(entry.arn.clone());
                }
            }
        }
        if !finished.is_empty() {
            self.store.outbox_remove(&finished)?;
        }
        Ok(!finished.is_empty())
    }
}
